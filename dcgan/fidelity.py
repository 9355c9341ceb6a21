"""Fidelity against diversity: improved precision and recall (Kynkäänniemi et al., 2019, arXiv 1904.06991).

One Fréchet distance mixes two failures: samples that look wrong (low precision) and samples that miss part
of the data (low recall). Each set's manifold is the union of balls around its points, each ball reaching the
point's k-th nearest neighbour (k = 3). Precision is the share of samples inside the real manifold, recall the
share of real images inside the generated one. The realism score of a sample is max over real images of
radius / distance: at least 1 inside the real manifold, near 0 far from it.

Features: the digit classifier's for digit models (as dcgan.metrics uses), D's pooled activations otherwise.
(dcgan.precision is about float precision; nothing to do with this.)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from .data import is_digit_model
from .errors import ConfigError
from .latent import generate, sample_z
from .truncation import truncated

K = 3  # the paper's choice of neighbours for the radii


def knn_radii(features: np.ndarray, *, k: int = K) -> np.ndarray:
    """Distance from each point to its k-th nearest other point: (N,). The balls that make a set's manifold."""
    from sklearn.neighbors import NearestNeighbors

    if len(features) <= k:
        raise ConfigError(f"precision and recall need more than k={k} images per set, got {len(features)}")
    distances, _ = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(features).kneighbors(features)
    return distances[:, -1].astype(np.float32)  # column 0 is the point itself


@torch.inference_mode()
def _ratio_max(queries: np.ndarray, centres: np.ndarray, radii: np.ndarray, *, chunk: int = 2048) -> np.ndarray:
    """max_j radius_j / |query - centre_j| for every query: (Q,). >= 1 means inside some ball."""
    c = torch.from_numpy(np.ascontiguousarray(centres, dtype=np.float32))
    r = torch.from_numpy(np.ascontiguousarray(radii, dtype=np.float32))
    out = []
    for q in torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float32)).split(chunk):
        d = torch.cdist(q, c)  # (chunk, M)
        out.append((r / d.clamp_min(1e-12)).max(1).values)
    return torch.cat(out).numpy()


def inside_share(queries: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> float:
    """Share of queries inside the union of balls (centre_j, radius_j)."""
    return float((_ratio_max(queries, centres, radii) >= 1.0).mean())


def realism(real: np.ndarray, fake: np.ndarray, *, k: int = K, radii: np.ndarray | None = None) -> np.ndarray:
    """Per-sample realism score (paper sec. 5): max_r radius_r / |fake - real_r| over the real images whose
    radius is at most the median, so outliers among the real images do not make wide, lenient balls. (N_fake,)
    `radii`: the real images' knn_radii, when the caller has them already."""
    radii = knn_radii(real, k=k) if radii is None else radii
    keep = radii <= np.median(radii)
    return _ratio_max(fake, real[keep], radii[keep])


@dataclass(frozen=True)
class PrecisionRecall:
    """Precision, recall and per-sample realism of one set of samples, in one feature space."""

    precision: float
    recall: float
    k: int
    n_real: int
    n_fake: int
    feature_space: str = ""
    truncation: float | None = None
    realism: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)

    def as_dict(self) -> dict:
        """JSON-able summary (realism as its median and the share of samples scoring at least 1)."""
        out = {k: v for k, v in asdict(self).items() if k != "realism"}
        out["realism_median"] = float(np.median(self.realism)) if len(self.realism) else None
        out["realism_at_least_1"] = float((self.realism >= 1).mean()) if len(self.realism) else None
        return out


def precision_recall(real: np.ndarray, fake: np.ndarray, *, k: int = K, **labels) -> PrecisionRecall:
    """Improved precision and recall of `fake` (N, F) against `real` (M, F) features (paper eq. 1-3)."""
    real, fake = np.asarray(real, dtype=np.float32), np.asarray(fake, dtype=np.float32)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ConfigError(f"feature sets must be (N, F) with the same F, got {real.shape} and {fake.shape}")
    r_real, r_fake = knn_radii(real, k=k), knn_radii(fake, k=k)
    return PrecisionRecall(precision=inside_share(fake, real, r_real), recall=inside_share(real, fake, r_fake),
                           k=k, n_real=len(real), n_fake=len(fake),
                           realism=realism(real, fake, k=k, radii=r_real), **labels)


# -- a model's feature space -------------------------------------------------------------------------------
def feature_space(model, data):
    """(features function images -> (N, F) numpy, name): the digit classifier's for a 1-channel model on a digit
    set, else D's stages max-pooled to 1x1 (as dcgan.metrics does for its Fréchet distance)."""
    from .features import d_features
    from .metrics import load_classifier

    if is_digit_model(model.config, data.name):
        clf = load_classifier()

        def classifier(images):
            with torch.inference_mode():
                return torch.cat([clf.features(c) for c in images.split(500)]).numpy()
        return classifier, "digit classifier"
    if model.D is None:
        raise ConfigError("precision and recall of a non-digit model need its D: use a checkpoint that includes D")
    return (lambda images: d_features(model.D, images, grid=1)), "discriminator"


def real_indices(data, n: int, *, seed: int = 0) -> torch.Tensor:
    """Indices of a fixed random subset of n real images, the same for every checkpoint compared."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randperm(len(data), generator=gen)[: min(n, len(data))]


def real_images(data, n: int, *, seed: int = 0) -> torch.Tensor:
    """The images of real_indices() as floats in [-1, 1]: (n, C, H, W)."""
    return data.as_float(real_indices(data, n, seed=seed))


def model_precision_recall(model, data, *, n: int = 5000, seed: int = 0, truncation: float | None = None,
                           k: int = K, real_features: np.ndarray | None = None) -> PrecisionRecall:
    """Precision and recall of n samples (z from `seed`, G truncated at `truncation`) against n real images."""
    fn, space = feature_space(model, data)
    if real_features is None:
        real_features = fn(real_images(data, n, seed=seed))
    z = sample_z(min(n, len(real_features)), model.config.nz, seed=seed)
    fake = generate(truncated(model.G, truncation), z)  # truncation in G's 8x8 features (dcgan.truncation)
    return precision_recall(real_features, fn(fake), k=k, feature_space=space, truncation=truncation)
