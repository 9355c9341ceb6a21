"""The real app in headless Chromium: every page renders, a slider changes the image, uploads work or fail clearly."""
import hashlib

import pytest
import torch

from helpers import ROOT, reference_generator, wait_for_app

ASSETS = ROOT / "assets"
PAGES = {"model": "", "sliders": "sliders", "walk": "walk", "arithmetic": "arithmetic", "filters": "filters",
         "feature-map": "feature_map", "train": "train"}


def no_error_on_page(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    text = page.locator("[data-testid='stMain']").inner_text()
    assert "Traceback" not in text and "Something went wrong" not in text


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_and_is_screenshotted(streamlit_url, page, name):
    page.goto(f"{streamlit_url}/{PAGES[name]}")
    wait_for_app(page, timeout=180_000)
    no_error_on_page(page)
    assert page.locator("h1").first.is_visible()
    if name in ("model", "sliders", "walk", "arithmetic", "filters"):
        assert page.locator("[data-testid='stImage'] img").count() >= 5
    if name == "feature-map":
        assert page.locator(".js-plotly-plot").count() >= 1
    page.screenshot(path=str(ASSETS / f"screenshot-{name}.png"), full_page=False)


def big_image_digest(page) -> str:
    src = page.locator("[data-testid='stImage'] img").nth(8).get_attribute("src")  # first image after the picker's 8
    return hashlib.sha1(src.encode()).hexdigest()


def test_moving_a_latent_slider_changes_the_image(streamlit_url, page):
    page.goto(f"{streamlit_url}/sliders")
    wait_for_app(page)
    before = big_image_digest(page)
    thumb = page.locator("[data-testid='stSlider'] input[type='range']").nth(1)  # PC1 (the first is the PCA count)
    thumb.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(800)
    wait_for_app(page)
    assert float(thumb.input_value()) == 1.0
    assert big_image_digest(page) != before
    no_error_on_page(page)


def _reference_netG(path):
    """A pytorch/examples-layout generator saved as a bare state_dict, like netG_epoch_N.pth."""
    torch.save(reference_generator(nz=100, ngf=16, nc=3).state_dict(), path)


def test_upload_pytorch_examples_checkpoint_generates(streamlit_url, page, tmp_path):
    path = tmp_path / "netG_epoch_0.pth"
    _reference_netG(path)
    page.goto(streamlit_url)
    wait_for_app(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(str(path))
    page.wait_for_timeout(1500)
    wait_for_app(page)
    no_error_on_page(page)
    picker = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']")
    assert picker.locator("input").input_value() == "netG_epoch_0.pth (uploaded, 64px)"
    assert "64 × 64" in page.locator("[data-testid='stMain']").inner_text()
    assert page.locator("[data-testid='stImage'] img").count() >= 16


def test_upload_junk_shows_a_clear_error(streamlit_url, page, tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"definitely not a checkpoint" * 20)
    page.goto(streamlit_url)
    wait_for_app(page)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(str(junk))
    page.wait_for_timeout(1500)
    wait_for_app(page)
    alert = page.locator("[data-testid='stAlertContentError']")
    assert alert.count() == 1
    assert "Could not load junk.pt" in alert.inner_text() and "not a PyTorch checkpoint" in alert.inner_text()
    assert page.locator("[data-testid='stImage'] img").count() >= 16  # the app keeps working on the bundled model
