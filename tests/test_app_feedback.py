"""Slow sections of the Streamlit app start on demand and never run again when an unrelated widget changes.

Each slow library call is wrapped with a counter (the pages import it afresh on every run); results are shared
by sessions in the process, so the counts are compared before and after the widget changes."""
import pytest
from helpers import ROOT
from streamlit.testing.v1 import AppTest

MAIN = str(ROOT / "app" / "main.py")


def counted(monkeypatch, module, name: str) -> list:
    calls, real = [], getattr(module, name)
    monkeypatch.setattr(module, name, lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def clean(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    return at


@pytest.mark.slow
def test_the_map_and_the_probe_are_not_redone_on_other_widgets(monkeypatch):
    import dcgan.embed
    import dcgan.features

    maps = counted(monkeypatch, dcgan.embed, "feature_map")
    probes = counted(monkeypatch, dcgan.features, "linear_probe")
    at = AppTest.from_file(MAIN, default_timeout=300)
    at.run()
    at.session_state["map_n"] = 250
    at.switch_page("views/feature_map.py").run()
    clean(at)
    built = len(maps)
    assert built <= 1 and at.get("plotly_chart") and not probes  # the probe waits for its button
    at.radio(key="map_color").set_value("label").run()
    at.toggle(key="map_hover").set_value(True).run()
    at.toggle(key="map_hover").set_value(False).run()
    clean(at)
    assert len(maps) == built and not probes


@pytest.mark.slow
def test_filters_run_only_on_run_and_are_kept_across_other_widgets(monkeypatch):
    import dcgan.channel_report

    runs = counted(monkeypatch, dcgan.channel_report, "explain_channels")
    at = AppTest.from_file(MAIN, default_timeout=300)
    at.run()
    at.session_state["filt_steps_through G"], at.session_state["filt_count"] = 16, 2
    at.switch_page("views/filters.py").run()
    clean(at)
    assert not runs and not at.get("image")
    at.button(key="filt_run").click().run()
    clean(at)
    assert len(runs) == 1 and at.get("image")
    at.button(key="filt_stop").click().run()  # Stop, and a setting changed and changed back: nothing reruns
    at.checkbox(key="filt_suppress").check().run()
    at.checkbox(key="filt_suppress").uncheck().run()
    at.sidebar.selectbox(key="model_key").set_value("mnist-32 (bundled)").run()
    clean(at)
    assert len(runs) == 1 and at.get("image")  # the kept result is shown again


@pytest.mark.slow
def test_class_directions_are_found_once_not_on_every_slider_move(monkeypatch):
    import app.direction_cards as cards

    found = counted(monkeypatch, cards, "load_directions")
    computed = counted(monkeypatch, cards.Dn, "builtin_directions")
    at = AppTest.from_file(MAIN, default_timeout=300)
    at.run()
    at.switch_page("views/sliders.py").run()
    at.toggle(key="live_on").set_value(False).run()  # the server's sliders (AppTest runs no browser)
    at.toggle(key="use_classes").set_value(True).run()
    clean(at)
    before = len(found) + len(computed)
    at.slider(key=next(s.key for s in at.slider if ":class:" in s.key)).set_value(1.0).run()
    at.number_input(key="slider_pick_seed").set_value(3).run()
    clean(at)
    assert any(":class:" in s.key for s in at.slider) and len(found) + len(computed) == before
