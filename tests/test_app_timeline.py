"""The Timeline page (issue 15), headless with AppTest: a run's epochs measured in the background, scrubbed,
compared side by side; the truncation sweep; the sidebar's truncation control on a page that draws samples."""
import time

import pytest
from helpers import ROOT, tiny_train_config
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.slow  # Streamlit pages and a background measurement

MAIN = str(ROOT / "app" / "main.py")


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory):
    """An app runs folder holding one tiny three-epoch run, every epoch kept."""
    from dcgan.train import train

    root = tmp_path_factory.mktemp("app-runs")
    train(tiny_train_config(root / "tiny", epochs=3, save_every=1, max_images=320, data="mnist"), progress=False)
    (root / "tiny" / "run.json").write_text('{"pid": null, "args": []}')  # a finished app run with no owner
    return root


def open_timeline(runs_dir, monkeypatch) -> AppTest:
    monkeypatch.setenv("DCGAN_APP_RUNS", str(runs_dir))
    monkeypatch.setenv("DCGAN_PUBLISHED_RUNS", "tiny")  # runs belong to their session; the operator shares this one
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.run()
    at.switch_page("views/timeline.py").run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    return at


def wait_for_job(at: AppTest, timeout: float = 300) -> None:
    """Rerun until no progress bar is left (the job runs in a thread of this process)."""
    deadline = time.time() + timeout
    while True:
        at.run()
        if not at.get("progress"):
            return
        assert time.time() < deadline, "the background job did not finish"
        time.sleep(1)


def test_timeline_measures_every_epoch_in_the_background_and_scrubs(runs_dir, monkeypatch):
    at = open_timeline(runs_dir, monkeypatch)
    run = next(o for o in at.selectbox(key="tl_run").options if o.endswith("tiny"))
    at.selectbox(key="tl_run").set_value(run).run()
    at.select_slider(key="tl_n").set_value(300).run()
    at.select_slider(key="tl_map_n").set_value(100).run()
    at.button(key="tl_go").click().run()
    assert at.get("progress"), "measuring must not block the page: a progress bar shows while it runs"
    wait_for_job(at)
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    assert at.select_slider(key="tl_epoch").options == ["1", "2", "3"]
    first = [m.value for m in at.metric]
    at.select_slider(key="tl_epoch").set_value(1).run()
    assert [m.value for m in at.metric] != first  # the metrics follow the scrubber
    assert any("epoch 1 (epoch_001.pt)" in str(i.proto.imgs[0].caption) for i in at.get("image"))
    assert len(at.get("plotly_chart")) >= 2  # the map and the curves


def test_side_by_side_needs_checkpoints_of_one_size(runs_dir, monkeypatch):
    at = open_timeline(runs_dir, monkeypatch)
    at.selectbox(key="sbs_a").set_value("tiny/epoch_001.pt").run()
    at.selectbox(key="sbs_b").set_value("tiny/epoch_003.pt").run()
    assert not at.error
    captions = [str(i.proto.imgs[0].caption) for i in at.get("image")]
    assert "tiny/epoch_001.pt: the same 16 z" in captions and "tiny/epoch_003.pt: the same 16 z" in captions
    at.button(key="sbs_go").click().run()
    wait_for_job(at)
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    figures = [m.value for m in at.markdown if m.value.startswith("FD **")]
    assert len(figures) == 2 and figures[0] != figures[1]  # each checkpoint measured on its own weights
    assert len(at.get("plotly_chart")) >= 2  # one aligned map per checkpoint
    at.selectbox(key="sbs_b").set_value("mnist-32 (bundled)").run()
    assert len(at.error) == 1 and "compare checkpoints of one size" in at.error[0].value


def test_truncation_control_is_in_the_sidebar_and_changes_the_samples(runs_dir, monkeypatch):
    monkeypatch.setenv("DCGAN_APP_RUNS", str(runs_dir))
    monkeypatch.setenv("DCGAN_PUBLISHED_RUNS", "tiny")  # runs belong to their session; the operator shares this one
    at = AppTest.from_file(MAIN, default_timeout=300)  # the first truncated G clusters 4,000 features
    at.run()
    before = [i.proto.imgs[0].url for i in at.get("image")]
    at.sidebar.select_slider(key="_truncation").set_value("0.5").run()
    assert [i.proto.imgs[0].url for i in at.get("image")] != before
    at.switch_page("views/walk.py").run()
    assert at.sidebar.select_slider(key="_truncation").value == "0.5"  # the choice follows to other pages


def test_truncation_tab_sweeps_the_current_model_in_the_background(runs_dir, monkeypatch):
    at = open_timeline(runs_dir, monkeypatch)
    at.select_slider(key="tr_n").set_value(300).run()
    at.button(key="tr_go").click().run()
    wait_for_job(at)
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]
    chart = next(c for c in at.get("plotly_chart") if "truncation T" in c.proto.spec)
    assert '"none (1)"' in chart.proto.spec and "recall" in chart.proto.spec
