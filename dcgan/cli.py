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
    import signal
    import threading

    from .config import TrainConfig
    from .distributed import world_from_env
    from .train import train

    # Ctrl-C and the app's Stop (SIGINT) end a run after its last epoch even when the parent ignored SIGINT
    # (a server started with nohup or `&` passes SIG_IGN down, and Python then never raises KeyboardInterrupt)
    if threading.current_thread() is threading.main_thread():  # signal handlers can only be set there
        signal.signal(signal.SIGINT, signal.default_int_handler)
    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    flags = {k: v for k, v in vars(args).items() if k in fields}
    cfg = _config_file(args.config) if args.config else TrainConfig(**flags)
    last = train(cfg, resume=args.resume)
    if world_from_env().is_main:  # under torchrun, one line for the job rather than one per process
        print(f"wrote {last}")
    return 0


def _config_file(path: str):
    """A TrainConfig saved as JSON (TrainConfig.to_dict(), as the app's Train page writes one per run)."""
    from pathlib import Path

    from .config import TrainConfig, from_dict

    try:
        values = json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        raise ConfigError(f"--config {path}: cannot read it as JSON ({str(err).splitlines()[0][:100]})") from None
    if not isinstance(values, dict):
        raise ConfigError(f"--config {path}: expected a JSON object of TrainConfig fields")
    return from_dict(TrainConfig, values)


def add_train_args(p: argparse.ArgumentParser) -> None:
    from .config import TrainConfig

    _add_dataclass_args(p, TrainConfig)
    p.add_argument("--resume", action="store_true", help="continue from DIR/last.pt up to --epochs")
    p.add_argument("--config", default=None, help="read every setting above from this JSON file (a TrainConfig, "
                   "as the app writes one per run) instead of the flags")


# -- sample / info / export --------------------------------------------------------------------
TRUNCATION_HELP = ("truncation T in (0, 1): G's 8x8 features h move toward the nearest of 32 cluster centres c, "
                   "h' = c + T (h - c) (dcgan/truncation.py); smaller T: less varied, more typical samples; "
                   "1 or unset: none")


@command("sample", "write a grid of generated images",
         "python -m dcgan sample runs/demo/last.pt --n 64 --seed 0 --out grid.png")
def cmd_sample(args) -> int:
    from . import load
    from .latent import generate, sample_z
    from .limits import check_picture
    from .media import IMAGE_SUFFIXES, grid, save_png, upscale, writable

    writable(args.out, IMAGE_SUFFIXES)  # a bad --out fails before any work
    model = load(args.checkpoint)
    check_picture(args.n, model.config.image_size, args.scale)
    from .truncation import truncated

    images = generate(truncated(model.G, args.truncation), sample_z(args.n, model.config.nz, seed=args.seed))
    path = save_png(upscale(grid(images, nrow=args.nrow or max(1, round(args.n**0.5))), args.scale), args.out)
    print(f"wrote {path}")
    return 0


def add_sample_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--truncation", type=float, default=None, help=TRUNCATION_HELP)
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


