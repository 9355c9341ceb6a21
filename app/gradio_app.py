"""A second front end, in Gradio, over the same library: `python -m app.gradio_app [--checkpoint PATH] [--port N]`.

Tabs for generating, latent sliders, walks, filters and a UMAP map; named API endpoints
`/generate` and `/walk` for gradio_client. All computation is in dcgan/; this file only wires widgets.
"""
from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no network calls from a machine that may have none

import gradio as gr  # noqa: E402
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import dcgan  # noqa: E402
from dcgan import latent as L  # noqa: E402
from dcgan.errors import DcganError  # noqa: E402
from dcgan.media import grid, save_animation, save_png, upscale  # noqa: E402

DEFAULT = ROOT / "checkpoints" / "mnist-32.pt"
OUT = Path(tempfile.mkdtemp(prefix="dcgan-gradio-"))
N_SLIDERS = 6


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> dcgan.Model:
    return dcgan.load(path)


def model_at(path: str) -> dcgan.Model:
    """The cached model for a path; library errors become a one-line gr.Error in the page."""
    try:
        return _load(path, Path(path).stat().st_mtime)
    except (DcganError, OSError) as err:
        raise gr.Error(str(err).splitlines()[0]) from None


@functools.lru_cache(maxsize=8)
def _directions(path: str) -> list:
    return L.pca_directions(model_at(path).G, k=N_SLIDERS, n_samples=2000)


