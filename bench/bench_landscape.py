"""How fast are the landscape and step mode on the bundled 32x32 model? Prints figures; not a test.

    PYTHONPATH=. python bench/bench_landscape.py [--repeats 2]

1. the library: `landscape` on a 30x30 grid (900 verdicts, arrows at 100 of them), wall and CPU seconds;
2. the whole CLI process `python -m dcgan landscape ... --json --out` (import, load, plane, grid, HTML);
3. step mode: one D step, one G step, each followed by the redraw the Train page does (verdict refit on
   300 fixed real images after a D step, a 15x15 landscape, the 16 fixed samples).
The machine is shared: the load average is printed beside the figures, and CPU seconds matter as much as wall.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dcgan
from dcgan import landscape as LS
from dcgan.data import load_data
from dcgan.step_mode import StepMode

ROOT = Path(__file__).resolve().parents[1]
CKPT = ROOT / "checkpoints" / "mnist-32.pt"


def _cpu(who=resource.RUSAGE_SELF) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def timed(fn):
    wall, cpu = time.perf_counter(), _cpu()
    out = fn()
    return out, time.perf_counter() - wall, _cpu() - cpu


def load() -> str:
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"


def bench_library(model, repeats: int) -> None:
    plane = LS.plane_for(model, "sefa", seed=0)
    LS.landscape(model, plane, grid=5)  # warm-up
    for _ in range(repeats):
        land, wall, cpu = timed(lambda: LS.landscape(model, plane, grid=30))
        print(f"library landscape 30x30 ({land.verdict.size} points, {len(land.grad)} arrows): "
              f"{wall:.2f} s wall, {cpu:.2f} CPU-s · {load()}")


def bench_cli(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeats):
            cmd = [sys.executable, "-m", "dcgan", "landscape", str(CKPT), "--directions", "sefa",
                   "--json", f"{tmp}/L.json", "--out", f"{tmp}/L.html"]
            before, wall = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
            print(f"CLI landscape, whole process: {time.perf_counter() - wall:.2f} s wall, "
                  f"{_cpu(resource.RUSAGE_CHILDREN) - before:.2f} CPU-s · {load()}")


def bench_steps(model, repeats: int) -> None:
    data = load_data("mnist", image_size=32, channels=1)
    steps = StepMode(model, data)
    plane = LS.plane_for(model, "sefa", seed=0)

    def redraw():
        current = steps.current()
        LS.landscape(current, plane, grid=15)
        current.render(steps.fixed_z)

    redraw()  # step 0's verdict fit and warm-up
    for _ in range(repeats):
        for kind, step in (("D", steps.d_step), ("G", steps.g_step)):
            _, wall, cpu = timed(lambda: (step(), redraw()))
            print(f"step mode: one {kind} step + redraw: {wall:.2f} s wall, {cpu:.2f} CPU-s · {load()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    model = dcgan.load(CKPT)
    bench_library(model, args.repeats)
    bench_cli(args.repeats)
    bench_steps(model, args.repeats)


if __name__ == "__main__":
    main()
