"""Walks: travel through z between keyframes and watch the images morph; a smooth walk means G generalises."""
import tempfile
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from app import core
from dcgan import latent as L
from dcgan.media import save_animation


@st.cache_data(max_entries=16, show_spinner=False)
def animation_bytes(frames: np.ndarray, suffix: str, scale: int) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = save_animation(frames, Path(tmp) / f"walk{suffix}", fps=12, scale=scale)
        return path.read_bytes()


def keyframes(model) -> tuple[torch.Tensor, list[str]]:
    """Keyframes from seeds, optionally starting at the slider page's z or points sent from the feature map."""
    sent = st.session_state.get("walk_keyframes")
    text = st.text_input("Keyframe seeds (comma-separated)", "0, 1, 2, 3", key="walk_seeds")
    try:
        seeds = [int(s) for s in text.replace(" ", "").split(",") if s]
    except ValueError:
        st.error("Seeds must be whole numbers separated by commas, e.g. 0, 1, 2.")
        st.stop()
    zs = [L.sample_z(1, model.config.nz, seed=s)[0] for s in seeds]
    names = [f"seed {s}" for s in seeds]
    if "slider_z" in st.session_state and st.checkbox("Start from the slider page's z", key="walk_from_slider"):
        zs.insert(0, torch.from_numpy(st.session_state["slider_z"]))
        names.insert(0, "slider z")
    if sent is not None and len(sent) and st.checkbox(f"Use the {len(sent)} points sent from the feature map", value=True,
                                                      key="walk_use_sent"):
        zs, names = [torch.from_numpy(z) for z in sent], [f"map point {i + 1}" for i in range(len(sent))]
    zs = [z for z in zs if z.shape[0] == model.config.nz]
    return (torch.stack(zs) if zs else torch.empty(0, model.config.nz)), names


def main() -> None:
    st.title("Walks")
    core.intro("Interpolating between latent vectors shows whether G learned a continuous space: images should "
               "morph smoothly. Sharp jumps (spikes in the plot) suggest memorised training images. Slerp follows "
               "the sphere Gaussian z live near; lerp cuts through its inside.")
    model, _ = core.current_model()
    keys, names = keyframes(model)
    c1, c2 = st.columns(2)
    mode = c1.radio("Interpolation", ["slerp", "lerp"], horizontal=True, key="walk_mode")
    steps = c2.slider("Steps between keyframes", 2, 32, 12, key="walk_steps")
    if len(keys) < 2:
        st.warning("A walk needs at least two keyframes.")
        return
    path = L.interpolate(keys, steps, mode=mode)
    frames, scores = core.render(model, path)
    shown = np.linspace(0, len(frames) - 1, min(10, len(frames))).round().astype(int)
    cols = st.columns(len(shown))
    for col, i in zip(cols, shown):
        core.show_image(frames[i], core.score_caption(scores[i], model.config.loss), scale=2, container=col)
    scale = core.display_size(model.config)
    left, right = st.columns([1, 2])
    with left:
        gif = animation_bytes(frames, ".gif", scale)
        st.image(gif, caption=f"{len(frames)} frames, {mode}")
        d1, d2 = st.columns(2)
        d1.download_button("GIF", gif, "walk.gif", mime="image/gif", key="dl_gif")
        d2.download_button("MP4", animation_bytes(frames, ".mp4", scale), "walk.mp4", mime="video/mp4", key="dl_mp4")
    with right:
        jumps = L.smoothness(frames)
        fig = go.Figure(go.Scatter(x=np.arange(1, len(frames)), y=jumps, mode="lines+markers", name="change"))
        for k in range(1, len(keys) - 1):
            fig.add_vline(x=k * steps, line_dash="dot", line_color="gray")
        fig.update_layout(height=300, xaxis_title="frame", yaxis_title="RMS pixel change from previous frame",
                          margin=dict(l=10, r=10, t=10, b=10))
        st.plotly_chart(fig)
        st.caption(f"Keyframes: {', '.join(names)} (dotted lines). Largest jump {jumps.max():.3f}, mean {jumps.mean():.3f}.")


with core.guard():
    main()
