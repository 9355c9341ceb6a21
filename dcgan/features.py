"""What D has learned, read off its activations: pooled features, a linear probe, top examples.

The paper (section 5.1) uses D as a feature extractor: every layer's activations max-pooled to
a 4x4 grid and concatenated, then a linear L2-SVM. If D's features separate classes better than
raw pixels and better than an untrained D of the same shape, training taught it something.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .models import Discriminator


@torch.no_grad()
def d_features(D: Discriminator, images: torch.Tensor, *, grid: int = 4, batch_size: int = 500) -> np.ndarray:
    """Each D stage's activations max-pooled to grid x grid and concatenated: (N, sum_i C_i * grid^2) float32."""
    device = next(D.parameters()).device
    out = []
    for chunk in images.split(batch_size):
        acts = D.activations(chunk.to(device))
        out.append(torch.cat([F.adaptive_max_pool2d(a, grid).flatten(1) for a in acts], 1).float().cpu())
    return torch.cat(out).numpy()


@torch.no_grad()
def channel_means(D: Discriminator, images: torch.Tensor, layer: int, *, batch_size: int = 500) -> torch.Tensor:
    """Mean activation of every channel of stage `layer` (1-based) per image: (N, C)."""
    device = next(D.parameters()).device
    return torch.cat([D.activations(c.to(device), upto=layer)[-1].mean((2, 3)).cpu() for c in images.split(batch_size)])


def top_examples(D: Discriminator, images: torch.Tensor, layer: int, channels, *, k: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    """The k images that excite each chosen channel most: (indices, mean activations), each (len(channels), k)."""
    means = channel_means(D, images, layer)[:, list(channels)]  # (N, C_sel)
    values, indices = means.t().topk(min(k, len(images)), dim=1)
    return indices, values


@dataclass(frozen=True)
class ProbeResult:
    """Held-out accuracies of the same linear probe on three feature sets, with the chosen C for each."""

    d_features: float
    raw_pixels: float
    random_d: float
    C: dict
    n_train: int
    n_test: int

    def as_percentages(self) -> dict:
        return {k: round(100 * getattr(self, k), 2) for k in ("d_features", "raw_pixels", "random_d")}


def _fit_probe(train_x, train_y, val_x, val_y, test_x, test_y, Cs) -> tuple[float, float]:
    """LinearSVC (an L2-SVM, as in the paper); C picked on the validation split, scored on the test split."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    best = None
    for C in Cs:
        with warnings.catch_warnings():  # the largest C may stop at max_iter; its validation score still counts
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = LinearSVC(C=C, tol=1e-3, max_iter=2000).fit(train_x, train_y)
        score = clf.score(val_x, val_y)
        if best is None or score > best[0]:
            best = (score, C, clf)
    return float(best[2].score(test_x, test_y)), best[1]


def linear_probe(model, data, *, n: int = 5000, seed: int = 0, Cs=(1e-4, 1e-3, 1e-2)) -> ProbeResult:
    """The paper's representation test: a linear SVM on D features vs raw pixels vs an untrained D.

    A stratified 60/20/20 train/validation/test split of up to n labelled images, the same for
    all three feature sets. C is searched over the paper's range (1e-4 to 1e-2).
    """
    from sklearn.model_selection import train_test_split

    if data.labels is None:
        raise ValueError(f"data set {data.name!r} has no labels: the probe needs a labelled data set")
    labels = data.labels.numpy()
    idx = np.arange(len(labels))
    if n < len(idx):
        idx, _ = train_test_split(idx, train_size=n, stratify=labels, random_state=seed)
    train, rest = train_test_split(idx, train_size=0.6, stratify=labels[idx], random_state=seed)
    val, test = train_test_split(rest, train_size=0.5, stratify=labels[rest], random_state=seed)
    images = data.as_float()
    torch.manual_seed(seed)
    random_D = Discriminator(model.config).eval()
    feature_sets = {
        "d_features": d_features(model.D, images[idx]),
        "raw_pixels": images[idx].flatten(1).numpy(),
        "random_d": d_features(random_D, images[idx]),
    }
    position = {j: i for i, j in enumerate(idx)}
    rows = [np.array([position[j] for j in part]) for part in (train, val, test)]
    scores, chosen = {}, {}
    for name, x in feature_sets.items():
        args = [a for r in rows for a in (x[r], labels[idx][r])]
        scores[name], chosen[name] = _fit_probe(*args, Cs=Cs)
    return ProbeResult(**scores, C=chosen, n_train=len(train), n_test=len(test))
