"""The Gradio page in headless Chromium: a latent slider changes the image; a bad upload shows one line and changes
nothing."""

import pytest
from helpers import SCREENSHOTS, running_server

IMAGE_CHANGED = "([sel, before]) => { const i = document.querySelector(sel); return i && i.src && i.src !== before; }"


@pytest.fixture(scope="module")
def gradio_page_url():
    with running_server(["-m", "app.gradio_app"]) as url:
        yield url + "/"


def _move_slider(page, elem_id: str, value: str) -> None:
    number = page.locator(f"#{elem_id} input[type='number']")
    number.fill(value)
    number.press("Enter")


def test_slider_changes_the_image(gradio_page_url, page):
    page.goto(gradio_page_url)
    page.get_by_role("tab", name="Latent sliders").click()
    image = page.locator("#slider-image img")
    image.wait_for(timeout=60_000)
    before = image.get_attribute("src")
    _move_slider(page, "pc1", "2")
    page.wait_for_function(IMAGE_CHANGED, arg=["#slider-image img", before], timeout=60_000)
    assert image.get_attribute("src") != before
    page.get_by_text("realness ").first.wait_for(timeout=10_000)
    page.wait_for_function("() => !document.querySelector('.pending, .generating')", timeout=30_000)
    page.wait_for_timeout(500)  # the last slider event's result settles (Gradio dims outputs while one is pending)
    page.screenshot(path=str(SCREENSHOTS / "screenshot-gradio.png"))


def test_bad_upload_shows_one_line_and_the_app_keeps_working(gradio_page_url, page, tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_text("not a checkpoint")
    page.goto(gradio_page_url)
    page.locator("#checkpoint-upload input[type='file']").set_input_files(str(junk))
    page.get_by_text("junk.pt: not a PyTorch checkpoint").first.wait_for(timeout=30_000)
    assert page.get_by_text("Traceback").count() == 0
    assert "mnist-32.pt" in page.locator("#model-info").inner_text()  # the model in use did not change
    page.locator("#checkpoint-upload input[type='file']").wait_for(state="attached", timeout=10_000)  # slot emptied
    page.get_by_role("button", name="Generate").click()
    page.locator("#generate-image img").wait_for(timeout=60_000)


def test_the_generate_tab_opens_with_samples(gradio_page_url, page):
    page.goto(gradio_page_url)
    image = page.locator("#generate-image img")
    image.wait_for(timeout=60_000)  # no click: the page load draws the first grid
    assert image.get_attribute("src")
    page.screenshot(path=str(SCREENSHOTS / "gradio-generate-on-open.png"))
