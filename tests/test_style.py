"""Style measures on images with known answers: a thicker stroke has more ink, a shear adds its slant."""
import torch

from dcgan.style import ink, measure_style, slant, width


def stroke(half_width: float, shear: float = 0.0, size: int = 32) -> torch.Tensor:
    """A vertical stroke (1, 1, H, W) in [-1, 1] whose centre moves `shear` px right per px up, rows 4-27."""
    rows = torch.arange(size).view(-1, 1).float()
    cols = torch.arange(size).view(1, -1).float()
    y = (size - 1 - rows) - (size - 1) / 2  # upwards, about the middle
    centre = (size - 1) / 2 + shear * y
    on = ((cols - centre).abs() < half_width) & (rows >= 4) & (rows <= 27)
    return (on.float() * 2 - 1).view(1, 1, size, size)


def test_a_stroke_twice_as_thick_has_twice_the_ink():
    thin, thick = stroke(1.0), stroke(2.0)  # 2 and 4 pixels wide
    assert abs(float(ink(thick) / ink(thin)) - 2.0) < 0.01
    assert float(ink(torch.full((1, 1, 8, 8), -1.0))) == 0.0 and float(ink(torch.ones(1, 1, 8, 8))) == 1.0


def test_a_sheared_stroke_has_the_shear_as_its_slant_and_keeps_its_width():
    upright, sheared, back = stroke(2.0), stroke(2.0, 0.3), stroke(2.0, -0.3)
    assert abs(float(slant(upright))) < 1e-4
    assert abs(float(slant(sheared)) - 0.3) < 0.03 and abs(float(slant(back)) + 0.3) < 0.03
    assert abs(float(width(sheared) / width(upright)) - 1.0) < 0.1


def test_width_doubles_when_the_stroke_is_twice_as_wide_and_blank_images_read_zero():
    assert abs(float(width(stroke(6.0)) / width(stroke(3.0))) - 2.0) < 0.1
    blank = measure_style(torch.full((2, 1, 16, 16), -1.0))
    assert all(torch.all(v == 0) for v in blank.values())
