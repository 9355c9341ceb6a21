"""What a checkpoint's metadata may hold: checked once at load, so no page meets a crafted but loadable value.

A file can carry any plain container; the pages and the CLI read a few keys (epoch, history, verdict...)
and expect their types. `check_meta` refuses a file whose known keys have other types, with one line.
"""
from __future__ import annotations

import numbers

import torch

from .errors import CheckpointError


def _count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _text(v) -> bool:
    return isinstance(v, str) and len(v) <= 10_000


def _texts(v) -> bool:
    return isinstance(v, (list, tuple)) and len(v) <= 1000 and all(_text(x) for x in v)


def _history(v) -> bool:
    """Columns of numbers, all the same length: what the loss curves plot."""
    if not isinstance(v, dict) or not all(isinstance(k, str) and isinstance(c, list) for k, c in v.items()):
        return False
    lengths = {len(c) for c in v.values()}
    return len(lengths) <= 1 and all(_number(x) for c in v.values() for x in c)


def _verdict_log(v) -> bool:
    return isinstance(v, list) and all(isinstance(r, dict) and _count(r.get("epoch")) and _count(r.get("step"))
                                       and _number(r.get("realness_generated")) for r in v)


def _verdict(v) -> bool:
    """The verdict's calibration: a 2-D bank of features and 1-D reference scores (see dcgan.verdict)."""
    if not isinstance(v, dict) or not isinstance(v.get("bank_"), torch.Tensor) or v["bank_"].dim() != 2:
        return False
    refs = [v.get(k) for k in ("logit_ref_", "typical_ref_", "combined_ref_")]
    return all(isinstance(r, torch.Tensor) and r.dim() == 1 and r.numel() > 0 for r in refs)


def _plain_dict(v) -> bool:
    return isinstance(v, dict) and all(isinstance(k, str) for k in v)


CHECKS = {  # key -> (test, what it must be)
    "epoch": (_count, "a whole number"), "step": (_count, "a whole number"), "n_images": (_count, "a whole number"),
    "version": (_count, "a whole number"), "dataset": (_text, "text"), "format": (_text, "text"),
    "source": (_text, "text"), "path": (_text, "text"), "labels": (_texts, "a list of text"),
    "g_weights": (_text, "text"),
    "history": (_history, "columns of numbers of one length"), "verdict_log": (_verdict_log, "a list of epoch rows"),
    "verdict": (_verdict, "a verdict calibration"), "train_config": (_plain_dict, "a dict"),
}


def check_meta(meta) -> dict:
    """`meta` itself when every known key has the type the front ends expect; else one-line CheckpointError."""
    if not isinstance(meta, dict) or not all(isinstance(k, str) for k in meta):
        raise CheckpointError(f"the file's metadata must be a dict, got {type(meta).__name__}")
    for key, (test, what) in CHECKS.items():
        if key in meta and meta[key] is not None and not test(meta[key]):
            raise CheckpointError(f"the file's {key!r} is not {what} ({type(meta[key]).__name__}): "
                                  "the file is damaged or was not written by this project")
    return meta
