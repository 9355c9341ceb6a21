"""Does vector arithmetic mean anything here? Groups picked by measurement, and the result checked.

The paper's 'smiling woman - neutral woman + neutral man' works when A and B differ in one attribute and
C shares B's value of it. For digits we pick such groups by measurement (the classifier's class, and ink,
slant or width from dcgan.style) and check the outcome over the noisy family against a fair baseline:
the same noise around mean(C) alone.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .errors import ConfigError
from .latent import arithmetic, generate
from .style import measure_style


def example_groups(samples, *, style: str = "ink", a_class: int = 3, c_class: int = 7, k: int = 4,
                   min_confidence: float = 0.9) -> tuple[list[int], list[int], list[int]]:
    """Indices into `samples` (dcgan.directions.LabelledSamples) for 'much style a - little style a + little style c'.

    A: the k confidently-a_class samples with most `style`, B: the k with least, C: the k confidently-c_class
    samples with least. With style='ink': thick 3 - thin 3 + thin 7, which should give a thick 7."""
    confident = samples.probs.max(1).values >= min_confidence
    pick = lambda c: torch.nonzero(confident & (samples.classes == c)).flatten()  # noqa: E731
    a_pool, c_pool = pick(a_class), pick(c_class)
    if len(a_pool) < 2 * k or len(c_pool) < k:
        raise ConfigError(f"too few confident {a_class}s or {c_class}s among the samples: use more samples")
    order_a = a_pool[samples.style[style][a_pool].argsort()]
    order_c = c_pool[samples.style[style][c_pool].argsort()]
    return order_a[-k:].tolist(), order_a[:k].tolist(), order_c[:k].tolist()


@dataclass(frozen=True)
class ArithmeticOutcome:
    """Over the family: share in C's class, and share that moved the way A - B does, against mean(C) + noise."""

    c_class: int | None  # the commonest class among C's samples
    keeps_class: float | None  # share of the family classified as c_class
    baseline_keeps_class: float | None  # the same for mean(C) + the same noise
    style: str  # the measure in which A and B differ most (in sd of that measure among all samples)
    style_gap: float  # mean(A) - mean(B) in that measure, in sd
    takes_style: float  # share of family members whose measure differs from their C-only twin with A - B's sign


@torch.no_grad()
def check_arithmetic(G, classifier, z_a, z_b, z_c, *, style_sd: dict, n_family: int = 32, noise: float = 0.25,
                     seed: int = 0) -> ArithmeticOutcome:
    """Measure mean(A) - mean(B) + mean(C) over a noisy family (see the module docstring)."""
    result, family = arithmetic(z_a, z_b, z_c, n_family=n_family, noise=noise, seed=seed)
    twins = family - result + z_c.reshape(-1, z_c.shape[-1]).mean(0)  # the same noise around mean(C)
    images = generate(G, torch.cat([z_a, z_b, z_c, family, twins]))
    na, nb, nc = len(z_a), len(z_b), len(z_c)
    styles = measure_style(images)
    gaps = {k: float((v[:na].mean() - v[na:na + nb].mean()) / style_sd[k]) for k, v in styles.items()}
    style = max(gaps, key=lambda k: abs(gaps[k]))
    start = na + nb + nc
    fam, twin = slice(start, start + n_family), slice(start + n_family, None)
    sign = 1.0 if gaps[style] >= 0 else -1.0
    takes = float(((styles[style][fam] - styles[style][twin]) * sign > 0).float().mean())
    if classifier is None:
        return ArithmeticOutcome(None, None, None, style, gaps[style], takes)
    classes = classifier(images).argmax(1)
    c_class = int(classes[na + nb:start].mode().values)
    return ArithmeticOutcome(c_class, float((classes[fam] == c_class).float().mean()),
                             float((classes[twin] == c_class).float().mean()), style, gaps[style], takes)
