"""The Landscape page, the "more real" slider and step mode on the Train page, run headless with AppTest."""
import hashlib

import pytest
from helpers import BUNDLED_MNIST, ROOT
from streamlit.testing.v1 import AppTest

MAIN = str(ROOT / "app" / "main.py")
SLOW = 240


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=SLOW)
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.slow
def test_landscape_page_draws_the_plane_it_is_given():
    at = open_page("landscape")
    at.select_slider(key="land_grid").set_value(10).run()
    assert_clean(at)
    assert "verdict range on the plane" in [m.label for m in at.metric]
    assert any("10x10 points" in c.value for c in at.caption)
    names = at.selectbox(key="land_u").options
    assert "more real (at the centre)" in names and "PC1" in names
    at.selectbox(key="land_v").set_value("more real (at the centre)").run()
    assert_clean(at)
    at.radio(key="land_kind").set_value("three keyframes (seeds)").run()
    assert_clean(at)


@pytest.mark.slow
def test_more_real_slider_raises_the_verdict_it_reports():
    at = open_page("sliders")
    at.toggle(key="live_on").set_value(False).run()
    at.toggle(key="use_more_real").set_value(True).run()
    assert_clean(at)
    assert any(s.label.startswith("more real") for s in at.slider)
    line = next(c.value for c in at.caption if c.value.startswith('Along "more real"'))
    values = [float(part.split(" (")[0]) for part in line.split("goes ")[1].split(". Its")[0].split(" → ")]
    assert values[2] > values[0]  # +1σ along the gradient: more real than where it started


def _digest(path) -> tuple[int, str]:
    return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_step_mode_steps_a_copy_and_saves_a_new_run(tmp_path, monkeypatch):
    monkeypatch.setenv("DCGAN_APP_RUNS", str(tmp_path))
    before = _digest(BUNDLED_MNIST)
    at = open_page("train")
    at.button(key="step_start").click().run()
    assert_clean(at)
    at.button(key="step_D").click().run()
    assert_clean(at)
    assert any(c.value.startswith("Step 1 (D)") for c in at.caption)
    at.text_input(key="step_save_name").set_value("stepped-test").run()
    at.button(key="step_save").click().run()
    assert_clean(at)
    assert (tmp_path / "stepped-test" / "last.pt").is_file() and (tmp_path / "stepped-test" / "run.json").is_file()
    assert _digest(BUNDLED_MNIST) == before


@pytest.mark.slow
def test_landscape_draws_the_walk_pages_path():
    at = open_page("walk")
    walk = at.session_state["walk_path"]
    assert walk["frames"].shape == (37, 100) and len(walk["names"]) == 4  # 4 keyframes, 12 steps between
    at.session_state["land_grid"] = 10
    at.switch_page("views/landscape.py").run()
    assert_clean(at)
    spec = at.get("plotly_chart")[0].proto.spec
    assert "the Walk page's slerp path (37 frames; projected:" in spec and "walk: #1" in spec
