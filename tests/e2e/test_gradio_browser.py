"""The Gradio page in headless Chromium: moving a latent slider changes the image."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT, free_port, wait_until_up


@pytest.fixture(scope="module")
def gradio_page_url():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "app.gradio_app", "--port", str(port)], cwd=ROOT,
                            env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", proc, timeout=120)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(10)


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
