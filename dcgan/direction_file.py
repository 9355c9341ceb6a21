"""The directions file: named unit vectors in z with their report cards, written and read here only.

An .npz (no pickles) holding `names` (k,) strings, `vectors` (k, nz) float32 unit vectors, `spans` (k,)
slider ranges in sd, `cards` a JSON string (a list of report cards, or null) and `fingerprint`, a hash
of G's first layer that says which model the cards were measured on.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import torch

from .errors import ConfigError
from .latent import Direction
from .report_card import ReportCard

KEYS = ("names", "vectors")
MAX_DIRECTIONS = 256  # one slider each
MAX_ARRAY_BYTES = 16 << 20  # any one array, as its .npy header declares it (a real file's vectors: k * nz * 4 bytes)
MAX_SPAN = 100.0  # a slider's range, in sd of z


def fingerprint(G: torch.nn.Module) -> str:
    """A short hash of G's first-layer weight: the same G gives the same string, any retrained one another."""
    weight = G.main[0].weight.detach().cpu().contiguous().numpy()
    return hashlib.sha256(weight.tobytes()).hexdigest()[:16]


def directions_bytes(directions: list[Direction], cards: list[ReportCard] | None = None, *,
                     model_fingerprint: str = "") -> bytes:
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
    arrays = _read_arrays(data, name)
    if any(k not in arrays for k in KEYS):
        raise ConfigError(f"{name} lacks {' and '.join(k for k in KEYS if k not in arrays)}: write it with "
                          "python -m dcgan directions")
    names, vectors = arrays["names"], np.asarray(arrays["vectors"], np.float64)
    if vectors.ndim != 2 or len(names) != len(vectors):
        raise ConfigError(f"{name}: vectors must be (k, nz) with one name each, "
                          f"got {vectors.shape} for {len(names)} names")
    if nz is not None and vectors.shape[1] != nz:
        raise ConfigError(f"{name} has directions for nz {vectors.shape[1]} but this model's z has {nz} numbers: "
                          "use directions made for this model")
    norms = np.linalg.norm(vectors, axis=1)
    if not np.all(np.isfinite(vectors)) or np.any(np.abs(norms - 1) > 1e-3):
        raise ConfigError(f"{name}: every vector must be finite and of unit length "
                          f"(norms {norms.min():.3f}-{norms.max():.3f})")
    spans = _spans(arrays, len(names), name)
    directions = [Direction(str(n)[:200], torch.from_numpy(v).float(), span=float(s))
                  for n, v, s in zip(names, vectors, spans)]
    return directions, _cards(arrays, name), str(arrays.get("fingerprint", ""))[:200]


def _read_arrays(data: bytes, name: str) -> dict:
    """Every array of the .npz, each refused from its header when it declares more than MAX_ARRAY_BYTES."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        arrays = {}
        for info in archive.infolist()[:16]:
            with archive.open(info) as f:
                read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                               (2, 0): np.lib.format.read_array_header_2_0}[np.lib.format.read_magic(f)]
                shape, _, dtype = read_header(f)
            if int(np.prod(shape, dtype=np.float64)) * dtype.itemsize > MAX_ARRAY_BYTES or dtype.hasobject:
                raise ConfigError(f"{name}: its {info.filename} declares shape {shape} of {dtype}: too big for a "
                                  "directions file")
            with archive.open(info) as f:
                arrays[info.filename.removesuffix(".npy")] = np.lib.format.read_array(f, allow_pickle=False)
    except ConfigError:
        raise
    except Exception:
        raise ConfigError(f"{name} is not a directions file (.npz with names and vectors)") from None
    return arrays


def _spans(arrays: dict, k: int, name: str) -> np.ndarray:
    """Each direction's slider range: finite, positive, at most MAX_SPAN sd (3 when the file has none)."""
    if k > MAX_DIRECTIONS:
        raise ConfigError(f"{name} holds {k} directions; at most {MAX_DIRECTIONS} are shown as sliders")
    try:
        spans = np.asarray(arrays.get("spans", np.full(k, 3.0)), np.float64).reshape(-1)
    except (TypeError, ValueError):
        spans = np.zeros(0)
    if spans.shape != (k,) or not np.all((spans > 0) & (spans <= MAX_SPAN)):
        raise ConfigError(f"{name}: spans must be one number per direction, each above 0 and at most {MAX_SPAN:g}")
    return spans


def _cards(arrays: dict, name: str) -> list[ReportCard] | None:
    """The report cards, or None; anything that does not read back as cards is one line."""
    if "cards" not in arrays:
        return None
    try:
        text = str(arrays["cards"])
        if len(text) > 4 << 20:
            raise ValueError("too long")
        cards = json.loads(text)
        return None if cards is None else [ReportCard.from_dict(c) for c in cards]
    except Exception:  # bad JSON, too deep (RecursionError), not a list of card dicts
        raise ConfigError(f"{name}: its report cards are not readable: write the file with python -m dcgan "
                          "directions") from None


def load_directions(path: str | Path, *, nz: int | None = None):
    """`read_directions` of a file on disk."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"directions file not found: {path}")
    return read_directions(path.read_bytes(), nz=nz, name=path.name)
