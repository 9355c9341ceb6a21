"""The directions file: what is saved loads back identical; a file for another model is refused in one line."""
import numpy as np
import pytest
import torch
from test_cli import run_cli

from dcgan.direction_file import directions_bytes, load_directions, read_directions, save_directions
from dcgan.errors import ConfigError
from dcgan.latent import Direction
from dcgan.report_card import ReportCard


def _directions(nz=8):
    g = torch.Generator().manual_seed(0)
    return [Direction(f"d{i}", torch.nn.functional.normalize(torch.randn(nz, generator=g), dim=0), span=3.0 + i)
            for i in range(3)]


def test_saved_directions_and_cards_load_back_identical(tmp_path):
    directions = _directions()
    cards = [ReportCard(name=d.name, n=10, strengths=(-2.0, 2.0), pixel_change=(0.1, 0.2), class_kept=(0.5, 0.7),
                        top_change=(("4", "9", 0.2), None), style_change={"ink": (-1.0, 1.0)}, random_kept=0.7)
             for d in directions]
    path = save_directions(tmp_path / "d.npz", directions, cards, model_fingerprint="abc")
    back, back_cards, fp = load_directions(path, nz=8)
    assert [d.name for d in back] == [d.name for d in directions] and fp == "abc"
    assert all(torch.equal(a.vector, b.vector) and a.span == b.span for a, b in zip(directions, back))
    assert back_cards == cards
    with np.load(path) as f:  # the documented layout
        assert f["names"].shape == (3,) and f["vectors"].shape == (3, 8)


def test_a_file_for_another_nz_or_not_a_directions_file_is_refused():
    data = directions_bytes(_directions(8))
    with pytest.raises(ConfigError, match="nz 8 but this model's z has 100"):
        read_directions(data, nz=100)
    with pytest.raises(ConfigError, match="not a directions file"):
        read_directions(b"hello")
    bad = _directions(8)
    bad[0] = Direction("long", bad[0].vector * 2)
    with pytest.raises(ConfigError, match="unit length"):
        read_directions(directions_bytes(bad))


def test_cli_writes_directions_that_load_back_and_refuses_bad_input(tiny_checkpoint, tmp_path):
    r = run_cli("directions", tiny_checkpoint, "--method", "sefa", "--k", "3", "--cards", "16", "--out",
                tmp_path / "s.npz")
    assert r.returncode == 0, r.stderr
    directions, cards, _ = load_directions(tmp_path / "s.npz", nz=8)
    assert [d.name for d in directions] == ["SeFa1", "SeFa2", "SeFa3"] and len(cards) == 3 and "pixels move" in r.stdout
    for args, message in ((("--method", "umap"), "unknown direction method"),
                          (("--method", "sefa", "--project-out", "checkpoints/mnist-32.directions/sefa.npz"),
                           "nz 100 but this model's z has 8"),
                          (("--method", "sefa", "--project-out", tmp_path / "missing.npz"), "not found")):
        r = run_cli("directions", tiny_checkpoint, *args, "--out", tmp_path / "x.npz")
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and message in r.stderr, r.stderr


def test_class_and_style_directions_need_a_classifier(tiny_checkpoint):
    from dcgan import load
    from dcgan.directions import builtin_directions

    with pytest.raises(ConfigError, match="need a digit model"):
        builtin_directions(load(tiny_checkpoint), "style", classifier=None)
