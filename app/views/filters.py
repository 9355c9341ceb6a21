"""Filters: what each channel of a D layer responds to, through G or in pixels, beside the real images that excite
it."""
import streamlit as st
import torch

from app import core, frontend
from dcgan.channel_report import METHODS, N_REAL, THROUGH_G, explain_channels, summary_lines
from dcgan.filters import FilterSettings
from dcgan.latent_filters import LatentSettings


def controls(model) -> dict:
    """The page's widgets; nothing heavy runs here."""
    names = model.D.layer_names
    c1, c2, c3, c4 = st.columns(4)
    method = c1.radio("Method", list(METHODS), key="filt_method",
                      help=" ".join(f"{k}: {v}" for k, v in METHODS.items()))
    layer = c2.selectbox("D layer", names, index=min(1, len(names) - 1), key="filt_layer",
                         help="Names as in the Model page's architecture table. "
                              "Early layers see strokes, later ones parts.")
    index = names.index(layer) + 1
    size = model.config.image_size
    n_channels = model.D.activations(torch.zeros(1, model.config.channels, size, size), upto=index)[-1].shape[1]
    first = c3.number_input(f"First channel (of {n_channels})", 0, n_channels - 1, 0, key="filt_first")
    count = c4.slider("Channels to show", 1, min(32, n_channels), min(8, n_channels), key="filt_count")
    c5, c6, c7, c8 = st.columns(4)
    through_g = method == THROUGH_G
    steps = c5.select_slider("Steps", [16, 32, 64, 128, 256, 512], value=64 if through_g else 256,
                             key=f"filt_steps_{method}")
    per_channel = c6.slider("Images per channel", 1, 4, 1, key="filt_k", disabled=not through_g,
                            help="Through G only: several images, pushed apart by a diversity term.")
    suppress = c7.checkbox("Also the images that most suppress each channel", key="filt_suppress")
    data = core.dataset_choice(model, key="filt_data", container=c8)
    return dict(method=method, layer=layer, channels=tuple(range(int(first), min(n_channels, int(first) + count))),
                latent=LatentSettings(steps=steps, per_channel=per_channel, diversity=2.0 if per_channel > 1 else 0.0),
                pixels=FilterSettings(steps=steps), suppress=suppress, data=data)


def run(model, options: dict) -> dict:
    """The slow part, only after Run: every step updates the bar, so Stop (or any widget) interrupts it there."""
    bar = st.progress(0.0, text="Loading the real images…")
    pool = core.real_pool(options["data"], model.config.image_size, model.config.channels)
    args = {k: v for k, v in options.items() if k != "data"}
    report = explain_channels(model, pool=pool, progress=lambda stage, i, n: bar.progress(
        i / n, text=f"{stage.capitalize()}: step {i}/{n}"), **args)
    bar.empty()
    return {"report": report, "pool": pool}


WIDE = 2.0  # the optimised image's column: room for its two-line caption ('1.28× best random' on one line)


def _columns(r) -> list:
    k, low = r.images.shape[1], r.suppressing is not None
    return st.columns([WIDE] * k + [WIDE] * low + [0.3] + [1] * N_REAL + [0.3] + [1] * N_REAL)


def header(r) -> None:
    """Column titles once above the rows, each over its whole group of columns (a title never wraps in one)."""
    k, low = r.images.shape[1], r.suppressing is not None
    cols = st.columns([WIDE * k] + [WIDE] * low + [0.3, N_REAL, 0.3, N_REAL])
    cols[0].markdown(f"**{r.method}**")
    if low:
        cols[1].markdown("**suppresses**")
    cols[low + 2].markdown("**real, exciting it most**")
    cols[low + 4].markdown("**real, exciting it least**")


def show_channel(result: dict, n: int, scale: int) -> None:
    """One row: the optimised image(s), the suppressing image, then the real images exciting it most and least."""
    r, pool = result["report"], result["pool"]
    k, low = r.images.shape[1], r.suppressing is not None
    cols = _columns(r)
    images = core.to_uint8(r.images[n])
    caption = frontend.channel_label(r, n)
    for j in range(k):
        core.show_image(images[j], caption if j == 0 else f"{r.activation[n, j]:.3g}", scale=scale + 1,
                        container=cols[j])
    if low:
        core.show_image(core.to_uint8(r.suppressing[n:n + 1])[0], "suppresses", scale=scale + 1, container=cols[k])
    for offset, idx, values in ((k + low + 1, r.top_real[n], r.top_real_values[n]),
                                (k + low + N_REAL + 2, r.bottom_real[n], r.bottom_real_values[n])):
        for j, (i, v) in enumerate(zip(core.to_uint8(pool[idx]), values)):
            core.show_image(i, f"{v:.3g}", scale=scale, container=cols[offset + j])
    figures = frontend.channel_figures(r, n).split(", ")  # one figure a line, each kept whole
    cols[0].caption("  \n".join(frontend.keep_phrases(line) for line in figures))


def main() -> None:
    st.title("Filters")
    core.intro("What does each channel of D look for? Each row: an image optimised to excite one channel (D and G "
               "frozen in eval mode), then the real images that excite it most and, after a gap, least, with the "
               "channel's mean activation under each. Press Run: the first run takes a few seconds per step bar.")
    model, mid = core.current_model()
    if model.D is None:
        st.warning("This file has no discriminator: upload one with D (e.g. netD beside netG) to see its filters.")
        return
    options = controls(model)
    st.caption(f"**{options['method']}**: {METHODS[options['method']]}")
    key = ("filters", mid, *sorted((k, str(v)) for k, v in options.items()))
    cache = core.results()
    go, stop = st.columns([1, 8])
    if go.button("Run", type="primary", key="filt_run"):
        cache[key] = run(model, options)
    stop.button("Stop", key="filt_stop", help="Stops a run in progress (any other widget does too).")
    if key not in cache:
        st.info("Choose the settings, then press Run.")
        return
    result = cache[key]
    st.caption(" · ".join(summary_lines(result["report"])))
    scale = core.thumb_scale(model.config)
    header(result["report"])
    for n in range(len(options["channels"])):
        show_channel(result, n, scale)


with core.guard():
    main()
