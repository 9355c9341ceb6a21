"""Step mode: single D and G steps do what the trainer's losses say, on a copy; the source file is never written."""
from __future__ import annotations

import hashlib

import pytest
import torch

import dcgan
from dcgan.checkpoint import export
from dcgan.data import load_data
from dcgan.errors import DcganError
from dcgan.step_mode import StepMode


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint):
    model = dcgan.load(tiny_checkpoint)
    data = load_data("digits", image_size=model.config.image_size, channels=model.config.channels)
    return model, data


def _digest(path) -> tuple[float, str]:
    return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_d_step_raises_ds_gap_on_its_batch(tiny):
    model, data = tiny
    steps = StepMode(model, data, batch_size=32, n_verdict=80)
    for _ in range(3):
        stats = steps.d_step()
        assert stats.kind == "D" and stats.gap_after > stats.gap_before and stats.loss_after < stats.loss_before


def test_a_g_step_lowers_gs_loss_on_its_z(tiny):
    model, data = tiny
    steps = StepMode(model, data, batch_size=32, n_verdict=80)
    stats = steps.g_step()
    assert stats.kind == "G" and stats.loss_after < stats.loss_before and stats.gap_after < stats.gap_before


def test_steps_change_the_copy_only_and_measuring_keeps_batchnorm_stats(tiny):
    model, data = tiny
    before = {k: v.clone() for k, v in model.G.state_dict().items()}
    steps = StepMode(model, data, batch_size=32, n_verdict=80)
    steps.both()
    assert all(torch.equal(before[k], v) for k, v in model.G.state_dict().items())  # the loaded model untouched
    assert any(not torch.equal(before[k], v) for k, v in steps.G.state_dict().items())
    assert [s.kind for s in steps.history] == ["D", "G"] and steps.steps == 2


def test_measuring_leaves_batchnorm_statistics_as_they_were(tiny):
    from dcgan.step_mode import _measuring

    model, data = tiny
    steps = StepMode(model, data, batch_size=32, n_verdict=80)
    real, _ = steps._batch()
    steps.D.train()
    buffers = {k: b.clone() for k, b in steps.D.named_buffers() if b.is_floating_point()}
    assert buffers, "the tiny D has BatchNorm"
    with _measuring(steps.D):
        steps.D(real)
    assert all(torch.equal(buffers[k], b) for k, b in steps.D.named_buffers() if k in buffers)
    steps.D(real)  # the same pass as training does it moves them: the check above could fail
    assert any(not torch.equal(buffers[k], b) for k, b in steps.D.named_buffers() if k in buffers)


def test_the_verdict_is_refitted_after_d_steps_only(tiny):
    model, data = tiny
    steps = StepMode(model, data, batch_size=32, n_verdict=80)
    first = steps.current().verdict()
    steps.g_step()
    assert steps.current().verdict() is first  # D unchanged: same calibration
    steps.d_step()
    assert steps.current().verdict() is not first


def test_step_mode_never_writes_the_source(tiny_checkpoint, tiny, tmp_path):
    model, data = tiny
    before = _digest(tiny_checkpoint)
    steps = StepMode(dcgan.load(tiny_checkpoint), data, batch_size=32, n_verdict=80)
    steps.both()
    with pytest.raises(DcganError, match="never overwrites"):
        steps.save(tiny_checkpoint, source=tiny_checkpoint)
    saved = steps.save(tmp_path / "stepped.pt", source=tiny_checkpoint)
    assert _digest(tiny_checkpoint) == before
    again = dcgan.load(saved)
    assert all(torch.equal(v, steps.G.state_dict()[k]) for k, v in again.G.state_dict().items())
    assert again.has_verdict()


def test_a_file_without_d_is_refused(tiny, tmp_path):
    model, data = tiny
    g_only = dcgan.load(export(model, tmp_path / "g.safetensors", include_d=False))
    with pytest.raises(DcganError, match="no discriminator"):
        StepMode(g_only, data)


@pytest.mark.slow  # a short training run and the verdict's final fit: ~20 s on an idle 2-core CPU
def test_a_saved_stepped_model_resumes_training(tiny, tmp_path):
    """The saved file is a full run checkpoint: `dcgan train --resume` with its recipe carries on from it."""
    import dataclasses

    from dcgan.train import train

    model, data = tiny
    steps = StepMode(model, data, batch_size=32, n_verdict=80)
    steps.both()
    steps.save(tmp_path / "last.pt")
    cfg = dataclasses.replace(steps.train_config(), out=str(tmp_path), save_every=0)
    resumed = dcgan.load(train(cfg, resume=True, progress=False))
    assert resumed.meta["epoch"] == steps._epoch() + 1 and resumed.meta["step"] > steps.steps