@command("export",
         "export G (and optionally D) without optimiser state: .safetensors (config in metadata) or a slim .pt",
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


@command("web", "write G with BatchNorm folded, as the browser's live view reads it (JSON layout + weights)",
         "python -m dcgan web checkpoints/mnist-32.pt --out mnist-32.g.bin")
def cmd_web(args) -> int:
    from pathlib import Path

    from . import load
    from . import web_generator as web
    from .media import writable

    writable(args.out)
    model = load(args.checkpoint)
    layout, blob = web.export(web.fold_generator(model.G), nz=model.config.nz, dtype=args.dtype)
    Path(args.out).write_bytes(web.pack(layout, blob))
    print(f"wrote {args.out}: {len(blob) / 1e6:.1f} MB of {args.dtype}, "
          f"{layout['macs'] / 1e6:.1f}M multiply-adds per image")
    return 0


def add_web_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("--out", default="g.bin")
    p.add_argument("--dtype", default="float16", choices=["float16", "float32"])


def _model_and_data(args, needs_d: str | None = None):
    """The checkpoint and --data, loaded at the model's own image size and channel count (D checked first)."""
    from . import load
    from .data import load_data

    model = load(args.checkpoint)
    if needs_d:
        model.require_d(needs_d)
    return model, load_data(args.data, image_size=model.config.image_size, channels=model.config.channels)


# -- exploration -----------------------------------------------------------------------------
@command("walk", "write a latent walk through several keyframes as a GIF or MP4",
         "python -m dcgan walk checkpoints/mnist-32.pt --steps 16 --mode slerp --out walk.gif\n"
         "  python -m dcgan walk checkpoints/mnist-32.pt --seeds 1 2 3 1 --out walk.mp4")
def cmd_walk(args) -> int:
    import torch

    from . import load
    from .latent import frame_changes, sample_z, walk_frames
    from .limits import check_picture, check_walk
    from .media import ANIMATION_SUFFIXES, save_animation, writable

    seeds = args.seeds or list(range(args.n_keyframes))
    if len(seeds) < 2:
        raise ConfigError(f"a walk needs at least two keyframes: give --seeds two or more seeds, got {len(seeds)}")
    check_walk(len(seeds), args.steps)
    writable(args.out, ANIMATION_SUFFIXES)
    model = load(args.checkpoint)
    check_picture(1, model.config.image_size, args.scale)
    keyframes = torch.stack([sample_z(1, model.config.nz, seed=s)[0] for s in seeds])
    frames = walk_frames(model.G, keyframes, args.steps, mode=args.mode)
    path = save_animation(frames, args.out, fps=args.fps, scale=args.scale)
    jumps = frame_changes(frames)
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


@command("filters",
         "what each channel of a D layer responds to: images through G (default) or in pixels, beside real ones",
         "python -m dcgan filters checkpoints/mnist-32.pt --layer layer2 --out filters/\n"
         "  python -m dcgan filters checkpoints/mnist-32.pt --layer 1 --channels 0 1 2 3 --per-channel 3 --diversity "
         "2 --suppress\n"
         "  python -m dcgan filters checkpoints/mnist-32.pt --layer layer2 --method pixels --steps 256 --out filters/")
def cmd_filters(args) -> int:
    from . import load
    from .channel_report import PIXELS, THROUGH_G, explain_channels, real_pool, summary_lines
    from .data import load_data, model_default_data
    from .filters import FilterSettings
    from .latent_filters import LatentSettings

    model = load(args.checkpoint)
    if model.D is None:
        raise ConfigError("this file has no discriminator to visualise: use a checkpoint that includes D")
    layer = int(args.layer) if args.layer.isdigit() else args.layer
    latent = LatentSettings(**{k: v for k, v in dict(steps=args.steps, per_channel=args.per_channel,
                                                     diversity=args.diversity).items() if v is not None})
    pixels = FilterSettings(**{k: v for k, v in dict(steps=args.steps, tv_weight=args.tv_weight).items()
                               if v is not None})
    data = load_data(args.data or model_default_data(model.config), image_size=model.config.image_size,
                     channels=model.config.channels)
    pool = real_pool(data)
    try:
        report = explain_channels(model, layer, pool, method=THROUGH_G if args.method == "g" else PIXELS,
                                  channels=args.channels, latent=latent, pixels=pixels, suppress=args.suppress,
                                  seed=args.seed)
    except ValueError as err:
        raise ConfigError(f"{str(err).splitlines()[0]} (--layer and --channels)") from None
    _write_filters(report, pool, args)
    print("\n".join(summary_lines(report)))
    return 0


def _write_filters(report, pool, args) -> None:
    """One PNG per channel, grids of the optimised, suppressing and real images, and report.json."""
    from pathlib import Path

    from .media import grid, save_png, to_uint8, upscale

    out, k = Path(args.out), report.images.shape[1]
    for channel, image in zip(report.channels.tolist(), to_uint8(report.images[:, 0])):
        save_png(upscale(image, args.scale), out / f"{report.layer}_{channel}.png")
    save_png(upscale(grid(report.images.flatten(0, 1), nrow=8 * k if k > 1 else 8), args.scale), out / "grid.png")
    if report.suppressing is not None:
        save_png(upscale(grid(report.suppressing, nrow=8), args.scale), out / "suppressing.png")
    for name, idx in (("real_top", report.top_real), ("real_bottom", report.bottom_real)):
        save_png(upscale(grid(pool[idx.flatten()], nrow=idx.shape[1]), args.scale), out / f"{name}.png")
    rows = [{"channel": c, "activation": a, "vs_top_real": t, "vs_best_random": r} for c, a, t, r in zip(
        report.channels.tolist(), report.activation.max(1).values.tolist(), report.vs_top_real().tolist(),
        report.vs_best_random().tolist())]
    summary = {"layer": report.layer, "method": report.method, "hf_share": report.hf_share,
               "nn_ratio": report.nn_ratio, "real_hf_share": report.real_hf_share, "channels": rows}
    (out / "report.json").write_text(json.dumps(summary, indent=1))
    print(f"wrote {len(report.channels)} channel images, grids and report.json to {out}")


def add_filters_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("--layer", default="layer2", help="a D stage name like layer2 (as on the Model page), or its number")
    p.add_argument("--channels", type=int, nargs="*", default=None, help="default: all channels of the layer")
    p.add_argument("--method", choices=("g", "pixels"), default="g", help="g: optimise z through G (readable); "
                   "pixels: optimise pixels (robust, but a superstimulus)")
    p.add_argument("--steps", type=int, default=None, help="optimisation steps (default: 64 through G, 256 in pixels)")
    p.add_argument("--per-channel", type=int, default=None, help="images per channel, through G (default 1)")
    p.add_argument("--diversity", type=float, default=None, help="weight of the diversity term between them")
    p.add_argument("--suppress", action="store_true", help="also find the images that most suppress each channel")
    p.add_argument("--tv-weight", type=float, default=None,
                   help="pixels: total-variation penalty (default 0.2; higher = smoother)")
    p.add_argument("--data", default=None, help="real images to compare with (default: the model's own built-in set)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--out", default="filters")


@command("dissect",
         "inside G: rank a layer's units by their effect, "
         "then show where each fires and what switching it off or on does",
         "python -m dcgan dissect checkpoints/mnist-32.pt --layer layer2 --out dissect/\n"
         "  python -m dcgan dissect checkpoints/mnist-32.pt --layer layer3 --units 5 12 --out dissect/")
def cmd_dissect(args) -> int:
    from pathlib import Path

    from . import load
    from .dissect import dissect_units, effect_classifier, rank_units, unit_rows
    from .media import grid, save_png, upscale

    model = load(args.checkpoint)
    layer = int(args.layer) if args.layer.isdigit() else args.layer
    clf = effect_classifier(model.config)
    try:
        d = dissect_units(model.G, layer, args.units, seed=args.seed) if args.units else None  # bad units: first
        order, effects = rank_units(model.G, layer, classifier=clf, seed=args.seed)
        if d is None:
            d = dissect_units(model.G, layer, order[:args.top].tolist(), seed=args.seed)
    except ValueError as err:
        raise ConfigError(f"{str(err).splitlines()[0]} (--layer and --units)") from None
    out = Path(args.out)
    for k, unit in enumerate(d.units.tolist()):
        rows, _ = unit_rows(d, k)
        save_png(upscale(grid(rows.flatten(0, 1), nrow=rows.shape[1]), args.scale), out / f"{d.layer}_unit{unit}.png")
    measure = "digit classifier's probabilities (total variation)" if clf is not None else "pixels (mean |change|)"
    ranking = [{"unit": int(u), "effect": float(e)} for u, e in zip(order, effects)]
    (out / "ranking.json").write_text(json.dumps({"layer": d.layer, "effect_on": measure, "units": ranking}, indent=1))
    print(f"G's {d.layer}: {len(order)} units ranked by the effect of switching each off on the {measure}")
    print("  strongest: " + ", ".join(f"unit {r['unit']} ({r['effect']:.3f})" for r in ranking[:5]))
    print(f"wrote {len(d.units)} unit panels (rows: fires most, other samples, switched off, forced on) "
          f"and ranking.json to {out}")
    return 0


def add_dissect_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("--layer", default="layer2", help="a G stage name like layer2 (as on the Model page), or its number")
    p.add_argument("--units", type=int, nargs="*", default=None, help="units to show (default: the --top strongest)")
    p.add_argument("--top", type=int, default=8, help="how many of the strongest units to show")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=int, default=4)
    p.add_argument("--out", default="dissect")


