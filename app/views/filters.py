"""Filters: for each channel of a D layer, the image that excites it most (gradient ascent) and real examples."""
import streamlit as st
import torch

from app import core
from dcgan.features import top_examples
from dcgan.filters import FilterSettings, visualise_layer


def compute(model, mid: str, layer: int, channels: list[int], settings: FilterSettings, data) -> dict:
    key = ("filters", mid, layer, tuple(channels), settings, data.name)
    cache = core.results()
    if key not in cache:
        bar = st.progress(0.0, text="Optimising images…")
        images = visualise_layer(model.D, layer, channels=channels, settings=settings, seed=0,
                                 progress=lambda i, n: bar.progress(i / n, text=f"Gradient ascent: step {i}/{n}"))
        bar.progress(1.0, text="Finding the real images that excite each channel…")
        pool = data.as_float(slice(0, 2000))
        indices, values = top_examples(model.D, pool, layer, channels, k=5)
        bar.empty()
        cache[key] = {"images": core.to_uint8(images), "examples": core.to_uint8(pool[indices.flatten()]).reshape(
            len(channels), 5, *pool.shape[2:], pool.shape[1]), "values": values.numpy()}
    return cache[key]


def main() -> None:
    st.title("Filters")
    core.intro("What does each channel of D look for? Starting from faint noise, gradient ascent changes an image "
               "to maximise one channel's mean activation, with D frozen in eval mode. A Fourier parameterisation, "
               "a 1-pixel jitter and a total-variation penalty keep the images readable. Beside each one: the real "
               "images that excite that channel most.")
    model, mid = core.current_model()
    if model.D is None:
        st.warning("This file has no discriminator: upload one with D (e.g. netD beside netG) to see its filters.")
        return
    names = model.D.layer_names
    c1, c2, c3, c4 = st.columns(4)
    layer = names.index(c1.selectbox("D layer", names, index=min(1, len(names) - 1), key="filt_layer",
                                     help="Early layers see small patches (edges, strokes); later ones larger parts.")) + 1
    n_channels = model.D.activations(torch.zeros(1, model.config.channels, model.config.image_size,
                                                      model.config.image_size), upto=layer)[-1].shape[1]
    steps = c2.select_slider("Steps", [32, 64, 128, 256, 512], value=128, key="filt_steps")
    tv = c3.select_slider("Smoothness (TV weight)", [0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0], value=0.02, key="filt_tv")
    first = c4.number_input(f"First channel (of {n_channels})", 0, n_channels - 1, 0, key="filt_first")
    c5, c6 = st.columns([3, 1])
    count = c5.slider("Channels to show", 1, min(32, n_channels), min(8, n_channels), key="filt_count")
    channels = list(range(int(first), min(n_channels, int(first) + count)))
    data = core.model_dataset(model, key="filt_data", container=c6)
    result = compute(model, mid, layer, channels, FilterSettings(steps=steps, tv_weight=tv), data)
    scale = max(1, 64 // model.config.image_size)
    st.caption("Each row: the optimised image for one channel, then the 5 real images (of the first 2,000) whose "
               "mean activation in that channel is highest, with that activation under each.")
    halves = st.columns(2)
    for n, channel in enumerate(channels):
        with halves[n % 2]:
            cols = st.columns([1.3, 1, 1, 1, 1, 1])
            core.show_image(result["images"][n], f"{names[layer - 1]} · ch {channel}", scale=scale + 1, container=cols[0])
            for j in range(5):
                core.show_image(result["examples"][n, j], f"{result['values'][n, j]:.3g}", scale=scale, container=cols[j + 1])


with core.guard():
    main()
