"""D features and the paper's linear-probe test."""
import dcgan
from dcgan.data import load_data
from dcgan.features import d_features, linear_probe


def test_features_are_pooled_to_4x4_per_layer(bundled_mnist):
    D = dcgan.load(bundled_mnist).D
    images = load_data("digits", image_size=32).as_float(slice(0, 10))
    feats = d_features(D, images)
    widths = [a.shape[1] for a in D.activations(images[:1])]
    assert feats.shape == (10, 16 * sum(widths))


def test_probe_beats_pixels_and_an_untrained_d(bundled_mnist):
    model = dcgan.load(bundled_mnist)
    result = linear_probe(model, load_data("mnist", image_size=32), n=1500, seeds=(0, 1))
    assert result.n_test == 300 and result.seeds == (0, 1)
    assert all(len(result.accuracy[k]) == 2 for k in ("d_features", "raw_pixels", "random_d"))
    assert result.mean("d_features") > result.mean("raw_pixels") + 0.05  # pixels are far behind
    # The fair baseline: an untrained D, tuned over the same grid, is within a few points of the trained one.
    assert abs(result.mean("d_features") - result.mean("random_d")) < 0.05
    assert result.mean("d_features") > 0.9
    assert "D saw these images" in result.summary()


def test_probe_warns_when_the_chosen_penalty_sits_at_the_grid_edge(tiny_checkpoint):
    model, data = dcgan.load(tiny_checkpoint), load_data("digits", image_size=16)
    result = linear_probe(model, data, n=400, seeds=(0,), penalties=(1e5, 1e6))  # far too strong: the smaller wins
    assert result.penalty["d_features"] == [1e5] and "d_features" in result.at_edge
    assert "Warning: the chosen penalty sat at the edge" in result.summary()
    wide = linear_probe(model, data, n=400, seeds=(0,))
    assert not {1e-2, 1e6} & set(wide.penalty["raw_pixels"])  # the default grid brackets the pixels' optimum


def test_the_untrained_d_leaves_the_global_rng_alone(bundled_mnist):
    """The probe runs inside a server shared by sessions: drawing its untrained D must not reseed torch's RNG."""
    import torch

    from dcgan.features import untrained_d

    config = dcgan.load(bundled_mnist).config
    before = torch.get_rng_state()
    first, again, other = untrained_d(config, 0), untrained_d(config, 0), untrained_d(config, 1)
    assert torch.equal(before, torch.get_rng_state())
    w = [d.main[0].weight for d in (first, again, other)]
    assert torch.equal(w[0], w[1]) and not torch.equal(w[0], w[2])  # each seed its own D, reproducibly
    assert abs(float(w[0].std()) - 0.02) < 0.002  # the paper's N(0, 0.02), not uninitialised memory
    bn = first.main[3]
    assert torch.all(bn.running_var == 1) and torch.all(bn.running_mean == 0)
