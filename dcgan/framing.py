"""MNIST's framing for a user's digit: a digit model only ever saw digits framed this way, so a digit drawn
small, large or off-centre is framed alike before inversion (LeCun et al.: the digit's bounding box fitted
into 20x20 pixels, keeping its aspect ratio, then centred by its centre of mass in a 28x28 frame).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

BOX, FRAME = 20, 28  # MNIST: the digit's longer side, and the frame it is centred in
INK = 0.25  # a pixel is ink above this fraction of the brightest pixel (over the background)
KEEP = 0.1  # already framed (scale within 10%, centre within 1 px of 28): kept as it is, not resampled


def _ink_box(ink: np.ndarray) -> tuple[int, int, int, int] | None:
    """(top, bottom, left, right) of the pixels above INK x the brightest, or None for a blank image."""
    peak = float(ink.max())
    if peak <= 0:
        return None
    rows, cols = np.nonzero(ink > INK * peak)
    return rows.min(), rows.max() + 1, cols.min(), cols.max() + 1


def _centre_of_mass(ink: np.ndarray) -> tuple[float, float]:
    """(row, col) of the ink's centre of mass, in pixel-centre coordinates."""
    total = float(ink.sum())
    rows, cols = np.arange(ink.shape[0]) + 0.5, np.arange(ink.shape[1]) + 0.5
    return float(ink.sum(1) @ rows) / total, float(ink.sum(0) @ cols) / total


def is_framed(ink: np.ndarray) -> bool:
    """True if a white-on-black digit is already framed like MNIST (so resampling it would only blur it)."""
    box = _ink_box(ink)
    if box is None:
        return True
    side = max(box[1] - box[0], box[3] - box[2]) / max(ink.shape)  # fraction of the frame
    row, col = _centre_of_mass(ink)
    off = max(abs(row / ink.shape[0] - 0.5), abs(col / ink.shape[1] - 0.5)) * FRAME  # in 28-px units
    return abs(side / (BOX / FRAME) - 1) <= KEEP and off <= 1.0


def frame_digit(grey: np.ndarray) -> np.ndarray:
    """A white-on-black uint8 (H, W) digit of any size -> uint8 (28, 28), framed like MNIST.

    A blank image, or one already framed like MNIST, is returned unchanged (it is fitted to size later).
    """
    ink = grey.astype(np.float32) - float(np.median(_border(grey)))  # background to 0
    ink = np.clip(ink, 0, None)
    box = _ink_box(ink)
    if box is None or is_framed(ink):
        return grey
    crop = torch.from_numpy(ink[box[0] : box[1], box[2] : box[3]].copy())[None, None]  # (1, 1, h, w)
    scale = BOX / max(crop.shape[-2:])
    size = (max(1, round(crop.shape[-2] * scale)), max(1, round(crop.shape[-1] * scale)))
    small = F.interpolate(crop, size=size, mode="bilinear", antialias=True, align_corners=False)[0, 0].numpy()
    return _paste_centred(small * (255.0 / max(float(small.max()), 1e-6)))


def _paste_centred(small: np.ndarray) -> np.ndarray:
    """Paste a (h, w) float digit into a black 28x28 frame with its centre of mass at the frame's centre."""
    row, col = _centre_of_mass(small)
    top = int(np.clip(round(FRAME / 2 - row), 0, FRAME - small.shape[0]))
    left = int(np.clip(round(FRAME / 2 - col), 0, FRAME - small.shape[1]))
    out = np.zeros((FRAME, FRAME), np.float32)
    out[top : top + small.shape[0], left : left + small.shape[1]] = small
    return out.round().clip(0, 255).astype(np.uint8)


def _border(a: np.ndarray) -> np.ndarray:
    return np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
