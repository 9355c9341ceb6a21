"""D's landscape over a plane in z, and the arrows that point to "more real" (GAN Lab, Kahng et al. 2018, for images).

A plane z(a, b) = z0 + a·u + b·v (u, v orthonormal) is a 2-D world whose every point is an image G(z(a, b)).
The per-image verdict (dcgan.verdict) is a value on it; its gradient with respect to (a, b), taken through G,
is a field of arrows pointing to where the verdict rises.

The verdict is a chain of piecewise-linear percentile maps (np.interp) over D's logit and its typicality; we
rebuild that chain in torch (`verdict_torch`) so autograd can differentiate it. The result is the exact
gradient of the drawn verdict wherever it is not flat: where it is clamped at 0 or 1 the arrows are zero,
which is the honest answer ("nothing nearby looks more or less real to this reading").
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .errors import ConfigError, DcganError
from .latent import Direction, sample_z
from .verdict import stage_features, unit_length

PLANES = ("pca", "sefa", "class", "keyframes")
EXTENT = 3.0  # the grid spans +-3 sd along each direction
MAX_GRID = 200  # 40,000 images: a few minutes on a CPU


@dataclass(frozen=True)
class Plane:
    """z0 (nz,) and orthonormal u, v (nz,): the plane z0 + a·u + b·v, with names for its axes."""

    z0: torch.Tensor
    u: torch.Tensor
    v: torch.Tensor
    u_name: str = "u"
    v_name: str = "v"
    marks: dict = field(default_factory=dict)  # name -> (a, b): points worth drawing (keyframes, ...)

    def extent(self) -> float:
        """How far the grid should reach (sd): EXTENT, or further so that every mark (a keyframe) is on it."""
        far = max((abs(c) for ab in self.marks.values() for c in ab), default=0.0)
        return max(EXTENT, 1.1 * far)

    def points(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """z for each (a, b) pair: a, b (N,) -> (N, nz)."""
        return self.z0 + a[:, None] * self.u + b[:, None] * self.v

    def coords(self, z: torch.Tensor) -> np.ndarray:
        """(a, b) of the projection of each z (N, nz) onto the plane: (N, 2)."""
        d = z.reshape(-1, self.z0.numel()).float() - self.z0
        return torch.stack([d @ self.u, d @ self.v], 1).numpy()

    def distance(self, z: torch.Tensor) -> np.ndarray:
        """How far each z (N, nz) lies off the plane (N,): the length of what its projection leaves out."""
        d = z.reshape(-1, self.z0.numel()).float() - self.z0
        return (d - (d @ self.u)[:, None] * self.u - (d @ self.v)[:, None] * self.v).norm(dim=1).numpy()


def _orthonormal(u: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    u = u.float() / u.float().norm().clamp_min(1e-12)
    v = v.float() - (v.float() @ u) * u  # Gram-Schmidt: v loses its component along u
    if v.norm() < 1e-6:
        raise ConfigError("the plane's two directions are parallel: pick two different directions")
    return u, v / v.norm()


def direction_plane(z0: torch.Tensor, first: Direction, second: Direction) -> Plane:
    """The plane through z0 spanned by two directions (the second made orthogonal to the first)."""
    u, v = _orthonormal(first.vector, second.vector)
    v_name = second.name if abs(float(first.vector @ second.vector)) < 1e-3 else f"{second.name} (⊥ {first.name})"
    return Plane(z0.reshape(-1).float(), u, v, first.name, v_name)


def keyframe_plane(keyframes: torch.Tensor, names: tuple[str, ...] = ("z1", "z2", "z3")) -> Plane:
    """The plane through three z (3, nz): z0 = the first, u towards the second, v towards the third (orthonormal)."""
    if keyframes.shape[0] != 3:
        raise ConfigError(f"a keyframe plane needs exactly three z, got {keyframes.shape[0]}")
    z0 = keyframes[0].float()
    u, v = _orthonormal(keyframes[1] - z0, keyframes[2] - z0)
    plane = Plane(z0, u, v, f"{names[0]}→{names[1]}", f"{names[0]}→{names[2]} (⊥)")
    marks = dict(zip(names, plane.coords(keyframes.float()).tolist()))
    return Plane(z0, u, v, plane.u_name, plane.v_name, marks)


def plane_for(model, kind: str, *, seed: int = 0, pick: tuple[int, int] = (0, 1), classifier=None) -> Plane:
    """The plane a front end asks for by name: two of a built-in direction set through z(seed), or three seeds."""
    if kind not in PLANES:
        raise ConfigError(f"unknown plane directions {kind!r}: choose one of {', '.join(PLANES)}")
    if min(pick) < 0 or pick[0] == pick[1]:
        raise ConfigError(f"pick two different directions (indices from 0), got {list(pick)}")
    nz = model.config.nz
    if kind == "keyframes":
        z = torch.cat([sample_z(1, nz, seed=seed + i) for i in range(3)])
        return keyframe_plane(z, tuple(f"seed {seed + i}" for i in range(3)))
    from .directions import builtin_directions

    directions = builtin_directions(model, kind, k=max(pick) + 1, classifier=classifier)
    if max(pick) >= len(directions):
        raise ConfigError(f"pick two different directions among 0..{len(directions) - 1} of {kind}, got {list(pick)}")
    return direction_plane(sample_z(1, nz, seed=seed)[0], directions[pick[0]], directions[pick[1]])


# -- the verdict, differentiably ---------------------------------------------------------------------
def _interp(x: torch.Tensor, xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """torch twin of np.interp(x, xs, ys, left=ys[0], right=ys[-1]), differentiable in x (xs increasing)."""
    i = torch.searchsorted(xs, x.detach()).clamp(1, len(xs) - 1)
    x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
    y = y0 + (x - x0) * (y1 - y0) / (x1 - x0)
    return torch.where(x <= xs[0], ys[0], torch.where(x >= xs[-1], ys[-1], y))


def _percentile_map(reference_sorted: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """The knots of dcgan.verdict._percentile: unique values and their mean-rank shares, float64."""
    xs, counts = np.unique(reference_sorted, return_counts=True)
    mean_rank = np.cumsum(counts) - (counts + 1) / 2
    return torch.from_numpy(xs), torch.from_numpy(mean_rank / max(len(reference_sorted) - 1, 1))


def verdict_torch(verdict, D, images: torch.Tensor, *, smooth: bool = False) -> torch.Tensor:
    """The per-image verdict (N,) as a differentiable float64 tensor: the same numbers as `verdict.score(D, images)`.

    1. D's stage activations, max- and mean-pooled per stage (`dcgan.verdict.stage_features`), and its logit;
    2. typicality = cosine similarity to the k-th nearest bank image, minus 1;
    3. each through its percentile map; the smaller of the two through the final percentile map.

    With `smooth`, step 3 is replaced by the smaller of the two readings in units of real images' spread
    ((x - median) / interquartile range of the calibration images): unclamped, so it still has a slope where
    the verdict sits at its floor, below every real image (the "more real" direction needs one).
    """
    acts = D.activations(images)  # float32 from G, as Verdict.score reads them
    logits = D.main[-1](acts[-1]).flatten().double()
    unit = unit_length(stage_features(acts))
    typical = (unit @ verdict.bank_.double().to(unit.device).t()).topk(verdict.k, dim=1).values[:, -1] - 1.0
    refs = (verdict.logit_ref_, verdict.typical_ref_)
    if smooth:
        scaled = [(x.cpu() - float(np.median(r))) / max(float(np.subtract(*np.percentile(r, [75, 25]))), 1e-12)
                  for x, r in zip((logits, typical), refs)]
        return torch.minimum(*scaled)
    maps = [_percentile_map(r) for r in (*refs, verdict.combined_ref_)]
    p_logit, p_typical = (_interp(x.cpu(), *m) for x, m in zip((logits, typical), maps[:2]))
    return _interp(torch.minimum(p_logit, p_typical), *maps[2])


def _check_model(model) -> None:
    if model.D is None:
        raise DcganError("this file has no discriminator, so it has no landscape: load a file with D")


def verdict_and_gradient(model, z: torch.Tensor, *, batch_size: int = 300,
                         smooth: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(verdict (N,), d verdict / dz (N, nz)) for each z (N, nz), through G and D in eval mode (images independent).
    `smooth`: of verdict_torch's unclamped stand-in instead."""
    _check_model(model)
    verdict, weight = model.verdict(), next(model.G.parameters())
    values, grads = [], []
    for chunk in z.to(weight.dtype).split(batch_size):
        zc = chunk.to(weight.device).requires_grad_(True)
        with torch.enable_grad():
            out = verdict_torch(verdict, model.D, model.G(zc), smooth=smooth)
            (grad,) = torch.autograd.grad(out.sum(), zc)  # images are independent: the sum's gradient is per image
        values.append(out.detach().numpy())
        grads.append(grad.cpu().double().numpy())
    return np.concatenate(values), np.concatenate(grads)


