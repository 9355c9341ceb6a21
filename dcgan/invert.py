"""GAN inversion: find the z whose G(z) best matches a given image, so users can explore from their own.

Batched optimisation over several random starts at once (the best is kept), with a pixel loss, a
feature loss in D's activation space, and a prior that keeps |z| near sqrt(nz) so the z found is
typical and behaves like a sampled one on the slider, walk and arithmetic pages.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .data import _decode, _fit_array


@dataclass(frozen=True)
class InversionResult:
    """z (N, nz), reconstructions (N, C, H, W) in [-1, 1], and per-image RMS pixel error in [-1, 1] units."""

    z: torch.Tensor
    images: torch.Tensor
    error: np.ndarray


def load_target(path: str | Path, *, image_size: int, channels: int, white_on_black: bool = True) -> torch.Tensor:
    """One image file -> (1, C, size, size) in [-1, 1], polarity flipped to match the model's digits."""
    arr = _decode(Path(path).read_bytes(), channels)
    x = _fit_array(arr, image_size, channels).float().div(127.5).sub(1.0)
    return match_polarity(x) if white_on_black else x


def match_polarity(x: torch.Tensor) -> torch.Tensor:
    """Flip images whose border is mostly bright (black ink on white) to white on black."""
    border = torch.cat([x[..., 0, :], x[..., -1, :], x[..., :, 0], x[..., :, -1]], dim=-1)
    bright = border.flatten(1).mean(1) > 0  # (N,)
    return torch.where(bright.view(-1, 1, 1, 1), -x, x)


def _d_features(D, x: torch.Tensor) -> list[torch.Tensor]:
    return D.activations(x, upto=2) if D is not None else []


def invert(G, target: torch.Tensor, *, D=None, starts: int = 8, steps: int = 150, lr: float = 0.05,
           feature_weight: float = 0.5, prior_weight: float = 0.01, seed: int = 0) -> InversionResult:
    """Find z for each target image (N, C, H, W) in [-1, 1]; every start of every image runs in one batch."""
    n, nz = target.shape[0], G.config.nz
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n * starts, nz, generator=gen).requires_grad_(True)  # (N*S, nz)
    tgt = target.repeat_interleave(starts, 0)  # (N*S, C, H, W)
    with torch.no_grad():
        tgt_feats = _d_features(D, tgt)
    opt = torch.optim.Adam([z], lr=lr)
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        x = G(z)
        per = (x - tgt).pow(2).flatten(1).mean(1)  # pixel loss (N*S,)
        for f, t in zip(_d_features(D, x), tgt_feats):
            per = per + feature_weight * (f - t).pow(2).flatten(1).mean(1)
        per = per + prior_weight * (z.norm(dim=1) / nz**0.5 - 1).pow(2)  # keep z typical
        per.sum().backward()
        opt.step()
    return _best(G, z.detach(), target, starts)


@torch.no_grad()
def _best(G, z: torch.Tensor, target: torch.Tensor, starts: int) -> InversionResult:
    images = G(z)
    err = (images - target.repeat_interleave(starts, 0)).pow(2).flatten(1).mean(1).sqrt().view(-1, starts)
    pick = err.argmin(1) + torch.arange(err.shape[0]) * starts
    return InversionResult(z[pick], images[pick], err.min(1).values.numpy())
