"""Directions and their report cards for the pages, cached by model and direction (never per slider move).

Built-in sets come from the measured files beside a checkpoint (CKPT.directions/METHOD.npz) when they were
made from this very G; otherwise they are computed here once per model. Cards of other directions
(raw, your own, loaded from a file) are measured once per (model, name, vector).
"""
from __future__ import annotations

import streamlit as st

from app import frontend
from dcgan import directions as Dn
from dcgan import report_card as R
from dcgan.direction_file import fingerprint, load_directions
from dcgan.dissect import effect_classifier
from dcgan.errors import DcganError

N_CARD = 200


@st.cache_resource(max_entries=8, show_spinner=False)
def classifier(mid: str, _config):
    return effect_classifier(_config)


@st.cache_resource(max_entries=16, show_spinner=False)
def _shipped(mid: str, path: str, method: str, _model):
    """(directions, cards by name) from the file beside the checkpoint, or None if absent or for another G."""
    try:
        directions, cards, fp = load_directions(Dn.builtin_file(path, method), nz=_model.config.nz)
    except DcganError:
        return None
    if fp != fingerprint(_model.G) or cards is None:
        return None
    return R.with_spans(directions, cards), {c.name: c for c in cards}


@st.cache_resource(max_entries=16, show_spinner="Finding and measuring directions (once per model)…")
def _computed(mid: str, method: str, _model):
    clf = classifier(mid, _model.config)
    directions = Dn.builtin_directions(_model, method, k=12, classifier=clf)
    if method in ("pca", "sefa"):  # their ranges do not depend on a card: measure only the ones shown, in `card`
        return directions, {}
    cards = R.report_cards(_model.G, clf, directions, n=N_CARD)
    return R.with_spans(directions, cards), {c.name: c for c in cards}


def builtin(model, mid: str, path, method: str) -> tuple[list, dict]:
    """A built-in set (pca, sefa, class, style) with slider ranges from their cards, and the cards by name."""
    shipped = _shipped(mid, str(path), method, model)
    if shipped is None and method == "pca":  # the same cache as the Gradio app's sliders
        return frontend.pca_directions(path, k=12), {}
    return shipped or _computed(mid, method, model)


@st.cache_resource(max_entries=8, show_spinner="Measuring a random direction as the baseline…")
def _base(mid: str, _model):
    clf = classifier(mid, _model.config)
    base = R.card_samples(_model.G, clf, n=N_CARD)
    return base, R.random_baseline(_model.G, clf, base)


@st.cache_resource(max_entries=64, show_spinner="Measuring what this direction changes…")
def _measured(mid: str, name: str, vector: bytes, _model, _direction):
    base, baseline = _base(mid, _model)
    return R.report_card(_model.G, classifier(mid, _model.config), base, _direction, baseline=baseline)


def card(model, mid: str, direction) -> R.ReportCard:
    """The report card of a direction that is not built in (raw, yours, loaded): measured once, then cached."""
    return _measured(mid, direction.name, direction.vector.numpy().tobytes(), model, direction)