@dataclass
class Landscape:
    """The verdict over a grid on a plane (row j is b[j], column i is a[i]) and arrows on every `step`-th point."""

    plane: Plane
    a: np.ndarray  # (na,)
    b: np.ndarray  # (nb,)
    verdict: np.ndarray  # (nb, na)
    arrow_ij: np.ndarray  # (k, 2): the (row j, column i) of each arrow's grid point
    grad: np.ndarray  # (k, 2): d verdict / d(a, b) there
    images: torch.Tensor  # (nb * na, C, H, W), row-major like `verdict`

    def as_dict(self) -> dict:
        """The JSON the CLI writes: a, b, verdict (rows: b), z0, u, v, and the arrows."""
        j, i = self.arrow_ij.T
        arrows = {"a": self.a[i].tolist(), "b": self.b[j].tolist(), "d_a": self.grad[:, 0].tolist(),
                  "d_b": self.grad[:, 1].tolist()}
        return {"a": self.a.tolist(), "b": self.b.tolist(), "verdict": self.verdict.tolist(),
                "z0": self.plane.z0.tolist(), "u": self.plane.u.tolist(), "v": self.plane.v.tolist(),
                "u_name": self.plane.u_name, "v_name": self.plane.v_name, "arrows": arrows, "marks": self.plane.marks}


