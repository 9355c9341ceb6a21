"""`python -m dcgan COMMAND ...`: every library capability, reachable from a shell.

Each command is one small function taking parsed arguments. Library errors (DcganError)
become a one-line `error: ...` on stderr and exit status 2; no traceback reaches the user.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import typing
import warnings

from .errors import ConfigError, DcganError

COMMANDS: dict[str, tuple[str, str, typing.Callable]] = {}  # name -> (help, examples, handler)


def command(name: str, help: str, examples: str):
    """Register a CLI command: its parser is built by `add_<name>_args`, its work done by the function."""

    def register(fn):
        COMMANDS[name] = (help, examples, fn)
        return fn

    return register


# -- train ---------------------------------------------------------------------------------
def _add_dataclass_args(parser: argparse.ArgumentParser, cls) -> None:
    """One --kebab-case flag per config field, so CLI flags and config keys map one-to-one."""
    for f in dataclasses.fields(cls):
        flag = "--" + f.name.replace("_", "-")
        hint = typing.get_type_hints(cls)[f.name]
        base = next((a for a in typing.get_args(hint) if a is not type(None)), hint)
        if base is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default)
        else:
            parser.add_argument(flag, type=base, default=f.default, metavar=f.name.upper())


@command("train", "train a DCGAN and write DIR/last.pt, DIR/log.jsonl and DIR/samples/",
         "python -m dcgan train --data mnist --image-size 32 --epochs 1 --out runs/demo\n"
         "  python -m dcgan train --data ./my_images --image-size 64 --loss wgan-gp --out runs/mine\n"
         "  python -m dcgan train --data mnist --epochs 10 --out runs/demo --resume")
def cmd_train(args) -> int:
    from .config import TrainConfig
    from .distributed import world_from_env
    from .train import train

    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    cfg = TrainConfig(**{k: v for k, v in vars(args).items() if k in fields})
    last = train(cfg, resume=args.resume)
    if world_from_env().is_main:  # under torchrun, one line for the job rather than one per process
        print(f"wrote {last}")
    return 0


def add_train_args(p: argparse.ArgumentParser) -> None:
    from .config import TrainConfig

    _add_dataclass_args(p, TrainConfig)
    p.add_argument("--resume", action="store_true", help="continue from DIR/last.pt up to --epochs")


# -- sample / info / export --------------------------------------------------------------------
@command("sample", "write a grid of generated images", "python -m dcgan sample runs/demo/last.pt --n 64 --seed 0 --out grid.png")
def cmd_sample(args) -> int:
    from . import load
    from .latent import generate, sample_z
    from .media import grid, save_png, upscale

    model = load(args.checkpoint)
    z = sample_z(args.n, model.config.nz, seed=args.seed, truncation=args.truncation)
    images = generate(model.G, z)
    path = save_png(upscale(grid(images, nrow=args.nrow or max(1, round(args.n**0.5))), args.scale), args.out)
    print(f"wrote {path}")
    return 0


def add_sample_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--truncation", type=float, default=None, help="redraw |z| > T (truncation trick)")
    p.add_argument("--nrow", type=int, default=0, help="images per row (default: square)")
    p.add_argument("--scale", type=int, default=1, help="nearest-neighbour upscaling factor")
    p.add_argument("--out", default="grid.png")


@command("info", "print a checkpoint's config and metadata as JSON", "python -m dcgan info checkpoints/mnist-32.pt")
def cmd_info(args) -> int:
    from . import load
    from .checkpoint import describe

    print(json.dumps(describe(load(args.checkpoint)), indent=2, default=str))
    return 0


def add_info_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")


@command("export", "export G (and optionally D) without optimiser state: .safetensors (config in metadata) or a slim .pt",
         "python -m dcgan export runs/demo/last.pt --out g.safetensors\n"
         "  python -m dcgan export runs/demo/last.pt --with-d --out checkpoints/my-model.pt")
def cmd_export(args) -> int:
    from . import load
    from .checkpoint import export

    path = export(load(args.checkpoint), args.out, include_d=args.with_d)
    print(f"wrote {path}")
    return 0


def add_export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("--out", default="g.safetensors")
    p.add_argument("--with-d", action="store_true", help="include the discriminator too")


def _model_and_data(args):
    """The checkpoint and --data, loaded at the model's own image size and channel count."""
    from . import load
    from .data import load_data

    model = load(args.checkpoint)
    return model, load_data(args.data, image_size=model.config.image_size, channels=model.config.channels)


