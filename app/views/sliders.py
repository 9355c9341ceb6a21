"""Latent sliders: start from a sample, move z along PCA, class, raw or user-defined directions, watch G respond."""
import numpy as np
import streamlit as st
import torch

from app import core
from app.common import read_z, z_to_json, z_to_npy
from dcgan import latent as L

STRIP = (-2.0, -1.0, 0.0, 1.0, 2.0)  # strengths shown for the last-moved slider, in standard deviations
N_PICK = 8


@st.cache_resource(show_spinner="Finding principal directions (GANSpace)…", max_entries=8)
def pca_directions(model_id: str, _model, k: int) -> list:
    return L.pca_directions(_model.G, k=k, n_samples=2000)


@st.cache_resource(show_spinner="Fitting a probe on D's features and labelling 2,000 samples…", max_entries=4)
def class_directions(model_id: str, _model, _data, data_name: str) -> list:
    return L.label_directions(_model, _data, n_samples=2000)


def picker(model, mid: str) -> None:
    """A seeded grid of samples: start from one, or mark some to define an attribute direction."""
    with st.expander("Pick a starting sample, or make a direction from an attribute"):
        seed = st.number_input("Seed", 0, 10**6, 0, key="slider_pick_seed")
        z = L.sample_z(N_PICK, model.config.nz, seed=int(seed), truncation=core.truncation_control())
        images, captions = core.render(model, z)
        captions = [f"#{i + 1} · {c}" for i, c in enumerate(captions)]
        cols = core.show_images(images, captions, per_row=N_PICK, scale=core.thumb_scale(model.config))
        for i, col in enumerate(cols):
            col.button("Start here", key=f"pick{i}", on_click=core.set_slider_start, args=(mid, z[i].numpy()))
        st.markdown("**An attribute direction**: mark samples that have something (thick strokes, a slant, a loop) "
                    "and some that don't; mean z of the first minus mean z of the second becomes a slider.")
        c1, c2, c3 = st.columns([2, 2, 1])
        numbers = list(range(1, N_PICK + 1))
        with_ = c1.multiselect("Have it", numbers, key="attr_with")
        without = c2.multiselect("Don't have it", numbers, key="attr_without")
        name = c3.text_input("Name", "my attribute", key="attr_name")
        if st.button("Add as a slider", key="attr_add", disabled=not (with_ and without)):
            direction = L.attribute_direction(z[[i - 1 for i in with_]], z[[i - 1 for i in without]], name)
            st.toast(f"Added the slider '{core.add_user_direction(direction)}'.")


def _on_z_upload(mid: str, nz: int) -> None:
    """A widget callback, so it may reset the sliders before they are drawn again."""
    upload = st.session_state.get("z_upload")
    st.session_state.pop("z_upload_error", None)
    if upload is None:
        return
    try:
        core.set_slider_start(mid, read_z(upload.name, upload.getvalue(), nz)[0])
    except core.DcganError as err:
        st.session_state["z_upload_error"] = str(err)


def z_io(model, mid: str, z: torch.Tensor) -> None:
    """Copy the current z out (.npy / JSON) and load one back, to return to an interesting point later."""
    c1, c2 = st.columns(2)
    c1.download_button("Copy z (.npy)", z_to_npy(z), "z.npy", key="dl_npy", icon=":material/download:",
                       on_click="ignore")
    c2.download_button("Copy z (JSON)", z_to_json(z), "z.json", mime="application/json", key="dl_json",
                       icon=":material/download:", on_click="ignore")
    st.file_uploader("Load a z you saved (.npy or .json)", type=["npy", "json"], key="z_upload",
                     on_change=_on_z_upload, args=(mid, model.config.nz))
    if "z_upload_error" in st.session_state:
        st.error(st.session_state["z_upload_error"], icon=":material/error:")


def randomise(mid: str, nz: int) -> None:
    core.set_slider_start(mid, L.sample_z(1, nz, seed=int(np.random.default_rng().integers(1 << 30)))[0].numpy())


