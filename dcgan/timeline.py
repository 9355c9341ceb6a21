"""How a model got there: every saved epoch of a run measured the same way, with the same z and real images.

A run folder holds `epoch_NNN.pt` (train --save-every N) and `last.pt`. Each checkpoint gets the Fréchet
distance, precision and recall (dcgan.fidelity) against one fixed set of real images, a grid of the same z,
and (for the map) D's features of the same real images and samples, laid out with AlignedUMAP so that a point
moves only as far as the features make it move from one epoch to the next.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from .errors import ConfigError
from .fidelity import K, feature_space, precision_recall, real_images, real_indices
from .latent import generate, sample_z
from .limits import MAX_TIMELINE_EPOCHS
from .media import upscale
from .truncation import truncated

EPOCH_FILE = re.compile(r"epoch_(\d+)\.pt$")


@dataclass(frozen=True)
class TimelineSettings:
    """How many images the metrics and the grids use; the same for every epoch of a run."""

    n: int = 1000  # samples and real images for FD / precision / recall
    n_grid: int = 16  # fixed-z samples shown per epoch
    seed: int = 0
    k: int = K


def file_version(path: str | Path) -> tuple[str, float, int]:
    """(path, mtime, size): what caches of a checkpoint's results are keyed by, so a rewritten file is re-measured."""
    st = Path(path).stat()
    return str(Path(path).resolve()), st.st_mtime, st.st_size


