"""The landscape: its grid is the verdict itself, its arrows are the verdict's gradient, its planes are as named."""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch

import dcgan
from dcgan import landscape as LS
from dcgan.checkpoint import export
from dcgan.cli import main
from dcgan.latent import Direction, generate, sample_z


@pytest.fixture(scope="module")
def mnist(bundled_mnist):
    return dcgan.load(bundled_mnist)


@pytest.fixture(scope="module")
def plane(mnist):
    return LS.plane_for(mnist, "sefa", seed=3)


def test_grid_is_the_verdict_of_each_point(mnist, plane):
    land = LS.landscape(mnist, plane, grid=4)
    assert land.verdict.shape == (4, 4)
    for j, b in enumerate(land.b):  # row j is b[j], column i is a[i]
        z = torch.stack([plane.z0 + float(a) * plane.u + float(b) * plane.v for a in land.a])
        np.testing.assert_allclose(land.verdict[j], mnist.realness(generate(mnist.G, z)), atol=1e-9)
    assert land.verdict.std() > 0.01  # a plane whose points differ, so a transposed grid would fail


def test_torch_verdict_equals_the_verdict_on_known_images(mnist):
    from dcgan.verdict import known_fakes

    images = torch.cat([generate(mnist.G, sample_z(8, 100, seed=1)), *known_fakes(mnist.config, n=4).values()])
    with torch.no_grad():
        ours = LS.verdict_torch(mnist.verdict(), mnist.D, images).numpy()
    np.testing.assert_allclose(ours, mnist.realness(images), atol=1e-9)


def _double(model):
    return dcgan.Model(copy.deepcopy(model.G).double(), copy.deepcopy(model.D).double(), model.config, model.meta,
                       _verdict=model.verdict())


def test_arrows_agree_with_finite_differences(mnist, plane):
    """In float64 the verdict's gradient in (a, b) matches central differences of the same verdict."""
    m64 = _double(mnist)
    p64 = LS.Plane(plane.z0.double(), plane.u.double(), plane.v.double())
    ab = torch.tensor([[0.5, -1.0], [2.0, 1.0], [-1.5, 0.3], [1.0, 2.5]], dtype=torch.float64)
    _, grad_z = LS.verdict_and_gradient(m64, p64.points(ab[:, 0], ab[:, 1]))
    grad = grad_z @ torch.stack([p64.u, p64.v], 1).numpy()  # (4, 2)
    f = lambda ab: LS.verdict_grid(m64, p64.points(ab[:, 0], ab[:, 1]))[0]  # noqa: E731
    h = 1e-6
    for k in range(2):
        e = torch.zeros(2, dtype=torch.float64)
        e[k] = h
        np.testing.assert_allclose(grad[:, k], (f(ab + e) - f(ab - e)) / (2 * h), rtol=1e-4, atol=1e-7)
    assert np.abs(grad).max() > 1e-3  # not a flat, trivially agreeing stretch


def test_landscape_arrows_are_the_gradient_at_their_points(mnist, plane):
    land = LS.landscape(mnist, plane, grid=6, step=3)
    j, i = land.arrow_ij.T
    assert sorted(set(i)) == [1, 4] and sorted(set(j)) == [1, 4]
    z = plane.points(torch.from_numpy(land.a[i]).float(), torch.from_numpy(land.b[j]).float())
    _, grad_z = LS.verdict_and_gradient(mnist, z)
    np.testing.assert_allclose(land.grad, grad_z @ torch.stack([plane.u, plane.v], 1).double().numpy(), rtol=1e-6)


def test_more_real_direction_raises_the_verdict(mnist):
    z = sample_z(4, 100, seed=11)
    for zi in z:
        d = LS.more_real(mnist, zi)
        assert abs(float(d.vector.norm()) - 1) < 1e-5
        before, after = mnist.realness(generate(mnist.G, torch.stack([zi, zi + 1e-3 * d.vector])))
        assert after >= before  # the steepest ascent direction cannot lower it over a tiny step


