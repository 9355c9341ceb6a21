"""Every Streamlit page, run headless with AppTest on the bundled model: renders cleanly, reacts to its widgets."""
import json
import time

from streamlit.testing.v1 import AppTest

from helpers import ROOT

MAIN = str(ROOT / "app" / "main.py")


def open_page(page: str | None = None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=180)
    at.run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def image_urls(at: AppTest) -> list[str]:
    return [img.proto.imgs[0].url for img in at.get("image")]


def test_model_page_shows_samples_and_reacts_to_the_seed():
    at = open_page()
    before = image_urls(at)
    assert len(before) == 16 and at.dataframe  # 16 samples, architecture tables
    assert all("D(x) =" in str(img.proto.imgs[0].caption) for img in at.get("image"))  # D's verdict under each sample
    at.number_input(key="model_seed").set_value(7).run()
    assert_clean(at)
    assert image_urls(at) != before


def test_sliders_page_moves_the_big_image():
    at = open_page("sliders")
    pc1 = next(s for s in at.slider if s.label.startswith("PC1"))
    big_before = image_urls(at)[8]  # after the picker's 8 samples
    pc1.set_value(2.0).run()
    assert_clean(at)
    assert image_urls(at)[8] != big_before
    assert any(m.value.startswith("**Along PC1") for m in at.markdown)


def test_walk_page_reacts_to_steps():
    at = open_page("walk")
    assert any("37 frames" in str(img.proto.imgs[0].caption) for img in at.get("image"))  # 3 segments x 12 + 1
    at.slider(key="walk_steps").set_value(4).run()
    assert_clean(at)
    assert any("13 frames" in str(img.proto.imgs[0].caption) for img in at.get("image"))


def test_arithmetic_page_changes_result_and_adds_a_direction():
    at = open_page("arithmetic")
    before = image_urls(at)[24]  # the result comes after the 24 samples
    at.multiselect(key="arith_a").set_value([10, 11]).run()
    assert_clean(at)
    assert image_urls(at)[24] != before
    at.button(key="arith_add").click().run()
    assert at.success and "A − B" in at.success[0].value


def test_filters_page_switches_layer():
    at = open_page("filters")
    at.select_slider(key="filt_steps").set_value(32).run()
    at.slider(key="filt_count").set_value(3).run()
    at.selectbox(key="filt_layer").set_value("layer2").run()
    assert_clean(at)
    captions = [str(img.proto.imgs[0].caption) for img in at.get("image")]
    assert "layer2 · ch 0" in captions and len(at.get("image")) == 3 * 6


def test_feature_map_page_builds_the_map_and_recolours():
    at = open_page("feature_map")
    at.select_slider(key="map_n").set_value(250).run()
    assert_clean(at)
    charts = at.get("plotly_chart")
    assert charts
    before = json.loads(charts[0].proto.spec)["data"][0]["name"]
    at.radio(key="map_color").set_value("label").run()
    assert_clean(at)
    after = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["name"]
    assert before != after


def test_train_page_starts_a_background_run(tmp_path, monkeypatch):
    monkeypatch.setenv("DCGAN_APP_RUNS", str(tmp_path))
    at = open_page("train")
    at.selectbox(key="train_data").set_value("digits").run()
    at.selectbox(key="train_size").set_value(16).run()
    at.number_input(key="train_epochs").set_value(1).run()
    at.text_input(key="train_name").set_value("apptest").run()
    at.button(key="train_start").click().run()
    assert_clean(at)
    assert at.success and "Started apptest" in at.success[0].value
    deadline = time.time() + 120
    while time.time() < deadline and not (tmp_path / "apptest" / "last.pt").exists():
        time.sleep(1)
    assert (tmp_path / "apptest" / "last.pt").is_file()
    assert (tmp_path / "apptest" / "log.jsonl").read_text().strip()
