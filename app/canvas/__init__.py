"""A small drawing canvas for Streamlit, written here in plain JS (Streamlit has none built in)."""
from __future__ import annotations

import base64
from pathlib import Path

import streamlit.components.v1 as components

_canvas = components.declare_component("dcgan_canvas", path=str(Path(__file__).parent))


def draw(*, key: str) -> bytes | None:
    """The drawing as PNG bytes once the user has drawn a stroke, None before (and after Clear)."""
    url = _canvas(key=key, default="")
    if not isinstance(url, str) or "," not in url:  # a crafted client may send anything
        return None
    try:
        return base64.b64decode(url.split(",", 1)[1])
    except ValueError:  # not base64: what a crafted client could send; the page treats it as no drawing
        return None
