"""The real app in headless Chromium: every page renders, a slider changes the image, uploads work or fail clearly,
a feature-map selection reaches the walk page, and a run trained from the browser joins the model picker.

One server for the whole module (see conftest.py); each test opens its own browser session.
"""
import hashlib
import re

import pytest
import torch
from helpers import SCREENSHOTS, reference_generator, wait_for_app

PAGES = {"model": "", "sliders": "sliders", "walk": "walk", "arithmetic": "arithmetic", "filters": "filters",
         "inside-g": "dissect", "feature-map": "feature_map", "train": "train"}


def no_error_on_page(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0
    text = page.locator("[data-testid='stMain']").inner_text()
    assert "Traceback" not in text and "Something went wrong" not in text


def open_app(page, url: str, path: str = "", timeout: float = 90_000) -> None:
    page.goto(f"{url}/{path}")
    wait_for_app(page, timeout=timeout)


def go_to(page, title: str) -> None:
    """Change page through the sidebar, keeping this browser session (and its session state)."""
    page.locator("[data-testid='stSidebarNav'] a").filter(has_text=title).click()
    page.wait_for_timeout(500)
    wait_for_app(page, timeout=120_000)


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_and_is_screenshotted(streamlit_url, page, name):
    open_app(page, streamlit_url, PAGES[name], timeout=240_000)  # the first feature map compiles numba code
    no_error_on_page(page)
    assert page.locator("h1").first.is_visible()
    if name in ("filters", "inside-g"):  # slow work waits for Run
        page.get_by_role("button", name="Run").click()
        page.wait_for_timeout(500)
        wait_for_app(page, timeout=240_000)
        no_error_on_page(page)
    if name in ("model", "sliders", "walk", "arithmetic", "filters", "inside-g"):
        assert page.locator("[data-testid='stImage'] img").count() >= 5
    if name == "feature-map":
        assert page.locator(".js-plotly-plot").count() >= 1
    page.screenshot(path=str(SCREENSHOTS / f"screenshot-{name}.png"))


def big_image_digest(page) -> str:
    """The slider page's big image: the one whose caption starts with the verdict (the picker's start with #n)."""
    image = page.locator("[data-testid='stImage']").filter(
        has=page.locator("[data-testid='stImageCaption']", has_text=re.compile(r"^realness\s"))).first
    return hashlib.sha1(image.locator("img").get_attribute("src").encode()).hexdigest()


def test_moving_a_latent_slider_changes_the_image(streamlit_url, page):
    open_app(page, streamlit_url, "sliders")
    page.get_by_text("Live view (G runs in your browser").click()  # the server's sliders
    wait_for_app(page)
    before = big_image_digest(page)
    thumb = page.locator("[data-testid='stSlider']").filter(has_text="PC1").locator("input[type='range']")
    thumb.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(800)
    wait_for_app(page)
    assert float(thumb.input_value()) == 1.0
    # On busy cores the rerun can start after the wait above has already seen the old page: poll for the new image.
    for _ in range(60):
        if big_image_digest(page) != before:
            break
        page.wait_for_timeout(500)
        wait_for_app(page)
    assert big_image_digest(page) != before
    assert "Along PC1" in page.locator("[data-testid='stMain']").inner_text()
    no_error_on_page(page)
    page.screenshot(path=str(SCREENSHOTS / "screenshot-sliders.png"))


def upload(page, path) -> None:
    page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(str(path))
    page.wait_for_timeout(1500)
    wait_for_app(page)


def test_upload_pytorch_examples_checkpoint_generates(streamlit_url, page, tmp_path):
    path = tmp_path / "netG_epoch_0.pth"
    torch.manual_seed(0)
    torch.save(reference_generator(nz=100, ngf=16, nc=3).state_dict(), path)  # main.0.weight ... main.12.weight
    open_app(page, streamlit_url)
    upload(page, path)
    no_error_on_page(page)
    picker = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']")
    assert picker.locator("input").input_value() == "netG_epoch_0.pth (uploaded, 64px, G only)"
    assert page.locator("[data-testid='stFileChip']").count() == 1  # an accepted file stays in the box
    assert "64 × 64" in page.locator("[data-testid='stMain']").inner_text()
    assert page.locator("[data-testid='stImage'] img").count() >= 16


def test_upload_junk_shows_a_clear_error(streamlit_url, page, tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"definitely not a checkpoint" * 20)
    open_app(page, streamlit_url)
    upload(page, junk)
    alert = page.locator("[data-testid='stAlertContentError']")
    assert alert.count() == 1
    assert "Could not load junk.pt" in alert.inner_text() and "not a PyTorch checkpoint" in alert.inner_text()
    assert alert.inner_text().count("junk.pt") == 1
    assert page.locator("[data-testid='stFileChip']").count() == 0  # the refused file left the box
    assert page.locator("[data-testid='stImage'] img").count() >= 16  # the app keeps working on the bundled model
    no_error_on_page(page)


def test_selected_map_points_go_to_the_walk_page(streamlit_url, page):
    open_app(page, streamlit_url, "feature_map", timeout=240_000)
    page.locator(".js-plotly-plot").first.hover()
    page.locator(".modebar-btn[data-title='Box Select']").first.click()  # the chart opens in pan mode
    area = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    page.mouse.move(area["x"] + 0.1 * area["width"], area["y"] + 0.1 * area["height"])
    page.mouse.down()
    page.mouse.move(area["x"] + 0.9 * area["width"], area["y"] + 0.9 * area["height"], steps=8)
    page.mouse.up()
    page.wait_for_timeout(1000)
    wait_for_app(page)
    assert re.search(r"\d+ selected", page.locator("[data-testid='stMain']").inner_text())
    assert page.locator("[data-testid='stImage'] img").count() >= 2  # the selected points' images
    page.get_by_role("button", name=re.compile("generated points to the walk page")).click()
    page.get_by_text("Sent: open the Walks page.").wait_for(timeout=60_000)  # on busy cores the rerun comes late
    wait_for_app(page)
    go_to(page, "Walks")
    assert "map point 1" in page.locator("[data-testid='stMain']").inner_text()
    no_error_on_page(page)


def choose(page, label: str, option: str) -> None:
    """Pick an option from a select box; a click that lands mid-rerun or mid-animation is retried."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.locator("[data-testid='stSelectbox']").filter(has_text=label)
    box.wait_for(state="visible")
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):
        box.click()
        try:
            choice.wait_for(state="visible", timeout=5_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            wait_for_app(page)
    choice.click()
    wait_for_app(page)


def test_a_run_trained_from_the_browser_joins_the_model_picker(streamlit_url, page):
    open_app(page, streamlit_url, "train")
    page.locator("[data-testid='stExpander'] summary").filter(has_text="Start a new run").click()  # folded: runs exist
    wait_for_app(page)
    choose(page, "Data set", "digits")
    choose(page, "Image size", "16")
    for label, presses in (("ngf = ndf", 2), ("nz (size", 3)):  # 32 -> 8, 100 -> 16: a run of seconds
        page.locator("[data-testid='stSlider']").filter(has_text=label).locator("input[type='range']").focus()
        for _ in range(presses):
            page.keyboard.press("ArrowLeft")
        page.wait_for_timeout(300)
        wait_for_app(page)
    epochs = page.locator("[data-testid='stNumberInput']").filter(has_text="Epochs").locator("input")
    epochs.fill("2")
    epochs.press("Enter")
    name = page.locator("[data-testid='stTextInput']").filter(has_text="Run name").locator("input")
    name.fill("browser-run")
    name.press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Start training").click()
    page.wait_for_function("document.querySelector('[data-testid=\"stMain\"]').innerText.includes('browser-run')",
                           timeout=30_000)
    page.wait_for_function(  # the page polls the run every 2 s until it ends
        "document.querySelector('[data-testid=\"stMain\"]').innerText.includes('finished · 2 of 2')", timeout=150_000)
    wait_for_app(page)
    no_error_on_page(page)
    main = page.locator("[data-testid='stMain']")
    assert main.locator(".js-plotly-plot").count() == 2  # loss curves of this run and of the bundled model's run
    assert main.locator("[data-testid='stImage']").count() == 2  # and their latest sample grids
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").click()
    assert page.get_by_role("option", name="browser-run (trained here)").count() == 1


def find_z(page) -> None:
    """Press the Invert page's Find z and wait for the optimisation (minutes on a loaded machine) to finish."""
    page.get_by_role("button", name="Find z").click()
    page.wait_for_timeout(500)
    wait_for_app(page, timeout=180_000)
    no_error_on_page(page)


def test_a_drawn_digit_is_inverted_and_its_z_reaches_the_sliders(streamlit_url, page):
    open_app(page, streamlit_url, "invert")
    frame = page.frame_locator("iframe[title*='dcgan_canvas']")
    frame.locator("#pad").wait_for(state="visible", timeout=30_000)
    box = page.locator("iframe[title*='dcgan_canvas']").bounding_box()
    x, top = box["x"] + 140, box["y"] + 50  # a vertical stroke down the middle of the 280 px pad: a "1"
    page.mouse.move(x, top)
    page.mouse.down()
    page.mouse.move(x, top + 180, steps=12)
    page.mouse.up()
    page.wait_for_timeout(1000)
    wait_for_app(page)
    find_z(page)
    text = page.locator("[data-testid='stMain']").inner_text()
    assert re.search(r"RMS pixel error \d\.\d{3}", text) and "as the model sees it" in text
    assert page.locator("[data-testid='stImage'] img").count() >= 3  # target, G(z), difference
    page.screenshot(path=str(SCREENSHOTS / "screenshot-invert.png"))
    page.get_by_role("button", name="Send z to the sliders").click()
    wait_for_app(page)
    go_to(page, "Latent sliders")
    no_error_on_page(page)


def test_an_uploaded_font_digit_is_inverted_and_walks_under_its_file_name(streamlit_url, page, tmp_path):
    from dcgan.font_digits import DEJAVU, font_digit

    font_digit(DEJAVU / "DejaVuSerif.ttf", 2, size=200).save(tmp_path / "two.png")  # black on white, small
    open_app(page, streamlit_url, "invert")
    page.get_by_text("Upload", exact=True).click()
    wait_for_app(page)
    uploader = page.locator("[data-testid='stFileUploader']").filter(has_text="An image of any size")
    uploader.locator("input[type='file']").set_input_files(str(tmp_path / "two.png"))
    page.wait_for_timeout(1500)
    wait_for_app(page)
    find_z(page)
    images = page.locator("[data-testid='stMain'] [data-testid='stImage'] img")
    boxes = [images.nth(i).bounding_box() for i in range(images.count())][-3:]  # target, G(z), difference
    assert len(boxes) == 3 and all(b["width"] >= 200 for b in boxes)  # legible: 224 px each
    assert boxes[0]["y"] == boxes[1]["y"] == boxes[2]["y"] and boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]
    page.screenshot(path=str(SCREENSHOTS / "screenshot-invert-upload.png"))
    page.get_by_role("button", name="Add z to the walk").click()
    page.get_by_text("Added: the Walks page has").wait_for(timeout=60_000)  # the click's rerun has run
    wait_for_app(page)
    go_to(page, "Walks")
    no_error_on_page(page)
    page.screenshot(path=str(SCREENSHOTS / "screenshot-walk-inverted.png"), full_page=True)
    assert "inverted: two" in page.locator("[data-testid='stMain']").inner_text()
