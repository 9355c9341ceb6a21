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


MAX_Z_VECTORS = 10_000  # rows an uploaded z file may hold (the sliders and walks use a handful)
MAX_Z_BYTES = 4 << 20  # a JSON file of 10,000 x 100 numbers is about 9 MB; .npy files are checked by shape


def _npy_shape(data: bytes) -> tuple[int, ...]:
    """The shape a .npy file declares, read from its header alone (before any array is allocated)."""
    buf = io.BytesIO(data)
    version = np.lib.format.read_magic(buf)
    shape, _, _ = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                   else np.lib.format.read_array_header_2_0)(buf)
    return shape


def read_z(name: str, data: bytes, nz: int) -> np.ndarray:
    """Parse an uploaded .npy or .json file into latent vectors (K, nz); DcganError says what is wrong.

    .npy files are read with allow_pickle=False, so an uploaded file can never run code; a declared shape
    over MAX_Z_VECTORS x nz is refused from the header, and JSON over MAX_Z_BYTES before parsing.
    """
    try:
        if name.lower().endswith(".npy"):
            shape = _npy_shape(data)
            if len(shape) > 2 or int(np.prod(shape, dtype=np.float64)) > MAX_Z_VECTORS * max(nz, 1):
                raise DcganError(f"{name} declares an array of shape {shape}: "
                                 f"at most {MAX_Z_VECTORS:,} vectors of {nz}")
            raw = np.load(io.BytesIO(data), allow_pickle=False)
        elif len(data) > MAX_Z_BYTES:
            raise DcganError(f"{name} is {len(data) / 2**20:.0f} MB; "
                             f"a JSON z file may be at most {MAX_Z_BYTES >> 20} MB")
        else:
            raw = np.asarray(json.loads(data), dtype=np.float32)
        raw = np.asarray(raw, dtype=np.float32)
    except (ValueError, TypeError, OSError, UnicodeDecodeError, RecursionError):
        raise DcganError(f"{name} is not a z vector: expected a .npy array or a JSON list of numbers.") from None
    if raw.ndim == 0 or raw.shape[-1] != nz or raw.ndim > 2:
        raise DcganError(f"{name} holds an array of shape {tuple(raw.shape)}, but this model's z has {nz} numbers "
                         f"(expected ({nz},) or (K, {nz})).")
    if not np.isfinite(raw).all():
        raise DcganError(f"{name} contains NaN or infinite numbers.")
    return raw.reshape(-1, nz)
