"""A second front end, in Gradio, over the same library: `python -m app.gradio_app [--checkpoint PATH] [--port N]`.

Tabs for generating, latent sliders, walks, filters and a UMAP map, plus a checkpoint upload; named API
endpoints `/generate`, `/walk` and `/invert` for gradio_client. All computation is in dcgan/; this file only wires
widgets to library calls and turns library errors into one-line messages.
"""
from __future__ import annotations

import argparse
import atexit
import contextlib
import html
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no network calls from a machine that may have none

import gradio as gr
import numpy as np
import torch

import dcgan
from app import frontend  # what both front ends share: caches, error lines, scale factors
from dcgan import latent as L
from dcgan.data import BUILTIN as DATASETS  # (built-in real-image sets: no network)
from dcgan.data import data_mismatch
from dcgan.errors import DcganError
from dcgan.limits import MAX_KEYFRAMES, check_walk
from dcgan.media import grid, save_animation, to_uint8, upscale
from dcgan.readings import verdict_help

ROOT = Path(__file__).resolve().parents[1]


DEFAULT = ROOT / "checkpoints" / "mnist-32.pt"
OUT = Path(tempfile.mkdtemp(prefix="dcgan-gradio-"))  # walk GIFs; PNGs go through Gradio's own cache
atexit.register(shutil.rmtree, OUT, ignore_errors=True)  # nothing of ours is left after the server exits
KEEP_FILES = 32  # walk GIFs and uploaded copies kept in OUT at once (oldest removed first)
N_SLIDERS = 6
MAX_SEED = 2**31 - 1


# -- errors and caches ----------------------------------------------------------------------------
@contextlib.contextmanager
def user_errors():
    """Errors a user can cause (bad file, bad setting) become a one-line gr.Error, never a traceback."""
    try:
        yield
    except gr.Error:
        raise
    except (DcganError, ValueError, OSError) as err:
        raise gr.Error(html.escape(frontend.one_line(err, limit=1000), quote=False), print_exception=False) from None
    except Exception as err:  # not foreseen: one line on the page, the full traceback in the server log
        raise gr.Error(html.escape(frontend.unexpected(err), quote=False), print_exception=False) from None


model_at = frontend.model_at  # the shared, eval-mode Model for a file, loaded once per file version
_version = frontend.version
SLOW = frontend.ResultCache()  # results that cost seconds (filters, UMAP), keyed by file version and settings
_cached = SLOW.get_or_compute
_picture = frontend.square_grid  # what page and API return: a square grid, each image about `target` px


def _no_d(model: dcgan.Model, what: str) -> None:
    if model.D is None:
        raise gr.Error(f"this file has no discriminator, so no {what}: upload a checkpoint that includes D",
                       print_exception=False)


# -- endpoints and handlers -----------------------------------------------------------------------
def generate(seed: float, truncation: str, n: float, path: str = str(DEFAULT)) -> np.ndarray:
    """Endpoint /generate: a grid of n samples from one seed at a truncation of frontend.TRUNCATIONS, as a PNG.

    Each image is upscaled to 64 px (128 px when n is 1) so small models are readable.
    """
    with user_errors():
        _room_for_an_image()
        model = frontend.truncated_model(model_at(path), frontend.truncation_value(truncation))
        z = L.sample_z(int(n), model.config.nz, seed=int(seed))
        return _picture(L.generate(model.G, z), target=128 if int(n) == 1 else 64)


def _seeds(text: str) -> list[int]:
    try:
        seeds = [int(s) for s in text.replace(" ", "").split(",") if s]
    except ValueError:
        raise gr.Error("seeds must be whole numbers separated by commas, e.g. 0, 1, 2", print_exception=False) from None
    if len(seeds) < 2 or not all(0 <= s <= MAX_SEED for s in seeds):
        raise gr.Error(f"a walk needs at least two seeds, each between 0 and {MAX_SEED}", print_exception=False)
    if len(seeds) > MAX_KEYFRAMES:
        raise gr.Error(f"a walk takes at most {MAX_KEYFRAMES} keyframes, got {len(seeds)}", print_exception=False)
    return seeds


