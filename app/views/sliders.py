"""Latent sliders: start from a sample, move z along PCA, raw or user-defined directions, watch G respond."""
import io
import json

import numpy as np
import streamlit as st
import torch

from app import core
from dcgan import latent as L

STRIP = (-2.0, -1.0, 0.0, 1.0, 2.0)


@st.cache_resource(show_spinner="Finding principal directions (GANSpace)…", max_entries=8)
def pca_directions(model_id: str, _model, k: int) -> list:
    return L.pca_directions(_model.G, k=k, n_samples=2000)


def z_key(mid: str) -> str:
    return f"z0:{mid}"


def set_start(mid: str, z: np.ndarray) -> None:
    st.session_state[z_key(mid)] = np.asarray(z, dtype=np.float32)
    reset_sliders()


def reset_sliders() -> None:
    for key in list(st.session_state):
        if str(key).startswith("slider:"):
            st.session_state[key] = 0.0


def picker(model, mid: str) -> None:
    with st.expander("Pick a starting sample", expanded=False):
        seed = st.number_input("Seed", 0, 10**6, 0, key="slider_pick_seed")
        z = L.sample_z(8, model.config.nz, seed=int(seed))
        images, scores = core.render(model, z)
        cols = st.columns(8)
        for i, col in enumerate(cols):
            core.show_image(images[i], core.score_caption(scores[i], model.config.loss), scale=2, container=col)
            col.button("Start here", key=f"pick{i}", on_click=set_start, args=(mid, z[i].numpy()))
        st.markdown("**Make a direction from an attribute**: mark samples above that have it and some that don't.")
        c1, c2, c3 = st.columns([2, 2, 1])
        with_ = c1.multiselect("Have it (sample numbers, 1-8)", list(range(1, 9)), key="attr_with")
        without = c2.multiselect("Don't have it", list(range(1, 9)), key="attr_without")
        name = c3.text_input("Name", "my attribute", key="attr_name")
        if st.button("Add as slider", key="attr_add", disabled=not (with_ and without)):
            direction = L.attribute_direction(z[[i - 1 for i in with_]], z[[i - 1 for i in without]], name)
            st.session_state.setdefault("user_directions", []).append(direction)
            st.rerun()


def z_io(model, mid: str, z: torch.Tensor) -> None:
    """Download the current z (.npy / JSON) and load one back."""
    c1, c2, c3 = st.columns(3)
    buf = io.BytesIO()
    np.save(buf, z.numpy())
    c1.download_button("Copy z (.npy)", buf.getvalue(), "z.npy", key="dl_npy")
    c2.download_button("Copy z (JSON)", json.dumps(z.tolist()), "z.json", mime="application/json", key="dl_json")
    upload = c3.file_uploader("Load z (.npy or .json)", type=["npy", "json"], key="z_upload", label_visibility="collapsed")
    if upload is not None and st.session_state.get("z_upload_id") != upload.file_id:
        try:
            raw = np.load(io.BytesIO(upload.getvalue()), allow_pickle=False) if upload.name.endswith(".npy") \
                else np.asarray(json.loads(upload.getvalue()), dtype=np.float32)
            raw = np.asarray(raw, dtype=np.float32).reshape(-1)
        except (ValueError, json.JSONDecodeError, OSError):
            st.error(f"{upload.name} is not a z vector: expected a .npy array or a JSON list of numbers.")
            return
        if raw.shape[0] != model.config.nz:
            st.error(f"{upload.name} has {raw.shape[0]} numbers, but this model's z has {model.config.nz}.")
            return
        st.session_state["z_upload_id"] = upload.file_id
        set_start(mid, raw)
        st.rerun()


@st.fragment
def panel(model, mid: str, directions: list) -> None:
    """Sliders, the big image and the strip: only this part reruns when a slider moves."""
    z0 = torch.from_numpy(st.session_state[z_key(mid)])
    left, right = st.columns([2, 3])
    values = {}
    with left:
        b1, b2 = st.columns(2)
        b1.button("Reset sliders", on_click=reset_sliders, key="reset")
        b2.button("Randomise z", key="randomise", on_click=lambda: set_start(
            mid, L.sample_z(1, model.config.nz, seed=int(np.random.default_rng().integers(1 << 30)))[0].numpy()))
        for d in directions:
            extra = f" · {100 * d.explained_variance:.1f}% of variance" if d.explained_variance else ""
            values[d.name] = st.slider(f"{d.name}{extra}", -3.0, 3.0, 0.0, 0.1, key=f"slider:{mid}:{d.name}",
                                       help="Strength in standard deviations of z along this direction")
    previous = st.session_state.get("slider_previous", {})
    moved = [n for n, v in values.items() if previous.get(n, 0.0) != v]
    st.session_state["slider_previous"] = values
    if moved:
        st.session_state["slider_last"] = moved[0]
    by_name = {d.name: d for d in directions}
    z = z0.clone()
    for name, value in values.items():
        z = L.apply_direction(z, by_name[name], value)
    last = by_name.get(st.session_state.get("slider_last"), directions[0])
    base = L.apply_direction(z, last, -values[last.name])  # the strip spans this slider's whole range
    zs = torch.stack([z] + [L.apply_direction(base, last, s) for s in STRIP])
    images, scores = core.render(model, zs)  # one batched G call: big image + strip
    with right:
        core.show_image(images[0], core.score_caption(scores[0], model.config.loss), scale=core.display_size(model.config) * 2)
        st.markdown(f"**Along {last.name}** (−2σ … +2σ)")
        cols = st.columns(len(STRIP))
        for col, s, img, sc in zip(cols, STRIP, images[1:], scores[1:]):
            core.show_image(img, f"{s:+.0f}σ · {core.score_caption(sc, model.config.loss)}", scale=2, container=col)
    st.session_state["slider_z"] = z.numpy()
    z_io(model, mid, z)


def main() -> None:
    st.title("Latent sliders")
    core.intro("Every image comes from a vector z. Principal directions (GANSpace: PCA of G's first-layer "
               "activations carried back to z) are the axes along which G's output varies most; raw directions "
               "move one coordinate of z. Sliders are in standard deviations.")
    model, mid = core.current_model()
    if z_key(mid) not in st.session_state:
        st.session_state[z_key(mid)] = L.sample_z(1, model.config.nz, seed=0)[0].numpy()
    picker(model, mid)
    c1, c2 = st.columns(2)
    k = c1.slider("PCA directions", 1, 12, 6, key="n_pca")
    raw = c2.multiselect("Raw z dimensions", list(range(model.config.nz)), default=[0], key="raw_dims")
    user = [d for d in st.session_state.get("user_directions", []) if d.vector.shape[0] == model.config.nz]
    directions = pca_directions(mid, model, 12)[:k] + [L.raw_direction(model.config.nz, i) for i in raw] + user
    if user:
        st.caption("Your directions: " + ", ".join(d.name for d in user))
    panel(model, mid, directions)


with core.guard():
    main()
