"""How truthful is the per-image verdict? ROC-AUCs on the bundled models (prints figures; not a test).

    python bench/bench_verdict.py [--n 500]

For each bundled model: held-out real images (not in the verdict's bank) against generated samples and
each known fake (noise, blank, checkerboard, an untrained G), for the verdict (Model.realness) and, as
the baseline it replaces, D's own eval-mode probability sigmoid(D(x)). Also the largest change of the
verdict between scoring images one by one and in one batch (the contract: under 1e-4), and its time.
"""
import argparse
import time
from pathlib import Path

import numpy as np
import torch

import dcgan
from dcgan.data import load_data
from dcgan.latent import generate, sample_z
from dcgan.verdict import auc, held_out, known_fakes

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    args = parser.parse_args()
    for name in ("mnist-32", "emoji-64"):
        model = dcgan.load(ROOT / "checkpoints" / f"{name}.pt")
        data = load_data(model.config.dataset, image_size=model.config.image_size, channels=model.config.channels)
        index = held_out(model.verdict(), len(data))
        index = index[np.random.default_rng(0).permutation(len(index))[: args.n]]  # the data sets are sorted by class
        real = data.as_float(torch.from_numpy(index))
        others = {"generated": generate(model.G, sample_z(args.n, model.config.nz, seed=7)),
                  **known_fakes(model.config, n=200)}
        with torch.no_grad():
            raw = lambda x: torch.sigmoid(model.D(x)).numpy()  # noqa: E731  the old caption, D(x)
            start = time.perf_counter()
            verdict_real = model.realness(real)
            seconds = time.perf_counter() - start
            raw_real = raw(real)
            print(f"\n{name}: {len(real)} held-out real images of {data.name}; ROC-AUC real vs ...")
            print(f"  {'':16s} {'verdict':>8s} {'sigmoid(D)':>11s}")
            for kind, images in others.items():
                print(f"  {kind:16s} {auc(verdict_real, model.realness(images)):8.3f} "
                      f"{auc(raw_real, raw(images)):11.3f}")
        alone = np.array([model.realness(real[i : i + 1])[0] for i in range(50)])
        print(f"  batch independence: max |alone - in batch| over 50 images = "
              f"{np.abs(alone - verdict_real[:50]).max():.2e}")
        print(f"  time: {1000 * seconds / len(real):.2f} ms per image in a batch of {len(real)}")
        print(f"  verdict of real images: mean {verdict_real.mean():.3f} "
              f"(0.5 expected for images like the calibration set)")


if __name__ == "__main__":
    main()
