"""Random shifts and cutouts of the images D sees: DiffAugment's translation and cutout (Zhao et al. 2020) for small
data sets.

With a few thousand images D soon tells the training set apart by heart (D(x) -> 1), and G's signal fades. Showing
D real and generated images alike, each moved by a random whole number of pixels, makes memorising harder and keeps
G's gradient (the shift is differentiable, so G learns through it). D still sees unshifted images (a zero move is
one of the draws), but its readings of plain images can change: on MNIST a shifted-D fine-tune let a blank black
image outrank 5% of real digits in the calibrated verdict (checkpoints/mnist-32.md), so check the verdict after.
The cutout blanks one random square of each image to 0 (mid-grey in [-1, 1], as DiffAugment does), the square's
centre anywhere in the image, so part of it may fall outside.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def random_shift(images: torch.Tensor, fraction: float, generator: torch.Generator) -> torch.Tensor:
    """Each image moved by up to `fraction` of its size in x and y (whole pixels), the edge repeated into the gap."""
    n, _, h, w = images.shape
    most = max(1, round(fraction * min(h, w)))
    shifts = torch.randint(-most, most + 1, (n, 2), generator=generator).to(images.device, torch.float32)
    theta = torch.zeros(n, 2, 3, device=images.device)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0
    theta[:, 0, 2], theta[:, 1, 2] = 2 * shifts[:, 0] / w, 2 * shifts[:, 1] / h  # whole pixels: sampling is exact
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    moved = F.grid_sample(images.float(), grid, mode="nearest", padding_mode="border", align_corners=False)
    return moved.to(images.dtype)


def random_cutout(images: torch.Tensor, fraction: float, generator: torch.Generator) -> torch.Tensor:
    """Each image with one square of side `fraction` of its size set to 0, centred at a random pixel (a mask, so
    gradients pass everywhere else)."""
    n, _, h, w = images.shape
    side_y, side_x = max(1, round(fraction * h)), max(1, round(fraction * w))
    centre = torch.stack([torch.randint(0, h, (n,), generator=generator),
                          torch.randint(0, w, (n,), generator=generator)], 1).to(images.device)
    top, left = centre[:, 0] - side_y // 2, centre[:, 1] - side_x // 2
    rows = torch.arange(h, device=images.device)[None, :] - top[:, None]  # (n, h): inside where 0 <= r < side_y
    cols = torch.arange(w, device=images.device)[None, :] - left[:, None]
    inside = ((rows >= 0) & (rows < side_y))[:, :, None] & ((cols >= 0) & (cols < side_x))[:, None, :]
    return images * (~inside)[:, None].to(images.dtype)
