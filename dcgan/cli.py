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

from .errors import DcganError

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
    from .train import train

    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    cfg = TrainConfig(**{k: v for k, v in vars(args).items() if k in fields})
    last = train(cfg, resume=args.resume)
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


# -- entry point ---------------------------------------------------------------------------
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
