"""What both front ends need that is not a widget: error lines, caches, scale factors, grids, data set defaults.

UI-neutral (no streamlit or gradio here), so app/core.py (Streamlit) and app/gradio_app.py import the same code and
show the same captions, pick the same defaults and forget slow results by the same rules.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch

import dcgan
from dcgan.data import BUILTIN, model_default_data  # noqa: F401  (the built-in sets and each model's default)
from dcgan.errors import ConfigError
from dcgan.readings import SHORT_FORMS, image_captions, verdict_caption, verdict_help  # noqa: F401  (one wording)
from dcgan.timeline import file_version

log = logging.getLogger("dcgan.app")


# -- errors -------------------------------------------------------------------------------------------------------
def one_line(err: BaseException, *, limit: int = 300) -> str:
    """The first non-empty line of an error's message (its type name if it has none), at most `limit` characters."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return (lines[0] if lines else type(err).__name__)[:limit]


def unexpected(err: BaseException) -> str:
    """Log an error the app did not foresee with its full traceback (for the developer), and return the one line a
    user sees instead."""
    log.error("unexpected error in the app", exc_info=(type(err), err, err.__traceback__))
    return f"Something went wrong: {one_line(err)}. Try another setting or reload the page."


def load_failed(name: str, err: BaseException) -> str:
    """The line for a file that could not be loaded, naming it once (the library's message often starts with it)."""
    line = one_line(err, limit=1000).removeprefix(f"{name}: ")
    if line.startswith(f"{name} "):  # "x.npy is not a z vector" -> "the file is not a z vector"
        line = "the file" + line[len(name):]
    return f"Could not load {name}: {line}"


# -- models and directions, loaded once per file version ---------------------------------------------------------
def version(path: str | Path) -> tuple[str, float, int]:
    """(path, mtime, size) of a file; a missing file gets (path, 0, -1), so dcgan.load reports it in its own words."""
    try:
        return file_version(path)
    except OSError:
        return str(path), 0.0, -1


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime: float, size: int) -> dcgan.Model:
    return dcgan.load(path)


def model_at(path: str | Path) -> dcgan.Model:
    """The shared, eval-mode Model for a file, loaded once per file version (a retrained run is reloaded)."""
    return _load(*version(path))


def model_id(path: str | Path) -> str:
    """A short id of a file version that keys caches and session state."""
    name, mtime, size = version(path)
    return f"{name}:{mtime}:{size}"


@functools.lru_cache(maxsize=8)
def _pca(path: str, mtime: float, size: int, k: int) -> list:
    from dcgan.directions import builtin_directions

    return builtin_directions(_load(path, mtime, size), "pca", k=k)


def pca_directions(path: str | Path, *, k: int) -> list:
    """GANSpace directions of a checkpoint's G (k of them), computed once per file version."""
    return _pca(*version(path), k)


# -- real images ----------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def dataset(name: str, image_size: int, channels: int):
    """A built-in data set at a model's size and channels, loaded once per process."""
    from dcgan.data import load_data

    return load_data(name, image_size=image_size, channels=channels)


@functools.lru_cache(maxsize=4)
def real_pool(name: str, image_size: int, channels: int):
    """A fixed random subset of a built-in set (see dcgan.channel_report.real_pool), made once per process."""
    from dcgan.channel_report import real_pool as pool

    return pool(dataset(name, image_size, channels))


@functools.lru_cache(maxsize=4)
def _digit_reader(name: str, image_size: int):
    from dcgan.readings import DigitReader

    return DigitReader(dataset(name, image_size, 1))


def digit_reader(model):
    """The second reading for a digit model (classifier + nearest training image), None for other models."""
    from dcgan.readings import applies

    if not applies(model.config, model.config.dataset):
        return None
    return _digit_reader(model.config.dataset, model.config.image_size)


def captions(model, images: torch.Tensor) -> list[str]:
    """Each image's caption (float (N, C, H, W) in [-1, 1]): the verdict, and the digit reading where it applies."""
    reader = digit_reader(model)
    return image_captions(model, images, reader.read(images) if reader is not None else None)


