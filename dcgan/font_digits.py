"""Digits rendered in the system's DejaVu fonts: handwriting G never saw, with known labels, for judging inversion."""
from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core (.ci/run installs it)


def upright_fonts(folder: Path = DEJAVU) -> list[Path]:
    """The upright DejaVu fonts (no oblique, italic or math), sorted by name."""
    return sorted(p for p in folder.glob("DejaVu*.ttf") if not any(k in p.name for k in ("Oblique", "Italic", "Math")))


def font_digit(font: Path, digit: int, *, size: int = 96, black_on_white: bool = True) -> Image.Image:
    """One digit centred on a square grey page, the font at 70% of the page (the glyph itself is smaller)."""
    ink, page = (0, 255) if black_on_white else (255, 0)
    img = Image.new("L", (size, size), page)
    draw = ImageDraw.Draw(img)
    f = ImageFont.truetype(str(font), int(size * 0.7))
    box = draw.textbbox((0, 0), str(digit), font=f)
    draw.text(((size - box[2] - box[0]) / 2, (size - box[3] - box[1]) / 2), str(digit), font=f, fill=ink)
    return img