# -- exploration -----------------------------------------------------------------------------
@command("walk", "write a latent walk through several keyframes as a GIF or MP4",
         "python -m dcgan walk checkpoints/mnist-32.pt --steps 16 --mode slerp --out walk.gif\n"
         "  python -m dcgan walk checkpoints/mnist-32.pt --seeds 1 2 3 1 --out walk.mp4")
def cmd_walk(args) -> int:
    import torch

    from . import load
    from .latent import sample_z, smoothness, walk_frames
    from .media import save_animation

    model = load(args.checkpoint)
    seeds = args.seeds or list(range(args.n_keyframes))
    keyframes = torch.stack([sample_z(1, model.config.nz, seed=s)[0] for s in seeds])
    frames = walk_frames(model.G, keyframes, args.steps, mode=args.mode)
    path = save_animation(frames, args.out, fps=args.fps, scale=args.scale)
    jumps = smoothness(frames)
    print(f"wrote {path} ({len(frames)} frames); frame-to-frame change: mean {jumps.mean():.4f}, max {jumps.max():.4f}")
    return 0


def add_walk_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("--steps", type=int, default=16, help="frames per segment between keyframes")
    p.add_argument("--mode", choices=("slerp", "lerp"), default="slerp")
    p.add_argument("--seeds", type=int, nargs="*", help="one seed per keyframe (default: 0..n-1)")
    p.add_argument("--n-keyframes", type=int, default=4)
    p.add_argument("--fps", type=int, default=12)
    p.add_argument("--scale", type=int, default=4, help="nearest-neighbour upscaling factor")
    p.add_argument("--out", default="walk.gif")


@command("filters", "visualise what each channel of a D layer responds to (gradient ascent)",
         "python -m dcgan filters checkpoints/mnist-32.pt --layer layer2 --out filters/\n"
         "  python -m dcgan filters checkpoints/mnist-32.pt --layer 1 --channels 0 1 2 3 --steps 128 --out filters/")
def cmd_filters(args) -> int:
    from pathlib import Path

    from . import load
    from .errors import ConfigError
    from .filters import FilterSettings, visualise_layer
    from .media import grid, save_png, to_uint8, upscale

    model = load(args.checkpoint)
    if model.D is None:
        raise ConfigError("this file has no discriminator to visualise")
    layer = int(args.layer) if args.layer.isdigit() else args.layer
    try:
        name = model.D.layer_names[layer - 1] if isinstance(layer, int) else layer
        images = visualise_layer(model.D, layer, channels=args.channels, seed=args.seed,
                                 settings=FilterSettings(steps=args.steps, tv_weight=args.tv_weight))
    except (ValueError, IndexError):
        raise ConfigError(f"--layer must be one of {', '.join(model.D.layer_names)} (or 1..{len(model.D.layer_names)}), "
                          f"and --channels must exist in it") from None
    out = Path(args.out)
    channels = args.channels if args.channels is not None else range(len(images))
    for channel, image in zip(channels, to_uint8(images)):
        save_png(upscale(image, args.scale), out / f"{name}_{channel}.png")
    save_png(upscale(grid(images, nrow=8), args.scale), out / "grid.png")
    print(f"wrote {len(images)} images and grid.png to {out}")
    return 0


def add_filters_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("--layer", default="layer1", help="a name like layer2, or its number")
    p.add_argument("--channels", type=int, nargs="*", default=None, help="default: all channels of the layer")
    p.add_argument("--steps", type=int, default=256)
    p.add_argument("--tv-weight", type=float, default=0.02, help="total-variation penalty (higher = smoother)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--out", default="filters")


@command("umap", "map D's features of real and generated images with UMAP, as an interactive HTML page",
         "python -m dcgan umap checkpoints/mnist-32.pt --data mnist --n 2000 --out umap.html")
def cmd_umap(args) -> int:
    from .embed import feature_map, umap_figure, write_map_html

    model, data = _model_and_data(args)
    table, _ = feature_map(model, data, n=args.n, seed=args.seed, status=lambda msg: print(msg, file=sys.stderr))
    write_map_html(umap_figure(table, color_by=args.color), args.out)
    print(f"wrote {args.out} ({len(table.xy)} points)")
    return 0


def add_umap_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("--data", default="mnist")
    p.add_argument("--n", type=int, default=2000, help="real images, and as many generated ones")
    p.add_argument("--color", choices=("kind", "label", "score"), default="label")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="umap.html")


@command("probe", "the paper's representation test: a linear SVM on D features vs raw pixels vs an untrained D",
         "python -m dcgan probe checkpoints/mnist-32.pt --data mnist")
