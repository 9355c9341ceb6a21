"""GAN inversion: find the z whose G(z) best matches a given image, so users can explore from their own.

Three stages, all batched over every image at once:
1. screen: a bank of random z (shared by all images) goes through G forward only, and each image keeps
   its `starts` nearest samples in pixels (a forward pass costs a third of an optimisation step);
2. optimise those starts with Adam and a cosine schedule on a pixel loss, a feature loss in D's first two
   layers (and, for digit models, in the digit classifier's conv stages: pixels alone let a 6 close into
   an 8), and a prior that keeps |z| near sqrt(nz), so the z found is typical and behaves like a sampled
   one on the slider, walk and arithmetic pages;
3. keep, per image, the start with the smallest pixel error.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .data import MNIST_FRAMED, decode_image, fit_array, is_digit_model
from .framing import frame_digit


@dataclass(frozen=True)
class InvertSettings:
    """Defaults measured on the bundled MNIST model (see README): 60 digits at median RMS error ~0.16."""

    bank: int = 1024  # random z screened by a forward pass, shared by all images
    starts: int = 2  # screened z per image that are optimised (the best is kept)
    steps: int = 30
    lr: float = 0.1  # Adam, cosine-decayed to 0
    feature_weight: float = 0.5  # D layer 1-2 feature loss, against the pixel MSE (2.0 read no more font digits right)
    classifier_weight: float = 0.5  # digit classifier conv stages, if given (font digits read right: 0.1 89%, 0.5 91%)
    prior_weight: float = 0.05  # (|z|/sqrt(nz) - 1)^2
    seed: int = 0


@dataclass(frozen=True)
class InversionResult:
    """z (N, nz), reconstructions (N, C, H, W) in [-1, 1], and per-image RMS pixel error in [-1, 1] units."""

    z: torch.Tensor
    images: torch.Tensor
    error: np.ndarray

    def typicality(self) -> np.ndarray:
        """|z| / sqrt(nz) per image: near 1 for a z that G could have sampled."""
        return (self.z.norm(dim=1) / self.z.shape[1] ** 0.5).numpy()


DIGIT_SETS = MNIST_FRAMED  # data framed like MNIST: a user's digit is framed alike


def to_target(arr: np.ndarray, *, image_size: int, channels: int, white_on_black: bool | None = True,
              frame: bool = False) -> torch.Tensor:
    """A decoded uint8 image (H, W) or (H, W, C) -> (1, C, size, size) in [-1, 1], polarity matched to the model.

    `frame`: a grey digit is first framed like MNIST (see dcgan.framing), at its full resolution.
    """
    if frame and arr.ndim == 2 and white_on_black:
        arr = frame_digit(255 - arr if _border_mean(arr) > 127.5 else arr)  # white on black, then framed
    x = fit_array(arr, image_size, channels).float().div(127.5).sub(1.0)
    return match_polarity(x, white_on_black) if white_on_black is not None else x


def load_target(path: str | Path, *, image_size: int, channels: int, white_on_black: bool | None = True,
                frame: bool = False) -> torch.Tensor:
    """One image file -> (1, C, size, size) in [-1, 1] (see `to_target`)."""
    arr = decode_image(Path(path).read_bytes(), channels)
    return to_target(arr, image_size=image_size, channels=channels, white_on_black=white_on_black, frame=frame)


def target_options(model) -> dict:
    """`to_target`'s keywords for this model: its size and channels, its polarity, and MNIST framing for digits."""
    cfg, white_on_black = model.config, model_polarity(model.G)
    return dict(image_size=cfg.image_size, channels=cfg.channels, white_on_black=white_on_black,
                frame=bool(white_on_black) and cfg.dataset in DIGIT_SETS)


def feature_nets(model) -> dict:
    """`invert`'s feature networks for this model: its D, and the digit classifier for a digit model."""
    from .metrics import load_classifier

    digits = is_digit_model(model.config) and model.config.dataset in MNIST_FRAMED
    return dict(D=model.D, classifier=load_classifier() if digits else None)


def busy_machine_threads() -> int:
    """One torch thread when the load average is over the core count, else torch's own choice; returns it.

    On a busy machine a second OpenMP thread mostly spins waiting for a core: measured here at load 15 on
    2 cores, an inversion step took 0.55 CPU-s and 5.1 s with one thread, 1.1 CPU-s and 6.7 s with two.
    """
    import os

    if os.getloadavg()[0] > (os.cpu_count() or 1):
        torch.set_num_threads(1)
    return torch.get_num_threads()


