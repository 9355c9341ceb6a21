"""What every front end writes under an image: the verdict, and for digit models a second, independent reading.

The verdict (dcgan.verdict) is D's. The second reading does not use D at all: the shipped digit
classifier's label and confidence, and the distance to the nearest training image with a "near copy"
flag from the calibrated memorisation check (dcgan.memorisation). Captions are built here once, so
Streamlit and Gradio say the same thing.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .data import is_digit_model

VERDICT_HELP = ("realness: the share of real training images that look less real than this one, judged from D "
                "alone (its logit, and how close D's features come to real images'). A typical real image gets "
                "about 0.5; noise, blank images and an untrained G's output get 0.")


def verdict_help(model) -> str:
    """What the verdict means, with how well it tells this model's samples from real images (its ROC-AUC)."""
    if not model.has_verdict():
        return "No verdict for this model: it has no D, or no real data to calibrate the verdict on."
    verdict = model.verdict()
    if verdict.auc_generated is None:
        return VERDICT_HELP
    return (f"{VERDICT_HELP} For this model, real {verdict.data} images against its samples: ROC-AUC "
            f"{verdict.auc_generated:.2f} (1 = always told apart, 0.5 = chance).")


NO_VERDICT = "no verdict (no D, or no real data to calibrate on)"
# Short forms of caption phrases, for cells too narrow for the long ones (thumbnails); each page's text or help
# says what they stand for.
SHORT_FORMS = (("nearest training ", "nearest "), (NO_VERDICT, "no verdict"))


def verdict_caption(score: float) -> str:
    """The verdict as a short caption: 'realness 0.62', or why there is none."""
    if score is None or np.isnan(score):
        return NO_VERDICT
    return f"realness {score:.2f}"


def image_captions(model, images: torch.Tensor, readings: "list[DigitReading] | None" = None) -> list[str]:
    """One caption per image (float (N, C, H, W) in [-1, 1]): the verdict, then the digit reading if given."""
    scores = model.realness(images) if model.has_verdict() else np.full(len(images), np.nan)
    captions = [verdict_caption(s) for s in scores]
    if readings is not None:
        captions = [f"{c} · {r.caption()}" for c, r in zip(captions, readings)]
    return captions


@dataclass(frozen=True)
class DigitReading:
    """The classifier's reading of one image and its nearest training image."""

    label: str
    confidence: float
    nearest: int  # index into the training images
    distance: float  # tolerant RMS pixel distance, [-1, 1] units
    near_copy: bool

    def caption(self) -> str:
        copy = " · NEAR COPY" if self.near_copy else ""
        return f"reads {self.label} ({100 * self.confidence:.0f}%) · nearest training {self.distance:.2f}{copy}"


class DigitReader:
    """Reads digit images with the shipped classifier and finds their nearest training image.

    `training` is the model's training data (an ImageData of digits at the model's size); the near-copy
    threshold is calibrated on it once (a few seconds) when the reader is made.
    """

    def __init__(self, training, *, seed: int = 0):
        from .metrics import copy_check, load_classifier

        self.classifier = load_classifier()
        self.check, self.images = copy_check(training, seed=seed)
        self.classes = training.classes or tuple(str(i) for i in range(10))

    @torch.no_grad()
    def read(self, images: torch.Tensor) -> list[DigitReading]:
        """One reading per image (float (N, 1, H, W) in [-1, 1])."""
        from .memorisation import copy_distance

        probs = torch.softmax(self.classifier(images.float()), 1)
        conf, label = probs.max(1)
        dist, nearest = copy_distance(images, self.images)
        return [DigitReading(self.classes[int(k)], float(c), int(i), float(d), bool(d < self.check.threshold))
                for k, c, i, d in zip(label, conf, nearest, dist)]


def applies(config, data_name: str) -> bool:
    """Whether the digit reading fits: a one-channel model compared with a digit data set."""
    return is_digit_model(config, data_name)