def _bounded(folder: Path, keep: int = KEEP_FILES) -> Path:
    """`folder`, after removing all but its `keep` - 1 newest entries: a bounded cache of what we serve."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)
    for old in entries[:max(0, len(entries) - keep + 1)]:
        shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
    return folder


KEEP_BYTES = 256 << 20  # walk GIFs kept at once, in OUT and again in Gradio's serving cache (each a copy)
KEEP_IMAGES = 64  # PNGs Gradio keeps of our image outputs (it names them <hash>/image.png), also within KEEP_BYTES


def _prune_oldest(files: list[Path], keep: int = KEEP_FILES, keep_bytes: int = KEEP_BYTES) -> None:
    """Remove the oldest of `files` until at most `keep` - 1 remain and they hold under `keep_bytes` together."""
    files = sorted((f for f in files if f.is_file()), key=lambda p: p.stat().st_mtime, reverse=True)
    total = 0
    for i, f in enumerate(files):
        total += f.stat().st_size
        if i >= keep - 1 or total > keep_bytes:
            f.unlink(missing_ok=True)


def _bounded_walks() -> Path:
    """OUT/walks with room for one more GIF; Gradio's copies of our walk-*.gif files are bounded alike
    (its delete_cache alone keeps every walk of the last hour)."""
    from gradio.utils import get_upload_folder

    folder = _bounded(OUT / "walks")
    _prune_oldest(list(folder.iterdir()))
    _prune_oldest(list(Path(get_upload_folder()).glob("*/walk-*.gif")))
    return folder


def _room_for_an_image() -> None:
    """Bound the PNGs Gradio writes for our numpy image outputs (its delete_cache bounds them by age only):
    before an endpoint makes a new one, the oldest go until KEEP_IMAGES - 1 remain within KEEP_BYTES."""
    from gradio.utils import get_upload_folder

    served = list(Path(get_upload_folder()).glob("*/image.png"))
    _prune_oldest(served, keep=KEEP_IMAGES)
    for file in served:
        if not file.exists():
            with contextlib.suppress(OSError):
                file.parent.rmdir()


def walk(seeds: str, steps: float, mode: str, path: str = str(DEFAULT)) -> str:
    """Endpoint /walk: a looping GIF through keyframes given as comma-separated seeds.

    Frames: `steps` per segment between consecutive keyframes, plus the last keyframe; lerp or slerp.
    """
    if len(seeds) > 40 * MAX_KEYFRAMES:  # refused before parsing
        raise gr.Error(f"a walk takes at most {MAX_KEYFRAMES} keyframes", print_exception=False)
    keys = _seeds(seeds)
    with user_errors():
        check_walk(len(keys), int(steps))
        model = model_at(path)
        z = frontend.keyframes_from_seeds(keys, model.config.nz)  # (K, nz): keyframe i = seed i's sample
        frames = L.walk_frames(model.G, z, int(steps), mode=mode)
        scale = frontend.display_scale(model.config)
        return str(save_animation(frames, _bounded_walks() / f"walk-{uuid.uuid4().hex[:12]}.gif", fps=12, scale=scale))


def invert_image(image: str | None, path: str = str(DEFAULT)) -> tuple[list, np.ndarray, str]:
    """Endpoint /invert: an image file -> (z as nz floats, target beside G(z) as a PNG, the error in words).

    Any size or mode is fitted to the model; a digit drawn black on white is flipped for a white-on-black model.
    """
    from dcgan.invert import feature_nets, invert, load_target, target_options

    if not image:
        raise gr.Error("upload or draw an image first", print_exception=False)
    with user_errors():
        _room_for_an_image()
        model = model_at(path)
        cfg = model.config
        target = load_target(image, **target_options(model))
        res = invert(model.G, target, **feature_nets(model))
        text = (f"RMS pixel error {res.error[0]:.3f} (in [-1, 1] units); |z|/sqrt(nz) {res.typicality()[0]:.2f} "
                "(near 1 for a typical z). Left: the image as the model sees it; right: G(z).")
        pair = upscale(grid(torch.cat([target, res.images]), nrow=2, padding=2), frontend.display_scale(cfg))
        return res.z[0].tolist(), pair, text


def slide(path: str, seed: float, *strengths: float) -> tuple[np.ndarray, str]:
    """The sample for `seed` moved along the PCA directions by the slider strengths (in standard deviations)."""
    with user_errors():
        _room_for_an_image()
        model = model_at(path)
        z = L.sample_z(1, model.config.nz, seed=int(seed))[0]
        for direction, strength in zip(frontend.pca_directions(path, k=N_SLIDERS), strengths):
            z = L.apply_direction(z, direction, strength)
        images = L.generate(model.G, z[None])
        caption = frontend.captions(model, images)[0]
        image = upscale(to_uint8(images)[0], frontend.display_scale(model.config, target=256))
        return (image[..., 0] if image.shape[-1] == 1 else image), f"{caption}\n\n{verdict_help(model)}"


def filters(path: str, method: str, layer: str, count: float, steps: float, suppress: bool, source: str,
            progress=gr.Progress()) -> tuple[list[tuple[np.ndarray, str]], str]:
    """Channels 0..count-1 of a D layer, one gallery row each, captioned with its channel and figures: the optimised
    image, the suppressing one (if asked), then the real images that excite the channel most and least
    (dcgan.channel_report, as on the Streamlit page)."""
    from dcgan.channel_report import METHODS, PIXELS, explain_channels, report_rows, summary_lines
    from dcgan.filters import FilterSettings
    from dcgan.latent_filters import LatentSettings

    with user_errors():
        _room_for_an_image()
        model = model_at(path)
        _no_d(model, "filters")
        size, ch = model.config.image_size, model.config.channels
        pool = frontend.real_pool(source, size, ch)

        def compute():
            return explain_channels(model, layer, pool, method=method, channels=range(int(count)),
                                    suppress=bool(suppress),
                                    latent=LatentSettings(steps=int(steps)), pixels=FilterSettings(steps=int(steps)),
                                    progress=lambda stage, i, n: progress((i, n), desc=stage.capitalize()))

        report = _cached(("filters", *_version(path), method, layer, int(count), int(steps),
                          bool(suppress), source), compute)
        images, width = report_rows(report, pool)  # (channels * width, ch, H, W): one row per channel
        rows = [upscale(grid(images[n * width:(n + 1) * width], nrow=width, padding=2),
                        frontend.thumb_scale(model.config))
                for n in range(len(report.channels))]
        captions = [f"{frontend.channel_label(report, n)} · {frontend.channel_figures(report, n)}"
                    for n in range(len(rows))]
        lines = [f"**{method}**: {METHODS[method]}", *summary_lines(report)]
        if method == PIXELS:
            lines.append("Pixel-space images are superstimuli: read them as texture, not as pictures of the data.")
        return list(zip(rows, captions)), "\n\n".join(lines)


def dissect(path: str, layer: str, top: float) -> tuple[np.ndarray, str]:
    """G's strongest units of a layer (dcgan.dissect, as on the Streamlit Inside G page): per unit four rows, where it
    fires most (map in red), other samples, switched off, forced on; and the ranking as Markdown."""
    from dcgan.dissect import dissect_units, effect_classifier, rank_units, unit_rows

    with user_errors():
        _room_for_an_image()
        model = model_at(path)

        def compute():
            clf = effect_classifier(model.config)
            order, effects = rank_units(model.G, layer, classifier=clf)
            return order, effects, dissect_units(model.G, layer, order[:int(top)].tolist()), clf is not None

        order, effects, d, digits = _cached(("dissect", *_version(path), layer, int(top)), compute)
        panels = torch.cat([unit_rows(d, k)[0].flatten(0, 1) for k in range(len(d.units))])
        picture = upscale(grid(panels, nrow=d.original.shape[0], padding=2), frontend.thumb_scale(model.config))
        measure = "the digit classifier's class probabilities (total variation)" if digits else "pixels (mean |change|)"
        text = (f"Units of G's {d.layer} ranked by the effect of switching each off on {measure}, over 16 samples. "
                "Per unit, four rows: samples where it fires most (map in red), other samples (map in red), "
                "unit switched off, unit forced on. Shown: " + ", ".join(
                    f"unit {int(u)} ({float(e):.3f})" for u, e in zip(order[:int(top)], effects[:int(top)])))
        return picture, text


def umap_plot(path: str, source: str, n: float, color_by: str, progress=gr.Progress()):
    """A Plotly UMAP map of D's features for n real images and n samples (umap is imported only here)."""
    from dcgan.embed import feature_map, umap_figure

    with user_errors():
        model = model_at(path)
        _no_d(model, "feature map")

        def compute():
            progress(0.0, desc=f"Loading {source}")
            data = frontend.dataset(source, model.config.image_size, model.config.channels)
            return feature_map(model, data, n=int(n), status=lambda msg: progress(0.5, desc=msg))[0]

        table = _cached(_umap_key(path, source, n), compute)
        warning = data_mismatch(model.config, source)
        if warning:
            gr.Warning(warning)
        return umap_figure(table, color_by=color_by, with_thumbnails=False)