@command("umap", "map D's features of real and generated images with UMAP, as an interactive HTML page",
         "python -m dcgan umap checkpoints/mnist-32.pt --data mnist --n 2000 --out umap.html")
def cmd_umap(args) -> int:
    from .embed import feature_map, umap_figure, write_map_html

    model, data = _model_and_data(args, needs_d="the feature map")
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


@command("calibrate", "fit the per-image verdict (realness) on real images and write it into a copy of the checkpoint",
         "python -m dcgan calibrate netG_epoch_24.pth --data ./my_images --out mine.pt\n"
         "  python -m dcgan calibrate checkpoints/mnist-32.pt --data mnist --out checkpoints/mnist-32.pt")
def cmd_calibrate(args) -> int:
    from .checkpoint import export
    from .verdict import verdict_report

    model, data = _model_and_data(args, needs_d="the verdict")
    model.calibrate(data)
    out = export(model, args.out, include_d=True)
    print(f"verdict fitted on {data.name} ({len(data)} images); ROC-AUC, held-out real images against:")
    for name, value in verdict_report(model, data, n=args.n).items():
        print(f"  {name:16s} {value:6.3f}")
    print(f"wrote {out}")
    return 0


def add_calibrate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("--data", default="mnist")
    p.add_argument("--out", required=True, help="the .pt to write (the same path overwrites the file)")
    p.add_argument("--n", type=int, default=500, help="held-out real images (and as many samples) for the AUCs")


