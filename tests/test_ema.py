"""EMA of G's weights, warm starts from a slim checkpoint, and D's own learning rate (two-timescale updates)."""
import hashlib

import pytest
import torch
from helpers import tiny_train_config

import dcgan
from dcgan.checkpoint import describe, export
from dcgan.data import load_data
from dcgan.errors import CheckpointError
from dcgan.train import Trainer, train


def _cfg(out, **overrides):
    """The shared tiny config on 256 digits: 4 steps an epoch."""
    return tiny_train_config(out, max_images=256, **overrides)


def _trainer(tmp_path, **overrides) -> Trainer:
    cfg = _cfg(tmp_path, **overrides)
    data = load_data(cfg.data, image_size=cfg.image_size, max_images=256)
    return Trainer(cfg, data, device=torch.device("cpu"))


def _state(path) -> dict:
    return torch.load(path, weights_only=True)


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_ema_follows_the_running_formula(tmp_path):
    trainer = _trainer(tmp_path, ema_decay=0.9)
    expected = [p.detach().clone() for p in trainer.G.parameters()]  # the EMA starts as G's initial weights
    for step in range(4):
        real = trainer._batch(torch.arange(step * 64, (step + 1) * 64))
        trainer.train_step(real, update_g=True, batch_size=64)
        expected = [0.9 * e + 0.1 * p.detach() for e, p in zip(expected, trainer.G.parameters())]
    ema = list(trainer.G_ema.parameters())
    assert all(torch.allclose(e, x, atol=1e-6) for e, x in zip(expected, ema))
    assert not all(torch.allclose(p, x, atol=1e-4) for p, x in zip(trainer.G.parameters(), ema))  # it lags G
    assert all(torch.equal(a, b) for a, b in zip(trainer.G_ema.buffers(), trainer.G.buffers()))  # BatchNorm stats


def test_ema_is_off_by_default(tmp_path):
    last = train(_cfg(tmp_path), progress=False)
    assert "G_ema" not in _state(last)
    assert "g_weights" not in dcgan.load(last).meta


def test_resume_continues_the_ema_exactly(tmp_path):
    straight = train(_cfg(tmp_path / "straight", epochs=2, ema_decay=0.9), progress=False)
    train(_cfg(tmp_path / "split", epochs=1, ema_decay=0.9), progress=False)
    resumed = train(_cfg(tmp_path / "split", epochs=2, ema_decay=0.9), resume=True, progress=False)
    s, r = _state(straight), _state(resumed)
    assert _equal(s["G_ema"], r["G_ema"])
    assert not _equal(s["G_ema"], s["G"])


def test_load_and_export_use_the_ema_generator(tmp_path):
    last = train(_cfg(tmp_path / "run", ema_decay=0.9, save_every=1), progress=False)
    saved = _state(last)
    model = dcgan.load(last)
    assert _equal(model.G.state_dict(), saved["G_ema"]) and not _equal(model.G.state_dict(), saved["G"])
    assert "EMA" in describe(model)["meta"]["g_weights"] and "0.9" in describe(model)["meta"]["g_weights"]
    assert _equal(_state(tmp_path / "run" / "epoch_001.pt")["G_ema"], saved["G_ema"])  # epoch files keep it
    for out in (tmp_path / "slim.pt", tmp_path / "g.safetensors"):
        exported = dcgan.load(export(model, out, include_d=True))
        assert _equal(exported.G.state_dict(), saved["G_ema"])
    assert "EMA" in dcgan.load(tmp_path / "slim.pt").meta["g_weights"]  # `info` on the export still says so


def test_warm_start_takes_g_and_d_and_leaves_the_source_alone(tmp_path):
    source = export(dcgan.load(train(_cfg(tmp_path / "a"), progress=False)),
                    tmp_path / "source.pt", include_d=True)
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    trainer = _trainer(tmp_path / "b", init_from=str(source), seed=5)
    trainer.warm_start(source)
    loaded = dcgan.load(source)
    assert _equal(trainer.G.state_dict(), loaded.G.state_dict())
    assert _equal(trainer.D.state_dict(), loaded.D.state_dict())
    assert not trainer.opt_G.state and not trainer.opt_D.state  # fresh optimisers
    warm = train(_cfg(tmp_path / "c", init_from=str(source), seed=5), progress=False)
    cold = train(_cfg(tmp_path / "d", seed=5), progress=False)
    assert not _equal(_state(warm)["G"], _state(cold)["G"])  # the warm start changed where training went
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before


def test_warm_start_refuses_another_shape_or_a_file_without_d(tmp_path):
    model = dcgan.load(train(_cfg(tmp_path / "a"), progress=False))
    with_d, g_only = export(model, tmp_path / "d.pt", include_d=True), export(model, tmp_path / "g.pt")
    with pytest.raises(CheckpointError, match=r"differs .*ngf 8 vs 16"):
        _trainer(tmp_path / "b", ngf=16).warm_start(with_d)
    with pytest.raises(CheckpointError, match="no discriminator"):
        _trainer(tmp_path / "c").warm_start(g_only)
    with pytest.raises(CheckpointError, match="no such file"):
        train(_cfg(tmp_path / "e", init_from=str(tmp_path / "missing.pt")), progress=False)


def test_d_can_have_its_own_learning_rate(tmp_path):
    trainer = _trainer(tmp_path, lr=1e-4, lr_d=4e-4)
    assert trainer.opt_G.param_groups[0]["lr"] == 1e-4 and trainer.opt_D.param_groups[0]["lr"] == 4e-4
    same = _trainer(tmp_path, lr=3e-4)
    assert same.opt_D.param_groups[0]["lr"] == 3e-4  # without --lr-d, D follows --lr