def _umap_key(path: str, source: str, n: float) -> tuple:
    return ("umap", *_version(path), source, int(n))


def umap_recolour(path: str, source: str, n: float, color_by: str):
    """The map already made for these settings, in another colouring; nothing (no recompute) if there is none yet."""
    from dcgan.embed import umap_figure

    key = _umap_key(path, source, n)
    if key not in SLOW:
        return gr.skip()
    with user_errors():
        return umap_figure(SLOW[key], color_by=color_by, with_thumbnails=False)


def describe(path: str) -> str:
    """One Markdown line about the loaded model."""
    model = model_at(path)
    cfg = model.config
    d = "with D" if model.D is not None else "G only"
    return (f"**{html.escape(Path(path).name)}**: {cfg.image_size}x{cfg.image_size}, {cfg.channels} channel(s), "
            f"nz {cfg.nz}, loss {cfg.loss}, {d}")


def _layers(model: dcgan.Model, **kwargs) -> gr.Dropdown:
    names = model.D.layer_names if model.D is not None else []  # layer2 first, as on the Streamlit page
    return gr.Dropdown(choices=names, value=names[min(1, len(names) - 1)] if names else None, **kwargs)


def _dataset_for(model: dcgan.Model) -> str:
    return frontend.model_default_data(model.config)


