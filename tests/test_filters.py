"""Filter visualisation: each image excites its own channel more than other channels' images and noise."""
import torch

import dcgan
from dcgan.features import channel_means, top_examples
from dcgan.filters import FilterSettings, visualise_layer


def test_each_image_prefers_its_own_channel(bundled_mnist):
    D = dcgan.load(bundled_mnist).D
    channels = list(range(8))
    images = visualise_layer(D, "layer2", channels=channels, settings=FilterSettings(steps=64), seed=0)
    assert images.shape == (8, 1, 32, 32) and images.abs().max() <= 1
    acts = channel_means(D, images, 2)[:, channels]  # acts[i, j]: image i on channel j
    own = acts.diag()
    others = (acts.sum(0) - own) / (len(channels) - 1)  # channel j's mean response to the other images
    assert (own > others).float().mean() >= 0.75
    noise = torch.rand(8, 1, 32, 32) * 2 - 1
    noise_acts = channel_means(D, noise, 2)[:, channels].mean(0)
    # 1/f^1.5 smoothing and TV trade some activation for readability: a high-frequency channel may prefer noise
    assert (own > noise_acts).float().mean() >= 0.75


def test_visualisation_is_reproducible_and_seeded(bundled_mnist):
    D = dcgan.load(bundled_mnist).D
    s = FilterSettings(steps=8)
    a = visualise_layer(D, 1, channels=[0, 1], settings=s, seed=3)
    assert torch.equal(a, visualise_layer(D, 1, channels=[0, 1], settings=s, seed=3))
    assert not torch.equal(a, visualise_layer(D, 1, channels=[0, 1], settings=s, seed=4))
    assert not D.training


def test_visualisation_leaves_d_as_it_found_it_and_bf16_matches_fp32(bundled_mnist):
    D = dcgan.load(bundled_mnist).D.train().requires_grad_(True)
    before = {k: v.clone() for k, v in D.state_dict().items()}
    fp32 = visualise_layer(D, 2, channels=[0, 1, 2], settings=FilterSettings(steps=32, bf16=False))
    bf16 = visualise_layer(D, 2, channels=[0, 1, 2], settings=FilterSettings(steps=32, bf16=True))
    assert D.training and all(p.requires_grad and p.is_contiguous() for p in D.parameters())
    assert all(torch.equal(v, before[k]) for k, v in D.state_dict().items())
    # bf16 autocast (the default where the CPU has it) changes details, not the pattern: each pair correlates
    a, b = (x.flatten(1) - x.flatten(1).mean(1, keepdim=True) for x in (fp32, bf16))
    assert ((a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1))).min() > 0.5


def test_top_examples_are_sorted(bundled_mnist):
    from dcgan.data import load_data

    D = dcgan.load(bundled_mnist).D
    images = load_data("mnist", image_size=32).as_float(slice(0, 300))
    idx, values = top_examples(D, images, 1, [0, 5], k=4)
    assert idx.shape == (2, 4) and (values[:, :-1] >= values[:, 1:]).all()
    best = channel_means(D, images, 1)[:, 0].argmax()
    assert idx[0, 0] == best


def test_robust_pixel_view_is_smoother_and_keeps_a_dark_background(bundled_mnist):
    from dcgan.readability import high_frequency_share

    D = dcgan.load(bundled_mnist).D
    old = dict(decay=0.75, tv_weight=0.02, scale=0.0, rotate=0.0)  # the settings before issue 12
    then = visualise_layer(D, 2, channels=range(8), steps=32, **old)
    now = visualise_layer(D, 2, channels=range(8), steps=32, background=-1.0)
    assert high_frequency_share(now).mean() < 0.8 * high_frequency_share(then).mean()
    assert (now < -0.5).float().mean() > 0.6 and (now < -0.5).float().mean() > (then < -0.5).float().mean()
