"""G and D follow the paper's guidelines at every supported size and channel count."""
import pytest
import torch
from torch import nn

from dcgan.config import ModelConfig
from dcgan.errors import ConfigError
from dcgan.models import Discriminator, Generator, build


@pytest.mark.parametrize("size", [16, 32, 64, 128, 256])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_for_every_size_and_channel_count(size, channels):
    G, D = build(ModelConfig(image_size=size, channels=channels, nz=8, ngf=4, ndf=4))
    G.eval(), D.eval()
    with torch.no_grad():
        images = G(torch.randn(2, 8))
        assert images.shape == (2, channels, size, size)
        assert images.min() >= -1 and images.max() <= 1
        assert D(images).shape == (2,)
        acts = D.activations(images)
    assert len(acts) == len(D.layer_names)
    assert acts[-1].shape[-1] == 4  # the last stage ends at 4x4, where the logit conv reads it
    assert [a.shape[-1] for a in acts] == [size // 2 ** (i + 1) for i in range(len(acts))]


def test_generator_accepts_flat_and_4d_z():
    G = Generator(ModelConfig(image_size=16, channels=1, nz=8, ngf=4, ndf=4)).eval()
    z = torch.randn(3, 8)
    assert torch.equal(G(z), G(z[:, :, None, None]))
    with pytest.raises(ValueError, match="z must have shape"):
        G(torch.randn(3, 7))


def test_paper_guidelines_hold():
    G, D = build(ModelConfig(image_size=64, channels=3, nz=100, ngf=16, ndf=16))
    g_layers, d_layers = list(G.main), list(D.main)
    assert not any(isinstance(m, (nn.MaxPool2d, nn.AvgPool2d, nn.Linear)) for m in g_layers + d_layers)
    assert isinstance(g_layers[-1], nn.Tanh) and isinstance(g_layers[-2], nn.ConvTranspose2d)  # no BN on G output
    assert isinstance(d_layers[1], nn.LeakyReLU) and d_layers[1].negative_slope == 0.2  # no BN on D input
    assert sum(isinstance(m, nn.BatchNorm2d) for m in g_layers) == 4
    assert sum(isinstance(m, nn.BatchNorm2d) for m in d_layers) == 3
    assert all(isinstance(m, nn.ReLU) for m in g_layers if isinstance(m, (nn.ReLU, nn.LeakyReLU)))
    weights = torch.cat([m.weight.flatten() for m in G.modules() if isinstance(m, nn.ConvTranspose2d)])
    assert abs(weights.mean()) < 0.002 and abs(weights.std() - 0.02) < 0.002
    bn_scale = torch.cat([m.weight for m in G.modules() if isinstance(m, nn.BatchNorm2d)])
    assert abs(bn_scale.mean() - 1) < 0.01 and abs(bn_scale.std() - 0.02) < 0.005


def test_wgan_critic_has_no_batchnorm():
    D = Discriminator(ModelConfig(image_size=32, channels=1, nz=8, ngf=4, ndf=4, loss="wgan-gp"))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())


def test_activations_are_post_nonlinearity_and_stop_early():
    D = Discriminator(ModelConfig(image_size=32, channels=1, nz=8, ngf=4, ndf=4)).eval()
    x = torch.randn(2, 1, 32, 32)
    post, pre = D.activations(x), D.activations(x, pre_activation=True)
    assert torch.allclose(post[0], nn.functional.leaky_relu(pre[0], 0.2))
    assert len(D.activations(x, upto=2)) == 2


@pytest.mark.parametrize("bad", [dict(image_size=48), dict(image_size=8), dict(channels=2), dict(loss="mse")])
def test_invalid_configs_raise(bad):
    with pytest.raises(ConfigError):
        ModelConfig(**bad)