def test_planes_are_orthonormal_and_keyframes_lie_on_theirs():
    z = sample_z(3, 8, seed=0)
    plane = LS.keyframe_plane(z)
    assert abs(float(plane.u @ plane.v)) < 1e-6 and abs(float(plane.v.norm()) - 1) < 1e-6
    for k, (a, b) in enumerate(plane.marks.values()):
        torch.testing.assert_close(plane.points(torch.tensor([a]), torch.tensor([b]))[0], z[k], atol=1e-5, rtol=0)
    assert plane.extent() > max(abs(c) for ab in plane.marks.values() for c in ab)
    first, second = Direction("x", torch.eye(8)[0]), Direction("y", torch.eye(8)[0] + torch.eye(8)[1])
    tilted = LS.direction_plane(torch.zeros(8), first, second)
    torch.testing.assert_close(tilted.v, torch.eye(8)[1])
    assert "⊥" in tilted.v_name
    with pytest.raises(dcgan.errors.ConfigError, match="parallel"):
        LS.direction_plane(torch.zeros(8), first, first)


def test_cli_writes_the_promised_json_and_html(bundled_mnist, tmp_path, capsys):
    out, js = tmp_path / "L.html", tmp_path / "L.json"
    assert main(["landscape", str(bundled_mnist), "--directions", "keyframes", "--grid", "3",
                 "--json", str(js), "--out", str(out)]) == 0
    data = json.loads(js.read_text())
    assert {"a", "b", "verdict", "z0", "u", "v"} <= set(data)
    assert np.asarray(data["verdict"]).shape == (3, 3) and len(data["z0"]) == len(data["u"]) == len(data["v"]) == 100
    html = out.read_text()
    assert "share of real images that look less real" in html and "data:image/png;base64" in html


@pytest.mark.parametrize("argv, message", [
    (["--directions", "sideways"], "unknown plane directions 'sideways'"),
    (["--grid", "1"], "--grid must be from 2"),
    (["--directions", "pca", "--pick", "0", "0"], "pick two different directions"),
])
def test_cli_bad_input_is_one_line(bundled_mnist, tmp_path, capsys, argv, message):
    assert main(["landscape", str(bundled_mnist), *argv, "--out", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not (tmp_path / "x.html").exists()


def test_cli_refuses_a_file_without_d(mnist, tmp_path, capsys):
    g_only = export(mnist, tmp_path / "g.safetensors", include_d=False)
    assert main(["landscape", str(g_only), "--out", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert "no discriminator" in err and err.count("\n") == 1
    with pytest.raises(dcgan.errors.DcganError, match="no discriminator"):
        LS.landscape(dcgan.load(g_only), LS.keyframe_plane(sample_z(3, 100)), grid=2)


def test_a_path_projects_onto_the_plane_with_its_distance_off_it():
    """What the Landscape page draws of the Walk page's path: (a, b) of each z's projection, and how far off it is."""
    z = sample_z(3, 8, seed=4)
    plane = LS.keyframe_plane(z)
    ab = torch.tensor([[0.5, -1.0], [2.0, 0.25], [-1.5, 3.0]])
    on = plane.points(ab[:, 0], ab[:, 1])  # (3, 8) on the plane
    normal = torch.linalg.qr(torch.cat([torch.stack([plane.u, plane.v], 1), torch.randn(8, 1)], 1))[0][:, 2]
    off = on + torch.tensor([[0.0], [1.0], [2.5]]) * normal  # each moved straight off the plane by 0, 1, 2.5
    np.testing.assert_allclose(plane.coords(off), ab.numpy(), atol=1e-5)
    np.testing.assert_allclose(plane.distance(off), [0.0, 1.0, 2.5], atol=1e-5)
    np.testing.assert_allclose(plane.distance(z), 0.0, atol=1e-5)  # the keyframes span it


def test_more_real_still_points_somewhere_where_the_verdict_is_clamped_at_its_floor(mnist):
    # Far outside the prior (|z| ~ 80) G draws saturated blobs, many at the verdict's floor: a good model's own
    # samples seldom are.
    z = 8 * sample_z(50, 100, seed=21)
    verdict, grad = LS.verdict_and_gradient(mnist, z)
    clamped = z[torch.from_numpy(np.linalg.norm(grad, axis=1) == 0)]
    assert len(clamped) > 0 and verdict[np.linalg.norm(grad, axis=1) == 0].max() < 1e-3  # at the verdict's floor
    zi = clamped[0]
    d = LS.more_real(mnist, zi)
    assert abs(float(d.vector.norm()) - 1) < 1e-5
    step = torch.stack([zi, zi + 1e-2 * d.vector])
    with torch.no_grad():
        smooth = LS.verdict_torch(mnist.verdict(), mnist.D, generate(mnist.G, step), smooth=True)
    assert smooth[1] > smooth[0]  # D's weaker reading rises along it, where the verdict itself has no slope