# -- slow results ------------------------------------------------------------------------------------------------
def nbytes(value, _seen: set | None = None, _depth: int = 0) -> int:
    """About how much memory a result holds: its tensors and arrays, found through containers and dataclasses."""
    seen = set() if _seen is None else _seen
    if id(value) in seen or _depth > 6:
        return 0
    seen.add(id(value))
    if isinstance(value, torch.Tensor):
        return value.element_size() * value.nelement()
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, (bytes, bytearray, str)):
        return len(value)
    if isinstance(value, dict):
        return sum(nbytes(v, seen, _depth + 1) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return sum(nbytes(v, seen, _depth + 1) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(nbytes(getattr(value, f.name), seen, _depth + 1) for f in dataclasses.fields(value))
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return sum(nbytes(v, seen, _depth + 1) for v in vars(value).values())
    return 0


class ResultCache:
    """Slow results (filters, maps, probes) shared by all sessions, bounded by entries AND bytes.

    The least recently used results go first; the newest is always kept, so a page can show what it just made.
    One emoji feature map of 2,000 points holds ~200 MB, so a count alone would not bound the memory.
    """

    def __init__(self, *, max_entries: int = 32, max_bytes: int = 1 << 30):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict = OrderedDict()
        self._sizes: dict = {}
        self._lock = threading.Lock()

    def __contains__(self, key) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, key):
        with self._lock:
            self._items.move_to_end(key)
            return self._items[key]

    def get(self, key, default=None):
        return self[key] if key in self else default

    def __setitem__(self, key, value) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            self._sizes = {k: nbytes(v) for k, v in self._items.items()}  # re-measured: a job's result grows
            while len(self._items) > 1 and (len(self._items) > self.max_entries or self.nbytes > self.max_bytes):
                oldest = next(iter(self._items))
                del self._items[oldest], self._sizes[oldest]

    @property
    def nbytes(self) -> int:
        return sum(self._sizes.values())

    def get_or_compute(self, key, compute):
        """The result under `key`, computed (and kept) first if it is not there."""
        if key not in self:
            self[key] = compute()
        return self[key]


# -- pictures ----------------------------------------------------------------------------------------------------
def display_scale(config, *, target: int = 128) -> int:
    """The nearest-neighbour factor that shows one image at about `target` px (small models stay readable)."""
    return max(1, target // config.image_size)


def thumb_scale(config) -> int:
    """The factor for thumbnails in grids and strips (about 64 px)."""
    return display_scale(config, target=64)


def square_grid(images: torch.Tensor, *, target: int) -> np.ndarray:
    """A crisp uint8 (H, W, 3) grid of [-1, 1] images, as square as their count allows, each about `target` px."""
    from dcgan.media import grid, upscale

    n = len(images)
    nrow = max(1, round(n**0.5))
    return upscale(grid(images, nrow=nrow, padding=2 if n > 1 else 0), max(1, target // images.shape[-1]))


PHRASE = 24  # characters: a caption phrase up to this long never breaks inside; a longer one wraps as text does


CHAR_PX = 6.5  # px per caption character (measured ~6.1 in Chromium for Streamlit captions), rounded up


def keep_phrases(caption: str, width: int | None = None) -> str:
    """A caption whose short phrases (split at ' · ') never break inside, so a narrow column wraps it only between
    phrases ('realness 0.62' stays on one line); the spaces inside them become no-break spaces.

    `width`: the cell's width in px. A phrase too wide for it takes its short form (dcgan.readings.SHORT_FORMS:
    'nearest training 0.21' -> 'nearest 0.21'), so it fits on one line instead of breaking in the middle."""
    parts = [_fitted(part, width) for part in caption.split(" · ")]
    return " · ".join(part.replace(" ", "\u00a0") if len(part) <= PHRASE else part for part in parts)


def _fitted(phrase: str, width: int | None) -> str:
    if width is None or len(phrase) * CHAR_PX <= width:
        return phrase
    for long, short in SHORT_FORMS:
        phrase = phrase.replace(long, short)
    return phrase


def channel_label(report, n: int) -> str:
    """The name of row n of a filters report (dcgan.channel_report): its layer and channel."""
    return f"{report.layer} · ch {int(report.channels[n])}"


def channel_figures(report, n: int) -> str:
    """Row n's activation reached, against the top real example and the best random sample."""
    return f"{report.vs_top_real()[n]:.2f}× top real, {report.vs_best_random()[n]:.2f}× best random"


# -- truncation (issue 15): one set of choices in both front ends ----------------------------------------------
TRUNCATIONS = ("0.25", "0.4", "0.5", "0.6", "0.75", "0.9", "none")  # tight ... none: the T of dcgan.truncation
TRUNCATION_HELP = (
    "The truncation trick (dcgan.truncation): G's 8x8 features h move toward the nearest of 32 cluster centres, "
    "h' = c + T (h - c). Smaller T gives more typical, less varied samples (higher precision, lower recall: the "
    "Timeline page's Truncation tab measures it). The first use of each T builds its G (seconds), then it is kept.")


def truncation_value(choice) -> float | None:
    """The T of one of the offered choices ("none" -> None). Only those are accepted: each new T builds a G."""
    if str(choice) not in TRUNCATIONS:
        raise ConfigError(f"truncation must be one of {', '.join(TRUNCATIONS)}, got {choice!r}")
    return None if str(choice) == "none" else float(choice)


def truncated_model(model: dcgan.Model, t: float | None) -> dcgan.Model:
    """`model` with G truncated at T (dcgan.truncation, cached per G and T); the model itself for None."""
    from dcgan.truncation import truncated

    return model if t is None else dataclasses.replace(model, G=truncated(model.G, t))


# -- latent vectors ----------------------------------------------------------------------------------------------
def keyframes_from_seeds(seeds, nz: int) -> torch.Tensor:
    """Keyframes (K, nz): keyframe i is the first sample of seed i, as the CLI's `walk --seeds` draws it."""
    from dcgan.latent import sample_z

    return torch.cat([sample_z(1, nz, seed=int(s)) for s in seeds])
