"""The truncation trick for a DCGAN: pull G's 8x8 features toward their mean (StyleGAN's way), not z toward 0.

Why not in z (BigGAN's per-coordinate truncated normal, dcgan.latent.sample_z): G was trained on z on the shell
|z| ~ sqrt(nz), and its BatchNorm layers run on saved statistics. Small z shrink every feature toward those
statistics' mean and G draws faint strokes: on the bundled MNIST model truncation 0.5 in z gave precision and recall
0 / 0. StyleGAN truncates an intermediate latent toward its mean instead (Karras et al. 2019, sec. 3.2 / app. B);
here that latent is G's output after its second block (ConvT, BN, ReLU: the 8x8 map):

    h' = h_mean + T (h - h_mean),    h_mean = the mean of h over REFERENCE_Z fixed z

and the BatchNorm statistics of the layers after it are re-estimated on the truncated features of those same z
(with the saved ones, shrunk features also give faint strokes). T = 1 is G itself, T -> 0 draws one image for every
z, T > 1 pushes away from the mean. The result is a Generator like any other: same z, same layers, same shapes.
"""
from __future__ import annotations

import copy
import weakref

import torch
from torch import nn

from .errors import ConfigError
from .latent import sample_z
from .models import Generator, stage_modules

LAYER = 2  # truncate after G's second hidden stage (the 8x8 map), or its last one for smaller G
REFERENCE_Z = 4000  # z whose features give h_mean and the re-estimated BatchNorm statistics
REFERENCE_SEED = 20191904  # fixed: the same truncated G in every process
_CACHE: "weakref.WeakKeyDictionary[nn.Module, dict[float, Generator]]" = weakref.WeakKeyDictionary()


class TowardMean(nn.Module):
    """h -> h_mean + psi (h - h_mean) on one feature map (N, C, H, W)."""

    def __init__(self, h_mean: torch.Tensor, psi: float):
        super().__init__()
        self.register_buffer("h_mean", h_mean)  # (1, C, H, W)
        self.psi = psi

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.h_mean + self.psi * (h - self.h_mean)

    def extra_repr(self) -> str:
        return f"psi={self.psi:g}"


def truncated(G: Generator, truncation: float | None) -> Generator:
    """G with truncation T applied (see the module docstring); None or 1 returns G. Cached per G object and T."""
    if truncation is None:
        return G
    if not (truncation > 0 and truncation < float("inf")):
        raise ConfigError(f"truncation must be a positive number, got {truncation}")
    if truncation == 1:
        return G
    per_g = _CACHE.setdefault(G, {})
    if truncation not in per_g:
        per_g[truncation] = _build(G, float(truncation))
    return per_g[truncation]


def split_index(G: Generator) -> int:
    """Index in G.main right after the stage that is truncated (LAYER, or G's last hidden stage)."""
    stages = [s for name, s in stage_modules(G, "output").items() if name != "output"]
    return stages[min(LAYER, len(stages)) - 1][-1] + 1


@torch.no_grad()
def _build(G: Generator, psi: float) -> Generator:
    """A copy of G with TowardMean after the truncated stage and the later BatchNorms re-estimated."""
    g = copy.deepcopy(G).eval()
    cut, layers = split_index(g), list(g.main)
    device = next(g.parameters()).device
    z = sample_z(REFERENCE_Z, g.config.nz, seed=REFERENCE_SEED).to(device)[:, :, None, None]
    head = nn.Sequential(*layers[:cut])
    h_mean = torch.cat([head(c) for c in z.split(500)]).mean(0, keepdim=True)  # (1, C, 8, 8)
    g.main = nn.Sequential(*layers[:cut], TowardMean(h_mean, psi), *layers[cut:])
    _reestimate_batchnorm(g, layers[cut:], z)
    return g.eval()


def _reestimate_batchnorm(g: Generator, tail: list[nn.Module], z: torch.Tensor) -> None:
    """Running statistics of the BatchNorms in `tail` := the average of their batch statistics over z."""
    norms = [m for m in tail if isinstance(m, nn.BatchNorm2d)]
    if not norms:
        return
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches below
        m.train()
    for chunk in z.split(500):
        g.main(chunk)
    for m in norms:
        m.eval()
