"""A per-image verdict of realness that one image gets alone, whatever batch it is scored in.

Why not D(x): a DCGAN's D trains on all-real or all-fake batches through BatchNorm, so in eval mode
its output on one image is no verdict (on the bundled MNIST model uniform noise scores 0.91 and real
digits 0.05). The verdict reads two per-image quantities off D in eval mode, which never mixes images:

1. D's own logit;
2. typicality: how close the image's D features (each stage's channels, max- and mean-pooled, each
   stage scaled to unit length so that every stage weighs the same) come to real images' features: the
   cosine distance to the 5th nearest of a bank of real images (Sun et al. 2022, "Out-of-distribution
   detection with deep nearest neighbors"). Why per stage: concatenated raw, the last and widest stage
   dominates, and a D trained with random shifts sees a blank image there as a faint real digit; its first
   stages, which see edges, do not.

Each becomes a percentile among real images kept out of the fit, and the verdict is the percentile,
among those same real images, of the smaller of the two. So the verdict reads: "the share of real
images that look less real than this one". A real image is uniform on [0, 1]; an image that D rejects,
or that sits outside real images' feature cloud (noise, blank, checkerboard), is near 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .errors import DcganError
from .models import Discriminator, Generator

K_NEIGHBOURS = 5  # typicality: distance to the 5th nearest real image
FEATURES = 2  # version of pooled_features a fitted verdict's bank holds (1: stages concatenated unscaled)


@torch.no_grad()
def pooled_features(D: Discriminator, images: torch.Tensor, *, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(features (N, 2 * sum C_i), logits (N,)) in float64: each stage's channels max- and mean-pooled, per stage
    scaled to unit length (see the module docstring)."""
    device = next(D.parameters()).device
    feats, logits = [], []
    for chunk in images.split(batch_size):
        x = chunk.to(device, torch.float32)
        acts = D.activations(x)
        feats.append(stage_features(acts).cpu())
        logits.append(D.main[-1](acts[-1]).flatten().float().cpu())  # D(x) from its last activation: one pass, not two
    return torch.cat(feats).double().numpy(), torch.cat(logits).double().numpy()


def stage_features(acts: list[torch.Tensor]) -> torch.Tensor:
    """(N, 2 * sum C_i) float64, differentiable: each stage's channels max- and mean-pooled, scaled to unit length per
    stage. The one definition the verdict's typicality reads (here and in dcgan.landscape's torch copy)."""
    pooled = [torch.cat([F.adaptive_max_pool2d(a, 1).flatten(1), a.mean((2, 3))], 1).double() for a in acts]
    return torch.cat([unit_length(f) for f in pooled], 1)


def unit_length(rows: torch.Tensor) -> torch.Tensor:
    """Each row scaled to unit length (a zero row stays zero); differentiable."""
    return rows / rows.norm(dim=1, keepdim=True).clamp_min(1e-12)


def _percentile(values: np.ndarray, reference_sorted: np.ndarray) -> np.ndarray:
    """Continuous share of reference values below each value, 0 under the smallest and 1 over the largest.

    Tied reference values share their mean rank, so the map has no jumps and a value that moves by a
    rounding error (another batch size, another backend) moves its percentile by as little.
    """
    xs, counts = np.unique(reference_sorted, return_counts=True)
    mean_rank = np.cumsum(counts) - (counts + 1) / 2  # 0-based
    return np.interp(values, xs, mean_rank / max(len(reference_sorted) - 1, 1), left=0.0, right=1.0)


def _unit_rows(feats) -> torch.Tensor:
    return unit_length(torch.as_tensor(feats, dtype=torch.float64))


class StaleVerdict(DcganError):
    """A verdict saved by an older version of the features: refitted where the data is at hand, else refused."""