def _png(images: torch.Tensor, name: str, *, nrow: int = 8) -> str:
    scale = max(1, 128 // images.shape[-1]) if len(images) == 1 else max(1, 64 // images.shape[-1])
    return str(save_png(upscale(grid(images, nrow=nrow, padding=2 if len(images) > 1 else 0), scale), OUT / name))


def generate(seed: float, truncation: float, n: float, path: str = str(DEFAULT)) -> str:
    """Endpoint /generate: a grid of n samples from a seed (truncation >= 3 means none). Returns a PNG path."""
    model = model_at(path)
    z = L.sample_z(int(n), model.config.nz, seed=int(seed), truncation=None if truncation >= 3 else truncation)
    return _png(L.generate(model.G, z), f"generate-{int(seed)}-{int(n)}-{truncation}.png", nrow=max(1, round(int(n) ** 0.5)))


def walk(seeds: str, steps: float, mode: str, path: str = str(DEFAULT)) -> str:
    """Endpoint /walk: a looping GIF through keyframes given as comma-separated seeds. Returns a GIF path."""
    model = model_at(path)
    try:
        keys = [int(s) for s in seeds.replace(" ", "").split(",") if s]
    except ValueError:
        raise gr.Error("seeds must be whole numbers separated by commas, e.g. 0, 1, 2") from None
    if len(keys) < 2:
        raise gr.Error("a walk needs at least two seeds")
    z = torch.stack([L.sample_z(1, model.config.nz, seed=s)[0] for s in keys])
    frames = L.walk_frames(model.G, z, int(steps), mode=mode)
    name = f"walk-{'-'.join(map(str, keys))}-{int(steps)}-{mode}.gif"
    return str(save_animation(frames, OUT / name, fps=12, scale=max(1, 128 // model.config.image_size)))


def slide(path: str, seed: float, *strengths: float) -> tuple[str, str]:
    model = model_at(path)
    z = L.sample_z(1, model.config.nz, seed=int(seed))[0]
    for direction, s in zip(_directions(path), strengths):
        z = L.apply_direction(z, direction, s)
    images, scores = model.render(z[None])
    path = save_png(upscale(images[0], max(1, 256 // model.config.image_size)), OUT / f"slide-{os.getpid()}-{hash(strengths)}.png")
    return str(path), f"D's verdict: {scores[0]:.3f}"


def filters(path: str, layer: str, steps: float) -> str:
    from dcgan.filters import FilterSettings, visualise_layer

    model = model_at(path)
    if model.D is None:
        raise gr.Error("this file has no discriminator")
    images = visualise_layer(model.D, layer, channels=range(16), settings=FilterSettings(steps=int(steps)))
    return _png(images, f"filters-{layer}-{int(steps)}.png")


def umap_plot(path: str, n: float):
    from dcgan.data import load_data
    from dcgan.embed import feature_map, umap_figure

    model = model_at(path)
    if model.D is None:
        raise gr.Error("this file has no discriminator")
    source = model.config.dataset if model.config.dataset in ("mnist", "digits", "emoji") else "mnist"
    data = load_data(source, image_size=model.config.image_size, channels=model.config.channels)
    table, _ = feature_map(model, data, n=int(n))
    return umap_figure(table, color_by="label" if data.labels is not None else "kind", with_thumbnails=False)


def upload(file) -> tuple[str, str]:
    if file is None:
        return str(DEFAULT), describe(str(DEFAULT))
    path = str(file) if isinstance(file, (str, Path)) else file.name
    model_at(path)  # validates, raising a one-line gr.Error for a bad file
    return path, describe(path)


def describe(path: str) -> str:
    cfg = model_at(path).config
    return f"**{Path(path).name}**: {cfg.image_size}x{cfg.image_size}, {cfg.channels} channel(s), nz {cfg.nz}, loss {cfg.loss}"


def build(default: Path = DEFAULT) -> gr.Blocks:
    with gr.Blocks(title="DCGAN Explorer") as demo:
        checkpoint = gr.State(str(default))
        gr.Markdown("# DCGAN Explorer\nGenerate, slide through latent space, walk, and look inside D.")
        with gr.Row():
            file = gr.File(label="Upload a checkpoint (.pt, .pth, .safetensors)", file_types=[".pt", ".pth", ".safetensors"])
            info = gr.Markdown(describe(str(default)))
        file.upload(upload, [file], [checkpoint, info], api_visibility="private")
        with gr.Tab("Generate"):
            with gr.Row():
                seed = gr.Number(0, label="Seed", precision=0)
                trunc = gr.Slider(0.2, 3.0, 3.0, step=0.1, label="Truncation (3 = none)")
                n = gr.Slider(1, 64, 16, step=1, label="Images")
            out = gr.Image(label="Samples", type="filepath")
            gr.Button("Generate", variant="primary").click(generate, [seed, trunc, n, checkpoint], out, api_name="generate")
        with gr.Tab("Latent sliders"):
            s_seed = gr.Number(0, label="Seed", precision=0)
            with gr.Row():
                with gr.Column():
                    sliders = [gr.Slider(-3, 3, 0, step=0.1, label=f"PC{i + 1}", elem_id=f"pc{i + 1}") for i in range(N_SLIDERS)]
                with gr.Column():
                    big = gr.Image(label="G(z)", type="filepath", elem_id="slider-image")
                    verdict = gr.Markdown()
            inputs = [checkpoint, s_seed, *sliders]
            for widget in [s_seed, *sliders]:
                widget.change(slide, inputs, [big, verdict], trigger_mode="always_last", api_visibility="private")
            demo.load(slide, inputs, [big, verdict], api_visibility="private")
        with gr.Tab("Walk"):
            with gr.Row():
                seeds = gr.Textbox("0, 1, 2, 3", label="Keyframe seeds")
                steps = gr.Slider(2, 32, 12, step=1, label="Steps between keyframes")
                mode = gr.Radio(["slerp", "lerp"], value="slerp", label="Interpolation")
            gif = gr.Image(label="Walk", type="filepath")
            gr.Button("Walk", variant="primary").click(walk, [seeds, steps, mode, checkpoint], gif, api_name="walk")
        with gr.Tab("Filters"):
            with gr.Row():
                layer = gr.Dropdown(["layer1", "layer2", "layer3"], value="layer1", label="D layer")
                f_steps = gr.Slider(16, 256, 64, step=16, label="Steps")
            f_out = gr.Image(label="What the first 16 channels respond to", type="filepath")
            gr.Button("Visualise").click(filters, [checkpoint, layer, f_steps], f_out, api_visibility="private")
        with gr.Tab("UMAP"):
            u_n = gr.Slider(100, 2000, 300, step=100, label="Real images (and as many samples)")
            plot = gr.Plot()
            gr.Button("Map D's features (the first run compiles UMAP: 10-20 s)").click(
                umap_plot, [checkpoint, u_n], plot, api_visibility="private")
    return demo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.gradio_app", description="DCGAN Explorer in Gradio")
    parser.add_argument("--checkpoint", default=str(DEFAULT))
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    try:
        dcgan.load(args.checkpoint)
    except DcganError as err:
        sys.exit(f"error: {err}")
    build(Path(args.checkpoint)).launch(server_name=args.host, server_port=args.port, share=False, show_error=True)


if __name__ == "__main__":
    main()
