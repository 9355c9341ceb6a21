"""Loading is safe and exact: project files, safetensors, pytorch/examples state_dicts; bad files fail in one line."""
import os
import pickle

import pytest
import torch
from helpers import reference_generator
from torch import nn

import dcgan
from dcgan.checkpoint import export
from dcgan.errors import CheckpointError


def reference_discriminator(ndf=64, nc=3):
    seq = nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid(),
    )
    wrapper = nn.Module()
    wrapper.main = seq
    return wrapper


def _randomise_bn(module):
    """Give BatchNorm non-trivial running stats so eval-mode equality means something."""
    torch.manual_seed(1)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2)
            m.weight.data.normal_(1, 0.1)
            m.bias.data.normal_(0, 0.1)


def test_project_checkpoint_round_trip(tiny_checkpoint):
    model = dcgan.load(tiny_checkpoint)
    assert not model.G.training and not model.D.training
    assert model.config.nz == 8 and model.config.labels == tuple("0123456789")
    assert model.history and len(model.history["loss_d"]) == model.meta["step"]
    raw = torch.load(tiny_checkpoint, weights_only=True)
    for k, v in raw["G"].items():
        assert torch.equal(model.G.state_dict()[k], v)
    assert {"opt_G", "opt_D", "rng", "epoch", "step", "train_config"} <= set(raw)


@pytest.mark.parametrize("prefix", ["", "module."])
def test_pytorch_examples_state_dict_gives_identical_images(tmp_path, prefix):
    G_ref, D_ref = reference_generator(nz=20, ngf=8, nc=3), reference_discriminator(ndf=8, nc=3)
    _randomise_bn(G_ref), _randomise_bn(D_ref)
    G_ref.eval(), D_ref.eval()
    torch.save({prefix + k: v for k, v in G_ref.state_dict().items()}, tmp_path / "netG_epoch_3.pth")
    torch.save({prefix + k: v for k, v in D_ref.state_dict().items()}, tmp_path / "netD_epoch_3.pth")
    model = dcgan.load(tmp_path / "netG_epoch_3.pth")
    cfg = model.config
    assert (cfg.image_size, cfg.channels, cfg.nz, cfg.ngf, cfg.ndf) == (64, 3, 20, 8, 8)
    z = torch.randn(4, 20, 1, 1)
    with torch.no_grad():
        assert torch.allclose(model.G(z), G_ref.main(z), atol=1e-6)
        images = model.G(z)
        assert torch.allclose(torch.sigmoid(model.D(images)), D_ref.main(images).flatten(), atol=1e-6)


def test_old_files_without_num_batches_tracked_load(tmp_path):
    G_ref = reference_generator(nz=10, ngf=4, nc=1)
    state = {k: v for k, v in G_ref.state_dict().items() if not k.endswith("num_batches_tracked")}
    torch.save(state, tmp_path / "netG.pth")
    assert dcgan.load(tmp_path / "netG.pth").config.channels == 1


def test_discriminator_file_alone_is_explained(tmp_path):
    torch.save(reference_discriminator(ndf=4).state_dict(), tmp_path / "netD_epoch_1.pth")
    with pytest.raises(CheckpointError, match="discriminator file"):
        dcgan.load(tmp_path / "netD_epoch_1.pth")


@pytest.mark.parametrize("include_d", [False, True])
def test_safetensors_export_round_trip(tiny_checkpoint, tmp_path, include_d):
    model = dcgan.load(tiny_checkpoint)
    path = export(model, tmp_path / "g.safetensors", include_d=include_d)
    again = dcgan.load(path)
    assert again.config == model.config
    assert (again.D is not None) == include_d
    z = torch.randn(3, model.config.nz)
    assert torch.equal(again.G(z), model.G(z))


def test_slim_pt_export_keeps_history_drops_optimisers(tiny_checkpoint, tmp_path):
    model = dcgan.load(tiny_checkpoint)
    path = export(model, tmp_path / "slim.pt", include_d=True)
    raw = torch.load(path, weights_only=True)
    assert "opt_G" not in raw and "rng" not in raw
    again = dcgan.load(path)
    assert again.history == model.history and again.D is not None
    assert path.stat().st_size < tiny_checkpoint.stat().st_size


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch EXPLOITED",))