def run_checkpoints(run_dir: str | Path) -> list[tuple[int, Path]]:
    """(epoch, path) of every saved epoch in a run folder, in order: epoch_NNN.pt, and last.pt unless its epoch
    already has a file. One-line error for a missing folder or one without checkpoints."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ConfigError(f"no such run folder: {run_dir}")
    found = {int(EPOCH_FILE.search(p.name).group(1)): p
             for p in run_dir.glob("epoch_*.pt") if EPOCH_FILE.search(p.name)}
    if len(found) > MAX_TIMELINE_EPOCHS:
        raise ConfigError(f"{run_dir} holds {len(found)} saved epochs; a timeline reads at most {MAX_TIMELINE_EPOCHS}: "
                          "copy the epochs you want into a folder of their own")
    last = run_dir / "last.pt"
    if last.is_file():
        epoch = _saved_epoch(last)
        found.setdefault(epoch if epoch is not None else max(found, default=0) + 1, last)
    if not found:
        raise ConfigError(f"no epoch_NNN.pt or last.pt in {run_dir}: train with --save-every 1 --out {run_dir}")
    return sorted(found.items())


def _saved_epoch(path: Path) -> int | None:
    from .checkpoint import load

    return load(path).meta.get("epoch")


def load_same_size(paths: list[Path]) -> list:
    """The models behind `paths`, after checking they draw the same images from the same z (size, channels, nz)."""
    from .checkpoint import load

    models = [load(p) for p in paths]
    shape = lambda m: (m.config.image_size, m.config.channels, m.config.nz)  # noqa: E731
    for path, model in zip(paths, models):
        if shape(model) != shape(models[0]):
            raise ConfigError(f"{Path(path).name} is {_describe(model)} but {Path(paths[0]).name} is "
                              f"{_describe(models[0])}: compare checkpoints of one size")
    return models


def _describe(model) -> str:
    c = model.config
    return f"{c.image_size}x{c.image_size}, {c.channels} channel(s), nz {c.nz}"


# -- measuring -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reference:
    """What every checkpoint of a comparison is measured against: fixed real images, their features, fixed z.

    Real and generated images go through the same feature function: the digit classifier, or for other models the
    D of the checkpoint the reference was made from (so every epoch is measured in one D's feature space)."""

    real: torch.Tensor  # (n, C, H, W) in [-1, 1]
    features: np.ndarray  # (n, F)
    space: str
    z: torch.Tensor  # (n, nz): the metrics' samples
    grid_z: torch.Tensor  # (n_grid, nz): the samples shown
    fn: Callable = None  # images -> (N, F) features
    key: tuple = ()  # what a cached measurement against this reference is keyed by (with the checkpoint's version)


def reference(model, data, settings: TimelineSettings = TimelineSettings()) -> Reference:
    """The fixed real images and z for a comparison, featurised once (the slow part, shared by all epochs)."""
    fn, space = feature_space(model, data)
    real = real_images(data, settings.n, seed=settings.seed)
    z = sample_z(len(real), model.config.nz, seed=settings.seed)
    owner = file_version(model.meta["path"]) if space == "discriminator" and "path" in model.meta else None
    key = (space, owner, data.name, len(data), settings.n, settings.seed, settings.k)
    return Reference(real, fn(real), space, z, z[: settings.n_grid], fn, key)


def measure(model, data, ref: Reference, *, k: int = K) -> dict:
    """FD, precision, recall and the median realism of one checkpoint against `ref`."""
    from .metrics import frechet_distance

    fn = ref.fn or feature_space(model, data)[0]
    fake = fn(generate(model.G, ref.z))
    pr = precision_recall(ref.features, fake, k=k)
    # The same Fréchet distance as `dcgan eval`, on features already computed (identity as the feature function).
    fd = frechet_distance(lambda x: x, fake.shape[1], torch.from_numpy(ref.features), torch.from_numpy(fake))
    return {"fd": fd, "precision": pr.precision, "recall": pr.recall, "realism_median": float(np.median(pr.realism))}


def measure_cached(model, path, data, ref: Reference, cache: dict | None, *, k: int = K) -> dict:
    """measure(), remembered in `cache` by the checkpoint's file version and the reference's key."""
    key = ("measure", file_version(path), ref.key, tuple(ref.z.shape))
    if cache is None or key not in cache:
        row = measure(model, data, ref, k=k)
        if cache is None:
            return row
        cache[key] = row
    return cache[key]


def grid_image(model, ref: Reference, *, nrow: int = 8) -> np.ndarray:
    """The fixed-z samples of one checkpoint as one uint8 grid (H, W, 3), the same z for every checkpoint."""
    from .media import grid

    return grid(generate(model.G, ref.grid_z), nrow=nrow)


@dataclass
class Timeline:
    """One row per saved epoch (epoch, file, fd, precision, recall, realism_median) and each epoch's grid."""

    rows: list[dict]
    grids: np.ndarray  # (E, H, W, 3) uint8: each epoch's grid of the same z
    feature_space: str
    settings: TimelineSettings

    def as_dict(self) -> dict:
        """What `dcgan timeline --json` writes: {"epochs": [...], ...}."""
        return {"feature_space": self.feature_space, "n": self.settings.n, "k": self.settings.k,
                "seed": self.settings.seed, "epochs": self.rows}


def timeline(run_dir, data, settings: TimelineSettings = TimelineSettings(), *, cache: dict | None = None,
             progress: Callable[[int, int, str], None] | None = None) -> Timeline:
    """Measure every saved epoch of a run (see module docstring); `progress(done, total, name)` after each.
    With `cache`, an epoch measured before (same file version, same reference) is not measured again."""
    saved = run_checkpoints(run_dir)
    models = load_same_size([p for _, p in saved])
    ref = reference(models[-1], data, settings)
    rows, grids = [], []
    for i, ((epoch, path), model) in enumerate(zip(saved, models)):
        rows.append({"epoch": epoch, "file": path.name, **measure_cached(model, path, data, ref, cache, k=settings.k)})
        grids.append(grid_image(model, ref))
        if progress:
            progress(i + 1, len(saved), path.name)
    return Timeline(rows, np.stack(grids), ref.space, settings)


# -- D's feature map across epochs -----------------------------------------------------------------------------
def map_features(models: list, images: torch.Tensor, z: torch.Tensor) -> list[np.ndarray]:
    """For each model: its D's features (stages max-pooled to 2x2) of the same real images then G(z) samples."""
    from .features import d_features

    out = []
    for model in models:
        if model.D is None:
            raise ConfigError("the feature map across epochs needs D in every checkpoint")
        out.append(d_features(model.D, torch.cat([images, generate(model.G, z)]), grid=2))
    return out


def aligned_maps(slices: list[np.ndarray], *, n_neighbors: int = 15, n_epochs: int = 100, seed: int = 0,
                 aligned: bool = True) -> list[np.ndarray]:
    """2-D layouts (N, 2) of the same N points in every slice. With `aligned`, AlignedUMAP ties each point to
    itself in the neighbouring slices; without it, independent UMAPs (the baseline that jumps)."""
    import warnings

    import umap

    slices = [np.asarray(s, dtype=np.float32) for s in slices]
    with warnings.catch_warnings():  # a seed makes UMAP single-threaded, and says so on every fit
        warnings.filterwarnings("ignore", message="n_jobs value")
        if len(slices) < 2 or not aligned:
            return [umap.UMAP(n_neighbors=n_neighbors, n_epochs=n_epochs, random_state=seed).fit_transform(s)
                    for s in slices]
        same = {i: i for i in range(len(slices[0]))}  # point i is the same image (or z) in every epoch
        fit = umap.AlignedUMAP(n_neighbors=n_neighbors, n_epochs=n_epochs, random_state=seed).fit(
            slices, relations=[same] * (len(slices) - 1))
    return [np.asarray(e, dtype=np.float32) for e in fit.embeddings_]


def _normalised(xy: np.ndarray) -> np.ndarray:
    centred = xy - xy.mean(0)
    return centred / np.sqrt((centred ** 2).sum(1).mean())


def movement(layouts: list[np.ndarray]) -> float:
    """Mean distance a point moves between consecutive layouts, each scaled to unit RMS radius about its centre
    and rotated (or mirrored) onto the previous one, so that only real rearrangement counts: 0 is still; about
    1.4 is two unrelated layouts."""
    from scipy.linalg import orthogonal_procrustes

    scaled = [_normalised(xy) for xy in layouts]
    steps = []
    for a, b in zip(scaled[:-1], scaled[1:]):
        rotation, _ = orthogonal_procrustes(b, a)  # the rotation/reflection taking b closest to a
        steps.append(np.linalg.norm(b @ rotation - a, axis=1).mean())
    return float(np.mean(steps))


@dataclass
class MapAcrossEpochs:
    """AlignedUMAP layouts of the same real images and the same z, one (N, 2) layout per checkpoint."""

    layouts: list[np.ndarray]
    kind: np.ndarray  # (N,) "real" / "generated"
    labels: np.ndarray  # (N,) class index of real images, -1 for samples
    movement: float  # mean step between consecutive layouts (see movement())


def map_across(models: list, data, *, n: int = 300, seed: int = 0, n_epochs: int = 100) -> MapAcrossEpochs:
    """D's feature map for every model, aligned: n fixed real images and n fixed z (the same for every model)."""
    idx = real_indices(data, n, seed=seed)
    real = data.as_float(idx)
    z = sample_z(len(real), models[0].config.nz, seed=seed + 1)
    layouts = aligned_maps(map_features(models, real, z), n_epochs=n_epochs, seed=seed)
    labels = data.labels[idx].numpy() if data.labels is not None else np.full(len(real), -1)
    return MapAcrossEpochs(layouts, np.array(["real"] * len(real) + ["generated"] * len(real)),
                           np.concatenate([labels, np.full(len(real), -1)]), movement(layouts))


def truncation_sweep(model, data, truncations, settings: TimelineSettings = TimelineSettings(), *,
                     progress: Callable[[int, int, str], None] | None = None) -> list[dict]:
    """FD, precision and recall of one model at each truncation (None = none), against the same real images."""
    import dataclasses

    ref = reference(model, data, settings)
    rows = []
    for i, t in enumerate(truncations):  # the same z through G truncated at t (dcgan.truncation)
        rows.append({"truncation": t, **measure(dataclasses.replace(model, G=truncated(model.G, t)), data, ref,
                                                k=settings.k)})
        if progress:
            progress(i + 1, len(truncations), f"truncation {t if t is not None else 'none'}")
    return rows


# -- the HTML page -----------------------------------------------------------------------------------------------
def curves_figure(rows: list[dict]):
    """Plotly: FD (log scale) above, precision and recall below, against epoch."""
    from plotly.subplots import make_subplots

    epochs = [r["epoch"] for r in rows]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    fig.add_scatter(x=epochs, y=[r["fd"] for r in rows], name="Fréchet distance", mode="lines+markers", row=1, col=1)
    for key, colour in (("precision", "#1c7ed6"), ("recall", "#ff8700")):
        fig.add_scatter(x=epochs, y=[r[key] for r in rows], name=key, mode="lines+markers",
                        line=dict(color=colour), row=2, col=1)
    fig.update_yaxes(title_text="FD (lower is better)", type="log", row=1, col=1)
    fig.update_yaxes(title_text="share", range=[0, 1.02], row=2, col=1)
    fig.update_xaxes(title_text="epoch", row=2, col=1)
    fig.update_layout(height=520, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=1.06))
    return fig


