"""Speed and readability of the Filters views on the bundled MNIST model (prints figures; not a test).

    python bench/bench_filters.py [--skip-cli] [--skip-pixels]

Targets (issue 12), layer2 of checkpoints/mnist-32.pt, default settings, on the 2-core CPU:
- all 128 channels through G <= 30 s in process; the CLI's whole process for that layer <= 120 s;
- through G: mean high-frequency share <= 0.10, median nearest-real distance <= 1.5x real-to-real;
- the activation reached, per channel, over the top real example and over the best random G sample.
The pixel-space view is measured the same way for comparison. The machine may be shared: give the load
average with the figures (printed before and after). On an oversubscribed 2-core machine, --threads 1
can be over 2x faster than torch's default of 2 threads (which then wait on each other).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

import dcgan
from dcgan.channel_report import PIXELS, THROUGH_G, explain_channels, real_pool, summary_lines
from dcgan.data import load_data
from dcgan.readability import saturated_share

ROOT = Path(__file__).resolve().parents[1]

CHECKPOINT = ROOT / "checkpoints" / "mnist-32.pt"


def in_process(model, pool, method: str) -> None:
    t = time.perf_counter()
    report = explain_channels(model, "layer2", pool, method=method)
    seconds = time.perf_counter() - t
    target = "   [target <= 30 s]" if method == THROUGH_G else ""
    print(f"{method}: all {len(report.channels)} channels of layer2 (with real examples and figures): "
          f"{seconds:.1f} s{target}")
    for line in summary_lines(report)[1:]:
        print("   " + line)
    print(f"   saturated pixels (|x| >= 0.9): {100 * saturated_share(report.images):.0f}%")


def cli(threads: int) -> None:
    with tempfile.TemporaryDirectory() as out:
        t = time.perf_counter()
        env = {**os.environ, **({"OMP_NUM_THREADS": str(threads)} if threads else {})}
        subprocess.run([sys.executable, "-m", "dcgan", "filters", str(CHECKPOINT), "--layer", "layer2", "--out", out],
                       cwd=ROOT, check=True, capture_output=True, env=env)
        print(f"CLI, whole process, layer2 through G: {time.perf_counter() - t:.1f} s   [target <= 120 s]")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--skip-pixels", action="store_true")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own, one per core)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = dcgan.load(CHECKPOINT)
    pool = real_pool(load_data("mnist", image_size=32))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"load average before: {os.getloadavg()[0]:.2f}")
    in_process(model, pool, THROUGH_G)
    if not args.skip_pixels:
        in_process(model, pool, PIXELS)
    if not args.skip_cli:
        cli(args.threads)
    print(f"load average after (1 min): {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