@command("probe", "the paper's representation test: a linear SVM on D features vs raw pixels vs an untrained D",
         "python -m dcgan probe checkpoints/mnist-32.pt --data mnist")
def cmd_probe(args) -> int:
    from .features import FEATURE_SETS, linear_probe

    model, data = _model_and_data(args, needs_d="the probe")
    try:
        result = linear_probe(model, data, n=args.n, seeds=tuple(range(args.seeds)))
    except ValueError as err:
        raise ConfigError(str(err)) from None
    print(result.summary())
    names = {"d_features": "D features", "raw_pixels": "raw pixels", "random_d": "untrained D"}
    for name in FEATURE_SETS:
        mean, sd = result.as_percentages()[name]
        print(f"  {names[name]:12s} {mean:6.2f}% ± {sd:.2f}  (penalties chosen: "
              f"{', '.join(f'{a:g}' for a in result.penalty[name])})")
    return 0


def add_probe_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("--data", default="mnist")
    p.add_argument("--n", type=int, default=2000, help="labelled images per seed (split 60/20/20)")
    p.add_argument("--seeds", type=int, default=3, help="splits (and untrained Ds) to average over")


@command("eval", "quality report: Fréchet distance vs the real-vs-real floor, class coverage, memorisation check",
         "python -m dcgan eval checkpoints/mnist-32.pt --data mnist\n"
         "  python -m dcgan eval checkpoints/emoji-64.pt --data emoji --n 2000 --json report.json")
def cmd_eval(args) -> int:
    from pathlib import Path

    from .metrics import evaluate

    model, data = _model_and_data(args)
    fidelity = _precision_recall(model, data, args)
    report = evaluate(model, data, n=args.n, seed=args.seed, truncation=args.truncation)
    print(f"quality of {Path(args.checkpoint).name} against {data.name} ({report.n} samples)")
    if report.frechet is not None:
        print(f"  Fréchet distance ({report.feature_space} features)  {report.frechet:10.3f}")
        print(f"  real-vs-real floor (two halves)              {report.frechet_floor:10.3f}  "
              f"(ratio {report.frechet / max(report.frechet_floor, 1e-12):.2f}x)")
    if report.class_share is not None:
        print(f"  classifier's mean confidence                 {100 * report.mean_confidence:9.1f}%")
        print("  class shares  " + "  ".join(f"{k}:{100 * v:.1f}%" for k, v in report.class_share.items()))
    print("  memorisation (distance to the nearest training image, tolerating 2 px shifts and stroke width):")
    print(f"    median, samples / held-out real images     {report.nn_generated_median:7.4f} "
          f"/ {report.nn_real_median:.4f}")
    print(f"    samples flagged as near copies            {100 * report.copies:8.1f}%  "
          f"(threshold {report.copy_threshold:.4f})")
    print(f"    the check's false-positive rate            {100 * report.copy_false_positive_rate:8.1f}%  "
          f"(held-out real images)")
    print("    the check's hit rate on perturbed copies   "
          + "  ".join(f"{k}: {100 * v:.0f}%" for k, v in report.copy_hit_rates.items()))
    if report.verdict_auc:
        print("  verdict ROC-AUC, held-out real vs          "
              + "  ".join(f"{k}: {v:.3f}" for k, v in report.verdict_auc.items()))
    if report.inversion:
        inv = report.inversion
        held = f"{inv['held_out_error']:.4f}" if inv["held_out_error"] is not None else "none held out"
        print(f"  memorisation by inversion ({inv['n']} per group), median RMS error, training / held-out  "
              f"{inv['train_error']:.4f} / {held}")
        print(f"    {inv['verdict']}")
    print(_precision_recall_line(fidelity))
    if args.json:
        Path(args.json).write_text(json.dumps({**report.as_dict(), **fidelity.as_dict()}, indent=2))
        print(f"wrote {args.json}")
    return 0


