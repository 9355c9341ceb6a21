"""Frames per second of the sliders page's live view in headless Chromium (prints figures; not a test).

    python bench/bench_live_view.py

Target (issue #18): >= 30 redraws per second while dragging a slider with the bundled 32x32 model (goal
60), and a usable rate at 64x64. Drives the real app: Playwright drags PC1 back and forth with the mouse
(one input event per move) and reads the page's own log of redraws. Two figures per model:
- drag: redraws per second while dragging, and the redraws that happened per mouse move;
- per frame: one input event per animation frame, sent by the page itself (as a mouse that moves every
  frame does), so Playwright's round trips do not cap the rate; the display's refresh (60 Hz) does;
- G alone: what one redraw costs (G forward + putImageData), median and 95th percentile, as 1000 / ms fps.
"""
import importlib.util
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("helpers", ROOT / "tests" / "helpers.py")  # the browser harness
_spec.loader.exec_module(helpers := importlib.util.module_from_spec(_spec))
CHROMIUM, CHROMIUM_ARGS, running_server, wait_for_app = (helpers.CHROMIUM, helpers.CHROMIUM_ARGS,
                                                         helpers.running_server, helpers.wait_for_app)

MODELS = ("mnist-32 (bundled)", "emoji-64 (bundled)")
MOVES = 240  # mouse moves per drag: four sweeps over half the slider


def choose_model(page, label: str) -> None:
    page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").click()
    page.get_by_role("option", name=label).click()
    page.wait_for_timeout(1000)
    wait_for_app(page, timeout=180_000)
    page.wait_for_function("() => document.querySelector('.dl-root')?._live?.net?.layout.id === "
                           "document.querySelector('.dl-root')._live.data.model", timeout=60_000)


def drag(page, moves: int) -> dict:
    """Sweep PC1 with the mouse; returns the redraw log of the drag and how many moves were sent."""
    box = page.locator(".dl-row input").first.bounding_box()
    x, y, half = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, box["width"] / 2
    start = page.evaluate("() => performance.now()")
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(moves):
        phase = (i % 120) / 60  # 0 .. 2: out to +3 sigma and back, then the same on the other side
        page.mouse.move(x + (1 - abs(1 - phase)) * half * (1 if (i // 120) % 2 == 0 else -1), y)
    page.mouse.up()
    log = page.evaluate("(t) => document.querySelector('.dl-root')._live.log.filter(([s]) => s >= t)", start)
    return {"log": log, "moves": moves}


PER_FRAME = """(n) => new Promise((done) => {
  const s = document.querySelector('.dl-root')._live, input = document.querySelector('.dl-row input');
  const f0 = s.frames, t0 = performance.now();
  let i = 0;
  const step = () => {
    input.value = String(3 * Math.sin(i / 20));
    input.dispatchEvent(new Event('input', { bubbles: true }));
    if (++i < n) requestAnimationFrame(step); else done([s.frames - f0, performance.now() - t0]);
  };
  requestAnimationFrame(step);
})"""


def per_frame(page, frames: int = 180) -> str:
    redraws, ms = page.evaluate(PER_FRAME, frames)
    return f"per frame {1000 * redraws / ms:.0f} redraws/s ({redraws} in {ms / 1000:.2f} s)"


def report(label: str, result: dict, kernel: str, frame_rate: str) -> None:
    log = result["log"]
    span = (log[-1][0] - log[0][0]) / 1000
    ms = sorted(d for _, d in log)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    print(f"{label} [{kernel}]: drag {len(log) / span:.0f} redraws/s "
          f"({len(log)} redraws for {result['moves']} mouse moves "
          f"in {span:.2f} s); {frame_rate}; G alone {statistics.median(ms):.1f} ms median, {p95:.1f} ms p95 per frame "
          f"= {1000 / statistics.median(ms):.0f} fps")


def main() -> None:
    from playwright.sync_api import sync_playwright

    args = ["-m", "streamlit", "run", "app/main.py", "--server.address", "127.0.0.1", "--server.headless", "true",
            "--global.developmentMode", "false", "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false"]
    with running_server(args, port_flag="--server.port", health_path="/_stcore/health") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/sliders")
        wait_for_app(page, timeout=180_000)
        for label in MODELS:
            choose_model(page, label)
            drag(page, 60)  # warm-up: the JIT compiles the hot loops
            kernel = page.evaluate("() => document.querySelector('.dl-root')._live.net.kernel")
            report(label, drag(page, MOVES), kernel, per_frame(page))
        browser.close()
    print(f"load: {os.getloadavg()[0]:.2f} (1-min average, {os.cpu_count()} cores)")


if __name__ == "__main__":
    sys.exit(main())
