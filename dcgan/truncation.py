"""The truncation trick for a DCGAN: pull G's 8x8 features toward the nearest of their cluster centres, not z to 0.

Why not in z (BigGAN's per-coordinate truncated normal, dcgan.latent.sample_z): G was trained on z on the shell
|z| ~ sqrt(nz), and its BatchNorm layers run on saved statistics. Small z shrink every feature toward those
statistics' mean and G draws faint strokes: on the bundled MNIST model truncation 0.5 in z gave precision and recall
0 / 0. StyleGAN truncates an intermediate latent toward its mean instead (Karras et al. 2019); with ten digits the
one mean is a blob between them, so the centre is the nearest of K cluster centres (multi-modal truncation, Mokady et
al. 2022, "Self-Distilled StyleGAN"). Here the latent is G's output after its second block (ConvT, BN, ReLU: 8x8):

    h' = c(h) + T (h - c(h)),   c(h) = the nearest of CLUSTERS k-means centres of h over REFERENCE_Z fixed z

and the BatchNorm statistics of the layers after it are re-estimated on the truncated features of those same z
(with the saved ones, shrunk features also give faint strokes). T = 1 is G itself, T -> 0 draws only the CLUSTERS
centre images, T > 1 pushes away from them. The result is a Generator like any other: same z, layers and shapes.
"""
from __future__ import annotations

import copy
import weakref
from collections import OrderedDict

import torch
from torch import nn

from .errors import ConfigError
from .latent import sample_z
from .models import Generator, stage_modules

LAYER = 2  # truncate after G's second hidden stage (the 8x8 map), or its last one for smaller G
CLUSTERS = 32  # centres the features are pulled toward (about three per digit class on MNIST)
REFERENCE_Z = 4000  # z whose features give the centres and the re-estimated BatchNorm statistics
REFERENCE_SEED = 20191904  # fixed: the same truncated G in every process
KEEP_PER_G = 8  # truncated copies kept per G (each is a full copy of G), the least recently used dropped first
_CENTRES: "weakref.WeakKeyDictionary[nn.Module, tuple]" = weakref.WeakKeyDictionary()
_CACHE: "weakref.WeakKeyDictionary[nn.Module, OrderedDict[float, Generator]]" = weakref.WeakKeyDictionary()


class TowardNearest(nn.Module):
    """h -> c + psi (h - c) on one feature map (N, C, H, W), c the nearest of the centres (K, C, H, W)."""

    def __init__(self, centres: torch.Tensor, psi: float):
        super().__init__()
        self.register_buffer("centres", centres)
        self.psi = psi

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        nearest = torch.cdist(h.flatten(1), self.centres.flatten(1)).argmin(1)  # (N,)
        c = self.centres[nearest]  # (N, C, H, W)
        return c + self.psi * (h - c)

    def extra_repr(self) -> str:
        return f"centres={len(self.centres)}, psi={self.psi:g}"


def truncated(G: Generator, truncation: float | None) -> Generator:
    """G with truncation T applied (see the module docstring); None or 1 returns G. Cached per G object and T
    (KEEP_PER_G values of T per G, so a caller offering free values cannot grow the cache without bound)."""
    if truncation is None:
        return G
    if not (truncation > 0 and truncation < float("inf")):
        raise ConfigError(f"truncation must be a positive number, got {truncation}")
    if truncation == 1:
        return G
    per_g = _CACHE.setdefault(G, OrderedDict())
    if truncation not in per_g:
        per_g[truncation] = _build(G, float(truncation))
        while len(per_g) > KEEP_PER_G:
            per_g.popitem(last=False)
    per_g.move_to_end(truncation)
    return per_g[truncation]


def split_index(G: Generator) -> int:
    """Index in G.main right after the stage that is truncated (LAYER, or G's last hidden stage)."""
    stages = [s for name, s in stage_modules(G, "output").items() if name != "output"]
    return stages[min(LAYER, len(stages)) - 1][-1] + 1


@torch.no_grad()
def reference(G: Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(features h of the REFERENCE_Z fixed z (R, C, 8, 8), their CLUSTERS k-means centres (K, C, 8, 8)), per G."""
    if G not in _CENTRES:
        z = sample_z(REFERENCE_Z, G.config.nz, seed=REFERENCE_SEED).to(next(G.parameters()).device)
        head = G.main[: split_index(G)]
        h = torch.cat([head(c[:, :, None, None]).cpu() for c in z.split(500)])
        _CENTRES[G] = h, kmeans(h.flatten(1), CLUSTERS).reshape(CLUSTERS, *h.shape[1:])
    return _CENTRES[G]


def kmeans(x: torch.Tensor, k: int, *, iterations: int = 30, seed: int = 0) -> torch.Tensor:
    """Lloyd's k-means of x (N, F) from k distinct seeded points: centres (k, F). In torch, because scikit-learn's
    OpenMP threads crawl on a loaded machine (its k-means++ took minutes here); an emptied centre keeps its place."""
    gen = torch.Generator().manual_seed(seed)
    centres = x[torch.randperm(len(x), generator=gen)[:k]].clone()
    for _ in range(iterations):
        owner = torch.cdist(x, centres).argmin(1)  # (N,)
        counts = torch.bincount(owner, minlength=k).unsqueeze(1)  # (k, 1)
        sums = torch.zeros_like(centres).index_add_(0, owner, x)
        moved = torch.where(counts > 0, sums / counts.clamp_min(1), centres)
        if torch.equal(moved, centres):
            break
        centres = moved
    return centres


@torch.no_grad()
def _build(G: Generator, psi: float) -> Generator:
    """A copy of G with TowardNearest after the truncated stage and the later BatchNorms re-estimated."""
    h, centres = reference(G)
    g = copy.deepcopy(G).eval()
    cut, layers = split_index(g), list(g.main)
    device = next(g.parameters()).device
    pull = TowardNearest(centres, psi).to(device)
    g.main = nn.Sequential(*layers[:cut], pull, *layers[cut:])
    _reestimate_batchnorm(nn.Sequential(*layers[cut:]), pull(h.to(device)))
    return g.eval()


def _reestimate_batchnorm(tail: nn.Sequential, h: torch.Tensor) -> None:
    """Running statistics of the BatchNorms in `tail` := the average of their batch statistics over inputs h."""
    norms = [m for m in tail if isinstance(m, nn.BatchNorm2d)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches below
        m.train()
    if norms:
        for chunk in h.split(500):
            tail(chunk)
    for m in norms:
        m.eval()
