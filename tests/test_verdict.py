"""The per-image verdict (Model.realness): real images above every kind of garbage, alone or in a batch."""
import numpy as np
import pytest
import torch
from helpers import ROOT

import dcgan
from dcgan.cli import main
from dcgan.data import load_data
from dcgan.errors import DcganError
from dcgan.latent import generate, sample_z
from dcgan.models import build
from dcgan.verdict import Verdict, auc, fit_verdict, held_out, known_fakes


def _held_out_real(model, data, n=300):
    index = held_out(model.verdict(), len(data))
    index = index[np.random.default_rng(0).permutation(len(index))[:n]]  # the data sets are sorted by class
    return data.as_float(torch.from_numpy(index))


@pytest.mark.parametrize("name", ["mnist-32", "emoji-64"])
def test_bundled_verdict_ranks_real_images_above_every_kind_of_garbage(name):
    model = dcgan.load(ROOT / "checkpoints" / f"{name}.pt")
    data = load_data(model.config.dataset, image_size=model.config.image_size, channels=model.config.channels)
    real = model.realness(_held_out_real(model, data))
    assert real.shape == (300,) and real.min() >= 0 and real.max() <= 1
    assert 0.3 < real.mean() < 0.7  # a percentile among real images: real ones spread around the middle
    for kind, images in known_fakes(model.config, n=100, seed=3).items():
        assert auc(real, model.realness(images)) >= 0.95, kind
    generated = model.realness(generate(model.G, sample_z(300, model.config.nz, seed=5)))
    assert auc(real, generated) > 0.6  # D does tell its own samples from real images, if less sharply


def test_verdict_of_an_image_does_not_depend_on_its_batch(bundled_mnist):
    model = dcgan.load(bundled_mnist)
    images = torch.cat([generate(model.G, sample_z(20, 100, seed=1)), torch.rand(5, 1, 32, 32) * 2 - 1,
                        load_data("mnist", image_size=32).as_float(slice(0, 20))])
    together = model.realness(images)
    alone = np.array([model.realness(images[i : i + 1])[0] for i in range(len(images))])
    shuffled = model.realness(images.flip(0))[::-1]
    assert np.abs(together - alone).max() < 1e-4 and np.abs(together - shuffled).max() < 1e-4


def test_wrong_images_get_one_line_errors(bundled_mnist):
    model = dcgan.load(bundled_mnist)
    for bad, words in ((torch.zeros(2, 3, 32, 32), "shape"), (torch.zeros(2, 1, 64, 64), "shape"),
                       (torch.full((1, 1, 32, 32), float("nan")), "NaN")):
        with pytest.raises(DcganError, match=words) as err:
            model.realness(bad)
        assert "\n" not in str(err.value)


def test_training_writes_a_verdict_that_survives_save_and_load(tiny_checkpoint):
    model = dcgan.load(tiny_checkpoint)
    assert isinstance(model.meta.get("verdict"), dict)  # fitted once training finished
    data = load_data("digits", image_size=16)
    real = model.realness(data.as_float(torch.from_numpy(held_out(model.verdict(), len(data))[:200])))
    noise = model.realness(torch.rand(50, 1, 16, 16) * 2 - 1)
    assert real.mean() > noise.mean()
    again = Verdict.from_state(model.verdict().state_dict())
    images = data.as_float(slice(0, 30))
    assert np.allclose(again.score(model.D, images), model.realness(images), atol=1e-6)


def test_untrained_d_verdict_still_rejects_noise():
    """Even a D that learned nothing: the typicality half of the verdict places noise outside real digits."""
    config = dcgan.ModelConfig(image_size=32, channels=1, nz=16, ngf=8, ndf=8, dataset="mnist")
    torch.manual_seed(0)
    _, D = build(config)
    D.eval()
    real = load_data("mnist", image_size=32).as_float()
    verdict = fit_verdict(D, real[:1000], seed=0)
    real_scores = verdict.score(D, real[1000:1300])
    assert auc(real_scores, verdict.score(D, torch.rand(100, 1, 32, 32) * 2 - 1)) >= 0.95


def test_calibrate_command_adds_a_verdict_to_a_file_without_one(tiny_checkpoint, tmp_path, capsys):
    bare = dcgan.load(tiny_checkpoint)
    bare.meta.pop("verdict")
    from dcgan.checkpoint import export

    stripped = export(bare, tmp_path / "stripped.pt", include_d=True)
    out = tmp_path / "calibrated.pt"
    assert main(["calibrate", str(stripped), "--data", "digits", "--out", str(out), "--n", "100"]) == 0
    printed = capsys.readouterr().out
    assert "uniform noise" in printed and "wrote" in printed
    model = dcgan.load(out)
    assert model.verdict().data == "digits" and model.realness(torch.zeros(1, 1, 16, 16)).shape == (1,)


def test_generator_only_file_has_no_verdict(tiny_checkpoint, tmp_path):
    from dcgan.checkpoint import export

    model = dcgan.load(export(dcgan.load(tiny_checkpoint), tmp_path / "g.safetensors"))
    assert model.D is None and not model.has_verdict()
    assert np.isnan(model.render(torch.zeros(2, 8))[1]).all()
    with pytest.raises(DcganError, match="no discriminator"):
        model.realness(torch.zeros(1, 1, 16, 16))


def test_a_verdict_fitted_on_the_older_features_is_refitted_or_refused(tiny_checkpoint):
    import dataclasses

    from dcgan.verdict import StaleVerdict, model_verdict

    model = dcgan.load(tiny_checkpoint)
    old = dict(model.meta["verdict"], features=1)  # as files saved before the per-stage scaling carry it
    with pytest.raises(StaleVerdict, match="recalibrate"):
        Verdict.from_state(old)
    model.meta["verdict"] = old
    refitted = model_verdict(model)  # built-in data at hand: fitted afresh, not read with the wrong features
    assert refitted.state_dict()["features"] == 2 and refitted.data == "digits"
    model.config = dataclasses.replace(model.config, dataset="my_images")
    with pytest.raises(StaleVerdict, match="recalibrate"):  # nothing to refit on: one line saying what to do
        model_verdict(model)
