"""What excites each of D's channels, shown as pictures G can draw: optimise z, not pixels.

Pixel-space gradient ascent on a DCGAN discriminator finds superstimuli: saturated high-frequency
noise that no data set contains. Searching G's latent space instead (Nguyen et al. 2016, "Synthesizing
the preferred inputs for neurons in neural networks via deep generator networks") keeps every image
on G's manifold, so it reads as a digit. The recipe, batched over all channels and images at once:
1. draw `candidates` random z on the sphere of radius sqrt(nz) (where N(0, I) puts almost all its mass),
   score every channel on G(z) and start each channel from its best (or, for `negative`, worst) z's;
   the best random score is also the fair baseline the result is reported against;
2. Adam on z to raise (lower) the channel's mean activation in D(G(z)), D and G frozen in eval mode;
3. after each step, project z back onto the sphere, so G is never asked for an atypical z;
4. with several images per channel, subtract `diversity` x their mean pairwise cosine similarity in
   D's first layer (as in Olah et al. 2017, Distill, "Feature Visualization"), so they differ.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from .errors import ConfigError
from .features import channel_means
from .filters import channel_objective, frozen, layer_index, resolve_channels


@dataclass(frozen=True)
class LatentSettings:
    """Search settings; the defaults give readable digits for all 128 channels of mnist-32's layer2 in ~10 s on 2
    CPU cores."""

    steps: int = 64
    lr: float = 0.08
    candidates: int = 256  # random z's scored to pick starting points (and the baseline)
    per_channel: int = 1  # images per channel
    diversity: float = 0.0  # weight of the diversity term (used when per_channel > 1)
    negative: bool = False  # True: find the images that most suppress each channel


@dataclass(frozen=True)
class LatentFilters:
    """Images per channel found through G: images (C, k, ch, H, W), z (C, k, nz), activation (C, k), best_random
    (C,)."""

    channels: torch.Tensor
    images: torch.Tensor
    z: torch.Tensor
    activation: torch.Tensor  # each image's mean activation of its own channel
    best_random: torch.Tensor  # the best (negative: lowest) activation among the random candidates
    negative: bool


def _on_sphere(z: torch.Tensor) -> torch.Tensor:
    return z * (math.sqrt(z.shape[-1]) / z.norm(dim=-1, keepdim=True).clamp(min=1e-8))


@torch.no_grad()
def _starting_points(G, D, index: int, channels: torch.Tensor, settings: LatentSettings, gen) -> tuple:
    """Step 1: per channel, the k best (or worst) of `candidates` random z's, and that channel's best score."""
    nz = G.config.nz
    z = _on_sphere(torch.randn(settings.candidates, nz, generator=gen))
    device = next(G.parameters()).device
    acts = channel_means(D, torch.cat([G(c.to(device)) for c in z.split(256)]), index)[:, channels]  # (M, C)
    sign = -1.0 if settings.negative else 1.0
    k = min(settings.per_channel, settings.candidates)
    best, order = (sign * acts).t().topk(k, dim=1)  # (C, k)
    return z[order], sign * best[:, 0]


def _diversity(D, images: torch.Tensor, k: int) -> torch.Tensor:
    """Per channel (C,), the mean pairwise cosine similarity of its k images in D's first layer."""
    feats = D.activations(images, upto=1)[-1].flatten(1)  # (C*k, F)
    feats = F.normalize(feats - feats.mean(1, keepdim=True), dim=1).view(-1, k, feats.shape[1])
    sim = feats @ feats.transpose(1, 2)  # (C, k, k)
    return (sim.sum((1, 2)) - k) / (k * (k - 1))


def _ascend(G, D, index: int, channels: torch.Tensor, z0: torch.Tensor,
            settings: LatentSettings, progress) -> torch.Tensor:
    """Steps 2-4: Adam on all C*k z's at once, projected to the sphere after each step; returns z (C, k, nz)."""
    n_ch, k, nz = z0.shape
    device = next(G.parameters()).device
    z = z0.reshape(-1, nz).to(device).requires_grad_(True)
    targets = channels.to(device).repeat_interleave(k)
    sign = -1.0 if settings.negative else 1.0
    opt = torch.optim.Adam([z], lr=settings.lr)
    for step in range(settings.steps):
        images = G(z)
        loss = -sign * channel_objective(D, images, index, targets).sum()
        if k > 1 and settings.diversity > 0:
            loss = loss + settings.diversity * _diversity(D, images, k).sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            z.copy_(_on_sphere(z))
        if progress is not None:
            progress(step + 1, settings.steps)
    return z.detach().view(n_ch, k, nz)


def visualise_through_g(G, D, layer: int | str, *, channels=None, settings: LatentSettings = LatentSettings(),
                        seed: int = 0, progress: Callable[[int, int], None] | None = None,
                        **overrides) -> LatentFilters:
    """For each channel of a D layer, the G(z) that most excites (or, negative, suppresses) it: see the module doc.

    layer: 1-based stage number or a name from D.layer_names. Reproducible from `seed`; results on the CPU.
    Keyword overrides replace fields of `settings`, e.g. `visualise_through_g(G, D, 2, steps=32)`.
    """
    bad = set(overrides) - {f.name for f in dataclasses.fields(LatentSettings)}
    if bad:
        raise TypeError(f"unknown settings {sorted(bad)}; use fields of LatentSettings")
    settings = dataclasses.replace(settings, **overrides)
    if settings.per_channel < 1 or settings.candidates < settings.per_channel:
        raise ConfigError("per_channel must be at least 1 and at most candidates")
    index = layer_index(D, layer)
    channels = resolve_channels(D, index, channels)
    gen = torch.Generator().manual_seed(seed)
    with frozen(D), frozen(G):
        z0, best_random = _starting_points(G, D, index, channels, settings, gen)
        with torch.enable_grad():
            z = _ascend(G, D, index, channels, z0, settings, progress)
        with torch.no_grad():
            images = G(z.flatten(0, 1)).float()
            acts = channel_means(D, images, index)
    k = z.shape[1]
    own = acts[torch.arange(len(acts)), channels.repeat_interleave(k)].view(-1, k)
    return LatentFilters(channels, images.cpu().view(len(channels), k, *images.shape[1:]), z.cpu(), own.cpu(),
                         best_random.cpu(), settings.negative)

