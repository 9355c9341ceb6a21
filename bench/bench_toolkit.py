"""Speed of the exploration toolkit on this machine's CPU (prints figures; not a test).

    python bench/bench_toolkit.py [--skip-umap] [--skip-filters]

Targets (issue #4): one image from z <= 5 ms after warm-up; filter images for all channels of one
D layer of the bundled model at 256 steps <= 15 s; UMAP of 5,000 points <= 20 s cold (numba
compilation included, measured in a fresh process) and <= 5 s once compiled. UMAP runs on the
bundled model's D features of the 5,000 MNIST digits.
"""
import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

import dcgan
from dcgan.filters import FilterSettings, visualise_layer
from dcgan.latent import sample_z

ROOT = Path(__file__).resolve().parents[1]
UMAP_SNIPPET = """
import time, numpy as np
import dcgan
from dcgan.data import load_data
from dcgan.features import d_features
model = dcgan.load("checkpoints/mnist-32.pt")
X = np.asarray(d_features(model.D, load_data("mnist", image_size=32).images.float().div(127.5).sub(1)))
t = time.perf_counter()  # the clock starts before umap-learn is imported
import dcgan.embed as e
m = e.FeatureMap(random_state=0).fit(X)
cold = time.perf_counter() - t
t = time.perf_counter(); e.FeatureMap(random_state=1).fit(X); warm = time.perf_counter() - t
print(f"{cold:.2f} {warm:.2f}")
"""


def one_image(model) -> float:
    z = sample_z(1, model.config.nz)
    with torch.inference_mode():
        for _ in range(20):
            model.G(z)
        times = []
        for _ in range(200):
            t = time.perf_counter()
            model.G(z)
            times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def filters(model) -> dict[str, float]:
    out = {}
    for layer in model.D.layer_names:
        t = time.perf_counter()
        images = visualise_layer(model.D, layer, settings=FilterSettings(steps=256))
        out[f"{layer} ({len(images)} channels)"] = time.perf_counter() - t
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-umap", action="store_true")
    parser.add_argument("--skip-filters", action="store_true")
    args = parser.parse_args()
    model = dcgan.load(ROOT / "checkpoints" / "mnist-32.pt")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"one image from z (median of 200): {one_image(model):.2f} ms   [target <= 5 ms]")
    for name, seconds in ({} if args.skip_filters else filters(model)).items():
        print(f"filters, all channels of {name}, 256 steps: {seconds:.1f} s   [target <= 15 s]")
    if not args.skip_umap:
        dim = 16 * sum(a.shape[1] for a in model.D.activations(torch.zeros(1, 1, 32, 32)))
        out = subprocess.run([sys.executable, "-c", UMAP_SNIPPET], cwd=ROOT, capture_output=True, text=True)
        cold, warm = out.stdout.split()
        print(f"UMAP of the 5,000 MNIST digits' {dim} D features: cold {cold} s "
              f"(import + numba compile + fit) [<= 20 s], "
              f"compiled {warm} s [<= 5 s]")


if __name__ == "__main__":
    main()
