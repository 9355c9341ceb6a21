"""Turning G's output into pictures: uint8 arrays, grids, PNG files, GIF and MP4 animations."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .errors import ConfigError


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """[-1, 1] images (N, C, H, W) -> uint8 (N, H, W, C) arrays, the layout image libraries expect."""
    x = images.detach().float().cpu().clamp(-1, 1).add(1).mul(127.5).round().to(torch.uint8)
    return x.permute(0, 2, 3, 1).numpy()


def grid(images: torch.Tensor, *, nrow: int = 8, padding: int = 2, pad_value: float = 1.0) -> np.ndarray:
    """A uint8 (H, W, C) grid of [-1, 1] images, via torchvision's make_grid."""
    from torchvision.utils import make_grid  # imported here: torchvision costs ~1.5 s, and most commands never grid

    x = images.detach().float().cpu().clamp(-1, 1).add(1).div(2)
    g = make_grid(x, nrow=nrow, padding=padding, pad_value=pad_value)  # (3, H, W) in [0, 1]
    return g.mul(255).round().to(torch.uint8).permute(1, 2, 0).numpy()


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscaling of an (H, W, C) array, so pixels stay crisp on screen."""
    return image.repeat(factor, axis=0).repeat(factor, axis=1) if factor > 1 else image


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")
ANIMATION_SUFFIXES = (".gif", ".mp4")


def writable(path: str | Path, suffixes: tuple[str, ...] = ()) -> Path:
    """The path, its folder created: one line (ConfigError) for a folder that cannot be made or a wrong suffix."""
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        raise ConfigError(f"{path}: the file name must end in {' or '.join(suffixes)}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(f"cannot write {path}: cannot create its folder ({err.strerror})") from None
    return path


def save_png(image: np.ndarray, path: str | Path) -> Path:
    """Write an (H, W, C) uint8 array as PNG (or another format the suffix names; single-channel as grayscale)."""
    from PIL import Image

    path = writable(path, IMAGE_SUFFIXES)
    Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(path)
    return path


def save_animation(frames: np.ndarray, path: str | Path, *, fps: int = 12, scale: int = 1) -> Path:
    """Write uint8 frames (T, H, W, C) as a looping GIF or an MP4, chosen by the file suffix."""
    import imageio.v3 as iio

    path = writable(path, ANIMATION_SUFFIXES)
    frames = np.stack([upscale(f, scale) for f in frames])
    if frames.shape[-1] == 1:
        frames = frames[..., 0] if path.suffix.lower() == ".gif" else frames.repeat(3, axis=-1)
    if path.suffix.lower() == ".gif":
        iio.imwrite(path, frames, duration=1000 / fps, loop=0)
    elif path.suffix.lower() == ".mp4":
        h, w = frames.shape[1:3]
        pad = ((0, 0), (0, (16 - h % 16) % 16), (0, (16 - w % 16) % 16), (0, 0))  # codec wants multiples of 16
        iio.imwrite(path, np.pad(frames, pad, mode="edge"), fps=fps, codec="libx264")
    else:
        raise ConfigError(f"animation format must be .gif or .mp4, got {path.suffix!r}")
    return path

