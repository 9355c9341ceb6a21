"""Inversion: the CLI contract, polarity and size handling, the |z| prior, and a G(z0) round trip."""
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from dcgan.checkpoint import build_model
from dcgan.cli import main
from dcgan.config import ModelConfig
from dcgan.invert import InvertSettings, invert, load_target, match_polarity, memorisation_verdict, screen


def _tiny():
    from dcgan.models import Discriminator, Generator

    torch.manual_seed(0)
    cfg = ModelConfig(nz=8, image_size=16, channels=1, ngf=8, ndf=8)
    return build_model(cfg, Generator(cfg).state_dict(), Discriminator(cfg).state_dict())


def test_black_on_white_is_flipped_white_on_black_is_kept():
    x = -torch.ones(2, 1, 16, 16)
    x[:, :, 5:10, 5:10] = 1.0  # white square on black
    out = match_polarity(torch.cat([x[:1], -x[1:]]))
    assert torch.equal(out[0], x[0]) and torch.equal(out[1], x[1])
    assert torch.equal(match_polarity(x, white_on_black=False)[0], -x[0])  # a black-on-white model flips the other way


def test_any_size_and_mode_becomes_model_shape(tmp_path):
    img = Image.new("RGBA", (50, 37), (255, 255, 255, 255))
    img.paste((0, 0, 0, 255), (20, 10, 30, 27))  # a black stroke on white
    img.save(tmp_path / "a.png")
    t = load_target(tmp_path / "a.png", image_size=16, channels=1)
    assert t.shape == (1, 1, 16, 16)
    assert t[0, 0, 0, 0] < -0.99 and t[0, 0, 8, 8] > 0.9  # flipped: black page, white stroke
    assert load_target(tmp_path / "a.png", image_size=16, channels=3, white_on_black=None).shape == (1, 3, 16, 16)


def test_screening_picks_the_bank_z_that_made_the_target():
    model = _tiny()
    bank = torch.randn(64, 8, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        target = model.G(bank[[5, 40]])
    z = screen(model.G, target, bank=64, starts=1, seed=3)
    assert torch.equal(z, bank[[5, 40]])


def test_g_of_z0_inverts_back_with_typical_z():
    model = _tiny()
    with torch.no_grad():
        target = model.G(torch.randn(3, 8, generator=torch.Generator().manual_seed(1)))
    res = invert(model.G, target, D=model.D, settings=InvertSettings(bank=16, starts=2, steps=60))
    assert res.z.shape == (3, 8) and res.images.shape == target.shape
    assert np.median(res.error) < 0.05
    assert ((res.typicality() > 0.7) & (res.typicality() < 1.3)).all()


def test_prior_pulls_z_back_to_typical_norm():
    model = _tiny()
    target = torch.full((2, 1, 16, 16), 1.0)  # all white: far from anything G draws, pulls z outwards
    loose = invert(model.G, target, settings=InvertSettings(bank=8, starts=1, steps=60, prior_weight=0.0, lr=0.3))
    tight = invert(model.G, target, settings=InvertSettings(bank=8, starts=1, steps=60, prior_weight=5.0, lr=0.3))
    assert np.abs(tight.typicality() - 1).max() < np.abs(loose.typicality() - 1).min()


def test_verdict_tells_memorised_from_not():
    rng = np.random.default_rng(0)
    held = rng.uniform(0.15, 0.25, 48)
    p, words = memorisation_verdict(held * 0.5, held, n_seen=100)
    assert p < 0.01 and "memorised part" in words
    p, words = memorisation_verdict(rng.uniform(0.15, 0.25, 48), held, n_seen=100)
    assert p > 0.01 and "no sign" in words
    assert memorisation_verdict(held, None, n_seen=100)[0] is None


def test_cli_writes_npy_and_png_and_survives_a_bad_file(tmp_path, capsys):
    from dcgan.checkpoint import export

    ckpt = export(_tiny(), tmp_path / "m.pt", include_d=True)
    Image.new("L", (20, 20), 0).save(tmp_path / "good.png")
    Image.new("RGB", (40, 28), (255, 255, 255)).save(tmp_path / "white.jpg")
    (tmp_path / "bad.png").write_text("not an image")
    rc = main(["invert", str(ckpt), str(tmp_path / "bad.png"), str(tmp_path / "good.png"), str(tmp_path / "white.jpg"),
               "--out", str(tmp_path / "o"), "--steps", "5", "--starts", "2", "--bank", "8"])
    assert rc == 2
    assert np.load(tmp_path / "o" / "good.npy").shape == (8,)
    assert Image.open(tmp_path / "o" / "white.png").size == (16, 16)
    assert (tmp_path / "o" / "good.png").exists() and not (tmp_path / "o" / "bad.npy").exists()
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and "bad.png" in err[0]
    assert "real-to-real nearest-neighbour distance in mnist" in captured.out


def test_memorisation_by_inversion_compares_the_images_held_out_of_training():
    from dcgan.data import load_data
    from dcgan.invert import held_out_split, inversion_memorisation

    model = _tiny()
    data = load_data("mnist", image_size=16, max_images=120)
    model = build_model(ModelConfig(**{**model.config.to_dict(), "dataset": "mnist"}), model.G.state_dict(),
                        model.D.state_dict(), {"n_images": 80})
    train, held = held_out_split(model, data)
    assert train.tolist() == list(range(80)) and held.tolist() == list(range(80, 120))
    report = inversion_memorisation(model, data, n=6, settings=InvertSettings(bank=8, starts=1, steps=3))
    assert report.n == 6 and report.held_out_error is not None and report.p_value is not None
    model.meta["n_images"] = 120  # trained on every image: nothing to compare with
    assert held_out_split(model, data)[1] is None
    assert inversion_memorisation(model, data, n=6, settings=InvertSettings(bank=8, starts=1, steps=3)).p_value is None


def test_bundled_model_inverts_real_and_font_digits(bundled_mnist):
    """Real digits come back closer than real-to-real neighbours; a font G never saw comes back as the same digits."""
    import importlib.util

    from helpers import ROOT

    import dcgan
    from dcgan.data import load_data
    from dcgan.invert import real_nn_reference, to_target
    from dcgan.metrics import load_classifier

    spec = importlib.util.spec_from_file_location("bench_invert", ROOT / "bench" / "bench_invert.py")
    spec.loader.exec_module(bench := importlib.util.module_from_spec(spec))
    font_digit = bench.font_digit

    model = dcgan.load(bundled_mnist)
    real = load_data("mnist", image_size=32).as_float()
    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")  # .ci/run installs fonts-dejavu-core
    fonts = torch.cat([to_target(np.asarray(font_digit(font, d)), image_size=32, channels=1) for d in range(10)])
    res = invert(model.G, torch.cat([real[-6:], fonts]), D=model.D)
    assert np.median(res.error[:6]) <= real_nn_reference(real)
    with torch.no_grad():
        read = load_classifier()(res.images[6:]).argmax(1)
    assert (read == torch.arange(10)).sum() >= 7
    assert 0.7 <= np.median(res.typicality()) <= 1.3
