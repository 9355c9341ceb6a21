"""Directions in z that mean something: closed-form (SeFa), conditional (InterFaceGAN), and the built-in ones.

- SeFa (Shen & Zhou 2021): the directions that G's first layer stretches most are the top eigenvectors of
  W^T W, W being that layer's weight as a matrix from z; no sampling needed.
- InterFaceGAN (Shen et al. 2020): label samples, fit a linear boundary in z; its unit normal moves the
  label. Projecting other normals out of it (their "conditional manipulation") moves one attribute and
  leaves the others, such as the digit's class, where they were.

Every function returns `dcgan.latent.Direction`s, so sliders, report cards and files treat them alike.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .errors import ConfigError
from .latent import Direction, generate, pca_directions, sample_z
from .style import STYLES, measure_style

METHODS = ("pca", "sefa", "class", "style")
STYLE_NAMES = {"ink": "thickness (ink)", "slant": "slant", "width": "width"}


# -- SeFa -----------------------------------------------------------------------------------------
def first_layer_matrix(G: torch.nn.Module) -> torch.Tensor:
    """G's first layer as a matrix A (C*4*4, nz): z -> the 4x4 map before BatchNorm, A @ z."""
    weight = G.main[0].weight.detach().cpu().double()  # ConvTranspose2d: (nz, C, 4, 4)
    return weight.reshape(weight.shape[0], -1).T


def sefa_directions(G: torch.nn.Module, *, k: int = 8) -> tuple[list[Direction], np.ndarray]:
    """The top-k SeFa directions and the whole eigenvalue spectrum of A^T A (nz,), largest first.

    1. A = first-layer weight as a (C*16, nz) matrix (no sampling, milliseconds);
    2. eigen-decompose A^T A: eigenvector i is the unit z direction that the layer stretches by sqrt(eigenvalue i);
    3. an eigenvector's sign is arbitrary: we make its largest coordinate positive, so runs agree.
    """
    from threadpoolctl import threadpool_limits

    A = first_layer_matrix(G)
    with threadpool_limits(1):  # a 100x100 problem: one thread avoids fighting torch's spinning workers (ms, not 0.5 s)
        values, vectors = np.linalg.eigh((A.T @ A).numpy())  # ascending
    values, vectors = torch.from_numpy(values[::-1].copy()), torch.from_numpy(vectors[:, ::-1].copy())
    directions = []
    for i in range(min(k, A.shape[1])):
        v = vectors[:, i]
        v = v * torch.sign(v[v.abs().argmax()])
        directions.append(Direction(f"SeFa{i + 1}", v.float()))
    return directions, values.clamp_min(0).numpy()


def cosine_matrix(a: list[Direction], b: list[Direction]) -> np.ndarray:
    """|cos| between every direction of a and every one of b (len a, len b): 1 = the same axis, 0 = orthogonal.

    Absolute, because eigen- and PCA directions have no natural sign."""
    va = torch.stack([d.vector for d in a]).double()
    vb = torch.stack([d.vector for d in b]).double()
    va, vb = va / va.norm(dim=1, keepdim=True), vb / vb.norm(dim=1, keepdim=True)
    return (va @ vb.T).abs().numpy()


# -- InterFaceGAN ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class LabelledSamples:
    """Samples z (N, nz) with the classifier's class probabilities (N, K) and their style measures."""

    z: torch.Tensor
    probs: torch.Tensor
    style: dict

    @property
    def classes(self) -> torch.Tensor:
        return self.probs.argmax(1)


@torch.no_grad()
def label_samples(G: torch.nn.Module, classifier, *, n: int = 3000, seed: int = 0,
                  batch_size: int = 256) -> LabelledSamples:
    """n samples from `seed`, labelled by `classifier` and measured by dcgan.style, in batches."""
    z = sample_z(n, G.config.nz, seed=seed)
    probs, style = [], {s: [] for s in STYLES}
    for chunk in z.split(batch_size):
        images = generate(G, chunk)
        probs.append(torch.softmax(classifier(images), 1))
        for name, values in measure_style(images).items():
            style[name].append(values)
    return LabelledSamples(z, torch.cat(probs), {s: torch.cat(v) for s, v in style.items()})


def project_out(vector: torch.Tensor, others: torch.Tensor) -> torch.Tensor:
    """The unit part of `vector` (nz,) orthogonal to every row of `others` (m, nz) (InterFaceGAN sec. 2.3)."""
    basis, _ = torch.linalg.qr(others.double().T)  # (nz, m): orthonormal basis of their span
    v = vector.double()
    v = v - basis @ (basis.T @ v)
    if v.norm() < 1e-6:
        raise ConfigError("nothing is left of the direction once the others are projected out: it lies in their span")
    return (v / v.norm()).float()


def boundary_normal(z: torch.Tensor, positive: torch.Tensor, *, seed: int = 0) -> tuple[torch.Tensor, float]:
    """Unit normal (nz,) of a linear SVM separating z[positive] from z[~positive], pointing to the positives,
    and its accuracy on a held-out fifth of the samples."""
    from sklearn.model_selection import train_test_split
    from sklearn.svm import LinearSVC

    X, y = z.numpy(), positive.numpy().astype(int)
    fit_x, test_x, fit_y, test_y = train_test_split(X, y, test_size=0.2, random_state=seed, stratify=y)
    svm = LinearSVC(C=0.1, max_iter=20000).fit(fit_x, fit_y)
    normal = torch.from_numpy(svm.coef_[0]).float()
    return normal / normal.norm(), float(svm.score(test_x, test_y))


