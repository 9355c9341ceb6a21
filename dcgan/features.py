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

from .errors import CheckpointError, ConfigError
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


def top_examples(D: Discriminator, images: torch.Tensor, layer: int, channels, *,
                 k: int = 6) -> tuple[torch.Tensor, torch.Tensor]:
    """The k images that excite each chosen channel most: (indices, mean activations), each (len(channels), k)."""
    means = channel_means(D, images, layer)[:, list(channels)]  # (N, C_sel)
    values, indices = means.t().topk(min(k, len(images)), dim=1)
    return indices, values


PENALTIES = tuple(10.0**p for p in range(-2, 7))  # ridge penalties searched, for every feature set alike
FEATURE_SETS = ("d_features", "raw_pixels", "random_d")


@dataclass(frozen=True)
class ProbeResult:
    """Held-out accuracies of the same linear probe on three feature sets, one per seed, with the penalties chosen."""

    accuracy: dict  # feature set -> [test accuracy per seed]
    penalty: dict  # feature set -> [chosen ridge penalty per seed]
    at_edge: tuple  # feature sets whose chosen penalty sat at an end of the searched grid
    n_train: int
    n_test: int
    seeds: tuple

    def mean(self, name: str) -> float:
        return float(np.mean(self.accuracy[name]))

    def spread(self, name: str) -> float:
        """Standard deviation over seeds (0 for one seed)."""
        return float(np.std(self.accuracy[name]))

    def as_percentages(self) -> dict:
        """{feature set: (mean %, standard deviation %)}"""
        return {k: (round(100 * self.mean(k), 2), round(100 * self.spread(k), 2)) for k in FEATURE_SETS}

    def summary(self) -> str:
        """The lines every front end prints: settings, caveats, and the edge warning."""
        lines = [f"Linear probe: {self.n_train} training / {self.n_test} test images, mean ± sd over {len(self.seeds)} "
                 f"seeds; features standardised; ridge penalty chosen on a validation split from "
                 f"{PENALTIES[0]:g} to {PENALTIES[-1]:g} for every feature set.",
                 "D saw these images (unlabelled) during GAN training; the untrained D saw nothing."]
        if self.at_edge:
            lines.append(f"Warning: the chosen penalty sat at the edge of the grid for {', '.join(self.at_edge)}; "
                         "a wider search might change its figure.")
        return "\n".join(lines)


def _fit_probe(x, labels, rows, penalties) -> tuple[float, float]:
    """Ridge (least-squares) linear classifier on standardised features; penalty picked on validation, scored on test.

    Least squares rather than the paper's L2-SVM: solved in closed form, so every feature set gets the same
    wide search in a second instead of minutes of unconverged SVM fits.
    """
    import warnings

    from sklearn.linear_model import RidgeClassifier
    from sklearn.preprocessing import StandardScaler

    train, val, test = rows
    scaler = StandardScaler().fit(x[train])
    xs = {name: scaler.transform(x[r]) for name, r in (("train", train), ("val", val), ("test", test))}
    best = None
    for alpha in penalties:
        with warnings.catch_warnings():  # tiny penalties on n < d features are ill-conditioned; validation decides
            warnings.simplefilter("ignore")
            clf = RidgeClassifier(alpha=alpha).fit(xs["train"], labels[train])
        score = clf.score(xs["val"], labels[val])
        if best is None or score > best[0]:
            best = (score, alpha, clf)
    return float(best[2].score(xs["test"], labels[test])), best[1]


def _splits(labels: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A stratified 60/20/20 train/validation/test split of up to n images (indices into the data)."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(labels))
    if n < len(idx):
        idx, _ = train_test_split(idx, train_size=n, stratify=labels, random_state=seed)
    train, rest = train_test_split(idx, train_size=0.6, stratify=labels[idx], random_state=seed)
    val, test = train_test_split(rest, train_size=0.5, stratify=labels[rest], random_state=seed)
    return train, val, test


def untrained_d(config, seed: int) -> Discriminator:
    """A freshly initialised D in eval mode, drawn from its own generator: torch's global RNG, which a server shares
    between sessions, is neither reseeded nor advanced."""
    from .models import init_weights

    with torch.device("meta"):
        D = Discriminator(config)  # shapes only: the constructor's own initialisation would draw from the global RNG
    D = D.to_empty(device="cpu")
    gen = torch.Generator().manual_seed(seed)
    D.apply(lambda m: init_weights(m, gen))
    return D.eval()


def linear_probe(model, data, *, n: int = 2000, seeds=(0, 1, 2), penalties=PENALTIES) -> ProbeResult:
    """The paper's representation test (sec. 5.1): a linear classifier on D features vs raw pixels vs an untrained D.

    Each seed draws its own stratified 60/20/20 split of up to n labelled images, the same for all three
    feature sets, and its own untrained D; each set's penalty is searched over the same wide grid.
    """
    if data.labels is None:
        raise ConfigError(f"data set {data.name!r} has no labels: the probe needs a labelled data set")
    if model.D is None:
        raise CheckpointError("this file has no discriminator: the probe needs D's features")
    labels, images = data.labels.numpy(), data.as_float()
    accuracy = {k: [] for k in FEATURE_SETS}
    penalty = {k: [] for k in FEATURE_SETS}
    trained, pixels = d_features(model.D, images), images.flatten(1).numpy()
    for seed in seeds:
        untrained = d_features(untrained_d(model.config, seed), images)
        rows = _splits(labels, n, seed)
        for name, x in zip(FEATURE_SETS, (trained, pixels, untrained)):
            acc, alpha = _fit_probe(x, labels, rows, penalties)
            accuracy[name].append(acc)
            penalty[name].append(alpha)
    edge = tuple(k for k in FEATURE_SETS if {penalties[0], penalties[-1]} & set(penalty[k]))
    return ProbeResult(accuracy, penalty, edge, len(rows[0]), len(rows[2]), tuple(seeds))