@dataclass
class Verdict:
    """Fitted state of the verdict (see module docstring). Build with `fit_verdict`; score with `score`."""

    bank_: torch.Tensor  # (M, F) unit-length D features of the real images the typicality compares with
    logit_ref_: np.ndarray  # sorted D logits of the calibration images
    typical_ref_: np.ndarray  # sorted typicality of the calibration images
    combined_ref_: np.ndarray  # sorted min(percentiles) of the calibration images
    data: str = ""
    auc_generated: float | None = None  # ROC-AUC of the verdict, held-out real vs generated
    k: int = K_NEIGHBOURS
    bank_index_: np.ndarray | None = None  # which images of `data` formed the bank (not held out)

    def _typicality(self, feats: np.ndarray) -> np.ndarray:
        """Minus the cosine distance to the k-th nearest real image in D's feature space (Sun et al. 2022)."""
        # float64: a float32 product rounds differently for 1 row and for many, which would break batch independence
        similarity = _unit_rows(feats).double() @ self.bank_.double().t()  # (N, M)
        return similarity.topk(self.k, dim=1).values[:, -1].numpy() - 1.0

    def _combined(self, feats: np.ndarray, logits: np.ndarray) -> np.ndarray:
        return np.minimum(_percentile(logits, self.logit_ref_), _percentile(self._typicality(feats), self.typical_ref_))

    def score(self, D: Discriminator, images: torch.Tensor) -> np.ndarray:
        """The verdict per image, (N,) float64 in [0, 1]."""
        feats, logits = pooled_features(D, images)
        return _percentile(self._combined(feats, logits), self.combined_ref_)

    def state_dict(self) -> dict:
        """Tensors and plain values only, so it rides in a weights-only checkpoint (the bank in float16)."""
        refs = {k: torch.from_numpy(np.ascontiguousarray(getattr(self, k))) for k in ("logit_ref_", "typical_ref_",
                                                                                      "combined_ref_")}
        index = torch.from_numpy(np.asarray(self.bank_index_ if self.bank_index_ is not None else [], dtype=np.int64))
        return {"bank_": self.bank_.half(), **refs, "data": self.data, "auc_generated": self.auc_generated, "k": self.k,
                "bank_index_": index, "features": FEATURES}

    @classmethod
    def from_state(cls, state: dict) -> "Verdict":
        features = state.get("features", 1)  # files saved before the version was recorded hold version 1
        if not (isinstance(features, int) and features == FEATURES):
            raise StaleVerdict("the file's verdict was fitted on an older reading of D's features; recalibrate it "
                               "(python -m dcgan calibrate FILE --data DATA --out FILE)")
        try:
            refs = {k: state[k].double().numpy() for k in ("logit_ref_", "typical_ref_", "combined_ref_")}
            auc_generated = state.get("auc_generated")
            index = state.get("bank_index_")
            return cls(state["bank_"].float(), **refs, data=str(state.get("data", "")),
                       k=int(state.get("k", K_NEIGHBOURS)),
                       auc_generated=None if auc_generated is None else float(auc_generated),
                       bank_index_=None if index is None else index.numpy())
        except (KeyError, AttributeError, TypeError, ValueError) as err:
            raise DcganError(f"the file's verdict calibration is unreadable ({err}); recalibrate it") from None


def fit_verdict(D: Discriminator, real: torch.Tensor, *, generated: torch.Tensor | None = None, data: str = "",
                seed: int = 0, bank_size: int = 1500) -> Verdict:
    """Fit the verdict on real images in [-1, 1]: up to `bank_size` form the bank, the rest calibrate the percentiles.

    With `generated` images, also measures the verdict's real-vs-generated ROC-AUC on the calibration images.
    """
    if len(real) < 40:
        raise DcganError(f"the verdict needs at least 40 real images to calibrate on, got {len(real)}")
    order = torch.randperm(len(real), generator=torch.Generator().manual_seed(seed))
    n_bank = min(bank_size, len(real) // 2)
    bank_feats, _ = pooled_features(D, real[order[:n_bank]])
    cal_feats, cal_logits = pooled_features(D, real[order[n_bank:]])
    verdict = Verdict(_unit_rows(bank_feats).half().float(), np.sort(cal_logits), np.array([]), np.array([]), data=data,
                      bank_index_=order[:n_bank].numpy())
    verdict.typical_ref_ = np.sort(verdict._typicality(cal_feats))
    verdict.combined_ref_ = np.sort(verdict._combined(cal_feats, cal_logits))
    if generated is not None:
        real_scores = _percentile(verdict._combined(cal_feats, cal_logits), verdict.combined_ref_)
        verdict.auc_generated = auc(real_scores, verdict.score(D, generated))
    return verdict


def auc(real_scores: np.ndarray, other_scores: np.ndarray) -> float:
    """ROC-AUC of telling real from other by the score: 1 = every real image scores higher, 0.5 = chance."""
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.ones(len(real_scores)), np.zeros(len(other_scores))]
    return float(roc_auc_score(y, np.r_[real_scores, other_scores]))


def held_out(verdict: Verdict, n_images: int) -> np.ndarray:
    """Indices of a data set's images that were not in the verdict's bank (all of them if unknown)."""
    keep = np.ones(n_images, dtype=bool)
    if verdict.bank_index_ is not None:
        keep[verdict.bank_index_[verdict.bank_index_ < n_images]] = False
    return np.flatnonzero(keep)


def verdict_report(model, data, *, n: int = 500, seed: int = 0) -> dict[str, float]:
    """ROC-AUC of the verdict: held-out real images of `data` against generated samples and each known fake.

    1.0 means every real image scores above every image of the other kind; 0.5 is chance.
    """
    from .latent import generate, sample_z

    index = held_out(model.verdict(), len(data))
    index = index[torch.randperm(len(index), generator=torch.Generator().manual_seed(seed))[:n].numpy()]
    real = model.realness(data.as_float(torch.from_numpy(index)))
    others = {"generated": generate(model.G, sample_z(n, model.config.nz, seed=seed + 7)),
              **known_fakes(model.config, n=min(n, 200), seed=seed)}
    return {name: auc(real, model.realness(images)) for name, images in others.items()}


