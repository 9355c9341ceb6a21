"""Style directions that keep the digit's class: a closed-form trade-off between style and class, first order in z.

A boundary normal in z (InterFaceGAN) with the class boundaries' normals projected out kept the class no better
than a random direction on the bundled model (73% vs 75% at +-2 sd): the class depends on z through G and the
classifier far less linearly than a logistic fit in z can see. So the built-in style directions are taken from
the gradients themselves. For a step dz, to first order, the style changes by g . dz and the classifier's
log-probabilities by J dz, with g and J averaged over samples. The unit step that maximises
g . n - 1/2 * mean |J n|^2 - lambda/2 * |n|^2 is n proportional to (M + lambda I)^-1 g, M = mean(J^T J): it moves
the style along what the classifier is least sensitive to. lambda trades class for style; PENALTY was chosen on
validation samples (seed 4242), apart from those the cards and tests measure.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .style import STYLES, ink, slant, width

STYLE_FNS = {"ink": ink, "slant": slant, "width": width}
PENALTY = 0.03  # lambda as a share of M's mean eigenvalue; 0.1 moves ~1.5x more style and keeps ~6 points fewer


@dataclass(frozen=True)
class Sensitivity:
    """What a small step in z changes, averaged over samples."""

    gram: torch.Tensor  # (nz, nz): M = mean J^T J, J = d(class log-probs, centred over classes)/dz, (K, nz) a sample
    gradients: dict  # style -> (nz,): mean d(style / its sd within the sample's class)/dz


def class_sd(values: torch.Tensor, classes: torch.Tensor, k: int) -> torch.Tensor:
    """(k,) standard deviation of values within each class; 1 where a class has fewer than 3 samples."""
    sd = torch.ones(k)
    for c in range(k):
        m = classes == c
        if m.sum() > 2:
            sd[c] = values[m].std().clamp_min(1e-8)
    return sd


def _grad(total: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    return torch.autograd.grad(total, z, retain_graph=True)[0]


def sensitivity(G: torch.nn.Module, classifier, samples, *, n: int = 1000, batch_size: int = 250) -> Sensitivity:
    """M and the style gradients on the first n of `samples` (a directions.LabelledSamples), through G by autograd.

    Samples are independent in eval mode, so the gradient of a sum over the batch is every sample's gradient."""
    z, classes, k = samples.z[:n], samples.classes[:n], samples.probs.shape[1]
    sd = {s: class_sd(samples.style[s], samples.classes, k) for s in STYLES}
    gram, grads = torch.zeros(z.shape[1], z.shape[1], dtype=torch.float64), {s: 0.0 for s in STYLES}
    device = next(G.parameters()).device
    with torch.enable_grad():
        for chunk, cls in zip(z.split(batch_size), classes.split(batch_size)):
            zz = chunk.to(device).clone().requires_grad_(True)
            images = G(zz).cpu()  # (B, C, H, W)
            logp = torch.log_softmax(classifier(images), 1)  # (B, K)
            rows = torch.stack([_grad(logp[:, c].sum(), zz) for c in range(k)], 1).double().cpu()  # (B, K, nz)
            rows = rows - rows.mean(1, keepdim=True)  # a shift shared by all classes changes no decision
            gram += torch.einsum("bki,bkj->ij", rows, rows)
            for s in STYLES:
                grads[s] = grads[s] + _grad((STYLE_FNS[s](images) / sd[s][cls]).sum(), zz).double().cpu().sum(0)
    return Sensitivity(gram / len(z), {s: g / len(z) for s, g in grads.items()})


def keeping_direction(sens: Sensitivity, style: str, *, penalty: float = PENALTY) -> torch.Tensor:
    """The unit vector (nz,) proportional to (M + lambda I)^-1 g, lambda = penalty * trace(M) / nz.

    penalty -> infinity gives the plain style gradient (moves the style most, the class too); penalty -> 0 the
    step the classifier is least sensitive to (keeps the class, moves little)."""
    M = sens.gram
    lam = penalty * float(torch.trace(M)) / M.shape[0]
    n = torch.linalg.solve(M + lam * torch.eye(M.shape[0], dtype=M.dtype), sens.gradients[style])
    return (n / n.norm()).float()