def use_checkpoint(path: str) -> tuple:
    """Switch every tab to the checkpoint at `path` once dcgan.load accepts it; a bad file raises a one-line
    gr.Error."""
    with user_errors():
        model = model_at(path)
        sets = gr.Dropdown(choices=list(DATASETS), value=_dataset_for(model))
        names = model.G.layer_names
        g_layers = gr.Dropdown(choices=names, value=names[min(1, len(names) - 1)])
        return path, describe(path), _layers(model), sets, sets, g_layers  # filters' and UMAP's real-image sets


def upload(file: str) -> tuple:
    """Keep a copy of an uploaded checkpoint (Gradio's cache is cleaned hourly) and switch to it.

    A bad file leaves the current model in place: the copy is removed and gr.Error says why.
    """
    copy = _bounded(OUT / "uploads") / uuid.uuid4().hex[:12] / Path(file).name  # keeps the user's file name
    copy.parent.mkdir(parents=True)
    shutil.copyfile(file, copy)
    _drop_from_gradio_cache(Path(file))  # Gradio would keep it an hour, failed uploads included
    try:
        model_at(str(copy))
    except DcganError as err:  # the same line as the Streamlit app's: the file named once
        shutil.rmtree(copy.parent)
        raise gr.Error(html.escape(frontend.load_failed(copy.name, err), quote=False), print_exception=False) from None
    try:
        return use_checkpoint(str(copy))
    except gr.Error:
        shutil.rmtree(copy.parent)
        raise


def _drop_from_gradio_cache(file: Path) -> None:
    """Remove an uploaded file (and its folder, when empty) if it lies in Gradio's upload cache, never elsewhere."""
    from gradio.utils import get_upload_folder

    cache = Path(get_upload_folder()).resolve()
    if cache in file.resolve().parents:
        file.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            file.parent.rmdir()


# -- layout ---------------------------------------------------------------------------------------
def _generate_tab(demo: gr.Blocks, checkpoint: gr.State) -> None:
    with gr.Row():
        seed = gr.Number(0, label="Seed", precision=0, minimum=0, maximum=MAX_SEED)
        trunc = gr.Dropdown(list(frontend.TRUNCATIONS), value="none", label="Truncation",
                            info=frontend.TRUNCATION_HELP)
        n = gr.Slider(1, 64, 16, step=1, label="Images")
    out = gr.Image(label="Samples", type="numpy", format="png", elem_id="generate-image")
    gr.Button("Generate", variant="primary").click(generate, [seed, trunc, n, checkpoint], out, api_name="generate")
    demo.load(generate, [seed, trunc, n, checkpoint], out, api_visibility="private")  # the tab opens with samples


