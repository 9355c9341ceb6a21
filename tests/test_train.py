"""The training loop: finishes fast on digits, is reproducible, resumes exactly, stops cleanly on NaN."""
import json

import pytest
import torch
from helpers import tiny_train_config

import dcgan
from dcgan import losses
from dcgan.data import load_data
from dcgan.errors import CheckpointError, ConfigError, TrainingError
from dcgan.train import train


def _weights(path):
    return torch.load(path, weights_only=True)["G"]


def _same_weights(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_one_epoch_writes_checkpoint_samples_and_log(tmp_path):
    last = train(tiny_train_config(tmp_path), progress=False)
    assert last == tmp_path / "last.pt"
    assert (tmp_path / "samples" / "epoch_001.png").is_file()
    rows = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(1, len(rows) + 1))  # one row per step
    assert len(rows) == 1797 // 64
    assert {"loss_d", "loss_g", "d_real", "d_fake", "epoch"} <= set(rows[0])
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())  # atomic writes leave no temp file


def test_same_seed_same_checkpoint_different_seed_differs(tmp_path):
    a = train(tiny_train_config(tmp_path / "a"), progress=False)
    b = train(tiny_train_config(tmp_path / "b"), progress=False)
    c = train(tiny_train_config(tmp_path / "c", seed=1), progress=False)
    assert _same_weights(_weights(a), _weights(b))
    assert not _same_weights(_weights(a), _weights(c))


def test_resume_matches_training_straight_through(tmp_path):
    straight = train(tiny_train_config(tmp_path / "straight", epochs=2), progress=False)
    train(tiny_train_config(tmp_path / "split", epochs=1), progress=False)
    resumed = train(tiny_train_config(tmp_path / "split", epochs=2), resume=True, progress=False)
    assert _same_weights(_weights(straight), _weights(resumed))
    s, r = (torch.load(p, weights_only=True) for p in (straight, resumed))
    assert s["step"] == r["step"] and s["history"] == r["history"]
    logged = (tmp_path / "split" / "log.jsonl").read_text().splitlines()
    assert len(logged) == s["step"]


def test_save_every_keeps_epoch_files(tmp_path):
    train(tiny_train_config(tmp_path, epochs=2, save_every=1), progress=False)
    assert (tmp_path / "epoch_001.pt").is_file() and (tmp_path / "epoch_002.pt").is_file()


def test_resume_without_checkpoint_is_an_error(tmp_path):
    with pytest.raises(CheckpointError, match="nothing to resume"):
        train(tiny_train_config(tmp_path), resume=True, progress=False)


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    last = train(tiny_train_config(tmp_path), progress=False)
    before = last.read_bytes()
    real_d_loss = losses.d_loss
    monkeypatch.setattr(losses, "d_loss", lambda *a: real_d_loss(*a) * float("nan"))
    with pytest.raises(TrainingError, match="NaN at epoch 2") as err:
        train(tiny_train_config(tmp_path, epochs=2), resume=True, progress=False)
    assert "\n" not in str(err.value)
    assert last.read_bytes() == before
    assert dcgan.load(last).meta["epoch"] == 1


@pytest.mark.parametrize("loss", ["hinge", "wgan-gp"])
def test_other_losses_train(tmp_path, loss):
    last = train(tiny_train_config(tmp_path, loss=loss), progress=False)
    model = dcgan.load(last)
    assert model.config.loss == loss
    history = model.history
    assert all(torch.isfinite(torch.tensor(history[c])).all() for c in ("loss_d", "loss_g"))
    if loss == "wgan-gp":
        assert torch.load(last, weights_only=True)["train_config"]["loss"] == "wgan-gp"
        assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in model.D.modules())


def test_training_moves_d_towards_telling_real_from_fake(tmp_path):
    last = train(tiny_train_config(tmp_path, epochs=3), progress=False)
    h = dcgan.load(last).history
    early = sum(h["d_real"][:5]) / 5 - sum(h["d_fake"][:5]) / 5
    late = sum(h["d_real"][-5:]) / 5 - sum(h["d_fake"][-5:]) / 5
    assert late > early  # D has learned something: its real/fake gap grew


def test_r1_penalty_is_the_squared_input_gradient_of_d_and_refused_beside_wgan_gp(tmp_path):
    weight = torch.randn(1, 3, 4, 4)
    x = torch.randn(5, 3, 4, 4, requires_grad=True)
    logits = (x * weight).flatten(1).sum(1) + 0.5 * x.flatten(1).pow(2).sum(1)  # gradient: weight + x
    expected = (weight + x.detach()).flatten(1).pow(2).sum(1).mean()
    assert torch.allclose(losses.r1_penalty(logits, x), expected)
    with pytest.raises(ConfigError, match="--r1-gamma is for the bce and hinge losses"):
        tiny_train_config(tmp_path, loss="wgan-gp", r1_gamma=1.0)


def test_r1_training_flattens_d_at_real_images(tmp_path):
    """With a strong R1 weight, D's gradient at real digits ends up much smaller than without it."""
    def real_gradient_norm(out, **extra):
        model = dcgan.load(train(tiny_train_config(out, epochs=3, **extra), progress=False))
        x = load_data("digits", image_size=16).as_float()[:64].clone().requires_grad_(True)
        return losses.r1_penalty(model.D.train()(x).float().flatten(), x).item()  # batch statistics, as in training

    plain, penalised = real_gradient_norm(tmp_path / "plain"), real_gradient_norm(tmp_path / "r1", r1_gamma=10.0)
    print(f"R1 at real digits: plain {plain:.3f}, penalised {penalised:.3f}")
    assert penalised < 0.5 * plain