def _precision_recall(model, data, args):
    """Precision, recall and realism of the same samples (dcgan.fidelity), for `eval`."""
    from .fidelity import model_precision_recall

    if args.truncation is not None and args.truncation <= 0:
        raise ConfigError(f"--truncation must be positive, got {args.truncation}")
    return model_precision_recall(model, data, n=args.n, seed=args.seed, truncation=args.truncation)


def _precision_recall_line(pr) -> str:
    return (f"  precision / recall (k={pr.k}, {pr.feature_space} features)    {pr.precision:.3f} / {pr.recall:.3f}"
            f"  (realism: median {pr.as_dict()['realism_median']:.2f}, {100 * pr.as_dict()['realism_at_least_1']:.0f}% "
            f"of samples >= 1{'' if pr.truncation is None else f'; truncation {pr.truncation:g}'})")


def add_eval_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("--data", default="mnist")
    p.add_argument("--n", type=int, default=5000, help="generated images (and real ones, up to the data set's size)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, help="also write the report as JSON to this path")
    p.add_argument("--truncation", type=float, default=None, help=TRUNCATION_HELP)


# -- timeline ----------------------------------------------------------------------------------
@command("timeline", "measure every saved epoch of a run (FD, precision, recall) and draw the same z at each",
         "python -m dcgan timeline runs/demo --data mnist --json timeline.json --out timeline.html\n"
         "  (train with --save-every 1 to keep every epoch)")
def cmd_timeline(args) -> int:
    from pathlib import Path

    from .data import load_data
    from .timeline import TimelineSettings, load_same_size, run_checkpoints, timeline, write_timeline_html

    first = load_same_size([run_checkpoints(args.run_dir)[0][1]])[0]
    data = load_data(args.data, image_size=first.config.image_size, channels=first.config.channels)
    report = lambda done, total, name: print(f"  {done}/{total} {name}", file=sys.stderr)  # noqa: E731
    tl = timeline(args.run_dir, data, TimelineSettings(n=args.n, seed=args.seed), progress=report)
    for row in tl.rows:
        print(f"epoch {row['epoch']:4d}  FD {row['fd']:10.3f}  precision {row['precision']:.3f}  "
              f"recall {row['recall']:.3f}")
    if args.json:
        Path(args.json).write_text(json.dumps(tl.as_dict(), indent=1))
        print(f"wrote {args.json}")
    print(f"wrote {write_timeline_html(tl, args.out)}")
    return 0


def add_timeline_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", help="a train --out folder with epoch_NNN.pt and/or last.pt")
    p.add_argument("--data", default="mnist")
    p.add_argument("--n", type=int, default=1000, help="samples and real images per epoch for the metrics")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", default=None, help="also write one entry per epoch as JSON to this path")
    p.add_argument("--out", default="timeline.html")


# -- directions ------------------------------------------------------------------------------
@command("directions", "named directions in z (GANSpace PCA, SeFa, class, style) with their report cards, as .npz",
         "python -m dcgan directions checkpoints/mnist-32.pt --method style --out style.npz\n"
         "  python -m dcgan directions checkpoints/mnist-32.pt --method sefa --k 8 --out sefa.npz\n"
         "  python -m dcgan directions checkpoints/mnist-32.pt --method style --project-out sefa.npz --out style.npz")
def cmd_directions(args) -> int:
    from . import load
    from .direction_file import fingerprint, load_directions, save_directions
    from .directions import builtin_directions, check_method, project_out
    from .dissect import effect_classifier
    from .report_card import report_cards, with_spans

    check_method(args.method)
    model = load(args.checkpoint)
    clf = effect_classifier(model.config)
    others = load_directions(args.project_out, nz=model.config.nz)[0] if args.project_out else None  # before the work
    directions = builtin_directions(model, args.method, k=args.k, n=args.n, seed=args.seed, classifier=clf)
    if others:
        others = torch_stack([d.vector for d in others])
        directions = [dataclasses.replace(d, vector=project_out(d.vector, others)) for d in directions]
    cards = report_cards(model.G, clf, directions, n=args.cards) if args.cards > 0 else None
    if cards:
        directions = with_spans(directions, cards)
    path = save_directions(args.out, directions, cards, model_fingerprint=fingerprint(model.G))
    for i, d in enumerate(directions):
        print(f"{d.name} (±{d.span:g}σ): {cards[i].summary()}" if cards else d.name)
    print(f"wrote {len(directions)} {args.method} directions to {path}")
    return 0


def torch_stack(vectors):
    import torch

    return torch.stack(vectors)


def add_directions_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("--method", required=True, help="pca (GANSpace), sefa (closed form), class or style (digit models)")
    p.add_argument("--k", type=int, default=8, help="pca and sefa: how many directions")
    p.add_argument("--n", type=int, default=3000, help="class and style: labelled samples to fit the boundaries on")
    p.add_argument("--cards", type=int, default=200, help="held-out samples for the report cards (0: no cards)")
    p.add_argument("--project-out", default=None,
                   help="a directions .npz whose vectors are projected out of each new one")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="directions.npz")


