"""The directions file: named unit vectors in z with their report cards, written and read here only.

An .npz (no pickles) holding `names` (k,) strings, `vectors` (k, nz) float32 unit vectors, `spans` (k,)
slider ranges in sd, `cards` a JSON string (a list of report cards, or null) and `fingerprint`, a hash
of G's first layer that says which model the cards were measured on.
"""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import torch

from .errors import ConfigError
from .latent import Direction
from .report_card import ReportCard

KEYS = ("names", "vectors")


def fingerprint(G: torch.nn.Module) -> str:
    """A short hash of G's first-layer weight: the same G gives the same string, any retrained one another."""
    weight = G.main[0].weight.detach().cpu().contiguous().numpy()
    return hashlib.sha256(weight.tobytes()).hexdigest()[:16]


def directions_bytes(directions: list[Direction], cards: list[ReportCard] | None = None, *, model_fingerprint: str = "") -> bytes:
    """The file's bytes (for a download button, or `save_directions`)."""
    if not directions:
        raise ConfigError("no directions to save")
    buf = io.BytesIO()
    np.savez(buf, names=np.array([d.name for d in directions]),
             vectors=torch.stack([d.vector.float() for d in directions]).numpy().astype(np.float32),
             spans=np.array([d.span for d in directions], np.float32),
             cards=np.array(json.dumps(None if cards is None else [c.as_dict() for c in cards])),
             fingerprint=np.array(model_fingerprint))
    return buf.getvalue()


def save_directions(path: str | Path, directions: list[Direction], cards: list[ReportCard] | None = None, *,
                    model_fingerprint: str = "") -> Path:
    """Write the directions (and their cards) to `path` (.npz)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(directions_bytes(directions, cards, model_fingerprint=model_fingerprint))
    return path


def read_directions(data: bytes, *, nz: int | None = None, name: str = "directions file"):
    """(directions, cards or None, fingerprint) from a file's bytes; a one-line ConfigError if it is unusable."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except Exception:
        raise ConfigError(f"{name} is not a directions file (.npz with names and vectors)") from None
    if any(k not in arrays for k in KEYS):
        raise ConfigError(f"{name} lacks {' and '.join(k for k in KEYS if k not in arrays)}: write it with "
                          "python -m dcgan directions")
    names, vectors = arrays["names"], np.asarray(arrays["vectors"], np.float64)
    if vectors.ndim != 2 or len(names) != len(vectors):
        raise ConfigError(f"{name}: vectors must be (k, nz) with one name each, got {vectors.shape} for {len(names)} names")
    if nz is not None and vectors.shape[1] != nz:
        raise ConfigError(f"{name} has directions for nz {vectors.shape[1]} but this model's z has {nz} numbers: "
                          "use directions made for this model")
    norms = np.linalg.norm(vectors, axis=1)
    if not np.all(np.isfinite(vectors)) or np.any(np.abs(norms - 1) > 1e-3):
        raise ConfigError(f"{name}: every vector must be finite and of unit length (norms {norms.min():.3f}-{norms.max():.3f})")
    spans = arrays.get("spans", np.full(len(names), 3.0))
    directions = [Direction(str(n), torch.from_numpy(v).float(), span=float(s)) for n, v, s in zip(names, vectors, spans)]
    cards = json.loads(str(arrays["cards"])) if "cards" in arrays else None
    return directions, None if cards is None else [ReportCard.from_dict(c) for c in cards], str(arrays.get("fingerprint", ""))


def load_directions(path: str | Path, *, nz: int | None = None):
    """`read_directions` of a file on disk."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"directions file not found: {path}")
    return read_directions(path.read_bytes(), nz=nz, name=path.name)
