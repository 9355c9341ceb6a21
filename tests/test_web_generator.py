"""dcgan.web_generator: BatchNorm folding is exact, and the export the browser reads round-trips."""
import json

import numpy as np
import pytest
import torch
from torch import nn

from dcgan import web_generator as web
from dcgan.config import ModelConfig
from dcgan.errors import DcganError
from dcgan.models import Generator


def trained_like_G(seed: int = 0, **overrides) -> Generator:
    """A tiny G whose BatchNorm running statistics are far from (0, 1), and whose images have contrast, as after
    training."""
    torch.manual_seed(seed)
    G = Generator(ModelConfig(**{**dict(image_size=16, channels=3, nz=8, ngf=8, ndf=8), **overrides}))
    for m in G.modules():
        if isinstance(m, nn.ConvTranspose2d):
            m.weight.data.normal_(0, 0.15)
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.5)
            m.running_var.uniform_(0.2, 3.0)
            m.weight.data.normal_(1, 0.3)
            m.bias.data.normal_(0, 0.3)
    return G.eval()


def test_folded_net_equals_G():
    G = trained_like_G()
    z = torch.randn(5, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = G(z)
    layers = web.fold_generator(G)
    assert [layer.activation for layer in layers] == ["relu", "relu", "tanh"]
    assert torch.allclose(web.run_folded(layers, z), expected, atol=1e-5)
    assert expected.std() > 0.05  # not a flat image that anything would match


def test_folding_uses_running_statistics_not_the_batch():
    G = trained_like_G()
    G.main[1].running_mean.add_(1.0)  # a different mean must change the folded bias, and only that
    layers = web.fold_generator(G)
    scale = G.main[1].weight / torch.sqrt(G.main[1].running_var + G.main[1].eps)
    assert torch.allclose(layers[0].bias, G.main[1].bias - scale * G.main[1].running_mean, atol=1e-6)


def test_float32_export_round_trips_exactly_and_float16_within_its_precision():
    layers = web.fold_generator(trained_like_G())
    z = torch.randn(3, 8, generator=torch.Generator().manual_seed(2))
    exact = web.run_folded(layers, z)
    for dtype, tol in (("float32", 0.0), ("float16", 2e-3)):
        layout, blob = web.export(layers, nz=8, dtype=dtype)
        assert len(blob) == layout["count"] * (2 if dtype == "float16" else 4)
        back = web.read_export(*web.unpack(web.pack(layout, blob)))
        for a, b in zip(layers, back):
            assert torch.allclose(a.weight, b.weight, atol=tol * a.weight.abs().max().item() + 1e-12)
        assert (web.run_folded(back, z) - exact).abs().max() <= tol


def test_pack_aligns_the_blob_and_keeps_the_layout():
    layout, blob = web.export(web.fold_generator(trained_like_G()), nz=8, dtype="float32")
    packed = web.pack({**layout, "id": "abc"}, blob)
    n = int.from_bytes(packed[:4], "little")
    assert (4 + n) % 4 == 0 and packed[4 + n:] == blob
    assert json.loads(packed[4:4 + n])["id"] == "abc"
    first = np.frombuffer(blob[:4], "<f4")[0]
    assert first == web.fold_generator(trained_like_G())[0].weight.flatten()[0].item()  # PyTorch order, little-endian


def test_count_macs_matches_a_hand_count():
    layers = web.fold_generator(trained_like_G())  # z 8 -> 16 @4x4 -> 8 @8x8 -> 3 @16x16, 4x4 kernels
    # each input pixel meets cin x cout x 16 weights: 1 px of z, then the 4x4 and the 8x8 maps
    assert web.count_macs(layers, 8) == 1 * 8 * 16 * 16 + 16 * 16 * 8 * 16 + 64 * 8 * 3 * 16


def test_a_net_that_is_not_a_dcgan_G_is_refused():
    G = trained_like_G()
    G.main[2] = nn.Sigmoid()
    with pytest.raises(DcganError, match="expected ReLU or Tanh"):
        web.fold_generator(G)
    with pytest.raises(DcganError, match="dtype must be one of"):
        web.export(web.fold_generator(trained_like_G()), nz=8, dtype="int8")


def test_cli_web_writes_what_the_browser_reads(tmp_path, capsys):
    from helpers import BUNDLED_MNIST

    from dcgan.cli import main

    assert main(["web", str(BUNDLED_MNIST), "--out", str(tmp_path / "g.bin")]) == 0
    layout, blob = web.unpack((tmp_path / "g.bin").read_bytes())
    assert layout["dtype"] == "float16" and len(blob) == 2 * layout["count"]
    assert [e["activation"] for e in layout["layers"]] == ["relu", "relu", "relu", "tanh"]
    assert f"{layout['macs'] / 1e6:.1f}M multiply-adds" in capsys.readouterr().out
