"""Inversion: the CLI contract, polarity and size handling, the |z| prior, and a G(z0) round trip."""
import numpy as np
import torch
from PIL import Image

from dcgan.checkpoint import build_model
from dcgan.config import ModelConfig
from dcgan.cli import main
from dcgan.invert import invert, load_target, match_polarity


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


def test_any_size_and_mode_becomes_model_shape(tmp_path):
    Image.new("RGB", (50, 37), (255, 255, 255)).save(tmp_path / "a.png")
    t = load_target(tmp_path / "a.png", image_size=16, channels=1)
    assert t.shape == (1, 1, 16, 16) and t.max() <= -0.99  # white page flipped to black


def test_g_of_z0_inverts_back_with_typical_z():
    model = _tiny()
    with torch.no_grad():
        target = model.G(torch.randn(3, 8, generator=torch.Generator().manual_seed(1)))
    res = invert(model.G, target, D=model.D, starts=4, steps=100)
    assert res.z.shape == (3, 8) and res.images.shape == target.shape
    assert np.median(res.error) < 0.05
    ratio = res.z.norm(dim=1) / 8**0.5
    assert ((ratio > 0.5) & (ratio < 1.6)).all()


def test_cli_writes_npy_and_png_and_survives_a_bad_file(tmp_path, capsys):
    from dcgan.checkpoint import export

    ckpt = export(_tiny(), tmp_path / "m.pt", include_d=True)
    Image.new("L", (20, 20), 0).save(tmp_path / "good.png")
    (tmp_path / "bad.png").write_text("not an image")
    rc = main(["invert", str(ckpt), str(tmp_path / "bad.png"), str(tmp_path / "good.png"),
               "--out", str(tmp_path / "o"), "--steps", "5", "--starts", "2"])
    assert rc == 2
    assert np.load(tmp_path / "o" / "good.npy").shape == (8,)
    assert (tmp_path / "o" / "good.png").exists() and not (tmp_path / "o" / "bad.npy").exists()
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.png" in err[0]
