"""Latent-space tools: exact interpolation ends, norm-keeping slerp, arithmetic, directions."""
import numpy as np
import pytest
import torch

import dcgan
from dcgan import latent as L


def test_sampling_is_seeded_and_truncation_bounds_z():
    assert torch.equal(L.sample_z(4, 10, seed=3), L.sample_z(4, 10, seed=3))
    assert not torch.equal(L.sample_z(4, 10, seed=3), L.sample_z(4, 10, seed=4))
    assert L.sample_z(500, 10, seed=0, truncation=0.5).abs().max() <= 0.5


@pytest.mark.parametrize("mode", ["lerp", "slerp"])
def test_interpolation_end_points_are_exact(mode):
    keys = L.sample_z(3, 16, seed=1)
    path = L.interpolate(keys, 5, mode=mode)
    assert path.shape == (11, 16)
    for k in range(3):
        assert torch.equal(path[5 * k], keys[k])


def test_slerp_keeps_the_norm_and_lerp_does_not():
    a, b = L.sample_z(2, 64, seed=2)
    b = b / b.norm() * a.norm()  # equal norms: slerp must stay on the sphere
    t = torch.linspace(0, 1, 11)
    assert torch.allclose(L.slerp(a, b, t).norm(dim=1), a.norm().expand(11), rtol=1e-5)
    assert L.lerp(a, b, t)[5].norm() < 0.9 * a.norm()  # the chord dips inside the sphere


def test_slerp_of_parallel_vectors_falls_back_to_lerp():
    a = torch.ones(8)
    assert torch.allclose(L.slerp(a, 2 * a, torch.tensor([0.5]))[0], 1.5 * a)


def test_arithmetic_on_hand_made_z():
    z_a = torch.tensor([[1.0, 0, 0], [3.0, 0, 0]])  # mean (2, 0, 0)
    z_b = torch.tensor([[0.0, 1, 0]])
    z_c = torch.tensor([[0.0, 0, 5], [0.0, 0, 3]])  # mean (0, 0, 4)
    result, family = L.arithmetic(z_a, z_b, z_c, n_family=20, noise=0.25, seed=0)
    assert torch.allclose(result, torch.tensor([2.0, -1.0, 4.0]))
    assert family.shape == (20, 3)
    assert (family - result).abs().max() <= 0.25 and (family - result).abs().max() > 0.1


def test_frame_changes_flag_a_jump():
    frames = torch.zeros(5, 1, 8, 8)
    frames[3:] = 1.0
    jumps = L.frame_changes(frames)
    assert jumps.shape == (4,) and int(np.argmax(jumps)) == 2 and jumps[0] == 0


def test_directions_apply_in_sigma_units():
    d = L.raw_direction(10, 3)
    z = torch.zeros(10)
    assert L.apply_direction(z, d, 2.0)[3] == 2.0
    att = L.attribute_direction(torch.tensor([[2.0, 0.0]]), torch.tensor([[0.0, 0.0]]), "right")
    assert torch.allclose(att.vector, torch.tensor([1.0, 0.0]))
    with pytest.raises(ValueError):
        L.attribute_direction(torch.ones(1, 2), torch.ones(1, 2))


def test_pca_directions_are_ranked_and_change_the_image(bundled_mnist):
    model = dcgan.load(bundled_mnist)
    dirs = L.pca_directions(model.G, k=4, n_samples=600)
    variances = [d.explained_variance for d in dirs]
    assert variances == sorted(variances, reverse=True) and all(v > 0 for v in variances)
    z = L.sample_z(1, model.config.nz, seed=0)[0]
    strip = L.generate(model.G, torch.stack([L.apply_direction(z, dirs[0], s) for s in (-2, 0, 2)]))  # as the page
    assert strip.shape == (3, 1, 32, 32)
    assert torch.allclose(strip[1], L.generate(model.G, z[None])[0], atol=1e-5)
    assert (strip[0] - strip[2]).abs().mean() > 0.05  # moving along PC1 visibly changes the digit


def test_walk_frames_and_animation(bundled_mnist, tmp_path):
    from dcgan.media import save_animation

    model = dcgan.load(bundled_mnist)
    frames = L.walk_frames(model.G, L.sample_z(3, model.config.nz), 4)
    assert frames.shape == (9, 32, 32, 1) and frames.dtype == np.uint8
    for suffix in (".gif", ".mp4"):
        path = save_animation(frames, tmp_path / f"walk{suffix}", scale=2)
        assert path.stat().st_size > 1000


def test_equal_change_walk_spaces_frames_more_evenly_and_keeps_the_keyframes(bundled_mnist):
    from dcgan import load

    G = load(bundled_mnist).G
    keys = L.sample_z(3, 100, seed=4)
    plain = L.interpolate(keys, 8, mode="slerp")
    even = L.equal_change_path(G, keys, 8, mode="slerp")
    assert even.shape == plain.shape and torch.equal(even[::8], keys)
    spread = lambda path: (lambda j: j.max() / j.mean())(L.frame_changes(L.generate(G, path)))  # noqa: E731
    assert spread(even) < spread(plain) and spread(even) < 1.5
