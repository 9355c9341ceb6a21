"""The live view in Chromium: the canvas redraws while a slider is dragged, equals G(z), and the page follows.

Requests that leave 127.0.0.1 are refused and recorded: the app must work offline.
"""
import json

import numpy as np
import pytest
import torch
from helpers import BUNDLED_MNIST, SCREENSHOTS, wait_for_app
from test_streamlit_app import big_image_digest as big_image
from test_streamlit_app import no_error_on_page, open_app

import dcgan
from dcgan.media import to_uint8

CANVAS = ".dl-canvas"


@pytest.fixture
def offline_page(page):
    """The page fixture with every request that is not to the local server refused and recorded."""
    page.outside = []

    def route(r):
        if r.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            return r.continue_()
        page.outside.append(r.request.url)
        return r.abort()

    page.context.route("**/*", route)
    return page


def canvas_pixels(page) -> np.ndarray:
    data = page.evaluate(f"() => {{ const c = document.querySelector('{CANVAS}');"
                         "return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }")
    size = int(np.sqrt(len(data) // 4))
    return np.array(data, np.uint8).reshape(size, size, 4)


def state(page) -> dict:
    root = page.locator(".dl-root")
    return {"frames": int(root.get_attribute("data-frames") or 0),
            "z": json.loads(root.get_attribute("data-z") or "[]")}


def server_G(z) -> np.ndarray:
    model = dcgan.load(BUNDLED_MNIST)
    with torch.no_grad():
        return to_uint8(model.G(torch.tensor(z, dtype=torch.float32)[None]))[0]


def open_live(page, url) -> None:
    open_app(page, url, "sliders")
    page.wait_for_function("() => +document.querySelector('.dl-root')?.dataset.frames > 0", timeout=30_000)


def test_dragging_redraws_the_canvas_many_times_and_it_equals_G_after(streamlit_url, offline_page):
    page = offline_page
    open_live(page, streamlit_url)
    before_big, start = big_image(page), state(page)
    page.locator(".dl-row input").first.scroll_into_view_if_needed()  # below the fold when the page opens
    box = page.locator(".dl-row input").first.bounding_box()
    x, y, n = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, 30
    page.mouse.move(x, y)
    page.mouse.down()
    seen = set()
    for i in range(1, n + 1):
        page.mouse.move(x + i * box["width"] / 2 / n, y)  # from 0 to +3 sigma along PC1
        seen.add(page.evaluate(f"() => document.querySelector('{CANVAS}').toDataURL()"))
    during = state(page)["frames"] - start["frames"]
    page.mouse.up()
    assert during >= n * 2 // 3 and len(seen) >= n // 2  # redrawn on (nearly) every move, and the image changes
    page.wait_for_timeout(1000)
    wait_for_app(page)
    after = state(page)
    assert np.abs(canvas_pixels(page)[..., 0].astype(int) - server_G(after["z"])[..., 0]).max() <= 2
    assert float(page.locator(".dl-row input").first.input_value()) == 3.0  # the echo from Python kept it there
    assert big_image(page) != before_big  # the server's image and strip followed the release
    assert "Along PC1" in page.locator("[data-testid='stMain']").inner_text()
    assert "ms per frame" in page.locator("[data-testid='live-stats']").inner_text()
    no_error_on_page(page)
    page.screenshot(path=str(SCREENSHOTS / "screenshot-live-view.png"))
    assert page.outside == []


def test_keys_move_reset_and_randomise(streamlit_url, offline_page):
    page = offline_page
    open_live(page, streamlit_url)
    first = canvas_pixels(page)
    z_start = state(page)["z"]
    slider = page.locator(".dl-row input").nth(1)
    slider.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert float(slider.input_value()) == pytest.approx(0.5)
    assert (canvas_pixels(page) != first).any()
    page.keyboard.press("r")
    assert float(slider.input_value()) == 0.0 and (canvas_pixels(page) == first).all()
    big = big_image(page)
    page.keyboard.press("z")
    assert state(page)["z"] != z_start and float(slider.input_value()) == 0.0
    page.wait_for_timeout(1000)
    wait_for_app(page)
    assert np.abs(canvas_pixels(page)[..., 0].astype(int) - server_G(state(page)["z"])[..., 0]).max() <= 2
    assert big_image(page) != big  # the new z went back to the server
    z_browser = state(page)["z"]
    page.get_by_role("button", name="Randomise z").click()  # the server's button: its z comes to the browser
    page.wait_for_timeout(1000)
    wait_for_app(page)
    assert state(page)["z"] != z_browser
    assert np.abs(canvas_pixels(page)[..., 0].astype(int) - server_G(state(page)["z"])[..., 0]).max() <= 2
    no_error_on_page(page)
    assert page.outside == []


def test_a_browser_without_a_canvas_gets_the_server_sliders(streamlit_url, page):
    page.add_init_script("HTMLCanvasElement.prototype.getContext = () => null;")
    open_app(page, streamlit_url, "sliders")
    page.wait_for_timeout(1000)
    wait_for_app(page)
    main = page.locator("[data-testid='stMain']")
    assert "Live view off: this browser lacks a 2D canvas" in main.inner_text()
    assert page.locator("[data-testid='stSlider']").filter(has_text="PC1").count() == 1
    no_error_on_page(page)


def test_another_model_gets_its_own_G_and_canvas(streamlit_url, page):
    open_live(page, streamlit_url)
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").click()
    page.get_by_role("option", name="emoji-64 (bundled)").click()
    page.wait_for_timeout(1000)
    wait_for_app(page, timeout=180_000)
    page.wait_for_function("() => { const s = document.querySelector('.dl-root')?._live;"
                           "return s && s.net && s.net.layout.id === s.data.model && s.frames > 1; }", timeout=60_000)
    image = canvas_pixels(page)
    model = dcgan.load(BUNDLED_MNIST.parent / "emoji-64.pt")
    with torch.no_grad():
        expected = to_uint8(model.G(torch.tensor(state(page)["z"], dtype=torch.float32)[None]))[0]
    assert image.shape == (64, 64, 4) and expected.std() > 20  # colour emoji at 64x64, not a 32x32 leftover
    assert np.abs(image[..., :3].astype(int) - expected).max() <= 2
    no_error_on_page(page)