def grid_axis(grid: int, extent: float = EXTENT) -> np.ndarray:
    """grid points from -extent to +extent; refuses a grid of fewer than 2 or more than MAX_GRID points a side."""
    if not 2 <= grid <= MAX_GRID:
        raise ConfigError(f"--grid must be from 2 to {MAX_GRID} points per side, got {grid}")
    if not 0 < extent <= 100:
        raise ConfigError(f"--extent must be above 0 and at most 100 sd, got {extent}")
    return np.linspace(-extent, extent, grid)


@torch.inference_mode()
def verdict_grid(model, z: torch.Tensor, *, batch_size: int = 300) -> tuple[np.ndarray, torch.Tensor]:
    """(verdict (N,), images (N, C, H, W)) for z (N, nz): one G and one D pass per batch, no graph."""
    _check_model(model)
    verdict, weight = model.verdict(), next(model.G.parameters())
    values, images = [], []
    for chunk in z.to(weight.dtype).split(batch_size):
        x = model.G(chunk.to(weight.device))
        values.append(verdict_torch(verdict, model.D, x).numpy())
        images.append(x.cpu())
    return np.concatenate(values), torch.cat(images)


def landscape(model, plane: Plane, *, grid: int = 30, extent: float | None = None, step: int = 3) -> Landscape:
    """The verdict at grid x grid points of the plane (+-extent, default plane.extent()), and its gradient in (a, b)
    at every `step`-th point."""
    extent = plane.extent() if extent is None else extent
    a, b = grid_axis(grid, extent), grid_axis(grid, extent)
    bb, aa = np.meshgrid(b, a, indexing="ij")  # (nb, na): row j is b[j]
    z = plane.points(torch.from_numpy(aa.ravel()).float(), torch.from_numpy(bb.ravel()).float())
    values, images = verdict_grid(model, z)
    centre = np.arange(grid)[(step // 2)::step]  # arrow rows and columns, away from the edges
    arrow_ij = np.stack(np.meshgrid(centre, centre, indexing="ij"), -1).reshape(-1, 2)
    _, grad_z = verdict_and_gradient(model, z[arrow_ij[:, 0] * grid + arrow_ij[:, 1]])
    basis = torch.stack([plane.u, plane.v], 1).double().numpy()  # (nz, 2): the chain rule dz/d(a, b)
    return Landscape(plane, a, b, values.reshape(grid, grid), arrow_ij, grad_z @ basis, images)


def more_real(model, z: torch.Tensor) -> Direction:
    """The direction in full z along which the verdict of G(z) rises fastest (its normalised gradient).

    Where the verdict is clamped at its floor (the image looks less real than every real image) it has no slope, and
    the direction follows its unclamped stand-in (verdict_torch's `smooth`): D's weaker reading rising."""
    _, grad = verdict_and_gradient(model, z.reshape(1, -1))
    norm = float(np.linalg.norm(grad[0]))
    if norm < 1e-12:
        _, grad = verdict_and_gradient(model, z.reshape(1, -1), smooth=True)
        norm = float(np.linalg.norm(grad[0]))
    if norm < 1e-12:
        raise DcganError("the verdict and D's readings are flat at this z, so it points nowhere: "
                         "move z a little and try again")
    return Direction("more real", torch.from_numpy(grad[0] / norm).float())
