"""UMAP maps: one row per input, deterministic with a seed, new points placed with transform()."""
import numpy as np
import pytest

import dcgan
from dcgan.data import load_data
from dcgan.embed import ExactNeighbourIndex, FeatureMap, feature_map, umap_figure, write_map_html

pytestmark = pytest.mark.slow  # UMAP's numba compile


def test_feature_map_rows_and_determinism():
    X = np.random.default_rng(0).normal(size=(150, 12)).astype(np.float32)
    a = FeatureMap(random_state=0, n_epochs=50).fit(X)
    b = FeatureMap(random_state=0, n_epochs=50).fit(X)
    assert a.embedding_.shape == (150, 2)
    assert np.array_equal(a.embedding_, b.embedding_)
    assert a.transform(X[:7]).shape == (7, 2)


def test_exact_neighbours_match_scikit_learn():
    from sklearn.neighbors import NearestNeighbors

    X = np.random.default_rng(1).normal(size=(300, 40)).astype(np.float32)
    indices, distances, index = ExactNeighbourIndex(X, 5).neighbour_graph()
    want_d, want_i = NearestNeighbors(n_neighbors=5).fit(X).kneighbors(X)
    assert np.array_equal(indices, want_i) and np.allclose(distances, want_d, atol=1e-3)
    assert (indices[:, 0] == np.arange(300)).all()  # each point is its own nearest neighbour, as UMAP expects


def test_transform_puts_two_clusters_back_on_their_own_side():
    rng = np.random.default_rng(2)
    X = np.concatenate([rng.normal(0, 1, (200, 20)), rng.normal(8, 1, (200, 20))]).astype(np.float32)
    fmap = FeatureMap(random_state=0, n_epochs=100).fit(X)
    centres = fmap.embedding_[:200].mean(0), fmap.embedding_[200:].mean(0)
    new = fmap.transform(np.concatenate([rng.normal(0, 1, (10, 20)), rng.normal(8, 1, (10, 20))]).astype(np.float32))
    nearer_first = np.linalg.norm(new - centres[0], axis=1) < np.linalg.norm(new - centres[1], axis=1)
    assert nearer_first[:10].all() and not nearer_first[10:].any()


def test_model_map_figure_and_html(bundled_mnist, tmp_path):
    model = dcgan.load(bundled_mnist)
    table, _ = feature_map(model, load_data("mnist", image_size=32), n=100, n_epochs=50)
    assert table.xy.shape == (200, 2) and list(table.kind).count("generated") == 100
    assert np.isnan(table.z[0]).all() and not np.isnan(table.z[-1]).any()
    fig = umap_figure(table, color_by="label")
    rows = np.concatenate([np.asarray(t.customdata)[:, 0] for t in fig.data]).astype(int)
    assert sorted(rows) == list(range(200))  # every point carries its row id
    assert len(fig.layout.meta["thumbnails"]) == 200
    write_map_html(fig, tmp_path / "map.html")
    assert "plotly_hover" in (tmp_path / "map.html").read_text()


def test_map_colours_legend_hover_and_quality(bundled_mnist):
    from dcgan.embed import GENERATED_GREY, balanced_selection

    model = dcgan.load(bundled_mnist)
    table, _ = feature_map(model, load_data("mnist", image_size=32), n=150, n_epochs=50)
    for color_by in ("kind", "label", "score"):
        fig = umap_figure(table, color_by=color_by, with_thumbnails=False)
        generated = [t for t in fig.data if t.name == "generated"]
        assert len(generated) == 1 and generated[0].marker.color == GENERATED_GREY, color_by
        assert "realness" in generated[0].hovertemplate and "class" in generated[0].hovertemplate
    names = [t.name for t in umap_figure(table, color_by="label", with_thumbnails=False).data]
    assert names == sorted(names[:-1], key=int) + ["generated"]
    verdicts = np.concatenate([np.asarray(t.customdata)[:, 3] for t in umap_figure(table, color_by="kind").data])
    assert all(len(str(v).split(".")[-1]) <= 2 for v in verdicts)  # rounded, not 0.003000000026077032
    assert set(table.class_names()[table.kind == "generated"]) <= set("0123456789")  # the classifier's reading
    q = table.quality
    assert 0.5 < q["knn_accuracy_features"] <= 1 and 0.3 < q["knn_accuracy_map"] <= 1
    assert 0 <= q["generated_among_real"] <= 1
    rows = list(range(150)) + list(range(150, 160))  # 150 real then 10 generated, as a box selection returns them
    shown = balanced_selection(table, rows, limit=12)
    assert sum(table.kind[r] == "generated" for r in shown) == 6
