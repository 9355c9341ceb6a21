"""Has G memorised its training images? A near-copy check whose threshold is calibrated, not guessed.

Plain pixel distance only catches exact copies: a training digit moved by 2 px or drawn a pixel
thicker is as far from its original as another writer's digit. So the distance used here is the
smallest RMS pixel distance (per pixel, [-1, 1] units) over
1. shifts of the query by up to `SHIFT` pixels in each direction, and
2. the query as it is, with strokes thinned (3x3 minimum) and thickened (3x3 maximum),
to the nearest reference (training) image. The near-copy threshold is the distance under which only
`FALSE_POSITIVE_TARGET` of real images kept out of the reference fall (held-out images that the data set
itself holds twice are set aside and counted); its hit rate is measured on perturbed copies of reference
images (noise, shifts, thickening, thinning), its false-positive rate on other held-out images.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

SHIFT = 2
FALSE_POSITIVE_TARGET = 0.02
CANDIDATES = 128  # reference images per query that the shift and width search compares exactly
DUPLICATE = 1e-3  # distances below this are the same image twice in the data, not a neighbour


def shifted(images: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Images moved by (dy, dx) pixels, the uncovered border filled by repeating the edge (the background)."""
    h, w = images.shape[-2:]
    padded = F.pad(images.float(), (abs(dx), abs(dx), abs(dy), abs(dy)), mode="replicate")
    top, left = abs(dy) - dy, abs(dx) - dx
    return padded[..., top:top + h, left:left + w]


def thickened(images: torch.Tensor) -> torch.Tensor:
    return F.max_pool2d(images, 3, 1, 1)


def thinned(images: torch.Tensor) -> torch.Tensor:
    return -F.max_pool2d(-images, 3, 1, 1)


def comparable(images: torch.Tensor, size: int = 32) -> torch.Tensor:
    """Images above `size` px are average-pooled down to it: a near copy stays one, and the search stays fast."""
    factor = images.shape[-1] // size
    return F.avg_pool2d(images.float(), factor) if factor > 1 else images.float()


def nearest_distances(queries: torch.Tensor, reference: torch.Tensor, *, exclude_self: bool = False) -> np.ndarray:
    """Per query, the plain L2 pixel distance (RMS per pixel, [-1, 1] units) to its nearest reference image."""
    from sklearn.neighbors import NearestNeighbors

    q, r = queries.flatten(1).numpy(), reference.flatten(1).numpy()
    dist, _ = NearestNeighbors(n_neighbors=2 if exclude_self else 1).fit(r).kneighbors(q)
    return dist[:, -1] / np.sqrt(q.shape[1])


def _variants(q: torch.Tensor, shift: int) -> torch.Tensor:
    """(n, V, D): every query as it is, thinned and thickened, each moved by every (dy, dx) within `shift`."""
    moves = [(dy, dx) for dy in range(-shift, shift + 1) for dx in range(-shift, shift + 1)]
    return torch.stack([shifted(v, dy, dx).flatten(1) for v in (q, thinned(q), thickened(q)) for dy, dx in moves], 1)


@torch.no_grad()
def copy_distance(queries: torch.Tensor, reference: torch.Tensor, *, shift: int = SHIFT, candidates: int = CANDIDATES,
                  chunk: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """(distance (N,), index of the nearest reference image (N,)): the tolerant distance of the module docstring.

    Shifts and stroke widths are tried only against each query's `candidates` nearest reference images at quarter
    resolution (where a 2 px shift or a thicker stroke moves an image little), so a few queries cost milliseconds.
    Every variant is compared with every candidate in one batched product (|a - b|^2 = |a|^2 + |b|^2 - 2 a.b); the
    winning pair's distance is then computed directly, so no rounding of the expansion reaches the result.
    """
    queries, reference = comparable(queries), comparable(reference)
    ref = reference.flatten(1)
    coarse_ref = F.avg_pool2d(reference, 4).flatten(1)
    k = min(candidates, len(ref))
    dists, index = [], []
    for q in queries.split(chunk):
        shortlist = torch.cdist(F.avg_pool2d(q, 4).flatten(1), coarse_ref).topk(k, largest=False).indices  # (n, k)
        pool = ref[shortlist]  # (n, k, D)
        variants = _variants(q, shift)  # (n, V, D)
        squared = (pool.square().sum(-1)[:, :, None] + variants.square().sum(-1)[:, None, :]
                   - 2 * torch.bmm(pool, variants.transpose(1, 2)))  # (n, k, V)
        best = squared.flatten(1).argmin(1)  # the nearest (candidate, variant) pair of each query
        j, v = best // variants.shape[1], best % variants.shape[1]
        rows = torch.arange(len(q))
        d = (variants[rows, v] - pool[rows, j]).square().sum(-1)
        dists.append(d.sqrt() / np.sqrt(ref.shape[1]))
        index.append(shortlist[rows, j])
    return torch.cat(dists).numpy(), torch.cat(index).numpy()


def perturbed_copies(images: torch.Tensor, *, seed: int = 0) -> dict[str, torch.Tensor]:
    """Near copies of `images` that a memorisation check should flag, by kind of perturbation."""
    gen = torch.Generator().manual_seed(seed)
    return {
        "noise 0.1": (images + 0.1 * torch.randn(images.shape, generator=gen)).clamp(-1, 1),
        "shift 1 px": shifted(images, 1, -1),
        "shift 2 px": shifted(images, -2, 1),
        "thickened": thickened(images),
        "thinned": thinned(images),
    }


@dataclass(frozen=True)
class CopyCheck:
    """A calibrated near-copy threshold and how well it does (rates in [0, 1])."""

    threshold: float
    hit_rates: dict  # per perturbation kind: share of perturbed reference images flagged
    false_positive_rate: float  # share of held-out real images (not used for the threshold) flagged
    real_nn_median: float  # median distance of held-out real images to the reference
    held_out_duplicates: float = 0.0  # share of held-out images with an exact duplicate in the reference (set aside)

    def as_dict(self) -> dict:
        return asdict(self)


def calibrate_copy_check(reference: torch.Tensor, held_out: torch.Tensor, *, n_held: int = 600, n_copies: int = 100,
                         seed: int = 0, false_positive_target: float = FALSE_POSITIVE_TARGET) -> CopyCheck:
    """Threshold from half of (up to n_held of) `held_out`, real images not in `reference`; rates from the other
    half and from n_copies perturbed copies of reference images per kind of perturbation."""
    gen = torch.Generator().manual_seed(seed)
    held = held_out[torch.randperm(len(held_out), generator=gen)[:n_held]]
    half = len(held) // 2
    held_d, _ = copy_distance(held, reference)
    duplicate = held_d < DUPLICATE  # the data set holds this image twice (OpenMoji's identical variants, say)
    fit_d, test_d = held_d[:half][~duplicate[:half]], held_d[half:][~duplicate[half:]]
    threshold = float(np.quantile(fit_d, false_positive_target))
    sources = reference[torch.randperm(len(reference), generator=gen)[:n_copies]]
    hits = {kind: float((copy_distance(x, reference)[0] < threshold).mean())
            for kind, x in perturbed_copies(sources, seed=seed).items()}
    return CopyCheck(threshold, hits, float((test_d < threshold).mean()), float(np.median(np.r_[fit_d, test_d])),
                     float(duplicate.mean()))
