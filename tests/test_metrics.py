"""Quality measurement: the shipped classifier, Fréchet floors, coverage and the memorisation check."""
import contextlib
import io
import json

import numpy as np
import pytest
import torch
from helpers import ROOT

import dcgan
from dcgan.cli import main
from dcgan.data import load_data
from dcgan.memorisation import copy_distance, shifted
from dcgan.metrics import classifier_split, copy_check, evaluate, frechet_distance, load_classifier, memorisation

BUNDLED_EMOJI = ROOT / "checkpoints" / "emoji-64.pt"
EVAL_N = 600  # samples in the bundled model's `eval`


def test_classifier_reaches_98_percent_on_its_held_out_split():
    state = torch.load(dcgan.metrics.CLASSIFIER, weights_only=True)
    clf = load_classifier()
    data = load_data("mnist", image_size=32)
    idx = state["test_indices"]
    _, held_out = classifier_split(data.labels.numpy(), seed=state["split_seed"])
    assert idx.tolist() == held_out  # the recorded seed reproduces the recorded split
    with torch.no_grad():
        acc = (clf(data.as_float(idx)).argmax(1) == data.labels[idx]).float().mean().item()
    assert len(idx) == 1000 and acc >= 0.98


def test_frechet_real_halves_beat_noise():
    clf = load_classifier()
    real = load_data("mnist",
                     image_size=32).as_float(torch.randperm(5000, generator=torch.Generator().manual_seed(0))[:1000])
    floor = frechet_distance(clf.features, 128, real[:500], real[500:])
    noise = frechet_distance(clf.features, 128, real[:500], torch.rand(500, 1, 32, 32) * 2 - 1)
    assert 0 <= floor < noise / 10


def test_copy_distance_sees_through_shifts_and_finds_the_original():
    real = load_data("mnist", image_size=32).as_float(slice(0, 400))
    moved = shifted(real[:20], 2, -1)
    dist, index = copy_distance(moved, real)
    assert (index == np.arange(20)).all() and dist.max() < 0.01  # (cdist rounds a little)
    plain = torch.cdist(moved.flatten(1), real.flatten(1)).min(1).values / 32
    assert (plain > 0.1).all()  # plain pixel distance does not see the copy


def test_memorisation_check_flags_near_copies_not_held_out_digits():
    data = load_data("mnist", image_size=32)
    check, _ = copy_check(data)
    assert check.false_positive_rate <= 0.05  # real digits not in the reference
    for kind in ("noise 0.1", "shift 1 px", "shift 2 px"):
        assert check.hit_rates[kind] >= 0.95, (kind, check.hit_rates)
    assert check.hit_rates["thickened"] >= 0.5
    images = data.as_float()
    copies = (images[:100] + 0.1 * torch.randn(100, 1, 32, 32, generator=torch.Generator().manual_seed(1))).clamp(-1, 1)
    assert memorisation(copies, data)[2] > 0.95  # a generator that replays noisy training digits is caught


def test_colour_model_report_uses_discriminator_features():
    model = dcgan.load(BUNDLED_EMOJI)
    # 150 samples (the real halves' size): FD 604 vs floor 90, copies 0 (300 samples: 596, 90, 0; at half the time)
    report = evaluate(model, load_data("emoji", image_size=64, max_images=300), n=150, verdict=False, inversion=False)
    assert report.feature_space == "discriminator" and report.class_share is None and report.mean_confidence is None
    assert report.frechet > report.frechet_floor > 0
    assert report.copies < 0.05


@pytest.fixture(scope="module")
def bundled_eval(bundled_mnist, tmp_path_factory):
    """`eval` of the bundled model, run once through the CLI: (its JSON report, what it printed).

    One run serves the CLI's contract and the figures the model card pins; 600 samples keep each class share
    several standard errors inside its bounds (sd about 0.012 at 10%)."""
    path = tmp_path_factory.mktemp("eval") / "r.json"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["eval", str(bundled_mnist), "--data", "mnist", "--n", str(EVAL_N), "--json", str(path)])
    assert code == 0
    return json.loads(path.read_text()), out.getvalue()


def test_bundled_model_report(bundled_eval):
    report, _ = bundled_eval
    assert abs(sum(report["class_share"].values()) - 1) < 1e-3
    assert all(0.04 <= share <= 0.20 for share in report["class_share"].values()), report["class_share"]
    assert report["mean_confidence"] > 0.8  # measured 0.85 on 5,000 samples (card: checkpoints/mnist-32.md)
    assert report["frechet"] > report["frechet_floor"] > 0
    assert report["copies"] < 0.05  # no memorisation: few samples are flagged as near copies
    assert report["verdict_auc"]["uniform noise"] >= 0.95 and report["verdict_auc"]["untrained G"] >= 0.95


def test_eval_command_prints_table_and_writes_json(bundled_eval):
    report, out = bundled_eval
    assert set(report) == {"n", "frechet", "frechet_floor", "feature_space", "class_share", "mean_confidence",
                           "nn_generated_median", "nn_real_median", "copies", "copy_threshold", "copy_hit_rates",
                           "copy_false_positive_rate", "verdict_auc",
                           # dcgan.fidelity's precision and recall, at the top level (issue 15)
                           "precision", "recall", "k", "n_real", "n_fake", "truncation", "realism_median",
                           "realism_at_least_1", "inversion"}
    assert 0 <= report["precision"] <= 1 and 0 <= report["recall"] <= 1 and report["k"] == 3
    assert report["n"] == EVAL_N and report["feature_space"] == "digit classifier" and len(report["class_share"]) == 10
    assert "Fréchet distance" in out and "real-vs-real floor" in out and "class shares" in out
    assert report["inversion"]["held_out_error"] is None  # the bundled model trained on all 5,000 digits
    assert "memorisation by inversion" in out and "No images were held out of training" in out


@pytest.mark.parametrize("name", ["mnist-32.pt", "emoji-64.pt"])
def test_bundled_checkpoints_are_slim_and_keep_their_loss_history(name):
    path = ROOT / "checkpoints" / name
    assert path.stat().st_size < 15e6
    raw = torch.load(path, weights_only=True)
    assert not {"opt_G", "opt_D", "rng"} & set(raw)
    model = dcgan.load(path)
    assert model.D is not None and (ROOT / "checkpoints" / name.replace(".pt", ".md")).is_file()
    history = model.history
    assert len(history["loss_d"]) == len(history["loss_g"]) == model.meta["step"] > 0
    assert history["epoch"][-1] == model.meta["epoch"]
    assert torch.isfinite(torch.tensor(history["loss_g"])).all()


def test_digit_report_resizes_other_image_sizes(tiny_checkpoint):
    model = dcgan.load(tiny_checkpoint)  # 16x16, trained one epoch on scikit-learn's digits
    report = evaluate(model, load_data("digits", image_size=16), n=200, verdict=False, inversion=False)
    assert report.feature_space == "digit classifier" and report.frechet > report.frechet_floor
    assert abs(sum(report.class_share.values()) - 1) < 1e-3 and 0.1 <= report.mean_confidence <= 1