def _slider_tab(demo: gr.Blocks, checkpoint: gr.State) -> tuple[list, list]:
    gr.Markdown("Each slider moves z along one GANSpace direction (PCA of G's first block, carried back to z), "
                "in standard deviations.")
    seed = gr.Number(0, label="Seed", precision=0, minimum=0, maximum=MAX_SEED)
    with gr.Row():
        with gr.Column():
            sliders = [gr.Slider(-3, 3, 0, step=0.1, label=f"PC{i + 1}",
                                 elem_id=f"pc{i + 1}") for i in range(N_SLIDERS)]
        with gr.Column():
            image = gr.Image(label="G(z)", type="numpy", format="png", elem_id="slider-image")
            verdict = gr.Markdown()
    inputs, outputs = [checkpoint, seed, *sliders], [image, verdict]
    for widget in [seed, *sliders]:
        widget.change(slide, inputs, outputs, trigger_mode="always_last", api_visibility="private")
    demo.load(slide, inputs, outputs, api_visibility="private")
    return inputs, outputs


def _walk_tab(checkpoint: gr.State) -> None:
    with gr.Row():
        seeds = gr.Textbox("0, 1, 2, 3", label="Keyframe seeds", info="comma-separated; repeat the first to loop")
        steps = gr.Slider(2, 32, 12, step=1, label="Steps between keyframes")
        mode = gr.Radio(["slerp", "lerp"], value="slerp", label="Interpolation")
    gif = gr.Image(label="Walk", type="filepath", elem_id="walk-image")
    gr.Button("Walk", variant="primary").click(walk, [seeds, steps, mode, checkpoint], gif, api_name="walk")


def _invert_tab(checkpoint: gr.State) -> None:
    gr.Markdown("Bring your own image: find the z whose G(z) looks most like it (a few seconds).")
    with gr.Row():
        image = gr.Image(label="Your image (any size; a dark digit on white is flipped)", type="filepath",
                         elem_id="invert-input", image_mode=None)  # None: Gradio passes the file undecoded, so
        # dcgan.data.decode_image's pixel limit applies (Gradio's RGB conversion would decode any size in full)
        recon = gr.Image(label="As the model sees it · G(z)", type="numpy", format="png", elem_id="invert-image")
    text = gr.Markdown(elem_id="invert-figures")
    z = gr.JSON(label="z", elem_id="invert-z")
    gr.Button("Find z", variant="primary").click(invert_image, [image, checkpoint], [z, recon, text], api_name="invert")


def _filters_tab(checkpoint: gr.State, model: dcgan.Model) -> tuple[gr.Dropdown, gr.Dropdown]:
    from dcgan.channel_report import METHODS, THROUGH_G

    gr.Markdown("What does each channel of D look for? Each row: an image optimised to excite one channel (D and G "
                "frozen in eval mode), then the 5 real images that excite it most and the 5 that excite it least.")
    with gr.Row():
        method = gr.Radio(list(METHODS), value=THROUGH_G, label="Method",
                          info=" ".join(f"{k}: {v}" for k, v in METHODS.items()))
        layer = _layers(model, label="D layer")
        count = gr.Slider(1, 32, 8, step=1, label="Channels to show (from channel 0)")
    with gr.Row():
        steps = gr.Slider(16, 512, 64, step=16, label="Steps")
        suppress = gr.Checkbox(False, label="Also the images that most suppress each channel")
        source = gr.Dropdown(list(DATASETS), value=_dataset_for(model), label="Real images from")
    with gr.Row():
        run = gr.Button("Run", variant="primary")
        stop = gr.Button("Stop")
    out = gr.Gallery(label="Per channel: optimised image · (suppressing) · 5 most exciting real "
                           "· 5 least exciting real",
                     columns=1, height="auto", object_fit="contain", format="png", elem_id="filters-image")
    figures = gr.Markdown(elem_id="filters-figures")
    event = run.click(filters, [checkpoint, method, layer, count, steps, suppress, source], [out, figures],
                      api_visibility="private")
    stop.click(None, None, None, cancels=[event], api_visibility="private")
    return layer, source


def _dissect_tab(checkpoint: gr.State, model: dcgan.Model) -> gr.Dropdown:
    gr.Markdown("What does each unit of a G layer draw? Units are switched off in turn and ranked by the effect; "
                "the strongest are shown with their activation maps, switched off and forced on (GAN Dissection).")
    names = model.G.layer_names
    with gr.Row():
        layer = gr.Dropdown(names, value=names[min(1, len(names) - 1)], label="G layer")
        top = gr.Slider(1, 16, 4, step=1, label="Strongest units to show")
    run = gr.Button("Run", variant="primary")
    out = gr.Image(label="Per unit: fires most · other samples · switched off · forced on", type="numpy", format="png",
                   elem_id="dissect-image")
    text = gr.Markdown(elem_id="dissect-figures")
    run.click(dissect, [checkpoint, layer, top], [out, text], api_visibility="private")
    return layer


