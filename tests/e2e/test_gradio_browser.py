"""The Gradio page in headless Chromium: moving a latent slider changes the image."""

import pytest

from helpers import ROOT, running_server


@pytest.fixture(scope="module")
def gradio_page_url():
    with running_server(["-m", "app.gradio_app"]) as url:
        yield url + "/"


def test_slider_changes_the_image(gradio_page_url, page):
    page.goto(gradio_page_url)
    page.get_by_role("tab", name="Latent sliders").click()
    image = page.locator("#slider-image img")
    image.wait_for(timeout=60_000)
    before = image.get_attribute("src")
    number = page.locator("#pc1 input[type='number']")
    number.fill("2")
    number.press("Enter")
    page.wait_for_function("(b) => { const i = document.querySelector('#slider-image img'); return i && i.src !== b; }",
                           arg=before, timeout=60_000)
    assert image.get_attribute("src") != before
    page.screenshot(path=str(ROOT / "assets" / "screenshot-gradio.png"))
