"""Can a person read a feature visualisation? Two measures that separate pictures from superstimuli.

1. High-frequency share: the fraction of an image's spectral power (mean removed) at radial
   frequencies above half Nyquist (0.25 cycles/pixel). Real MNIST digits sit near 0.03;
   white noise near 0.8, the area of the frequency square outside that circle.
2. Nearest-real ratio: the median distance from each image to its nearest real image, divided
   by the median nearest-neighbour distance among the real images themselves (1 = as close to
   the data as real images are to each other).
Both are used to check the Filters views (issue 12) and are reported beside them.
"""
from __future__ import annotations

import numpy as np
import torch

from .memorisation import nearest_distances


def high_frequency_share(images: torch.Tensor, *, cutoff: float = 0.25) -> torch.Tensor:
    """Per image (N,), the share of spectral power above `cutoff` cycles/pixel (0.25 = half Nyquist)."""
    x = images.float()
    x = x - x.mean((-2, -1), keepdim=True)  # the mean (DC) says nothing about texture
    power = torch.fft.fft2(x).abs().pow(2).sum(1)  # (N, H, W), summed over colour channels
    h, w = power.shape[-2:]
    radius = (torch.fft.fftfreq(h)[:, None] ** 2 + torch.fft.fftfreq(w)[None, :] ** 2).sqrt()
    total = power.flatten(1).sum(1).clamp(min=1e-12)
    return power[:, radius > cutoff].sum(1) / total


def nearest_real_ratio(images: torch.Tensor, real: torch.Tensor) -> float:
    """Median nearest-real distance of `images` over the real-to-real median (both RMS pixel distances)."""
    to_real = np.median(nearest_distances(images.float(), real.float()))
    real_to_real = np.median(nearest_distances(real.float(), real.float(), exclude_self=True))
    return float(to_real / max(real_to_real, 1e-12))


def saturated_share(images: torch.Tensor, *, level: float = 0.9) -> float:
    """The share of pixels at or beyond ±level: near 1 for the black-and-white noise of a superstimulus."""
    return float((images.abs() >= level).float().mean())
