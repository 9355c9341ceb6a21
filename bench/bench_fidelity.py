"""Issue 15's speed figures: precision/recall for 5,000 samples of the bundled MNIST model, and the timeline of a
10-epoch 32x32 run (make one with: python -m dcgan train --data mnist --image-size 32 --epochs 10 --ngf 32 --ndf 32
--batch-size 64 --save-every 1 --out runs/mnist10). Prints seconds and the machine's load beside them."""
import argparse
import os
import time
from pathlib import Path

import dcgan
from dcgan.data import load_data
from dcgan.fidelity import model_precision_recall
from dcgan.timeline import TimelineSettings, timeline


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def clock() -> tuple[float, float]:
    """(wall, CPU) seconds: CPU is user + sys of this process's threads, less skewed by a shared machine's load."""
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> str:
    wall, cpu = clock()
    return f"{wall - start[0]:.1f} s wall, {cpu - start[1]:.1f} CPU-s"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--run", default="runs/mnist10")
    p.add_argument("--n", type=int, default=5000)
    args = p.parse_args()
    model, data = dcgan.load("checkpoints/mnist-32.pt"), load_data("mnist", image_size=32)
    start = clock()
    pr = model_precision_recall(model, data, n=args.n)
    print(f"precision/recall, {args.n} samples: {since(start)} "
          f"(precision {pr.precision:.3f}, recall {pr.recall:.3f}); {load()}")
    if Path(args.run).is_dir():
        start = clock()
        tl = timeline(args.run, data, TimelineSettings(n=1000))
        print(f"timeline of {args.run}, {len(tl.rows)} checkpoints, 1,000 images each: {since(start)}; {load()}")
        for r in tl.rows:
            print(f"  epoch {r['epoch']:3d}  FD {r['fd']:8.2f}  precision {r['precision']:.3f}  "
                  f"recall {r['recall']:.3f}")


if __name__ == "__main__":
    main()
