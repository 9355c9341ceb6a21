"""Style of a digit image, read from its image moments: ink, slant and width.

These are the attributes that built-in style directions move, and that report cards measure. They
need no classifier, so a direction fitted on them is judged by geometry, not by one network's opinion.

Conventions: an image in [-1, 1] (as G makes them; several channels are averaged) becomes an ink
mass p = (x + 1) / 2 in [0, 1] per pixel (MNIST digits are white ink on black). Pixel coordinates are
x to the right and y *upwards*, in pixels, so a digit whose top leans to the right has positive slant.
"""
from __future__ import annotations

import torch

STYLES = ("ink", "slant", "width")


def ink_mass(images: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) in [-1, 1] -> (N, H, W) ink mass in [0, 1]."""
    return ((images.float().mean(1) + 1) / 2).clamp(0, 1)


def _moments(p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Central second moments (mu_xx, mu_yy, mu_xy), each (N,), of ink masses p (N, H, W)."""
    h, w = p.shape[-2:]
    y = torch.arange(h - 1, -1, -1, dtype=p.dtype).view(1, h, 1)  # row 0 is the top: y points up
    x = torch.arange(w, dtype=p.dtype).view(1, 1, w)
    mass = p.sum((1, 2)).clamp_min(1e-8)
    cx, cy = (p * x).sum((1, 2)) / mass, (p * y).sum((1, 2)) / mass
    dx, dy = x - cx.view(-1, 1, 1), y - cy.view(-1, 1, 1)
    m = lambda a: (p * a).sum((1, 2)) / mass  # noqa: E731
    return m(dx * dx), m(dy * dy), m(dx * dy)


def ink(images: torch.Tensor) -> torch.Tensor:
    """Share of the image covered by ink, mean of p over all pixels (N,): 0 blank, 1 all white.

    A stroke twice as thick has about twice the ink."""
    return ink_mass(images).mean((1, 2))


def slant(images: torch.Tensor) -> torch.Tensor:
    """mu_xy / mu_yy (N,): how many pixels the ink moves right per pixel up (0 upright, > 0 top leans right).

    It is the least-squares slope of x on y over the ink, so shearing an image by x' = x + s * y adds
    exactly s. A blank image has slant 0."""
    mu_xx, mu_yy, mu_xy = _moments(ink_mass(images))
    return mu_xy / mu_yy.clamp_min(1e-8)


def width(images: torch.Tensor) -> torch.Tensor:
    """sqrt(mu_xx - mu_xy^2 / mu_yy) / W (N,): the ink's horizontal spread (standard deviation about its centre)
    once the slant is removed, as a share of the image width.

    Removing the slant first makes width blind to shear (a slanted 1 is as narrow as an upright one);
    stretching the digit sideways by a factor f multiplies it by f."""
    p = ink_mass(images)
    mu_xx, mu_yy, mu_xy = _moments(p)
    return (mu_xx - mu_xy**2 / mu_yy.clamp_min(1e-8)).clamp_min(0).sqrt() / p.shape[-1]


def measure_style(images: torch.Tensor) -> dict[str, torch.Tensor]:
    """{'ink', 'slant', 'width'} -> (N,) for a batch of images, in one pass."""
    return {"ink": ink(images), "slant": slant(images), "width": width(images)}
