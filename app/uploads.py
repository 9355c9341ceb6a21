"""Streamlit uploaders that show a refused file as refused: one error line naming it, and the box emptied.

Streamlit cannot clear a file uploader, so a refusal gives the uploader a fresh key (`key(base)`): the refused file
leaves the box instead of sitting there looking accepted, and its error line stays until the next upload there.
"""
from __future__ import annotations

import streamlit as st

from app import frontend


def key(base: str) -> str:
    """The uploader's key now: `base` until a refusal, then a new one per refusal."""
    generation = st.session_state.get(f"_{base}_generation", 0)
    return base if not generation else f"{base}-{generation}"


def current(base: str):
    """What the uploader holds now (None, one file, or a list)."""
    return st.session_state.get(key(base))


def refuse(base: str, lines: list[str]) -> None:
    """Keep these error lines for the page and empty the uploader (takes effect on the next run: call from a
    widget callback, or st.rerun() after it)."""
    st.session_state[f"_{base}_errors"] = list(lines)
    st.session_state[f"_{base}_generation"] = st.session_state.get(f"_{base}_generation", 0) + 1


def failed(name: str, err: BaseException) -> str:
    """One line naming the file once: "Could not load x.npy: the file is not a z vector"."""
    return frontend.load_failed(name, err)


def accept(base: str) -> None:
    """A new upload went in: the last refusal's lines go."""
    st.session_state.pop(f"_{base}_errors", None)


def show_errors(base: str, container=st) -> None:
    for line in st.session_state.get(f"_{base}_errors", []):
        container.error(line, icon=":material/error:")
