"""Which saved epoch of an emoji run is best? Nearest-real-emoji distances per epoch, and a grid to look at.

    python bench/select_emoji.py runs/emoji-people-ft [--baseline checkpoints/emoji-64.pt] [--n 500] [--grids DIR]

Every epoch_NNN.pt (and last.pt) is loaded as the app loads it (the EMA G when the run kept one); n samples (z from
seed 0, the same for every file) are compared at 32 px with two real sets, all 4,495 OpenMoji emoji and the
2,500 faces, people and hands (`emoji-people`). Per set it prints the samples' median RMS pixel distance to their
nearest real emoji, the real-to-real yardstick (n real emoji, each to its nearest other real emoji of the set),
and their ratio (the issue's bar: <= 1.2); then the same ratio with the shift- and width-tolerant distance of
dcgan.memorisation (held-out yardstick: n real emoji against the rest). --grids writes an 8x8 sample grid per file.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from torchvision.utils import save_image

import dcgan
from dcgan.data import emoji_files, load_data
from dcgan.latent import generate, sample_z
from dcgan.memorisation import comparable, copy_distance, nearest_distances
from dcgan.timeline import run_checkpoints

REAL_SETS = ("emoji", "emoji-people")


def yardsticks(n: int) -> dict:
    """Per real set: its 32 px images, and the real-to-real medians (plain leave-one-out; tolerant held-out)."""
    everything = comparable(load_data("emoji", image_size=64).as_float())  # rasterised once: the subset is a pick
    people = {svg.stem for svg in emoji_files("emoji-people")}
    in_people = torch.tensor([svg.stem in people for svg in emoji_files("emoji")])
    out = {}
    for name, real in zip(REAL_SETS, (everything, everything[in_people])):
        pick = torch.randperm(len(real), generator=torch.Generator().manual_seed(0))
        queries, rest = real[pick[:n]], real[pick[n:]]
        plain = float(np.median(nearest_distances(queries, real, exclude_self=True)))
        tolerant = float(np.median(copy_distance(queries, rest)[0]))
        out[name] = {"images": real, "plain": plain, "tolerant": tolerant}
    return out


def measure(model, sticks: dict, *, n: int) -> tuple[dict, torch.Tensor]:
    """The samples' distance ratios against every real set, and the samples (for the grid)."""
    fake = generate(model.G, sample_z(n, model.config.nz, seed=0))
    small = comparable(fake)
    row = {}
    for name, s in sticks.items():
        plain = float(np.median(nearest_distances(small, s["images"])))
        tolerant = float(np.median(copy_distance(small, s["images"])[0]))
        row[name] = {"plain": plain, "plain_ratio": plain / s["plain"],
                     "tolerant": tolerant, "tolerant_ratio": tolerant / s["tolerant"]}
    return row, fake


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir")
    parser.add_argument("--baseline", default="checkpoints/emoji-64.pt")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--grids", default=None, help="write DIR/<file>.png, 64 samples each")
    parser.add_argument("--json", default=None)
    parser.add_argument("--last", type=int, default=0, help="only the last K saved epochs (0: all)")
    args = parser.parse_args()
    start = time.perf_counter()
    sticks = yardsticks(args.n)
    for name, s in sticks.items():
        print(f"{name:>12}: real-to-real median, plain {s['plain']:.3f}, tolerant {s['tolerant']:.3f}")
    files = [(p.name, p) for _, p in run_checkpoints(args.run_dir)]
    files = [("baseline", Path(args.baseline))] + (files[-args.last:] if args.last else files)
    rows = {}
    for name, path in files:
        rows[name], fake = measure(dcgan.load(path), sticks, n=args.n)
        print(f"{name:>16}  " + "  ".join(f"{k}: plain {v['plain']:.3f} ({v['plain_ratio']:.2f}x), tolerant "
                                          f"{v['tolerant']:.3f} ({v['tolerant_ratio']:.2f}x)"
                                          for k, v in rows[name].items()), flush=True)
        if args.grids:
            Path(args.grids).mkdir(parents=True, exist_ok=True)
            save_image(fake[:64], Path(args.grids) / f"{Path(name).stem}.png", nrow=8, normalize=True,
                       value_range=(-1, 1))
    print(f"({len(files)} files, {args.n} samples each, {time.perf_counter() - start:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
