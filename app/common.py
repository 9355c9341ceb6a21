"""Front-end helpers that are not computation and not tied to one UI toolkit (no streamlit or gradio here).

Saving and reading latent vectors: users copy an interesting z out of the app (.npy or JSON) and
load it back later, on the slider page or as walk keyframes.
"""
from __future__ import annotations

import io
import json

import numpy as np

from dcgan.errors import DcganError


def z_to_npy(z) -> bytes:
    """z (nz,) or (K, nz) as the bytes of a .npy file (float32)."""
    buf = io.BytesIO()
    np.save(buf, np.asarray(z, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def z_to_json(z) -> str:
    """z as a JSON list of numbers (a list of lists for several vectors)."""
    return json.dumps(np.asarray(z, dtype=np.float32).round(6).tolist())


def read_z(name: str, data: bytes, nz: int) -> np.ndarray:
    """Parse an uploaded .npy or .json file into latent vectors (K, nz); DcganError says what is wrong.

    .npy files are read with allow_pickle=False, so an uploaded file can never run code.
    """
    try:
        if name.lower().endswith(".npy"):
            raw = np.load(io.BytesIO(data), allow_pickle=False)
        else:
            raw = np.asarray(json.loads(data), dtype=np.float32)
        raw = np.asarray(raw, dtype=np.float32)
    except (ValueError, TypeError, OSError, UnicodeDecodeError):
        raise DcganError(f"{name} is not a z vector: expected a .npy array or a JSON list of numbers.") from None
    if raw.ndim == 0 or raw.shape[-1] != nz or raw.ndim > 2:
        raise DcganError(f"{name} holds an array of shape {tuple(raw.shape)}, but this model's z has {nz} numbers "
                         f"(expected ({nz},) or (K, {nz})).")
    if not np.isfinite(raw).all():
        raise DcganError(f"{name} contains NaN or infinite numbers.")
    return raw.reshape(-1, nz)
