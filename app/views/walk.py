"""Walks: travel through z between keyframes and watch the images morph; a smooth walk means G generalises."""
import functools
import tempfile
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from app import core
from app.common import read_z
from dcgan import latent as L
from dcgan.limits import check_walk
from dcgan.media import save_animation

N_SAMPLES = 12


def encode(frames: np.ndarray, suffix: str, scale: int, fps: int) -> bytes:
    """The frames as the bytes of a .gif or .mp4 file (MP4 is encoded only when its button is clicked)."""
    with tempfile.TemporaryDirectory() as tmp:
        return save_animation(frames, Path(tmp) / f"walk{suffix}", fps=fps, scale=scale).read_bytes()


@st.cache_data(max_entries=16, max_size="256MB", show_spinner=False)  # a 2,017-frame MNIST walk: 6.6 MB
def gif_bytes(frames: np.ndarray, scale: int, fps: int) -> bytes:
    return encode(frames, ".gif", scale, fps)


def sample_keyframes(model) -> tuple[list[torch.Tensor], list[str]]:
    """Keyframes picked, in order, from a seeded grid of samples."""
    c1, c2 = st.columns([1, 3])
    seed = c1.number_input("Seed for the samples", 0, 10**6, 0, key="walk_seed")
    z = L.sample_z(N_SAMPLES, model.config.nz, seed=int(seed))  # truncation is in model.G (main)
    numbers = list(range(1, N_SAMPLES + 1))
    picked = c2.multiselect("Keyframes from the samples below, in order", numbers, default=[1, 2, 3, 4],
                            key="walk_pick")
    with st.expander("Samples", expanded=True):
        images, captions = core.render(model, z)
        core.show_images(images, [f"#{i + 1} · {c}" for i, c in enumerate(captions)],
                         per_row=N_SAMPLES // 2, scale=max(1, core.thumb_scale(model.config) // 2 + 1))
    return [z[i - 1] for i in picked], [f"#{i}" for i in picked]


def extra_keyframes(model) -> tuple[list[torch.Tensor], list[torch.Tensor], list[str], list[str]]:
    """Saved z's: the slider page's current z (first), uploaded files and feature-map points (after the samples)."""
    before, after, before_names, after_names = [], [], [], []
    c1, c2 = st.columns(2)
    slider_z = st.session_state.get("slider_z")
    if slider_z is not None and slider_z.shape[0] == model.config.nz and c1.checkbox(
            "Start from the slider page's z", key="walk_from_slider"):
        before, before_names = [torch.from_numpy(slider_z)], ["slider z"]
    sent = st.session_state.get("walk_keyframes")
    if sent is not None and sent.shape[-1] == model.config.nz and c2.checkbox(
            f"Add the {len(sent)} points sent from the feature map or Invert", value=True, key="walk_use_sent"):
        after += [torch.from_numpy(z) for z in sent]
        named = st.session_state.get("walk_keyframe_names", {})  # z bytes -> "inverted: <file stem>"
        after_names += [named.get(z.tobytes(), f"map point {i + 1}") for i, z in enumerate(sent)]
    uploads = st.file_uploader("Add saved z's (.npy or .json from the slider page; an array of several works too)",
                               type=["npy", "json"], accept_multiple_files=True, key="walk_z_upload")
    for upload in uploads or []:
        try:
            zs = read_z(upload.name, upload.getvalue(), model.config.nz)
        except core.DcganError as err:
            st.error(core.frontend.load_failed(upload.name, err), icon=":material/error:")
            continue
        after += [torch.from_numpy(z) for z in zs]
        after_names += [upload.name if len(zs) == 1 else f"{upload.name}[{i}]" for i in range(len(zs))]
    return before, after, before_names, after_names


def smoothness_plot(jumps: np.ndarray, n_keys: int, steps: int) -> None:
    fig = go.Figure(go.Scatter(x=np.arange(1, len(jumps) + 1), y=jumps, mode="lines+markers", name="change"))
    for k in range(1, n_keys - 1):
        fig.add_vline(x=k * steps, line_dash="dot", line_color="gray")
    fig.update_layout(height=300, xaxis_title="frame", yaxis_title="RMS pixel change from the previous frame",
                      margin=dict(l=10, r=10, t=10, b=10), yaxis_rangemode="tozero")
    st.plotly_chart(fig)


EVEN_Z = "equal steps in z"
EVEN_IMAGE = "equal change in the image"


def walk_path(model, keys: torch.Tensor, steps: int, mode: str, spacing: str) -> torch.Tensor:
    if spacing == EVEN_IMAGE:
        return L.equal_change_path(model.G, keys, steps, mode=mode)
    return L.interpolate(keys, steps, mode=mode)


def compare_modes(model, keys: torch.Tensor, steps: int, mode: str, spacing: str, this_path, a: np.ndarray) -> str:
    """The same walk the other way (lerp vs slerp), measured: what the choice changed here."""
    other = "lerp" if mode == "slerp" else "slerp"
    other_path = walk_path(model, keys, steps, other, spacing)
    b = L.frame_changes(L.generate(model.G, other_path))
    norm = lambda p: float((p.norm(dim=1) / keys.norm(dim=1).mean()).min())  # noqa: E731
    return (f"Measured on this walk: {mode} mean change {a.mean():.3f}, largest {a.max():.3f}; {other} "
            f"{b.mean():.3f}, largest {b.max():.3f}. Lowest |z| along the path, relative to the keyframes': "
            f"{mode} {norm(this_path):.2f}, {other} {norm(other_path):.2f}.")


def main() -> None:
    st.title("Walks")
    core.intro("Interpolating between latent vectors shows whether G learned a continuous space: images should "
               "morph smoothly. Sharp jumps (spikes in the plot) suggest memorised training images: the captions flag "
               "near copies, and the Model page shows each sample beside its nearest training image. Slerp follows "
               "the sphere where Gaussian z live, lerp cuts through its inside; the caption under the plot says what "
               "that changed for this walk, measured, not assumed. Frames can be spaced by equal change in the image.")
    model, mid = core.current_model()
    model = core.truncated_model(model)  # the sidebar's truncation, for the samples and every frame of the walk
    picked, names = sample_keyframes(model)
    before, after, before_names, after_names = extra_keyframes(model)
    zs, names = before + picked + after, before_names + names + after_names
    c0, c1, c2, c3, c4 = st.columns([2, 1, 1, 1, 1])
    spacing = c0.radio("Frame spacing", [EVEN_Z, EVEN_IMAGE], horizontal=True, key="walk_spacing",
                       help="Equal change in the image: each segment is rendered 8x more finely, and frames are placed "
                            "where the accumulated RMS pixel change reaches equal fractions of the segment's total.")
    mode = c1.radio("Interpolation", ["slerp", "lerp"], horizontal=True, key="walk_mode")
    steps = c2.slider("Steps between keyframes", 2, 32, 12, key="walk_steps")
    fps = c3.select_slider("Frames per second", [4, 8, 12, 24], value=12, key="walk_fps")
    loop = c4.checkbox("Loop back to the first keyframe", key="walk_loop")
    if loop and len(zs) > 1:
        zs, names = zs + [zs[0]], names + [names[0]]
    if len(zs) < 2:
        st.warning("A walk needs at least two keyframes: pick more samples above.")
        return
    check_walk(len(zs), steps)  # an uploaded z file may hold thousands of keyframes: one line, no work
    keys = torch.stack(zs)
    path = walk_path(model, keys, steps, mode, spacing)
    st.session_state["walk_path"] = {"mid": mid, "keys": keys.numpy(), "frames": path.numpy(), "names": names,
                                     "mode": mode}  # the Landscape page draws it on its plane
    frames, captions = core.render(model, path)
    st.markdown(f"**Frame strip** ({len(frames)} frames, every {max(1, round(len(frames) / 10))}th shown)")
    shown = np.linspace(0, len(frames) - 1, min(10, len(frames))).round().astype(int)
    core.show_images(frames[shown], [f"frame {i} · {captions[i]}" for i in shown],
                     per_row=min(len(shown), 5), scale=core.thumb_scale(model.config))
    scale = core.display_size(model.config)
    left, right = st.columns([1, 2])
    with left:
        gif = gif_bytes(frames, scale, fps)
        st.image(gif, caption=f"{len(frames)} frames, {mode}, {fps} fps")
        d1, d2 = st.columns(2)
        d1.download_button("GIF", gif, "walk.gif", mime="image/gif", key="dl_gif", on_click="ignore",
                           icon=":material/download:")
        d2.download_button("MP4", functools.partial(encode, frames, ".mp4", scale, fps), "walk.mp4",
                           mime="video/mp4", key="dl_mp4", on_click="ignore", icon=":material/download:")
    with right:
        jumps = L.frame_changes(frames)
        smoothness_plot(jumps, len(keys), steps)
        st.caption(f"Keyframes: {', '.join(names)} (dotted lines between segments). "
                   f"Largest jump {jumps.max():.3f}, mean {jumps.mean():.3f} "
                   f"({jumps.max() / max(jumps.mean(), 1e-12):.1f}x "
                   f"the mean). {compare_modes(model, keys, steps, mode, spacing, path, jumps)}")


with core.guard():
    main()
