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

    def __init__(self, *, n_neighbors: int = 15, min_dist: float = 0.1, n_epochs: int | None = 200, random_state: int = 0):
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


def feature_map(model, data, *, n: int = 1000, seed: int = 0, status: Callable[[str], None] | None = None,
                **umap_args) -> tuple[MapTable, FeatureMap]:
    """UMAP of D features for n real images and n samples together, with what colouring needs."""
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(data), generator=gen)[:n]
    real = data.as_float(idx)
    z = sample_z(n, model.config.nz, seed=seed)
    fake = generate(model.G, z)
    images = torch.cat([real, fake])
    if status:
        status(f"computing D features for {len(images)} images")
    scores = model.realness(images) if model.has_verdict() else np.full(len(images), np.nan)
    fmap = FeatureMap(random_state=seed, **umap_args).fit(d_features(model.D, images), status=status)
    labels = data.labels[idx].numpy() if data.labels is not None else np.full(len(idx), -1)
    table = MapTable(
        xy=fmap.embedding_,
        kind=np.array(["real"] * len(real) + ["generated"] * n),
        label=np.concatenate([labels, np.full(n, -1)]),
        score=scores,
        z=np.concatenate([np.full((len(real), model.config.nz), np.nan, dtype=np.float32), z.numpy()]),
        images=images,
        classes=data.classes,
    )
    return table, fmap


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


def color_values(table: MapTable, color_by: str) -> tuple[np.ndarray, bool]:
    """(values, is_continuous) for colouring by 'kind', 'label' or 'score'."""
    if color_by == "score":
        return table.score, True
    if color_by == "label":
        names = np.array([table.classes[l] if l >= 0 and table.classes else "generated" if k == "generated" else "?"
                          for l, k in zip(table.label, table.kind)])
        return names, False
    return table.kind, False


def umap_figure(table: MapTable, *, color_by: str = "kind", with_thumbnails: bool = True):
    """An interactive Plotly scatter of the map; each point carries its row id in customdata[0]."""
    import plotly.express as px

    values, continuous = color_values(table, color_by)
    frame = {"x": table.xy[:, 0], "y": table.xy[:, 1], "row": np.arange(len(table.xy)), "kind": table.kind,
             "score": np.round(table.score, 3), color_by: values}
    fig = px.scatter(frame, x="x", y="y", color=color_by, custom_data=["row", "kind", "score"],
                     color_continuous_scale="Viridis" if continuous else None, render_mode="webgl" if len(values) > 1000 else "auto")
    fig.update_traces(marker={"size": 5, "opacity": 0.8},
                      hovertemplate="row %{customdata[0]} · %{customdata[1]}<br>D score %{customdata[2]}<extra></extra>")
    fig.update_layout(xaxis_title="UMAP 1", yaxis_title="UMAP 2", legend_title_text=color_by, height=560,
                      margin={"l": 10, "r": 10, "t": 30, "b": 10})
    if with_thumbnails:
        fig.layout.meta = {"thumbnails": thumbnails(table.images)}
    return fig


# Shows the hovered point's image in a fixed corner: Plotly's hover labels cannot hold pictures.
_HOVER_IMAGE_JS = """
var plot = document.getElementById('{plot_id}');
var box = document.createElement('img');
box.style.cssText = 'position:fixed;top:12px;right:12px;width:96px;image-rendering:pixelated;border:1px solid #888;background:#fff;display:none;z-index:10';
document.body.appendChild(box);
plot.on('plotly_hover', function(e) {
  var row = e.points[0].customdata[0];
  box.src = plot.layout.meta.thumbnails[row]; box.style.display = 'block';
});
plot.on('plotly_unhover', function() { box.style.display = 'none'; });
"""


def write_map_html(fig, path) -> None:
    """Save the figure as a standalone HTML page whose hover shows each point's image."""
    fig.write_html(str(path), include_plotlyjs=True, post_script=_HOVER_IMAGE_JS)