def _border_mean(arr: np.ndarray) -> float:
    return float(np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]]).mean())


def _bright_border(x: torch.Tensor) -> torch.Tensor:
    border = torch.cat([x[..., 0, :], x[..., -1, :], x[..., :, 0], x[..., :, -1]], dim=-1)
    return border.flatten(1).mean(1) > 0  # (N,)


def match_polarity(x: torch.Tensor, white_on_black: bool = True) -> torch.Tensor:
    """Flip images whose border (the background) is the opposite brightness of the model's."""
    flip = _bright_border(x) if white_on_black else ~_bright_border(x)
    return torch.where(flip.view(-1, 1, 1, 1), -x, x)


@torch.no_grad()
def model_polarity(G, *, n: int = 64) -> bool | None:
    """True if G draws on a dark background (MNIST), False on a light one, None for colour models (no flip)."""
    if G.config.channels != 1:
        return None
    x = G(torch.randn(n, G.config.nz, generator=torch.Generator().manual_seed(0)))
    return bool((~_bright_border(x)).float().mean() >= 0.5)


def _d_features(D, x: torch.Tensor) -> list[torch.Tensor]:
    return D.activations(x, upto=2) if D is not None else []


def _classifier_features(clf, x: torch.Tensor) -> list[torch.Tensor]:
    """The digit classifier's four conv stages (after each ReLU): what makes a 6 a 6 rather than an 8."""
    if clf is None:
        return []
    outs, h = [], clf.prepare(x)
    for module in clf.body:
        h = module(h)
        if isinstance(module, torch.nn.ReLU):
            outs.append(h)  # (N, 32, 32, 32), (N, 32, 32, 32), (N, 64, 16, 16), (N, 128, 8, 8)
    return outs


def _features(D, clf, x: torch.Tensor, s: InvertSettings) -> list[tuple[float, torch.Tensor]]:
    """(weight, feature map) pairs for the feature loss: D's first two layers, and the classifier's stages."""
    return ([(s.feature_weight, f) for f in _d_features(D, x)]
            + [(s.classifier_weight, f) for f in _classifier_features(clf, x)])


@torch.no_grad()
def screen(G, target: torch.Tensor, *, bank: int, starts: int, seed: int = 0) -> torch.Tensor:
    """The `starts` bank z nearest each target in pixels, (N * starts, nz), grouped by image."""
    z_bank = torch.randn(bank, G.config.nz, generator=torch.Generator().manual_seed(seed))  # (B, nz)
    flat = target.flatten(1)
    dist = torch.cat([torch.cdist(flat, G(chunk).flatten(1)) for chunk in z_bank.split(256)], dim=1)  # (N, B)
    pick = dist.topk(min(starts, bank), dim=1, largest=False).indices  # (N, S)
    return z_bank[pick.flatten()]


def invert(G, target: torch.Tensor, *, D=None, classifier=None, settings: InvertSettings = InvertSettings(),
           progress: Callable[[int, int, torch.Tensor], None] | None = None) -> InversionResult:
    """Find z for each target image (N, C, H, W) in [-1, 1] (see module docstring).

    `progress(step, steps, images)` is called after each step with the current best images (N, C, H, W).
    """
    s, nz = settings, G.config.nz
    z = screen(G, target, bank=s.bank, starts=s.starts, seed=s.seed).requires_grad_(True)  # (N*S, nz)
    starts = z.shape[0] // target.shape[0]
    tgt = target.repeat_interleave(starts, 0)  # (N*S, C, H, W)
    with torch.no_grad():
        tgt_feats = [f for _, f in _features(D, classifier, tgt, s)]
    opt = torch.optim.Adam([z], lr=s.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(s.steps, 1))
    for step in range(s.steps):
        opt.zero_grad(set_to_none=True)
        x = G(z)
        per = (x - tgt).pow(2).flatten(1).mean(1)  # pixel loss (N*S,)
        for (w, f), t in zip(_features(D, classifier, x, s), tgt_feats):
            per = per + w * (f - t).pow(2).flatten(1).mean(1)
        per = per + s.prior_weight * (z.norm(dim=1) / nz**0.5 - 1).pow(2)  # keep z typical
        per.sum().backward()
        opt.step()
        schedule.step()
        if progress is not None:
            progress(step + 1, s.steps, _pick(x.detach(), tgt, starts)[1])
    return _best(G, z.detach(), target, starts)


