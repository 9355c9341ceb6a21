"""How fast are the landscape and step mode on the bundled 32x32 model? Prints figures; not a test.

    PYTHONPATH=. python bench/bench_landscape.py [--repeats 2]

1. the library: `landscape` on a 30x30 grid (900 verdicts, arrows at 100 of them), wall and CPU seconds;
2. the whole CLI process `python -m dcgan landscape ... --json --out` (import, load, plane, grid, HTML; one torch
   thread when the load average is over the core count, as `dcgan invert`);
3. step mode: one D step, one G step, each followed by the redraw the Train page does (verdict refit on
   300 fixed real images after a D step, a 12x12 landscape, the 16 fixed samples).
1 and 3 run with torch's own thread count, then with one. The machine is shared: the load average is printed
beside the figures, and CPU seconds matter as much as wall.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

import dcgan
from dcgan import landscape as LS
from dcgan.data import load_data
from dcgan.step_mode import REDRAW_GRID as GRID
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
    """The issue's command as typed (default plane: PCA, which imports scikit-learn) and with the SeFa plane."""
    with tempfile.TemporaryDirectory() as tmp:
        for label, extra in (("default plane (pca)", []), ("--directions sefa", ["--directions", "sefa"])):
            for _ in range(repeats):
                cmd = [sys.executable, "-m", "dcgan", "landscape", str(CKPT), *extra,
                       "--json", f"{tmp}/L.json", "--out", f"{tmp}/L.html"]
                before, wall = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
                print(f"CLI landscape, whole process, {label}: {time.perf_counter() - wall:.2f} s wall, "
                      f"{_cpu(resource.RUSAGE_CHILDREN) - before:.2f} CPU-s · {load()}")


def bench_steps(model, repeats: int) -> None:
    data = load_data("mnist", image_size=32, channels=1)
    steps = StepMode(model, data)
    plane = LS.plane_for(model, "sefa", seed=0)
    steps.current()  # step 0's verdict fit
    LS.landscape(model, plane, grid=5)  # warm-up
    for _ in range(repeats):
        for kind, step in (("D", steps.d_step), ("G", steps.g_step)):
            parts = {}
            _, wall, cpu = timed(lambda: _step_and_redraw(steps, step, plane, parts))
            print(f"step mode: one {kind} step + redraw: {wall:.2f} s wall, {cpu:.2f} CPU-s ("
                  + ", ".join(f"{k} {w:.2f} s / {c:.2f} CPU-s" for k, (w, c) in parts.items()) + f") · {load()}")


def _step_and_redraw(steps, step, plane, parts: dict) -> None:
    """What the Train page does for one button press, each part timed into `parts` (name -> (wall, CPU-s))."""
    _, *parts["step"] = timed(step)
    current, *parts["verdict refit"] = timed(steps.current)  # a no-op after a G step: D did not change
    _, *parts[f"landscape {GRID}x{GRID}"] = timed(lambda: LS.landscape(current, plane, grid=GRID))
    _, *parts["16 samples"] = timed(lambda: current.render(steps.fixed_z))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    model = dcgan.load(CKPT)
    bench_cli(args.repeats)
    # torch's choice, then one (the CLI's on a busy machine)
    for threads in dict.fromkeys([torch.get_num_threads(), 1]):
        torch.set_num_threads(threads)
        print(f"-- {threads} torch thread(s)")
        bench_library(model, args.repeats)
        bench_steps(model, args.repeats)


if __name__ == "__main__":
    main()
