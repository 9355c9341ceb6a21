"""UMAP maps of D's feature space, for real and generated images together.

umap-learn is imported only when a map is fitted: importing it costs seconds (numba,
pynndescent) and the first fit compiles, so callers get a `status` callback to say so.
"""
from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from .features import d_features
from .latent import generate, sample_z
from .media import to_uint8, upscale

EXACT_NEIGHBOURS_UP_TO = 20_000  # points; beyond this, pynndescent's approximate search is faster than brute force


class ExactNeighbourIndex:
    """Exact nearest neighbours (one matrix product per block of rows) in the shape UMAP's transform() asks of
    pynndescent's index.

    Handing UMAP exact neighbours skips pynndescent, whose numba compilation is most of a first map's time
    (about 25 s of 39 s for 5,000 points on 2 cores), while 5,000 x 5,000 distances in 7,168 dimensions take
    about 2 s.
    """

    _angular_trees = False  # read by UMAP.transform to pick its search epsilon, which exact search ignores

    def __init__(self, X: np.ndarray, k: int):
        data = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
        self.mean, self.k = data.mean(0), k
        self.data = data - self.mean  # centred: smaller norms, so less rounding in the matrix-product distances
        self.data_sq = self.data.square().sum(1)

    def neighbour_graph(self) -> tuple[np.ndarray, np.ndarray, "ExactNeighbourIndex"]:
        """(indices, distances, index) of the fitted points, each its own nearest neighbour: UMAP's precomputed_knn."""
        indices, distances = self._search(self.data, self.k)
        # Rounding can leave a point a tiny non-zero distance to itself; UMAP calibrates each point on its nearest
        # non-zero distance, so the self-distance is set to the exact 0 it is.
        distances[indices == np.arange(len(indices))[:, None]] = 0.0
        return indices, distances, self

    def query(self, X, k: int, epsilon: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        return self._search(torch.as_tensor(np.ascontiguousarray(X, dtype=np.float32)) - self.mean, k)

    @torch.inference_mode()
    def _search(self, centred: torch.Tensor, k: int) -> tuple[np.ndarray, np.ndarray]:
        indices, distances = [], []
        for rows in centred.split(2048):  # |x - y|^2 = |x|^2 + |y|^2 - 2 x.y: one matrix product per block of rows
            squared = torch.addmm(self.data_sq, rows, self.data.T, alpha=-2).add_(rows.square().sum(1, keepdim=True))
            nearest = squared.topk(k, largest=False)
            indices.append(nearest.indices)
            distances.append(nearest.values.clamp_min(0).sqrt())
        return torch.cat(indices).int().numpy(), torch.cat(distances).numpy()


class FeatureMap:
    """A 2-D UMAP embedding of feature vectors, in scikit-learn's shape: fit once, transform new points.

    200 optimisation epochs (UMAP's own choice for large data; it uses 500 below 10,000 points) keep a
    5,000-point map within a few seconds once compiled.
    """

    def __init__(self, *, n_neighbors: int = 15, min_dist: float = 0.1, n_epochs: int | None = 200,
                 random_state: int = 0):
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.n_epochs = n_epochs
        self.random_state = random_state

    def fit(self, X: np.ndarray, status: Callable[[str], None] | None = None) -> "FeatureMap":
        """Fit UMAP on X (N, F); sets `embedding_` (N, 2) and `reducer_`."""
        if status:
            status("importing umap-learn (the first map also compiles numba code: about 10-15 s)")
        import umap

        if status:
            status(f"fitting UMAP on {len(X)} points")
        X = np.asarray(X, dtype=np.float32)
        knn = ExactNeighbourIndex(X, self.n_neighbors).neighbour_graph() if len(X) <= EXACT_NEIGHBOURS_UP_TO else None
        self.reducer_ = umap.UMAP(n_neighbors=self.n_neighbors, min_dist=self.min_dist, n_epochs=self.n_epochs,
                                  random_state=self.random_state, n_jobs=1, precomputed_knn=knn or (None, None, None))
        with warnings.catch_warnings():  # UMAP warns that a non-pynndescent index cannot transform; this one can
            warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]")
            self.embedding_ = self.reducer_.fit_transform(X).astype(np.float32)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Place new points (M, F) on the fitted map: (M, 2)."""
        return self.reducer_.transform(np.asarray(X, dtype=np.float32)).astype(np.float32)


@dataclass
class MapTable:
    """One row per point on the map. z is NaN for real images; label is -1 where unknown."""

    xy: np.ndarray  # (N, 2)
    kind: np.ndarray  # "real" / "generated"
    label: np.ndarray  # int class or -1
    score: np.ndarray  # the per-image verdict (Model.realness), NaN where there is none
    z: np.ndarray  # (N, nz)
    images: torch.Tensor  # (N, C, H, W) in [-1, 1]
    classes: tuple[str, ...]
    quality: dict | None = None  # map_quality() of this map
    read_label: np.ndarray | None = None  # (N,) the digit classifier's label (int, -1 where it does not apply)

    def class_names(self) -> np.ndarray:
        """Per point: the data set's label for real images, the classifier's reading for samples, else '?'."""
        names = []
        for kind, label, read in zip(self.kind, self.label,
                                     self.read_label if self.read_label is not None else self.label):
            index = label if kind == "real" else read
            names.append(self.classes[index] if index >= 0 and self.classes else "?")
        return np.array(names)


def feature_map(model, data, *, n: int = 1000, seed: int = 0, status: Callable[[str], None] | None = None,
                **umap_args) -> tuple[MapTable, FeatureMap]:
    """UMAP of D features for n real images and n samples together, with what colouring needs."""
    model.require_d("the feature map")
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(data), generator=gen)[:n]
    real = data.as_float(idx)
    z = sample_z(n, model.config.nz, seed=seed)
    fake = generate(model.G, z)
    images = torch.cat([real, fake])
    if status:
        status(f"computing D features for {len(images)} images")
    scores = model.realness(images) if model.has_verdict() else np.full(len(images), np.nan)
    features = d_features(model.D, images)
    fmap = FeatureMap(random_state=seed, **umap_args).fit(features, status=status)
    labels = data.labels[idx].numpy() if data.labels is not None else np.full(len(idx), -1)
    read = np.full(len(images), -1)
    if model.config.channels == 1 and data.labels is not None and len(data.classes) == 10:
        from .metrics import load_classifier

        with torch.no_grad():
            read[len(real):] = load_classifier()(fake).argmax(1).numpy()
    table = MapTable(
        xy=fmap.embedding_,
        kind=np.array(["real"] * len(real) + ["generated"] * n),
        label=np.concatenate([labels, np.full(n, -1)]),
        score=scores,
        z=np.concatenate([np.full((len(real), model.config.nz), np.nan, dtype=np.float32), z.numpy()]),
        images=images,
        classes=data.classes,
        read_label=read,
    )
    table.quality = map_quality(table, features)
    return table, fmap


def map_quality(table: MapTable, features: np.ndarray, *, k: int = 10) -> dict[str, float | None]:
    """How much the map can be trusted, each in [0, 1]:

    - class accuracy of a k-NN vote among real images, on the 2-D map and in the full D features
      (leave-one-out; None without labels): a map much worse than its features distorts them;
    - the share of generated points whose k nearest neighbours (full features) are mostly real.
    """
    from sklearn.neighbors import NearestNeighbors

    real = table.kind == "real"
    out: dict[str, float | None] = {"knn_accuracy_map": None, "knn_accuracy_features": None}
    if (table.label[real] >= 0).all() and real.sum() > k:
        for name, X in (("knn_accuracy_map", table.xy[real]), ("knn_accuracy_features", features[real])):
            _, idx = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
            votes = table.label[real][idx[:, 1:]]
            predicted = np.array([np.bincount(v).argmax() for v in votes])
            out[name] = float((predicted == table.label[real]).mean())
    _, idx = NearestNeighbors(n_neighbors=k + 1).fit(features).kneighbors(features[~real])
    idx = idx[:, 1:]  # each point's first neighbour is itself
    out["generated_among_real"] = float((real[idx].mean(1) > 0.5).mean()) if (~real).any() else None
    return out


def thumbnails(images: torch.Tensor, *, scale: int = 2) -> list[str]:
    """Each image as a PNG data URI, for hover pictures."""
    from PIL import Image

    uris = []
    for arr in to_uint8(images):
        buf = io.BytesIO()
        arr = upscale(arr, scale)
        Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr).save(buf, format="PNG")
        uris.append("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode())
    return uris


GENERATED_GREY = "#9a9a9a"


def color_values(table: MapTable, color_by: str) -> tuple[np.ndarray, bool]:
    """(values, is_continuous) for colouring by 'kind', 'label' or 'score'; samples are 'generated' unless
    continuous."""
    if color_by == "score":
        return table.score, True
    if color_by == "label":
        names = table.class_names()
        return np.where(table.kind == "generated", "generated", names), False
    return table.kind, False


def _category_order(values: np.ndarray) -> list[str]:
    """Legend order: classes sorted (numbers as numbers), then 'generated' last."""
    cats = sorted(set(values) - {"generated"},
                  key=lambda v: (not str(v).isdigit(), int(v) if str(v).isdigit() else 0, str(v)))
    return cats + (["generated"] if "generated" in set(values) else [])


def umap_figure(table: MapTable, *, color_by: str = "kind", with_thumbnails: bool = True):
    """An interactive Plotly scatter of the map; each point carries its row id in customdata[0].

    Generated points are grey under every colouring (and drawn as a separate grey layer when colouring
    by verdict); hover gives kind, class (the classifier's reading for samples) and the verdict.
    """
    import plotly.express as px

    values, continuous = color_values(table, color_by)
    frame = {"x": table.xy[:, 0], "y": table.xy[:, 1], "row": np.arange(len(table.xy)), "kind": table.kind,
             "class": table.class_names(), "verdict": np.round(table.score, 2), color_by: values}
    hover = "%{customdata[1]} · class %{customdata[2]}<br>realness %{customdata[3]}<extra></extra>"
    custom = ["row", "kind", "class", "verdict"]
    if continuous:
        real = table.kind == "real"
        fig = px.scatter({k: np.asarray(v)[real] for k, v in frame.items()}, x="x", y="y", color=color_by,
                         custom_data=custom, color_continuous_scale="Viridis", range_color=(0, 1))
        fig.add_scatter(x=frame["x"][~real], y=frame["y"][~real], mode="markers", name="generated",
                        marker={"color": GENERATED_GREY},
                        customdata=np.stack([np.asarray(frame[c], dtype=object)[~real] for c in custom], 1))
    else:
        order = _category_order(values)
        palette = px.colors.qualitative.Plotly + px.colors.qualitative.D3
        colours = {c: palette[i % len(palette)] for i, c in enumerate(o for o in order if o != "generated")}
        colours["generated"] = GENERATED_GREY
        fig = px.scatter(frame, x="x", y="y", color=color_by, custom_data=custom, category_orders={color_by: order},
                         color_discrete_map=colours, render_mode="webgl" if len(values) > 1000 else "auto")
    fig.update_traces(marker={"size": 5, "opacity": 0.8}, hovertemplate=hover)
    fig.update_layout(xaxis_title="UMAP 1", yaxis_title="UMAP 2", legend_title_text=color_by, height=560,
                      margin={"l": 10, "r": 10, "t": 30, "b": 10})
    if with_thumbnails:
        fig.layout.meta = {"thumbnails": thumbnails(table.images)}
    return fig


def balanced_selection(table: MapTable, rows: list[int], *, limit: int = 24) -> list[int]:
    """Up to `limit` selected rows, alternating real and generated so both kinds show when both were selected."""
    real = [r for r in rows if table.kind[r] == "real"]
    fake = [r for r in rows if table.kind[r] != "real"]
    mixed = [r for pair in zip(real, fake) for r in pair]
    rest = real[len(fake):] + fake[len(real):]
    return (mixed + rest)[:limit]


# Shows the hovered point's image in a fixed corner: Plotly's hover labels cannot hold pictures.
_HOVER_IMAGE_JS = ("""
var plot = document.getElementById('{plot_id}');
var box = document.createElement('img');
box.style.cssText = 'position:fixed;top:12px;right:12px;width:96px;image-rendering:pixelated;"""
"""border:1px solid #888;background:#fff;display:none;z-index:10';
document.body.appendChild(box);
plot.on('plotly_hover', function(e) {
  var row = e.points[0].customdata[0];
  box.src = plot.layout.meta.thumbnails[row]; box.style.display = 'block';
});
plot.on('plotly_unhover', function() { box.style.display = 'none'; });
""")


def write_map_html(fig, path) -> None:
    """Save the figure as a standalone HTML page whose hover shows each point's image."""
    fig.write_html(str(path), include_plotlyjs=True, post_script=_HOVER_IMAGE_JS)
