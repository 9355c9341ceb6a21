"""Directions on the bundled MNIST model: SeFa's speed, the shipped cards, and what walk spacing and slerp change.

python bench/bench_directions.py   (prints figures; write `uptime` beside them)
"""
import time

import numpy as np
import torch

import dcgan
from dcgan import latent as L
from dcgan.direction_file import load_directions
from dcgan.directions import METHODS, builtin_file, sefa_directions

CKPT = "checkpoints/mnist-32.pt"


def main() -> None:
    model = dcgan.load(CKPT)
    start = time.perf_counter()
    for _ in range(20):
        sefa_directions(model.G, k=8)
    print(f"SeFa (eigenvectors of the first-layer weight): {1000 * (time.perf_counter() - start) / 20:.1f} ms")
    for method in METHODS:
        directions, cards, _ = load_directions(builtin_file(CKPT, method), nz=model.config.nz)
        for d, c in zip(directions, cards):
            print(f"  {d.name:16s} ±{d.span:g}σ  {c.summary()}")
    pairs = L.sample_z(40, model.config.nz, seed=99).view(20, 2, -1)
    rows = []
    for pair in pairs:
        jumps = {m: L.frame_changes(L.generate(model.G, L.interpolate(pair, 16, mode=m))) for m in ("slerp", "lerp")}
        even = L.frame_changes(L.generate(model.G, L.equal_change_path(model.G, pair, 16)))
        rows.append((jumps["slerp"].mean(), jumps["lerp"].mean(), jumps["slerp"].max() / jumps["slerp"].mean(),
                     even.max() / even.mean(), jumps["slerp"].max(), jumps["lerp"].max()))
    r = np.array(rows)
    print(f"20 walks of 16 steps: mean frame change slerp {r[:, 0].mean():.4f}, lerp {r[:, 1].mean():.4f}; "
          f"slerp's largest step smaller in {(r[:, 4] < r[:, 5]).sum()} of 20")
    print(f"largest step / mean step: equal steps in z {r[:, 2].mean():.2f}, equal change in the image {r[:, 3].mean():.2f}")


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