@st.fragment
@core.guarded
def panel(model, mid: str, directions: list) -> None:
    """Sliders, the big image and the strip: only this part reruns when a slider moves."""
    z0 = torch.from_numpy(st.session_state[core.z_key(mid)])
    left, right = st.columns([2, 3])
    values = {}
    with left:
        b1, b2 = st.columns(2)
        b1.button("Reset sliders", on_click=core.reset_sliders, key="reset", icon=":material/restart_alt:")
        b2.button("Randomise z", key="randomise", on_click=randomise, args=(mid, model.config.nz),
                  icon=":material/casino:")
        for key, d in directions:
            extra = f" · {100 * d.explained_variance:.1f}% of variance" if d.explained_variance else ""
            values[key] = st.slider(f"{d.name}{extra}", -3.0, 3.0, 0.0, 0.1, key=key,
                                    help="Strength in standard deviations of z along this direction")
    previous = st.session_state.get("slider_previous", {})
    moved = [k for k, v in values.items() if previous.get(k, 0.0) != v]
    st.session_state["slider_previous"] = values
    if moved:
        st.session_state["slider_last"] = moved[0]
    by_key = dict(directions)
    z = z0.clone()
    for key, value in values.items():
        z = L.apply_direction(z, by_key[key], value)
    last_key = st.session_state.get("slider_last") if st.session_state.get("slider_last") in by_key else directions[0][0]
    last = by_key[last_key]
    base = L.apply_direction(z, last, -values[last_key])  # the strip spans this slider's whole range
    zs = torch.stack([z] + [L.apply_direction(base, last, s) for s in STRIP])
    images, captions = core.render(model, zs)  # one batched G (and D) call: big image + strip
    with right:
        core.show_image(images[0], captions[0],
                        scale=core.display_size(model.config) * 2)
        st.markdown(f"**Along {last.name}** (−2σ … +2σ, the other sliders as they are)")
        cols = st.columns(len(STRIP))
        for col, s, img, caption in zip(cols, STRIP, images[1:], captions[1:]):
            core.show_image(img, f"{s:+.0f}σ · {caption}",
                            scale=core.thumb_scale(model.config), container=col)
        st.session_state["slider_z"] = z.numpy()
        z_io(model, mid, z)


def direction_sources(model, mid: str) -> list:
    """(widget key, Direction) pairs: PCA, class (optional), raw z dimensions, the user's own."""
    nz = model.config.nz
    c1, c2, c3 = st.columns([2, 2, 1])
    k = c1.slider("PCA directions", 1, 12, 6, key="n_pca")
    raw = c2.multiselect("Raw z dimensions", list(range(nz)), default=[0], key="raw_dims")
    labelled = model.D is not None and bool(model.config.labels)
    use_classes = c3.toggle("Class directions", key="use_classes", disabled=not labelled,
                            help="One slider per class: fit a linear probe on D's features of labelled real images, "
                                 "label 2,000 samples with it, and take mean z of a class minus the rest. "
                                 "Takes 20-60 s once per model." if labelled else
                                 "Needs a model with D and class labels (e.g. the bundled MNIST model).")
    found = [("pca", d) for d in pca_directions(mid, model, 12)[:k]]
    if use_classes and labelled:
        data = core.dataset(core.model_default_data(model.config), model.config.image_size, model.config.channels)
        found += [("class", d) for d in class_directions(mid, model, data, data.name)]
    found += [("raw", L.raw_direction(nz, i)) for i in raw]
    found += [("user", d) for d in st.session_state.get("user_directions", []) if d.vector.shape[0] == nz]
    return [(f"slider:{mid}:{source}:{d.name}", d) for source, d in found]


def main() -> None:
    st.title("Latent sliders")
    core.intro("Every image comes from a vector z. Principal directions (GANSpace: PCA of G's first-layer "
               "activations, carried back to z) are the axes along which G's output varies most; raw directions "
               "move one coordinate of z; your own come from the attribute picker or the Arithmetic page. "
               "Sliders are in standard deviations; the strip shows the last-moved slider's whole range at once.")
    model, mid = core.current_model()
    if core.z_key(mid) not in st.session_state:
        st.session_state[core.z_key(mid)] = L.sample_z(1, model.config.nz, seed=0)[0].numpy()
    picker(model, mid)
    directions = direction_sources(model, mid)
    panel(model, mid, directions)


with core.guard():
    main()
