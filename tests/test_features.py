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
    result = linear_probe(model, load_data("mnist", image_size=32), n=1500, seed=0)
    assert result.n_test == 300
    assert result.d_features > result.raw_pixels
    assert result.d_features > result.random_d
    assert result.d_features > 0.9