# -- invert ----------------------------------------------------------------------------------
@command("invert", "find z for each image (DIR/<stem>.npy) and write G(z) beside it (DIR/<stem>.png)",
         "python -m dcgan invert checkpoints/mnist-32.pt my_digit.png --out inverted/\n"
         "  python -m dcgan invert checkpoints/mnist-32.pt digits/*.png --starts 4 --steps 60 --out inverted/")
def cmd_invert(args) -> int:
    from pathlib import Path

    import numpy as np
    import torch

    from . import load
    from .invert import InvertSettings, busy_machine_threads, feature_nets, invert, target_options
    from .media import save_png, to_uint8

    busy_machine_threads()
    model, out = load(args.checkpoint), Path(args.out)
    targets, stems = _invert_targets(args.images, target_options(model))
    if targets:
        settings = InvertSettings(bank=args.bank, starts=args.starts, steps=args.steps, seed=args.seed)
        res = invert(model.G, torch.cat(targets), settings=settings, **feature_nets(model))
        out.mkdir(parents=True, exist_ok=True)
        for stem, z, img, err, typ in zip(stems, res.z, to_uint8(res.images), res.error, res.typicality()):
            np.save(out / f"{stem}.npy", z.numpy().astype(np.float32))
            save_png(img, out / f"{stem}.png")
            print(f"{stem}: rms error {err:.3f}  |z|/sqrt(nz) {typ:.2f}")
        print(f"median rms error {float(np.median(res.error)):.3f} over {len(stems)} image(s)"
              f"{_nn_yardstick(args, model)}; wrote {out}/")
    return 2 if len(targets) < len(args.images) else 0


def _invert_targets(paths, options: dict):
    """The readable images as targets, and their file stems; each unreadable one gets one line on stderr."""
    from pathlib import Path

    from .invert import load_target

    targets, stems = [], []
    for path in paths:
        try:
            targets.append(load_target(path, **options))
            stems.append(Path(path).stem)
        except Exception as e:  # one bad file must not stop the others
            why = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
            print(f"error: {path}: cannot read this image ({why}); the others are still inverted", file=sys.stderr)
    return targets, stems


