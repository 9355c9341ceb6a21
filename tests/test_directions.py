"""SeFa, InterFaceGAN and the shipped built-in directions, measured on the bundled model with held-out samples."""
import numpy as np
import pytest
import torch

from dcgan import directions as Dn
from dcgan import load
from dcgan.direction_file import fingerprint, load_directions
from dcgan.latent import generate, sample_z
from dcgan.metrics import load_classifier
from dcgan.style import measure_style


def test_sefa_vectors_are_unit_eigenvectors_of_the_first_layer_weight(tiny_checkpoint):
    G = load(tiny_checkpoint).G
    directions, values = Dn.sefa_directions(G, k=4)
    w = G.main[0].weight.detach().double().numpy()  # (nz, C, 4, 4)
    gram = w.reshape(w.shape[0], -1) @ w.reshape(w.shape[0], -1).T  # W^T W as (nz, nz)
    for d, value in zip(directions, values):
        v = d.vector.double().numpy()
        assert abs(np.linalg.norm(v) - 1) < 1e-5
        assert np.allclose(gram @ v, value * v, atol=1e-4 * values[0])
    assert np.all(np.diff(values) <= 1e-9) and np.isclose(values[0], np.linalg.eigvalsh(gram)[-1])
    assert np.allclose(Dn.cosine_matrix(directions, directions), np.eye(4), atol=1e-5)


def test_project_out_leaves_a_unit_vector_orthogonal_to_the_others():
    g = torch.Generator().manual_seed(0)
    v, others = torch.randn(16, generator=g), torch.randn(3, 16, generator=g)
    u = Dn.project_out(v, others)
    assert abs(float(u.norm()) - 1) < 1e-5 and torch.allclose(others @ u, torch.zeros(3), atol=1e-5)
    with pytest.raises(ValueError, match="projected out"):
        Dn.project_out(others[0] + others[1], others)


def test_a_boundary_normal_finds_the_axis_that_decides_the_label():
    z = sample_z(600, 10, seed=1)
    normal, accuracy = Dn.boundary_normal(z, z[:, 3] - 0.5 * z[:, 7] > 0)
    assert float(normal[3]) > 0.8 and float(normal[7]) < -0.3 and accuracy > 0.9


@pytest.fixture(scope="module")
def held_out(bundled_mnist):
    """The bundled model, the classifier and 200 samples that neither the fits (seed 0) nor the cards used."""
    model, clf = load(bundled_mnist), load_classifier()
    z = sample_z(200, model.config.nz, seed=777)
    with torch.no_grad():
        images = generate(model.G, z)
        return model, clf, z, images, clf(images).argmax(1), measure_style(images)


def _moved(held, vector, s):
    model, clf, z, images, classes, style = held
    with torch.no_grad():
        moved = generate(model.G, z + s * vector)
        kept = float((clf(moved).argmax(1) == classes).float().mean())
    change = {k: float((v - style[k]).mean() / style[k].std()) for k, v in measure_style(moved).items()}
    return kept, change


def test_the_shipped_thickness_direction_moves_ink_and_keeps_most_classes(bundled_mnist, held_out):
    directions, cards, fp = load_directions(Dn.builtin_file(bundled_mnist, "style"), nz=100)
    assert fp == fingerprint(held_out[0].G)  # measured on this very G
    thick = next(d for d in directions if d.name == "thickness (ink)")
    kept, change = _moved(held_out, thick.vector, 2.0)
    g = torch.Generator().manual_seed(3)
    random = torch.nn.functional.normalize(torch.randn(100, generator=g), dim=0)
    random_kept, random_change = _moved(held_out, random, 2.0)
    assert change["ink"] > 0.8 and abs(random_change["ink"]) < change["ink"] / 2
    assert kept > 0.6 and kept > random_kept - 0.1


def test_the_shipped_slant_and_class_directions_do_what_their_names_say(bundled_mnist, held_out):
    style, _, _ = load_directions(Dn.builtin_file(bundled_mnist, "style"), nz=100)
    kept, change = _moved(held_out, next(d for d in style if d.name == "slant").vector, 2.0)
    assert change["slant"] > 0.8 and abs(change["ink"]) < 0.3
    classes, cards, _ = load_directions(Dn.builtin_file(bundled_mnist, "class"), nz=100)
    seven = next(d for d in classes if d.name == "class 7")
    model, clf = held_out[:2]
    with torch.no_grad():
        reached = clf(generate(model.G, held_out[2] + seven.span * seven.vector)).argmax(1)
    assert float((reached == 7).float().mean()) > 0.7  # the slider's end reaches the class
