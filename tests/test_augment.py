"""D's random shifts (--augment-shift): whole-pixel moves with the edge repeated, differentiable, reproducible; and
its cutouts (--augment-cutout): one blanked square per image."""
import pytest
import torch
from helpers import tiny_train_config

from dcgan.augment import random_cutout, random_shift
from dcgan.config import TrainConfig
from dcgan.errors import ConfigError
from dcgan.memorisation import shifted
from dcgan.train import train


def test_each_image_is_moved_by_whole_pixels_within_the_bound():
    images = torch.randn(40, 3, 16, 16)
    moved = random_shift(images, 0.125, torch.Generator().manual_seed(0))
    offsets = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)]
    found = []
    for x, y in zip(images, moved):
        matches = [o for o in offsets if torch.equal(shifted(x[None], *o)[0], y)]
        assert matches, "every output is its input moved by at most 2 px, edge repeated"
        found.append(matches[0])
    assert len(set(found)) > 5  # the moves differ between images


def test_the_shift_passes_gradients_and_follows_the_generator():
    images = torch.randn(8, 1, 16, 16, requires_grad=True)
    random_shift(images, 0.25, torch.Generator().manual_seed(3)).square().sum().backward()
    assert images.grad.abs().sum() > 0
    a, b = (random_shift(images.detach(), 0.25, torch.Generator().manual_seed(3)) for _ in range(2))
    assert torch.equal(a, b)


def test_a_run_shows_d_shifted_images_only_when_asked_and_refuses_a_wild_fraction(tmp_path, monkeypatch):
    import dcgan.train

    seen = []

    def spy(images, fraction, generator):
        moved = random_shift(images, fraction, generator)
        seen.append((fraction, not torch.equal(moved, images)))
        return moved

    monkeypatch.setattr(dcgan.train, "random_shift", spy)
    train(tiny_train_config(tmp_path / "plain"), progress=False)
    assert not seen  # the paper's recipe: D sees the images as they are
    train(tiny_train_config(tmp_path / "moved", augment_shift=0.125), progress=False)
    steps = 1797 // 64
    assert len(seen) == 3 * steps  # real and fake in D's step, fake again in G's
    assert all(f == 0.125 for f, _ in seen) and all(changed for _, changed in seen)
    with pytest.raises(ConfigError, match="--augment-shift must be from 0 to 0.5"):
        TrainConfig(data="digits", out=str(tmp_path), augment_shift=0.7)


def test_each_cutout_blanks_one_square_of_the_asked_size_and_passes_gradients_elsewhere():
    images = (torch.rand(200, 3, 16, 16) + 0.5).requires_grad_(True)  # no zeros of its own
    out = random_cutout(images, 0.5, torch.Generator().manual_seed(0))
    blank = (out == 0).all(1)  # (n, h, w): every channel blanked together
    assert torch.equal(out[~blank[:, None].expand_as(out)], images[~blank[:, None].expand_as(out)])
    sides = []
    for mask in blank:
        rows, cols = mask.any(1).nonzero().flatten(), mask.any(0).nonzero().flatten()
        assert len(rows) and len(cols) and mask.sum() == len(rows) * len(cols)  # one filled rectangle
        assert len(rows) <= 8 and len(cols) <= 8
        sides.append((len(rows), len(cols)))
    assert (8, 8) in sides and len(set(sides)) > 1  # whole squares inside, clipped ones at the edges
    out.sum().backward()
    assert torch.equal(images.grad, (~blank[:, None]).float().expand_as(images))
    with pytest.raises(ConfigError, match="--augment-cutout must be from 0 to 1"):
        TrainConfig(data="digits", out="runs/x", augment_cutout=1.5)
