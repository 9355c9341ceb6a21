"""A run's timeline (dcgan.timeline): every saved epoch measured alike, the JSON contract, the HTML page, errors,
and AlignedUMAP keeping points still across epochs where independent maps jump."""
import json
import shutil

import numpy as np
import pytest
import torch
from helpers import tiny_train_config

import dcgan
from dcgan.cli import main
from dcgan.timeline import aligned_maps, map_features, movement, run_checkpoints


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """Three epochs of a tiny digits model, every epoch kept (about 10 s)."""
    from dcgan.train import train

    out = tmp_path_factory.mktemp("run")
    train(tiny_train_config(out, epochs=3, save_every=1, max_images=320), progress=False)
    return out


def test_epoch_files_are_slim_and_last_pt_keeps_what_resuming_needs(tiny_run):
    epoch = torch.load(tiny_run / "epoch_002.pt", weights_only=True)
    last = torch.load(tiny_run / "last.pt", weights_only=True)
    assert not {"opt_G", "opt_D", "rng"} & set(epoch) and {"opt_G", "opt_D", "rng"} <= set(last)
    assert epoch["epoch"] == 2 and dcgan.load(tiny_run / "epoch_002.pt").D is not None


def test_timeline_command_writes_one_entry_per_epoch_and_a_page(tiny_run, tmp_path, capsys):
    assert [e for e, _ in run_checkpoints(tiny_run)] == [1, 2, 3]  # last.pt is epoch 3: not counted twice
    code = main(["timeline", str(tiny_run), "--data", "digits", "--n", "200",
                 "--json", str(tmp_path / "t.json"), "--out", str(tmp_path / "t.html")])
    assert code == 0
    report = json.loads((tmp_path / "t.json").read_text())
    rows = report["epochs"]
    assert [r["epoch"] for r in rows] == [1, 2, 3] and report["feature_space"] == "digit classifier"
    for r in rows:
        assert r["fd"] > 0 and 0 <= r["precision"] <= 1 and 0 <= r["recall"] <= 1
    assert len({r["fd"] for r in rows}) == 3  # each epoch measured on its own weights
    html = (tmp_path / "t.html").read_text()
    assert html.count("<figure") == 3 and 'id="scrub"' in html and "data:image/png;base64," in html


def test_a_checkpoint_against_itself_reads_as_the_real_set_would(tiny_run):
    """Known answer: with the samples' features used as the 'real' set, precision = recall = 1 and FD ~ 0."""
    from dcgan.data import load_data
    from dcgan.timeline import Reference, measure

    model = dcgan.load(tiny_run / "last.pt")
    data = load_data("digits", image_size=16)
    from dcgan.fidelity import feature_space
    from dcgan.latent import generate, sample_z

    z = sample_z(200, model.config.nz, seed=0)
    fn, space = feature_space(model, data)
    ref = Reference(real=None, features=fn(generate(model.G, z)), space=space, z=z, grid_z=z[:4], fn=fn)
    row = measure(model, data, ref)
    assert row["precision"] == 1.0 and row["recall"] == 1.0 and abs(row["fd"]) < 1e-2


def test_no_checkpoints_and_mixed_sizes_get_one_line_errors(tiny_run, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["timeline", str(tmp_path / "empty"), "--data", "digits"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: no epoch_NNN.pt or last.pt in") and "\n" not in err
    from dcgan.train import train

    other = train(tiny_train_config(tmp_path / "big", image_size=32, max_images=64), progress=False)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    shutil.copy(tiny_run / "epoch_001.pt", mixed / "epoch_001.pt")
    shutil.copy(other, mixed / "epoch_002.pt")
    assert main(["timeline", str(mixed), "--data", "digits"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("error: epoch_002.pt is 32x32, 1 channel(s), nz 8 but epoch_001.pt is 16x16, 1 channel(s), nz 8: "
                   "compare checkpoints of one size")


def test_aligned_umap_moves_points_less_than_independent_maps(tiny_run):
    """The same 120 real images and 120 z through D at each epoch; AlignedUMAP must keep them steadier than UMAPs
    fitted one epoch at a time (both compared after the best rotation, so only real rearrangement counts)."""
    from dcgan.data import load_data

    models = [dcgan.load(p) for _, p in run_checkpoints(tiny_run)]
    data = load_data("digits", image_size=16)
    real = data.as_float(torch.arange(120))
    z = dcgan.latent.sample_z(120, 8, seed=0)
    slices = map_features(models, real, z)
    assert [s.shape for s in slices] == [(240, slices[0].shape[1])] * 3
    aligned = aligned_maps(slices, n_epochs=60)
    independent = aligned_maps(slices, n_epochs=60, aligned=False)
    assert all(np.isfinite(a).all() and a.shape == (240, 2) for a in aligned)
    assert movement(aligned) < 0.7 * movement(independent)


def test_a_run_with_more_saved_epochs_than_the_cap_is_refused_before_any_loads(tmp_path):
    from dcgan.errors import ConfigError
    from dcgan.limits import MAX_TIMELINE_EPOCHS

    for epoch in range(MAX_TIMELINE_EPOCHS + 1):
        (tmp_path / f"epoch_{epoch:03d}.pt").write_bytes(b"not a checkpoint")  # loading any would fail differently
    with pytest.raises(ConfigError, match=f"at most {MAX_TIMELINE_EPOCHS}"):
        run_checkpoints(tmp_path)
    (tmp_path / "epoch_000.pt").unlink()
    assert len(run_checkpoints(tmp_path)) == MAX_TIMELINE_EPOCHS  # at the cap: listed (and only then loaded)
