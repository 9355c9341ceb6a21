"""Latent space: sampling, interpolation, walks, the paper's vector arithmetic, and slider directions.

Everything takes and returns plain tensors (z of shape (N, nz)), so the apps, the CLI and the
tests share one implementation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .errors import ConfigError
from .media import to_uint8

MAX_REDRAWS = 64  # rounds of redrawing before the remaining coordinates are drawn from the truncated normal directly


def sample_z(n: int, nz: int, *, seed: int = 0, truncation: float | None = None) -> torch.Tensor:
    """n latent vectors z ~ N(0, I) of size nz, reproducible from `seed`.

    With `truncation` t, every coordinate outside [-t, t] is redrawn until it falls inside
    (the truncation trick): samples get more typical and less varied as t shrinks. After
    MAX_REDRAWS rounds (only for small t) the rest come from the truncated normal by inverse CDF,
    the same distribution, so any positive t ends.
    """
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n, nz, generator=gen)
    if truncation is not None:
        if not (truncation > 0 and math.isfinite(truncation)):
            raise ConfigError(f"truncation must be a positive number, got {truncation}")
        outside = z.abs() > truncation
        for _ in range(MAX_REDRAWS):
            if not outside.any():
                return z
            z[outside] = torch.randn(int(outside.sum()), generator=gen)
            outside = z.abs() > truncation
        z[outside] = _truncated_normal(int(outside.sum()), truncation, gen)
    return z


def _truncated_normal(k: int, t: float, gen: torch.Generator) -> torch.Tensor:
    """k draws from N(0, 1) restricted to [-t, t]: Phi^-1 of a uniform between Phi(-t) and Phi(t), in float64."""
    lo = torch.special.ndtr(torch.tensor(-t, dtype=torch.float64))
    u = lo + (1 - 2 * lo) * torch.rand(k, generator=gen, dtype=torch.float64)
    return torch.special.ndtri(u).clamp_(-t, t).float()


@torch.no_grad()
def generate(G: torch.nn.Module, z: torch.Tensor, *, batch_size: int = 256) -> torch.Tensor:
    """G(z) in [-1, 1] on the CPU, in batches, without building a graph."""
    device = next(G.parameters()).device
    return torch.cat([G(chunk.to(device)).cpu() for chunk in z.split(batch_size)])


# -- interpolation -------------------------------------------------------------------------------
def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Straight-line points between a and b (nz,) at fractions t (T,) -> (T, nz)."""
    t = torch.as_tensor(t, dtype=a.dtype).reshape(-1, 1)
    return (1 - t) * a + t * b


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation (T, nz): the direction moves along the great circle, the norm linearly.

    Gaussian z concentrate near a sphere of radius sqrt(nz); a straight line between two of
    them dips inside it, towards atypical z. Endpoints are returned exactly.
    """
    t = torch.as_tensor(t, dtype=a.dtype).reshape(-1, 1)
    na, nb = a.norm(), b.norm()
    ua, ub = a / na, b / nb
    omega = torch.arccos((ua * ub).sum().clamp(-1.0, 1.0))
    if omega.abs() < 1e-6:  # (anti)parallel within precision: the great circle is undefined
        return lerp(a, b, t)
    unit = (torch.sin((1 - t) * omega) * ua + torch.sin(t * omega) * ub) / torch.sin(omega)
    out = unit * ((1 - t) * na + t * nb)
    out = torch.where(t == 0, a, out)
    return torch.where(t == 1, b, out)


def interpolate(keyframes: torch.Tensor, steps: int, *, mode: str = "slerp") -> torch.Tensor:
    """A path through K keyframes (K, nz): `steps` points per segment, ending on the last keyframe.

    Returns ((K - 1) * steps + 1, nz); keyframe k sits at index k * steps.
    """
    if mode not in ("lerp", "slerp"):
        raise ConfigError(f"mode must be lerp or slerp, got {mode!r}")
    if len(keyframes) < 2 or steps < 1:
        raise ConfigError("a walk needs at least two keyframes and one step per segment")
    fn = slerp if mode == "slerp" else lerp
    t = torch.arange(steps, dtype=keyframes.dtype) / steps
    parts = [fn(a, b, t) for a, b in zip(keyframes[:-1], keyframes[1:])]
    return torch.cat(parts + [keyframes[-1:]])


@torch.no_grad()
def equal_change_path(G: torch.nn.Module, keyframes: torch.Tensor, steps: int, *, mode: str = "slerp",
                      oversample: int = 8) -> torch.Tensor:
    """Like `interpolate`, but inside each segment the frames are spaced by equal change in the image.

    1. render each segment densely (steps * oversample points);
    2. accumulate the RMS pixel change between consecutive dense frames (the path's length in image space);
    3. pick the t at which that length reaches k / steps of the segment's total, by linear interpolation.
    Keyframes stay at index k * steps, so the result has the same shape as `interpolate`'s.
    """
    if mode not in ("lerp", "slerp"):
        raise ConfigError(f"mode must be lerp or slerp, got {mode!r}")
    if len(keyframes) < 2 or steps < 1:
        raise ConfigError("a walk needs at least two keyframes and one step per segment")
    fn = slerp if mode == "slerp" else lerp
    dense_t = torch.linspace(0, 1, steps * oversample + 1, dtype=keyframes.dtype)
    parts = []
    for a, b in zip(keyframes[:-1], keyframes[1:]):
        length = np.concatenate([[0.0], np.cumsum(frame_changes(generate(G, fn(a, b, dense_t))))])  # (D,)
        wanted = np.arange(steps) / steps * length[-1]
        t = np.interp(wanted, length, dense_t.numpy()) if length[-1] > 0 else np.arange(steps) / steps
        parts.append(fn(a, b, torch.as_tensor(t, dtype=keyframes.dtype)))
    return torch.cat(parts + [keyframes[-1:]])


def walk_frames(G: torch.nn.Module, keyframes: torch.Tensor, steps: int, *, mode: str = "slerp") -> np.ndarray:
    """The images along a walk as uint8 frames (T, H, W, C), ready for a GIF or MP4."""
    return to_uint8(generate(G, interpolate(keyframes, steps, mode=mode)))


def frame_changes(images: torch.Tensor | np.ndarray) -> np.ndarray:
    """Root-mean-square pixel change between consecutive frames (T - 1,), on a [0, 1] scale.

    A smooth walk changes a little at every step; the paper reads sudden jumps as a sign that
    G memorised training images instead of learning a continuous latent space.
    """
    x = torch.as_tensor(images)
    x = x.float() / 255.0 if x.dtype == torch.uint8 else (x.float() + 1) / 2  # uint8 frames or G's [-1, 1]
    return (x[1:] - x[:-1]).flatten(1).pow(2).mean(1).sqrt().numpy()


# -- vector arithmetic (paper, figure 7) -------------------------------------------------------
def arithmetic(z_a: torch.Tensor, z_b: torch.Tensor, z_c: torch.Tensor, *, n_family: int = 8,
               noise: float = 0.25, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """mean(A) - mean(B) + mean(C), and a family of n_family neighbours with U(-noise, noise) added.

    Each group is (k, nz) or (nz,). Averaging a few z per concept makes the result stable;
    the family shows what the arithmetic means rather than one lucky image.
    """
    means = [z.reshape(-1, z.shape[-1]).mean(0) for z in (z_a, z_b, z_c)]
    result = means[0] - means[1] + means[2]
    gen = torch.Generator().manual_seed(seed)
    jitter = (torch.rand(n_family, result.shape[0], generator=gen) * 2 - 1) * noise
    return result, result + jitter


# -- directions for sliders -------------------------------------------------------------------------
@dataclass(frozen=True)
class Direction:
    """A unit vector in z space. A slider at strength s moves z by s * sigma along it.

    sigma is the spread of N(0, I) latents along the direction (1 for a unit vector), so
    +-2 means "two standard deviations", whatever the direction's origin.
    explained_variance is the share of G's activation variance, for PCA directions.
    span is the slider's range (+-span sd): wide enough to reach where its report card says the effect happens.
    """

    name: str
    vector: torch.Tensor
    sigma: float = 1.0
    explained_variance: float | None = None
    span: float = 3.0


def _unit(v: torch.Tensor) -> torch.Tensor:
    norm = v.norm()
    if norm < 1e-12:
        raise ConfigError("direction has zero length: the two groups have the same mean z")
    return v / norm


def raw_direction(nz: int, index: int) -> Direction:
    """The z coordinate `index` as a direction."""
    if not 0 <= index < nz:
        raise ConfigError(f"z dimension must be in 0..{nz - 1}, got {index}")
    v = torch.zeros(nz)
    v[index] = 1.0
    return Direction(f"z[{index}]", v)


def attribute_direction(z_with: torch.Tensor, z_without: torch.Tensor, name: str = "attribute") -> Direction:
    """mean z of samples marked with an attribute minus mean z of those without it."""
    return Direction(name,
                     _unit(z_with.reshape(-1, z_with.shape[-1]).mean(0)
                           - z_without.reshape(-1, z_without.shape[-1]).mean(0)))


@torch.no_grad()
def pca_directions(G: torch.nn.Module, *, k: int = 8, n_samples: int = 2000, layer: int = 1,
                   seed: int = 0) -> list[Direction]:
    """GANSpace (Härkönen et al. 2020): principal directions of G's early activations, carried back to z.

    1. sample z and record the activations after G's `layer`-th block (ConvT, BN, ReLU);
    2. PCA of the flattened activations gives the main axes of variation and their variance;
    3. regress z on the PCA coordinates by least squares: row i of the solution is the z
       direction that moves activations along component i. Ranked by explained variance.
    """
    from sklearn.decomposition import PCA

    nz = G.config.nz
    z = sample_z(n_samples, nz, seed=seed)
    blocks = list(G.main)[: 3 * layer]
    device = next(G.parameters()).device
    with torch.no_grad():
        feats = torch.cat([torch.nn.Sequential(*blocks)(c.to(device)[:, :, None, None]).flatten(1).cpu()
                           for c in z.split(500)])
    pca = PCA(n_components=min(k, nz, n_samples), random_state=seed).fit(feats.numpy())
    coords = pca.transform(feats.numpy())  # (n_samples, k)
    coords /= coords.std(0, keepdims=True)
    solution = np.linalg.lstsq(coords, z.numpy(), rcond=None)[0]  # (k, nz): coordinate -> z
    return [
        Direction(f"PC{i + 1}", _unit(torch.from_numpy(row).float()), 1.0, float(ratio))
        for i, (row, ratio) in enumerate(zip(solution, pca.explained_variance_ratio_))
    ]


def apply_direction(z: torch.Tensor, direction: Direction, strength: float) -> torch.Tensor:
    """z moved `strength` standard deviations along `direction` (works on (nz,) or (N, nz))."""
    return z + strength * direction.sigma * direction.vector.to(z)

