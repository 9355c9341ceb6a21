"""The live view on the sliders page: G runs in the browser and redraws while a slider is dragged.

Streamlit sends a slider's value only on release, and each move costs a rerun. Here G (BatchNorm
folded, dcgan.web_generator) goes to the browser once per model, and a components-v2 component
(app/live/*.js, plain JS + WebAssembly SIMD, nothing fetched) redraws G(z) on every input event.
On release the sliders come back as component state, so the strip, verdict and z download follow.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import numpy as np
import streamlit as st

from app import core
from dcgan import web_generator as web

ASSETS = Path(__file__).resolve().parent / "live"
VIEW_KEY, WEIGHTS_KEY, OFF_KEY = "live_view", "live_weights", "live_unsupported"


def _component():
    js = (ASSETS / "generator.js").read_text() + "\n" + (ASSETS / "view.js").read_text()
    return st.components.v2.component("dcgan_live_view", js=js, css=(ASSETS / "view.css").read_text(),
                                      isolate_styles=False)


MOUNT = _component()


@st.cache_resource(max_entries=4, show_spinner=False)
def packed_weights(model_id: str, _model) -> tuple[bytes, dict]:
    """G folded and packed for the browser (float16), with its layout; `id` names these exact weights."""
    layout, blob = web.export(web.fold_generator(_model.G), nz=_model.config.nz, dtype="float16")
    layout["id"] = hashlib.sha1(blob).hexdigest()[:16]
    return web.pack(layout, blob), layout


def unavailable(model, mid: str) -> str | None:
    """Why the live view cannot run here (None when it can): a model too large, or the browser said so."""
    if st.session_state.get(OFF_KEY):
        return st.session_state[OFF_KEY]
    try:
        macs = packed_weights(mid, model)[1]["macs"]
    except core.DcganError as err:
        return str(err)
    if macs > web.MAX_LIVE_MACS:
        return f"this G needs {macs / 1e6:.0f}M multiply-adds per image, too many to redraw while dragging"
    return None


def _on_live(mid: str) -> None:
    """The browser's sliders on release: they become the page's z0 and slider values before it reruns."""
    live = (st.session_state.get(VIEW_KEY) or {}).get("live")
    if not live:
        return
    st.session_state[core.z_key(mid)] = np.asarray(live["z0"], dtype=np.float32)
    for key, value in live["values"].items():
        st.session_state[key] = float(value)


def _on_unsupported() -> None:
    st.session_state[OFF_KEY] = (st.session_state.get(VIEW_KEY) or {}).get("unsupported") or "the browser cannot run G"


def _label(d) -> str:
    return d.name + (f" · {100 * d.explained_variance:.1f}% of variance" if d.explained_variance else "")


def sliders(model, mid: str, directions: list, cards: dict | None = None) -> dict | None:
    """Mount the live view; returns {widget key: strength} as the page's sliders would, or None to fall back."""
    on = st.toggle("Live view (G runs in your browser while you drag)", value=True, key="live_on")
    reason = unavailable(model, mid) if on else None
    if not on or reason:
        if reason:
            st.info(f"Live view off: {reason}. These are the server's sliders: the image follows when you "
                    "release one.", icon=":material/info:")
        return None
    packed, layout = packed_weights(mid, model)
    MOUNT(key=WEIGHTS_KEY, data=packed, height=0)  # the same bytes every rerun: Streamlit's cache sends them once
    values = {key: float(st.session_state.get(key, 0.0)) for key, _ in directions}
    cfg = model.config
    data = dict(model=layout["id"], nz=cfg.nz, size=cfg.image_size, display=2 * core.display_size(cfg) * cfg.image_size,
                z0=np.asarray(st.session_state[core.z_key(mid)], dtype=np.float32).tolist(), values=values,
                directions=[dict(key=k, label=_label(d), sigma=float(d.sigma), span=float(d.span),
                                 card=cards[k].summary() if k in (cards or {}) else "",
                                 vector=d.vector.float().tolist())
                            for k, d in directions])
    MOUNT(key=VIEW_KEY, data=data, on_live_change=functools.partial(_on_live, mid),
          on_unsupported_change=_on_unsupported)
    return values