def write_timeline_html(tl: Timeline, path, *, scale: int = 2) -> Path:
    """One self-contained page: the curves, then every epoch's fixed-z grid with a scrubber over epochs."""
    path = Path(path)
    pngs = [_png_base64(upscale(g, scale)) for g in tl.grids]
    frames = "".join(f'<figure data-i="{i}"{"" if i == len(pngs) - 1 else " hidden"}>'
                     f'<img src="data:image/png;base64,{p}">'
                     f'<figcaption>epoch {r["epoch"]} ({r["file"]}): FD {r["fd"]:.2f}, precision {r["precision"]:.3f}, '
                     f'recall {r["recall"]:.3f}</figcaption></figure>' for i, (p, r) in enumerate(zip(pngs, tl.rows)))
    html = _PAGE.format(curves=curves_figure(tl.rows).to_html(full_html=False, include_plotlyjs="inline"),
                        frames=frames, last=len(pngs) - 1, space=tl.feature_space, n=tl.settings.n, k=tl.settings.k)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html)
    return path


def _png_base64(image: np.ndarray) -> str:
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Training timeline</title>
<style>body{{font-family:sans-serif;margin:1.5rem}} img{{image-rendering:pixelated}}</style></head><body>
<h1>Training timeline</h1>
<p>Every saved epoch against the same {n} real images, in the {space}'s feature space: Fréchet distance, and
precision / recall with k = {k} (Kynkäänniemi et al. 2019). Below, the same z drawn by every epoch.</p>
{curves}
<h2>The same z, epoch by epoch</h2>
<input type="range" id="scrub" min="0" max="{last}" value="{last}" style="width:40rem">
<button id="play">play</button>
{frames}
<script>
const s=document.getElementById('scrub'), figs=[...document.querySelectorAll('figure')];
const show=i=>figs.forEach(f=>f.hidden=(+f.dataset.i!==+i));
s.oninput=()=>show(s.value);
let timer=null;
document.getElementById('play').onclick=()=>{{ if(timer){{clearInterval(timer);timer=null;return;}}
  timer=setInterval(()=>{{s.value=(+s.value+1)%(figs.length);show(s.value);}},600); }};
</script></body></html>"""