def _umap_tab(checkpoint: gr.State, model: dcgan.Model) -> gr.Dropdown:
    gr.Markdown("D's features for real images and samples, laid out by UMAP: clusters are what D tells apart.")
    with gr.Row():
        source = gr.Dropdown(list(DATASETS), value=_dataset_for(model), label="Real images from")
        n = gr.Slider(100, 2000, 300, step=100, label="Real images (and as many samples)")
        color_by = gr.Radio(["kind", "label", "score"], value="kind", label="Colour by")
    plot = gr.Plot(elem_id="umap-plot")
    gr.Button("Map D's features (the first run compiles UMAP: about 10 s)").click(
        umap_plot, [checkpoint, source, n, color_by], plot, api_visibility="private")
    color_by.change(umap_recolour, [checkpoint, source, n, color_by], plot, api_visibility="private")
    return source


# The Filters gallery: each channel's row at its own shape (not a square thumbnail), its caption under it, not on it
CSS = """
#filters-image .grid-container { grid-template-rows: none; grid-auto-rows: auto; }
#filters-image .thumbnail-item { aspect-ratio: auto; height: auto; display: flex; flex-direction: column; }
#filters-image .thumbnail-lg > img { height: auto; }
#filters-image .caption-label { position: static; max-width: none; white-space: normal; border: none; }
"""


def build(default: Path = DEFAULT) -> gr.Blocks:
    """The whole page; `default` is the checkpoint every session starts with."""
    model = model_at(str(default))
    with gr.Blocks(title="DCGAN Explorer", delete_cache=(3600, 3600)) as demo:
        checkpoint = gr.State(str(default))
        gr.Markdown("# DCGAN Explorer\nGenerate, slide through latent space, walk, and look inside D.")
        with gr.Row():
            file = gr.File(label="Upload a checkpoint (.pt, .pth, .safetensors)", height=140,
                           file_types=[".pt", ".pth", ".safetensors"], elem_id="checkpoint-upload")
            with gr.Column():
                info = gr.Markdown(describe(str(default)), elem_id="model-info")
                back = gr.Button(f"Back to {default.name}", size="sm")
        with gr.Tab("Generate"):
            _generate_tab(demo, checkpoint)
        with gr.Tab("Latent sliders"):
            slide_inputs, slide_outputs = _slider_tab(demo, checkpoint)
        with gr.Tab("Walk"):
            _walk_tab(checkpoint)
        with gr.Tab("Invert"):
            _invert_tab(checkpoint)
        with gr.Tab("Filters"):
            layer, filter_source = _filters_tab(checkpoint, model)
        with gr.Tab("Inside G"):
            g_layer = _dissect_tab(checkpoint, model)
        with gr.Tab("UMAP"):
            source = _umap_tab(checkpoint, model)
        switched = [checkpoint, info, layer, filter_source, source, g_layer]
        uploaded = file.upload(upload, [file], switched, show_progress="hidden", api_visibility="private")
        # empty the slot for the next upload (.then skips failures)
        for outcome in (uploaded.success, uploaded.failure):
            outcome(lambda: None, None, file, api_visibility="private")
        uploaded.success(slide, slide_inputs, slide_outputs, api_visibility="private")
        back.click(lambda: use_checkpoint(str(default)), None, switched, api_visibility="private").success(
            slide, slide_inputs, slide_outputs, api_visibility="private")
    return demo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.gradio_app", description="DCGAN Explorer in Gradio")
    parser.add_argument("--checkpoint", default=str(DEFAULT), help="model every session starts with")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (0.0.0.0 exposes it to your network)")
    args = parser.parse_args(argv)
    try:
        demo = build(Path(args.checkpoint))
    except (DcganError, OSError) as err:
        sys.exit(f"error: {frontend.one_line(err, limit=1000)}")
    demo.launch(server_name=args.host, server_port=args.port, share=False, show_error=True, max_file_size="200mb",
                css=CSS)


if __name__ == "__main__":
    main()
