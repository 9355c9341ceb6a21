"""Precision, recall and realism (dcgan.fidelity) on sets with known answers, and on the bundled model."""

import numpy as np
import pytest

import dcgan
from dcgan.cli import main
from dcgan.data import load_data
from dcgan.errors import ConfigError
from dcgan.fidelity import model_precision_recall, precision_recall, realism


def blobs(n: int, *, seed: int, centres: int = 5, dim: int = 8) -> np.ndarray:
    """n points around `centres` fixed cluster centres (the same centres for every seed)."""
    means = np.random.default_rng(123).normal(scale=10, size=(centres, dim))
    rng = np.random.default_rng(seed)
    return (means[rng.integers(centres, size=n)] + rng.normal(size=(n, dim))).astype(np.float32)


def test_identical_sets_give_precision_and_recall_one():
    x = blobs(400, seed=0)
    pr = precision_recall(x, x.copy())
    assert pr.precision == 1.0 and pr.recall == 1.0


def test_two_draws_of_one_distribution_score_high_and_disjoint_sets_score_zero():
    real, fake = blobs(600, seed=0), blobs(600, seed=1)
    pr = precision_recall(real, fake)
    assert pr.precision > 0.8 and pr.recall > 0.8
    far = precision_recall(real, fake + 1000)
    assert far.precision == 0.0 and far.recall == 0.0


def test_a_collapsed_generator_is_precise_but_has_low_recall():
    real = blobs(600, seed=0)
    one_mode = real[:1] + 0.05 * np.random.default_rng(2).normal(size=(600, real.shape[1])).astype(np.float32)
    pr = precision_recall(real, one_mode)
    assert pr.precision > 0.9 and pr.recall < 0.05


def test_missing_clusters_lower_recall_in_proportion_not_precision():
    real = blobs(1000, seed=0, centres=4)
    means = np.random.default_rng(123).normal(scale=10, size=(4, 8))
    fake = blobs(1000, seed=1, centres=4)
    fake = fake[np.linalg.norm(fake - means[0], axis=1) < np.linalg.norm(fake - means[1:, None], axis=2).min(0)]
    pr = precision_recall(real, fake)  # samples from one of the four clusters only
    assert pr.precision > 0.8 and 0.15 < pr.recall < 0.4


def test_realism_is_at_least_one_inside_the_real_manifold_and_small_far_away():
    real = blobs(500, seed=0)
    inside, outside = blobs(200, seed=3), blobs(200, seed=3) + 100
    assert np.median(realism(real, inside)) >= 1.0
    assert realism(real, outside).max() < 0.1


def test_bad_feature_sets_get_a_one_line_error():
    with pytest.raises(ConfigError, match="same F"):
        precision_recall(np.zeros((10, 3)), np.zeros((10, 4)))
    with pytest.raises(ConfigError, match="more than k=3"):
        precision_recall(np.zeros((3, 2)), np.zeros((10, 2)))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 2])
def test_truncation_on_the_bundled_mnist_model_trades_recall_for_precision(bundled_mnist, seed):
    """The issue's direction: truncation 0.5 (G's 8x8 features halfway to their nearest centre, dcgan.truncation)
    gives higher precision and lower recall than none, by a clear margin, for more than one seed."""
    model, data = dcgan.load(bundled_mnist), load_data("mnist", image_size=32)
    plain = model_precision_recall(model, data, n=500, seed=seed)
    tight = model_precision_recall(model, data, n=500, seed=seed, truncation=0.5)
    assert plain.feature_space == "digit classifier" and plain.precision > 0.4 and plain.recall > 0.5
    assert tight.precision > plain.precision + 0.05 and tight.recall < plain.recall - 0.1


def test_eval_rejects_a_bad_truncation_in_one_line(bundled_mnist, capsys):
    assert main(["eval", str(bundled_mnist), "--data", "mnist", "--n", "50", "--truncation", "0"]) == 2
    err = capsys.readouterr().err.strip()  # the CLI's one range check for every numeric option (dcgan.limits)
    assert err == "error: --truncation must be from 1e-06 to 100, got 0.0"