def cmd_probe(args) -> int:
    from .features import linear_probe

    model, data = _model_and_data(args)
    try:
        result = linear_probe(model, data, n=args.n, seed=args.seed)
    except ValueError as err:
        raise ConfigError(str(err)) from None
    pct = result.as_percentages()
    print(f"linear probe on {result.n_train} training / {result.n_test} test images ({data.name}):")
    print(f"  D features       {pct['d_features']:6.2f}%")
    print(f"  raw pixels       {pct['raw_pixels']:6.2f}%")
    print(f"  untrained D      {pct['random_d']:6.2f}%")
    return 0


def add_probe_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("--data", default="mnist")
    p.add_argument("--n", type=int, default=5000, help="labelled images used (split 60/20/20)")
    p.add_argument("--seed", type=int, default=0)


@command("eval", "quality report: Fréchet distance vs the real-vs-real floor, class coverage, memorisation check",
         "python -m dcgan eval checkpoints/mnist-32.pt --data mnist\n"
         "  python -m dcgan eval checkpoints/emoji-64.pt --data emoji --n 2000 --json report.json")
def cmd_eval(args) -> int:
    from pathlib import Path

    from .metrics import evaluate

    model, data = _model_and_data(args)
    report = evaluate(model, data, n=args.n, seed=args.seed)
    print(f"quality of {Path(args.checkpoint).name} against {data.name} ({report.n} samples)")
    if report.frechet is not None:
        print(f"  Fréchet distance ({report.feature_space} features)  {report.frechet:10.3f}")
        print(f"  real-vs-real floor (two halves)              {report.frechet_floor:10.3f}  "
              f"(ratio {report.frechet / max(report.frechet_floor, 1e-12):.2f}x)")
    if report.class_share is not None:
        print(f"  classifier's mean confidence                 {100 * report.mean_confidence:9.1f}%")
        print("  class shares  " + "  ".join(f"{k}:{100 * v:.1f}%" for k, v in report.class_share.items()))
    print(f"  nearest training image, median (samples)     {report.nn_generated_median:10.4f}")
    print(f"  nearest other training image, median (real) {report.nn_real_median:10.4f}")
    print(f"  samples closer to training than 99% of real  {100 * report.copies:9.1f}%  (1% expected without copying)")
    if args.json:
        Path(args.json).write_text(json.dumps(report.as_dict(), indent=2))
        print(f"wrote {args.json}")
    return 0


def add_eval_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("--data", default="mnist")
    p.add_argument("--n", type=int, default=5000, help="generated images (and real ones, up to the data set's size)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, help="also write the report as JSON to this path")


# -- entry point ---------------------------------------------------------------------------
# -- invert ----------------------------------------------------------------------------------
@command("invert", "find z for each image (DIR/<stem>.npy) and write G(z) beside it (DIR/<stem>.png)",
         "python -m dcgan invert checkpoints/mnist-32.pt my_digit.png --out inverted/")
def cmd_invert(args) -> int:
    from pathlib import Path

    import numpy as np
    import torch

    from . import load
    from .invert import invert, load_target
    from .media import save_png, to_uint8

    model, out, failed = load(args.checkpoint), Path(args.out), 0
    cfg = model.config
    targets, stems = [], []
    for path in args.images:
        try:
            targets.append(load_target(path, image_size=cfg.image_size, channels=cfg.channels))
            stems.append(Path(path).stem)
        except Exception as e:  # one bad file must not stop the others
            failed += 1
            print(f"error: {path}: cannot read image ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})", file=sys.stderr)
    if targets:
        res = invert(model.G, torch.cat(targets), D=model.D, starts=args.starts, steps=args.steps, seed=args.seed)
        out.mkdir(parents=True, exist_ok=True)
        for stem, z, img, err in zip(stems, res.z, to_uint8(res.images), res.error):
            np.save(out / f"{stem}.npy", z.numpy().astype(np.float32))
            save_png(img, out / f"{stem}.png")
            print(f"{stem}: rms error {err:.3f}  |z|/sqrt(nz) {float(z.norm()) / cfg.nz ** 0.5:.2f}")
        print(f"median rms error {float(np.median(res.error)):.3f} over {len(stems)} image(s); wrote {out}/")
    return 2 if failed else 0


def add_invert_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("images", nargs="+")
    p.add_argument("--out", default="inverted")
    p.add_argument("--starts", type=int, default=8, help="random starts per image, optimised together; best kept")
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--seed", type=int, default=0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dcgan", description="Train DCGANs and look inside them.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, examples, _fn) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, epilog="examples:\n  " + examples,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        globals()[f"add_{name}_args"](p)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    warnings.formatwarning = lambda msg, cat, *a, **k: f"warning: {msg}\n"
    try:
        return COMMANDS[args.command][2](args)
    except DcganError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stopped by the user", file=sys.stderr)
        return 130