def _pick(images: torch.Tensor, tgt: torch.Tensor, starts: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(index of each image's best start (N,), those images, their RMS errors (N,))."""
    err = (images - tgt).pow(2).flatten(1).mean(1).sqrt().view(-1, starts)  # (N, S)
    pick = err.argmin(1) + torch.arange(err.shape[0]) * starts
    return pick, images[pick], err.min(1).values


@torch.no_grad()
def _best(G, z: torch.Tensor, target: torch.Tensor, starts: int) -> InversionResult:
    pick, images, err = _pick(G(z), target.repeat_interleave(starts, 0), starts)
    return InversionResult(z[pick], images, err.numpy())


@torch.no_grad()
def real_nn_reference(images: torch.Tensor, *, n: int = 500, seed: int = 0) -> float:
    """Median RMS pixel distance from a real image to its nearest other real image: the yardstick for errors.

    Brute force in one matrix product (0.5 CPU-s for 500 x 4,500 MNIST digits; sklearn NearestNeighbors took 8 s).
    """
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
    queries, rest = images[order[:n]].flatten(1).double(), images[order[n:]].flatten(1).double()  # (n, P), (M, P)
    sq = queries.pow(2).sum(1, keepdim=True) + rest.pow(2).sum(1) - 2 * queries @ rest.T  # (n, M) squared distances
    nearest = sq.min(1).values.clamp_min(0).sqrt()  # (n,)
    return float(np.median(nearest.numpy()) / queries.shape[1] ** 0.5)


# -- memorisation by inversion ---------------------------------------------------------------
@dataclass(frozen=True)
class InversionMemorisation:
    """Reconstruction errors (RMS, [-1, 1] units) of training images against images held out of training."""

    n: int  # images inverted per group
    train_error: float  # median
    held_out_error: float | None  # median; None when the model trained on every image of the data
    p_value: float | None  # one-sided Mann-Whitney U: training errors smaller than held-out ones
    verdict: str

    def as_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


def held_out_split(model, data) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(training indices, held-out indices or None): training takes the first `n_images` of its data set."""
    n_train = int(model.meta.get("n_images") or 0)
    same = model.config.dataset == data.name
    if same and 0 < n_train < len(data):
        return torch.arange(n_train), torch.arange(n_train, len(data))
    return torch.arange(len(data)), None


def memorisation_verdict(train: np.ndarray, held: np.ndarray | None, *, n_seen: int) -> tuple[float | None, str]:
    """(p-value, a plain-words verdict) from the two groups' errors."""
    from scipy.stats import mannwhitneyu

    if held is None:
        return None, (f"No images were held out of training (the model saw all {n_seen}), so inversion cannot "
                      "test memorisation here: train with --max-images to keep some back.")
    p = float(mannwhitneyu(train, held, alternative="less").pvalue)
    a, b = float(np.median(train)), float(np.median(held))
    if p < 0.01 and a < 0.9 * b:
        return p, (f"Training images come back clearly better than held-out ones (median error {a:.3f} vs {b:.3f}): "
                   "G has memorised part of its training set.")
    return p, (f"Training and held-out images come back about equally well (median error {a:.3f} vs {b:.3f}): "
               "no sign that G memorised its training images.")


def inversion_memorisation(model, data, *, n: int = 48, seed: int = 0,
                           settings: InvertSettings = InvertSettings(starts=1)) -> InversionMemorisation:
    """Invert `n` training and `n` held-out images with the same settings and compare their errors."""
    train_idx, held_idx = held_out_split(model, data)
    gen = torch.Generator().manual_seed(seed)
    pick = lambda idx: idx[torch.randperm(len(idx), generator=gen)[:n]]  # noqa: E731
    groups = [pick(train_idx)] + ([pick(held_idx)] if held_idx is not None else [])
    images = data.as_float(torch.cat(groups))
    err = invert(model.G, images, D=model.D, settings=settings).error
    train, held = err[: len(groups[0])], (err[len(groups[0]):] if held_idx is not None else None)
    p, verdict = memorisation_verdict(train, held, n_seen=len(train_idx))
    return InversionMemorisation(n=len(groups[0]), train_error=float(np.median(train)),
                                 held_out_error=float(np.median(held)) if held is not None else None,
                                 p_value=p, verdict=verdict)
