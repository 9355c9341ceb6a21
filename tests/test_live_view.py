"""The sliders page's live view, server side (AppTest): what it sends the browser, and when it falls back."""
import json

import numpy as np
from test_app import assert_clean, open_page

from dcgan import web_generator as web


def mounts(at) -> dict:
    """The live view's two component mounts by key: the weights (bytes) and the view (JSON)."""
    found = {}
    for element in at.get("bidi_component"):
        proto = element.proto
        key = proto.id.rsplit("-", 1)[-1]
        found[key] = web.unpack(proto.bytes) if proto.WhichOneof("data") == "bytes" else json.loads(proto.json)
    return found


def test_the_page_sends_G_once_and_the_pages_own_directions_and_z():
    at = open_page("sliders")
    found = mounts(at)
    (layout, blob), view = found["live_weights"], found["live_view"]
    assert view["model"] == layout["id"] and len(blob) == 2 * layout["count"]  # float16
    # slider:<model>:<source>:<name>, as the page makes them
    keys = [d["key"].rsplit(":", 2) for d in view["directions"]]
    assert [f"{source}:{name}" for _, source, name in keys] == [f"pca:PC{i}" for i in range(1, 7)] + [
        "style:thickness (ink)", "style:slant", "style:width"]
    mid = keys[0][0].removeprefix("slider:")
    assert len(view["directions"]) == 9  # 6 PCA and 3 style directions, the page's defaults for a digit model
    assert all(d["span"] >= 3 and d["card"] for d in view["directions"])  # each slider's range and its report card
    assert all(len(d["vector"]) == 100 and abs(np.linalg.norm(d["vector"]) - 1) < 1e-5 for d in view["directions"])
    assert np.allclose(view["z0"], at.session_state[f"z0:{mid}"]) and set(view["values"].values()) == {0.0}
    assert not [s for s in at.slider if s.key.startswith("slider:")]  # the browser's sliders replace the server's


def test_a_model_too_large_for_the_browser_falls_back_to_server_sliders(monkeypatch):
    monkeypatch.setattr(web, "MAX_LIVE_MACS", 1_000_000)  # the bundled G needs 17M multiply-adds per image
    at = open_page("sliders")
    assert "live_view" not in mounts(at)
    assert any("Live view off: this G needs 17M multiply-adds" in i.value for i in at.info)
    assert len([s for s in at.slider if s.key.startswith("slider:")]) == 9
    assert_clean(at)
