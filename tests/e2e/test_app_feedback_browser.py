"""What a user sees while the Streamlit app works: the running indicator with Stop, the slider image in view with
many sliders open, and a server log with no widget warnings and no tracebacks after every page is opened."""
import re

import pytest
from helpers import SCREENSHOTS, wait_for_app

PAGES = ["", "sliders", "walk", "arithmetic", "invert", "filters", "dissect", "feature_map", "timeline", "train"]
WIDGET_WARNING = "was created with a default value but also had its value set via the Session State API"


@pytest.fixture(scope="module")
def logged_app(streamlit_server):
    """The shared server and its log file (stdout and stderr): each test reads only what it logged itself."""
    return streamlit_server


def test_the_running_indicator_and_its_stop_show_while_a_page_computes(logged_app, page):
    url, _ = logged_app
    page.goto(f"{url}/filters")
    wait_for_app(page)
    page.get_by_role("button", name="Run").click()
    status = page.locator("[data-testid='stStatusWidget']")
    status.wait_for(state="visible", timeout=30_000)
    stop = status.get_by_role("button", name=re.compile("Stop"))
    assert stop.is_visible()
    page.screenshot(path=str(SCREENSHOTS / "feedback-running.png"))
    stop.click()
    wait_for_app(page, timeout=120_000)
    assert page.locator("[data-testid='stException']").count() == 0


def _big_image(page):
    return page.locator("[data-testid='stImage']").filter(
        has=page.locator("[data-testid='stImageCaption']", has_text=re.compile(r"^realness\s"))).first


def test_the_slider_image_stays_in_view_with_many_sliders_open(logged_app, page):
    url, _ = logged_app
    page.goto(f"{url}/sliders")
    wait_for_app(page)
    page.get_by_text("Live view (G runs in your browser").click()  # the server's sliders, one per direction
    wait_for_app(page)
    for label in ("PCA directions", "SeFa directions"):
        thumb = page.locator("[data-testid='stSlider']").filter(has_text=label).locator("input[type='range']")
        thumb.focus()
        page.keyboard.press("End")  # 12 PCA and 8 SeFa directions
        page.wait_for_timeout(500)
        wait_for_app(page, timeout=120_000)
    sliders = page.locator("[data-testid='stSlider']").filter(has_text=re.compile(r"^SeFa\d|^PC\d"))
    assert sliders.count() >= 20
    sliders.last.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    box, height = _big_image(page).bounding_box(), page.viewport_size["height"]
    assert sliders.first.bounding_box()["y"] < 0  # scrolled down: the first sliders are above the window
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= height  # the image is still in view
    page.screenshot(path=str(SCREENSHOTS / "feedback-sticky-sliders.png"))


def test_every_page_leaves_no_widget_warning_or_traceback_in_the_server_log(logged_app, page):
    url, log = logged_app
    start = log.stat().st_size  # other tests' lines (a junk upload's logged traceback) come before
    for path in PAGES:
        page.goto(f"{url}/{path}")
        wait_for_app(page, timeout=240_000)
        assert page.locator("[data-testid='stException']").count() == 0, path
    page.goto(f"{url}/sliders")  # sliders set from code (randomise, reset) beside the widgets' own defaults
    wait_for_app(page)
    page.get_by_text("Live view (G runs in your browser").click()
    wait_for_app(page)
    for button in ("Randomise z", "Reset sliders"):
        page.get_by_role("button", name=button).click()
        page.wait_for_timeout(500)
        wait_for_app(page)
    with open(log, "rb") as f:
        f.seek(start)
        text = f.read().decode(errors="replace")
    assert WIDGET_WARNING not in text and "Traceback" not in text, text[-3000:]


def test_the_live_view_canvas_stays_in_view_with_many_sliders_open(logged_app, page):
    url, _ = logged_app
    page.goto(f"{url}/sliders")
    wait_for_app(page)
    thumb = page.locator("[data-testid='stSlider']").filter(has_text="PCA directions").locator("input[type='range']")
    thumb.focus()
    page.keyboard.press("End")  # 12 PCA directions, beside the 3 style ones
    page.wait_for_timeout(500)
    wait_for_app(page, timeout=120_000)
    rows = page.locator("[data-testid='live-view'] .dl-row")
    rows.last.wait_for(timeout=60_000)
    assert rows.count() >= 15
    page.locator("[data-testid='live-view']").evaluate("el => el.scrollIntoView({block: 'start'})")
    shown = page.locator("[data-testid='live-view'] .dl-sliders").bounding_box()  # the rows' own scrolling box
    page.mouse.move(shown["x"] + shown["width"] / 2, shown["y"] + shown["height"] / 2)
    page.mouse.wheel(0, 5000)  # as a user scrolls the list: to its last row
    page.wait_for_timeout(800)
    box, height = page.locator("[data-testid='live-canvas']").bounding_box(), page.viewport_size["height"]
    shown = page.locator("[data-testid='live-view'] .dl-sliders").bounding_box()
    assert rows.first.bounding_box()["y"] < shown["y"]  # the first rows have scrolled out of it
    assert 0 <= box["y"] and box["y"] + box["height"] <= height  # the canvas is in view
    assert box["y"] + box["height"] <= shown["y"] and shown["y"] + shown["height"] <= height  # the rows below it
    last = rows.last.bounding_box()
    assert shown["y"] <= last["y"] and last["y"] + last["height"] <= shown["y"] + shown["height"] + 1
    page.screenshot(path=str(SCREENSHOTS / "feedback-sticky-live-view.png"))
