"""Report cards on the bundled model: honest at strength 0, against a random baseline, and round-tripping."""
import pytest
import torch

from dcgan import load
from dcgan import report_card as R
from dcgan.latent import Direction
from dcgan.metrics import load_classifier


@pytest.fixture(scope="module")
def setup(bundled_mnist):
    model, clf = load(bundled_mnist), load_classifier()
    return model, clf, R.card_samples(model.G, clf, n=48, seed=5)


def test_no_move_changes_nothing_and_a_big_move_changes_more_than_a_small_one(setup):
    model, clf, base = setup
    v = torch.nn.functional.normalize(torch.randn(100, generator=torch.Generator().manual_seed(1)), dim=0)
    m = R._measure(model.G, clf, base, v, (0.0, 1.0, 4.0))
    assert m["class_kept"][0] == 1.0 and m["pixel_change"][0] == 0.0 and m["top_change"][0] is None
    assert m["pixel_change"][1] < m["pixel_change"][2] and m["class_kept"][2] <= m["class_kept"][1]


def test_a_class_card_finds_where_the_class_is_reached_and_round_trips(setup):
    model, clf, base = setup
    from dcgan.direction_file import load_directions
    from dcgan.directions import builtin_file

    one = next(d for d in load_directions(builtin_file("checkpoints/mnist-32.pt", "class"))[0] if d.name == "class 1")
    card = R.report_card(model.G, clf, base, one, baseline=(0.75, 0.03))
    assert card.target == "class 1" and card.reach() is not None
    i = card.strengths.index(card.reach())
    assert (card.target_share[i] >= R.REACHED
            and all(card.target_share[j] < R.REACHED for j in range(i) if card.strengths[j] > 0))
    assert card.span() >= card.reach() and "a random direction keeps 75%" in card.summary()
    assert R.ReportCard.from_dict(card.as_dict()) == card


def test_a_model_without_classifier_gets_pixel_change_only(tiny_checkpoint):
    G = load(tiny_checkpoint).G
    card = R.report_cards(G, None, [Direction("z0", torch.eye(8)[0])], n=16)[0]
    assert card.class_kept is None and card.style_change is None and card.span() == 3.0
    assert card.summary().startswith("pixels move")


def test_a_style_card_reaches_where_its_measure_moves_enough_within_classes_both_ways():
    strengths = (-6.0, -5.0, -4.0, -2.0, 2.0, 4.0, 5.0, 6.0)
    within = (-1.1, -0.9, -0.7, -0.3, 0.4, 0.85, 0.95, 1.1)  # +4 alone is past the bar: both signs must be
    card = R.ReportCard(name="slant", n=10, strengths=strengths, pixel_change=(0.1,) * 8, class_kept=(0.7,) * 8,
                        style_change={"slant": within}, target="slant", style_change_within={"slant": within},
                        random_kept_curve=(0.5,) * 8)
    assert card.reach() == 5.0 and card.span() == 6.0
    assert "at ±5σ: slant -0.9 / +0.9 within-class sd, class kept 70% (random 50% there)" in card.summary()
    assert R.ReportCard.from_dict(card.as_dict()) == card
    short = R.ReportCard(name="slant", n=10, strengths=strengths, pixel_change=(0.1,) * 8, target="slant",
                         style_change={"slant": (0.1,) * 8}, style_change_within={"slant": (0.1,) * 8})
    # never reached: the slider still offers every measured strength
    assert short.reach() is None and short.span() == 6.0


def test_within_class_sd_is_the_spread_inside_each_class_not_between_them():
    values = torch.tensor([0.0, 1.0, 2.0, 10.0, 11.0, 12.0])  # two classes far apart, each with sd 1
    classes = torch.tensor([0, 0, 0, 1, 1, 1])
    assert abs(R.pooled_within_sd(values, classes) - 1.0) < 1e-6 and float(values.std()) > 5
