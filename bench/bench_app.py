"""Server time for a latent-slider move in the Streamlit app (prints figures; not a test).

    python bench/bench_app.py

Target (issue #5): <= 150 ms of server time per slider move with the bundled model. Measured with
Streamlit's AppTest, which runs the page script in-process: each figure is a whole rerun of the
Latent sliders page (an upper bound: in the browser only the slider fragment reruns).
Also times the first script run (the app's first image) from a cold process.
"""
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    t0 = time.perf_counter()
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    at.run()
    first = time.perf_counter() - t0
    at.switch_page("views/sliders.py").run()
    at.toggle(key="live_on").set_value(False).run()  # the server's sliders: the live view is bench_live_view.py
    slider = next(s for s in at.slider if s.label.startswith("PC1"))
    times = []
    for i in range(12):
        t = time.perf_counter()
        slider.set_value(round(-2 + 0.3 * i, 1)).run()
        times.append(time.perf_counter() - t)
        slider = next(s for s in at.slider if s.label.startswith("PC1"))
    assert not at.exception
    print(f"first run of the app (imports + model load + 16 samples): {first:.2f} s   [target: first image <= 10 s]")
    print(f"slider move, whole-page rerun: median {1000 * statistics.median(times):.0f} ms, "
          f"max {1000 * max(times):.0f} ms over {len(times)} moves   [target <= 150 ms]")


if __name__ == "__main__":
    sys.exit(main())