def _nn_yardstick(args, model) -> str:
    """', against ...': the data's median real-to-real nearest-neighbour distance, the scale errors compare with."""
    from .data import load_data, model_default_data
    from .invert import real_nn_reference

    name = args.data or model_default_data(model.config)
    try:
        data = load_data(name, image_size=model.config.image_size, channels=model.config.channels)
    except DcganError:
        return ""
    return f" (median real-to-real nearest-neighbour distance in {data.name}: {real_nn_reference(data.as_float()):.3f})"


def add_invert_args(p: argparse.ArgumentParser) -> None:
    from .invert import InvertSettings

    d = InvertSettings()
    p.add_argument("checkpoint")
    p.add_argument("images", nargs="+")
    p.add_argument("--out", default="inverted")
    p.add_argument("--bank", type=int, default=d.bank,
                   help="random z screened by a forward pass (shared by all images)")
    p.add_argument("--starts", type=int, default=d.starts,
                   help="best screened z per image, optimised together; best kept")
    p.add_argument("--steps", type=int, default=d.steps)
    p.add_argument("--data", default=None,
                   help="real images whose nearest-neighbour distance is printed as a yardstick "
                   "(default: the model's own built-in set)")
    p.add_argument("--seed", type=int, default=0)


# -- landscape -------------------------------------------------------------------------------
@command("landscape", "D's verdict over a plane in z as a heatmap with arrows to 'more real' (JSON and HTML)",
         "python -m dcgan landscape checkpoints/mnist-32.pt --directions sefa --json L.json --out L.html\n"
         "  python -m dcgan landscape checkpoints/mnist-32.pt --directions keyframes --seed 3 --grid 20 --out L.html")
def cmd_landscape(args) -> int:
    from pathlib import Path

    from . import load
    from .dissect import effect_classifier
    from .invert import busy_machine_threads
    from .landscape import grid_axis, landscape, plane_for
    from .landscape_plot import write_landscape_html

    grid_axis(args.grid, args.extent or 3.0)  # a bad grid fails before the model loads
    busy_machine_threads()  # one thread on a loaded machine: the same numbers (checked), less time spinning
    model = load(args.checkpoint)
    if model.D is None:
        raise DcganError("this file has no discriminator, so it has no landscape: load a file with D")
    clf = effect_classifier(model.config) if args.directions == "class" else None
    plane = plane_for(model, args.directions, seed=args.seed, pick=tuple(args.pick), classifier=clf)
    land = landscape(model, plane, grid=args.grid, extent=args.extent)
    if args.json:
        Path(args.json).write_text(json.dumps(land.as_dict()))
    write_landscape_html(land, args.out)
    print(f"verdict over {plane.u_name} x {plane.v_name}: {land.verdict.min():.3f} .. {land.verdict.max():.3f} "
          f"(mean {land.verdict.mean():.3f}); wrote {args.out}" + (f" and {args.json}" if args.json else ""))
    return 0


def add_landscape_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint")
    p.add_argument("--directions", default="pca", help="the plane: pca, sefa, class (digit models) or keyframes "
                   "(three seeds: --seed, --seed+1, --seed+2)")
    p.add_argument("--pick", type=int, nargs=2, default=[0, 1], metavar=("I", "J"),
                   help="which two directions of the set span the plane (default: the first two)")
    p.add_argument("--seed", type=int, default=0, help="the plane's centre z0 = the sample of this seed")
    p.add_argument("--grid", type=int, default=30, help="points per side")
    p.add_argument("--extent", type=float, default=None, help="the grid spans +-extent sd along each direction "
                   "(default 3, or far enough to show all three keyframes)")
    p.add_argument("--json", default=None, help="write a, b, verdict (rows: b), z0, u, v and the arrows here")
    p.add_argument("--out", default="landscape.html")


# -- entry point ---------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    """argparse, with its refusals as one line too (`error: ...`, exit status 2) instead of usage plus error."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m dcgan", description="Train DCGANs and look inside them.")
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
        from .limits import check_options

        check_options(vars(args))  # every numeric option, before anything is loaded
        return COMMANDS[args.command][2](args)
    except DcganError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a file the command reads or writes: name it, no traceback
        print(f"error: {err.filename or 'a file'}: {err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stopped by the user", file=sys.stderr)
        return 130