def class_normals(samples: LabelledSamples, *, seed: int = 0) -> torch.Tensor:
    """(K, nz): normal of each class's boundary in z, from a multinomial logistic regression on the labels.

    Rows are centred (softmax ignores a shift shared by all classes), so their span holds only what
    tells classes apart."""
    from sklearn.linear_model import LogisticRegression

    if len(samples.classes.unique()) < 2:
        raise ConfigError("the classifier sees one class in every sample: class and style directions need a G "
                          "that draws several digits")
    fit = LogisticRegression(C=1.0, max_iter=2000, random_state=seed).fit(samples.z.numpy(), samples.classes.numpy())
    coef = torch.from_numpy(fit.coef_).float()
    full = torch.zeros(samples.probs.shape[1], coef.shape[1])
    full[torch.from_numpy(fit.classes_)] = coef - coef.mean(0)
    return full


def class_directions(samples: LabelledSamples, names: tuple[str, ...], *, seed: int = 0) -> list[Direction]:
    """One direction per class: the unit normal of its logistic boundary, pointing into the class."""
    normals = class_normals(samples, seed=seed)
    return [Direction(f"class {name}", n / n.norm()) for name, n in zip(names, normals) if n.norm() > 0]


def within_class_score(values: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """values standardised inside each class (N,): 'thick for a 1' and 'thick for an 8' score alike."""
    out = torch.zeros_like(values)
    for c in classes.unique():
        m = classes == c
        out[m] = (values[m] - values[m].mean()) / values[m].std().clamp_min(1e-8) if m.sum() > 1 else 0.0
    return out


def style_direction(samples: LabelledSamples, style: str, *, fraction: float = 0.3, keep_class: bool = True,
                    remove: torch.Tensor | None = None, seed: int = 0) -> tuple[Direction, float]:
    """An InterFaceGAN direction for a style measure, and its boundary's held-out accuracy.

    1. score each sample by the measure, standardised within its class (so the extremes are not one digit);
    2. fit a linear SVM between the top and bottom `fraction` of scores;
    3. with keep_class, project every class normal out of its normal: moving along it leaves the
       class scores of the logistic boundaries unchanged; `remove` (m, nz) projects out any other directions.
    """
    if style not in STYLES:
        raise ConfigError(f"unknown style {style!r}: choose one of {', '.join(STYLES)}")
    score = within_class_score(samples.style[style], samples.classes)
    lo, hi = score.quantile(fraction), score.quantile(1 - fraction)
    keep = (score <= lo) | (score >= hi)
    normal, accuracy = boundary_normal(samples.z[keep], score[keep] >= hi, seed=seed)
    others = [class_normals(samples, seed=seed)] if keep_class else []
    others += [remove] if remove is not None else []
    if others:
        normal = project_out(normal, torch.cat(others))
    return Direction(STYLE_NAMES[style], normal), accuracy


def style_directions(samples: LabelledSamples, *, G: torch.nn.Module, classifier, n_gradients: int = 1000,
                     penalty: float | None = None) -> list[Direction]:
    """Thickness (ink), slant and width that keep the class: the closed-form trade-off of dcgan.class_keeping.

    Measured on the bundled model it keeps classes clearly better than the boundary normals of style_direction
    with the class normals projected out (which kept them no better than a random direction)."""
    from .class_keeping import PENALTY, keeping_direction, sensitivity

    sens = sensitivity(G, classifier, samples, n=n_gradients)
    lam = PENALTY if penalty is None else penalty
    return [Direction(STYLE_NAMES[s], keeping_direction(sens, s, penalty=lam)) for s in STYLES]


# -- the built-in sets, by name ----------------------------------------------------------------------
def check_method(method: str) -> str:
    if method not in METHODS:
        raise ConfigError(f"unknown direction method {method!r}: choose one of {', '.join(METHODS)}")
    return method


def builtin_file(checkpoint, method: str):
    """Where the measured built-in directions of a checkpoint live: CKPT.directions/METHOD.npz beside it."""
    from pathlib import Path

    path = Path(checkpoint)
    return path.with_name(f"{path.stem}.directions") / f"{check_method(method)}.npz"


def builtin_directions(model, method: str, *, k: int = 8, n: int = 3000, seed: int = 0,
                       classifier=None) -> list[Direction]:
    """The named set of directions for a model: pca (GANSpace), sefa, class or style (digit models only)."""
    check_method(method)
    if method == "pca":
        return pca_directions(model.G, k=k, n_samples=2000, seed=seed)
    if method == "sefa":
        return sefa_directions(model.G, k=k)[0]
    if classifier is None:
        raise ConfigError(f"{method} directions need a digit model (one channel, trained on MNIST): "
                          "this model has no classifier to label its samples")
    samples = label_samples(model.G, classifier, n=n, seed=seed)
    if method == "class":
        return class_directions(samples, tuple(str(i) for i in range(samples.probs.shape[1])), seed=seed)
    return style_directions(samples, G=model.G, classifier=classifier)