@pytest.mark.parametrize("writer", ["pickle", "torch"])
def test_malicious_pickle_is_refused_without_running(tmp_path, monkeypatch, writer):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.pt"
    if writer == "pickle":
        path.write_bytes(pickle.dumps({"G": _Exploit()}))
    else:
        torch.save({"G": _Exploit()}, path)
    with pytest.raises(CheckpointError, match="refused") as err:
        dcgan.load(path)
    assert not (tmp_path / "EXPLOITED").exists()
    assert "\n" not in str(err.value)


def test_junk_truncated_and_mismatched_files_get_one_line_errors(tiny_checkpoint, tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"this is not a checkpoint at all" * 10)
    truncated = tmp_path / "trunc.pt"
    truncated.write_bytes(tiny_checkpoint.read_bytes()[:2000])
    mismatched = tmp_path / "netG_mismatch.pth"
    state = reference_generator(nz=10, ngf=4, nc=1).state_dict()
    state["main.3.weight"] = torch.zeros(5, 5, 4, 4)  # fits no architecture
    torch.save(state, mismatched)
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    not_weights = tmp_path / "list.pt"
    torch.save([1, 2, 3], not_weights)
    cases = {junk: "not a PyTorch checkpoint", truncated: "truncated or corrupt", mismatched: "do not fit",
             empty: "empty", not_weights: "not a DCGAN checkpoint", tmp_path / "missing.pt": "no such file"}
    for path, expected in cases.items():
        with pytest.raises(CheckpointError, match=expected) as err:
            dcgan.load(path)
        assert "\n" not in str(err.value), str(err.value)


def test_a_file_from_a_newer_release_is_refused_in_one_line(tiny_checkpoint, tmp_path):
    state = torch.load(tiny_checkpoint, weights_only=True)
    torch.save({**state, "version": dcgan.checkpoint.VERSION + 1}, tmp_path / "newer.pt")
    with pytest.raises(CheckpointError, match=r"newer DCGAN Explorer \(format 2;.*upgrade") as err:
        dcgan.load(tmp_path / "newer.pt")
    assert "\n" not in str(err.value)
    torch.save({**state, "version": "two"}, tmp_path / "odd.pt")
    with pytest.raises(CheckpointError, match="format version is invalid"):
        dcgan.load(tmp_path / "odd.pt")
    torch.save({k: v for k, v in state.items() if k != "version"}, tmp_path / "unversioned.pt")
    assert dcgan.load(tmp_path / "unversioned.pt").config.nz == 8  # files from before versions are format 1


def test_safetensors_exports_carry_the_version_and_newer_ones_are_refused(tiny_checkpoint, tmp_path):
    from safetensors.torch import load_file, safe_open, save_file

    path = export(dcgan.load(tiny_checkpoint), tmp_path / "g.safetensors")
    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata()
    assert metadata["version"] == str(dcgan.checkpoint.VERSION)
    save_file(load_file(str(path)), str(tmp_path / "newer.safetensors"), metadata={**metadata, "version": "9"})
    with pytest.raises(CheckpointError, match="newer DCGAN Explorer"):
        dcgan.load(tmp_path / "newer.safetensors")


def test_resuming_needs_the_runs_last_pt_not_an_epoch_file_or_export(tiny_checkpoint, tmp_path):
    from dcgan.checkpoint import epoch_state, read_training_state

    state = torch.load(tiny_checkpoint, weights_only=True)
    config = dcgan.load(tiny_checkpoint).config
    assert read_training_state(tiny_checkpoint, config)["epoch"] == state["epoch"]
    torch.save(epoch_state(state), tmp_path / "epoch_001.pt")
    with pytest.raises(CheckpointError, match="no opt_G, opt_D, rng .*resume from the run's last.pt"):
        read_training_state(tmp_path / "epoch_001.pt", config)
    torch.save({**state, "version": 7}, tmp_path / "newer.pt")
    with pytest.raises(CheckpointError, match="newer DCGAN Explorer"):
        read_training_state(tmp_path / "newer.pt", config)
