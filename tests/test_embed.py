"""UMAP maps: one row per input, deterministic with a seed, new points placed with transform()."""
import numpy as np

import dcgan
from dcgan.data import load_data
from dcgan.embed import FeatureMap, feature_map, umap_figure, write_map_html


def test_feature_map_rows_and_determinism():
    X = np.random.default_rng(0).normal(size=(150, 12)).astype(np.float32)
    a = FeatureMap(random_state=0, n_epochs=50).fit(X)
    b = FeatureMap(random_state=0, n_epochs=50).fit(X)
    assert a.embedding_.shape == (150, 2)
    assert np.array_equal(a.embedding_, b.embedding_)
    assert a.transform(X[:7]).shape == (7, 2)


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