def known_fakes(config, *, n: int = 200, seed: int = 0) -> dict[str, torch.Tensor]:
    """Images whose answer is known to be 'not real', shaped like the model's: (n, C, H, W) in [-1, 1] each."""
    gen = torch.Generator().manual_seed(seed)
    shape = (n, config.channels, config.image_size, config.image_size)
    yy, xx = torch.meshgrid(torch.arange(config.image_size), torch.arange(config.image_size), indexing="ij")
    period = (torch.arange(n) % 3 + 1).view(n, 1, 1, 1) * 2  # squares of 2, 4 and 6 px
    board = (((yy // (period // 2)) + (xx // (period // 2))) % 2).float() * 2 - 1
    with torch.random.fork_rng(devices=[]), torch.no_grad():  # seeds the untrained G without touching the caller's RNG
        torch.manual_seed(seed)
        untrained_samples = Generator(config).eval()(torch.randn(n, config.nz, generator=gen))
    return {
        "uniform noise": torch.rand(shape, generator=gen) * 2 - 1,
        "Gaussian noise": (torch.randn(shape, generator=gen) * 0.5).clamp(-1, 1),
        "blank black": torch.full(shape, -1.0),
        "blank white": torch.full(shape, 1.0),
        "checkerboard": board.expand(shape).contiguous(),
        "untrained G": untrained_samples,
    }


def check_images(images, config) -> torch.Tensor:
    """The images as a float tensor, or a one-line error saying how they differ from what the model takes."""
    if not isinstance(images, torch.Tensor):
        images = torch.as_tensor(np.asarray(images))
    want = (config.channels, config.image_size, config.image_size)
    if images.dim() == 3:
        images = images[None]
    if images.dim() != 4 or tuple(images.shape[1:]) != want:
        raise DcganError(f"images must have shape (N, {want[0]}, {want[1]}, {want[2]}) for this model, "
                         f"got {tuple(images.shape)}")
    images = images.float()
    if not torch.isfinite(images).all():
        raise DcganError("images contain NaN or infinite values")
    return images


def _d_fingerprint(D: Discriminator) -> str:
    """A short hash of D's weights: the disk cache key of a verdict fitted for this exact D."""
    import hashlib

    h = hashlib.sha1()
    for name, tensor in sorted(D.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()[:16]


def _cache_path(D: Discriminator, data_name: str, n_images: int):
    import os
    from pathlib import Path

    from .config import CACHE_ROOT

    safe = "".join(c if c.isalnum() else "_" for c in data_name)[:40]
    name = f"{_d_fingerprint(D)}-{safe}-{n_images}-f{FEATURES}.pt"
    return Path(os.environ.get("DCGAN_CACHE", CACHE_ROOT)).expanduser() / "verdict" / name


def calibrate(model, data, *, n_generated: int = 1000, seed: int = 0) -> Verdict:
    """Fit `model`'s verdict on `data` (an ImageData of its size and channels), cached on disk by D's weights."""
    from .checkpoint import save_atomic
    from .latent import generate, sample_z

    if model.D is None:
        raise DcganError("this file has no discriminator, so there is no verdict: load a file with D")
    if tuple(data.images.shape[1:]) != (model.config.channels, model.config.image_size, model.config.image_size):
        raise DcganError(f"data {data.name!r} is {tuple(data.images.shape[1:])}, the model takes "
                         f"({model.config.channels}, {model.config.image_size}, {model.config.image_size})")
    path = _cache_path(model.D, data.name, len(data))
    if path.is_file():
        try:
            return Verdict.from_state(torch.load(path, map_location="cpu", weights_only=True))
        except Exception:  # a stale or broken cache entry is refitted below
            pass
    generated = generate(model.G, sample_z(n_generated, model.config.nz, seed=seed + 1))
    verdict = fit_verdict(model.D, data.as_float(), generated=generated, data=data.name, seed=seed)
    try:
        save_atomic(verdict.state_dict(), path)
    except OSError:  # a read-only cache only costs the refit next time
        pass
    return verdict


def model_verdict(model) -> Verdict:
    """The verdict the model carries (fitted when it was trained or bundled), else one fitted on its built-in data."""
    from .data import BUILTIN, load_data

    state = model.meta.get("verdict")
    if isinstance(state, dict):
        try:
            return Verdict.from_state(state)
        except StaleVerdict:
            if model.config.dataset not in BUILTIN:
                raise
    if model.D is None:
        raise DcganError("this file has no discriminator, so there is no verdict: load a file with D")
    if model.config.dataset not in BUILTIN:
        raise DcganError("this model carries no verdict calibration and was not trained on a built-in data set: "
                         "calibrate it on real images (Model.calibrate(data), or pick 'Real images from')")
    data = load_data(model.config.dataset, image_size=model.config.image_size, channels=model.config.channels)
    return calibrate(model, data)
