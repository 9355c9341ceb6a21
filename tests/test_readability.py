"""Readability measures on inputs with known answers: noise scores high, real digits low."""
import torch

from dcgan.data import load_data
from dcgan.readability import high_frequency_share, nearest_real_ratio, saturated_share


def _digits():
    images = load_data("mnist", image_size=32).as_float()
    return images[torch.randperm(len(images), generator=torch.Generator().manual_seed(0))[:600]]


def test_noise_is_high_frequency_and_digits_are_not():
    gen = torch.Generator().manual_seed(0)
    noise = torch.rand(64, 1, 32, 32, generator=gen) * 2 - 1
    assert high_frequency_share(noise).mean() > 0.7  # white noise: ~0.80, the area outside the circle
    assert high_frequency_share(_digits()[:200]).mean() < 0.06
    checker = (torch.arange(32)[:, None] + torch.arange(32)[None, :]) % 2 * 2.0 - 1  # all power at Nyquist
    assert high_frequency_share(checker[None, None]).item() > 0.99
    assert high_frequency_share(torch.zeros(1, 1, 32, 32)).item() == 0  # blank: no power at all


def test_nearest_real_ratio_is_near_one_for_held_out_digits_and_far_for_noise():
    digits = _digits()
    held_out, pool = digits[:100], digits[100:]
    assert 0.8 < nearest_real_ratio(held_out, pool) < 1.3
    noise = (torch.rand(50, 1, 32, 32, generator=torch.Generator().manual_seed(1)) > 0.5).float() * 2 - 1
    assert nearest_real_ratio(noise, pool) > 3


def test_saturated_share():
    assert saturated_share(torch.ones(2, 1, 4, 4)) == 1.0
    assert saturated_share(torch.zeros(2, 1, 4, 4)) == 0.0
