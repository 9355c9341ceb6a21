"""Inside G: ablation changes the image where the unit's map is active; ranking is by measured effect."""
import pytest
import torch

import dcgan
from dcgan.dissect import dissect_units, overlay, rank_units, unit_maps


@pytest.fixture(scope="module")
def G(bundled_mnist):
    return dcgan.load(bundled_mnist).G


def test_ablation_changes_the_output_where_the_units_map_is_active(G):
    order, _ = rank_units(G, "layer3", n_samples=8)
    d = dissect_units(G, "layer3", order[:3], n_samples=64, shown=8)
    for k in range(3):
        change = (d.ablated[k] - d.original).abs()[:, 0]  # (S, H, W)
        active = d.ablation_maps[k] > 0.3
        assert active.any() and change[active].mean() > 2 * change[~active].mean()
        assert (d.inserted[k] - d.original).abs().mean() > 0.01  # forcing it on changes the image too


def test_ranking_is_sorted_and_ranks_what_it_measures(bundled_mnist, G):
    from dcgan.metrics import load_classifier

    clf = load_classifier()
    order, effects = rank_units(G, 3, classifier=clf, n_samples=8)
    assert sorted(order.tolist()) == list(range(64)) and (effects[:-1] >= effects[1:]).all()
    assert 0 <= effects.min() and effects.max() <= 1  # total-variation distances between class distributions
    pixel_order, pixel_effects = rank_units(G, 3, n_samples=8)
    top, bottom = int(pixel_order[0]), int(pixel_order[-1])
    d = dissect_units(G, 3, [top, bottom], n_samples=8, shown=8)  # the same 8 z's, measured independently
    change = (d.ablated - d.original).abs().flatten(1).mean(1)
    assert torch.allclose(change, pixel_effects[[0, -1]], rtol=1e-4) and change[0] > change[1]
    z = torch.randn(8, 100, generator=torch.Generator().manual_seed(0))
    h, images = unit_maps(G, 3, z)
    assert h.shape == (8, 64, 16, 16) and torch.allclose(images, d.original, atol=1e-6)


def test_top_samples_are_where_the_unit_fires_most_and_overlay_is_rgb(G):
    d = dissect_units(G, 2, [5], n_samples=32, top=4)
    z = torch.randn(32, 100, generator=torch.Generator().manual_seed(0))
    h, _ = unit_maps(G, 2, z)
    assert torch.equal(h[:, 5].mean((1, 2)).topk(4).values, h[:, 5].mean((1, 2)).sort(descending=True).values[:4])
    assert d.top_maps.shape == (1, 4, 32, 32) and 0 <= d.top_maps.min() and d.top_maps.max() <= 1
    tinted = overlay(d.top_images[0], d.top_maps[0])
    assert tinted.shape == (4, 3, 32, 32) and tinted.abs().max() <= 1


def test_bad_layer_or_unit_is_a_one_line_error(G):
    with pytest.raises(ValueError, match="G layer must be one of layer1, layer2, layer3"):
        rank_units(G, "layer7")
    with pytest.raises(ValueError, match=r"units must be in 0..63 for G's layer3"):
        dissect_units(G, "layer3", [64])
