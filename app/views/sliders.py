"""Latent sliders: start from a sample, move z along PCA, SeFa, style, class, raw or user-defined directions, watch G
respond; each slider carries the report card of what moving along it was measured to change."""
import dataclasses

import numpy as np
import streamlit as st
import torch

from app import core, live_view, uploads
from app import direction_cards as cards_
from app.common import read_z, z_to_json, z_to_npy
from dcgan import latent as L
from dcgan.direction_file import directions_bytes, fingerprint, read_directions
from dcgan.directions import cosine_matrix, project_out, sefa_directions

STRIP = (-2.0, -1.0, 0.0, 1.0, 2.0)  # strengths shown for the last-moved slider, in standard deviations
N_PICK = 8


def picker(model, mid: str) -> None:
    """A seeded grid of samples: start from one, or mark some to define an attribute direction."""
    with st.expander("Pick a starting sample, or make a direction from an attribute"):
        seed = st.number_input("Seed", 0, 10**6, 0, key="slider_pick_seed")
        z = L.sample_z(N_PICK, model.config.nz, seed=int(seed))  # truncation is in model.G (main)
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
        digits = cards_.classifier(mid, model.config) is not None
        keep = st.checkbox("Keep the digit: project the class directions out of it (InterFaceGAN's conditional "
                           "manipulation)", value=digits, disabled=not digits, key="attr_keep_class")
        if st.button("Add as a slider", key="attr_add", disabled=not (with_ and without)):
            direction = L.attribute_direction(z[[i - 1 for i in with_]], z[[i - 1 for i in without]], name)
            if keep and digits:
                classes, _ = cards_.builtin(model, mid, core.current_path(), "class")
                direction = dataclasses.replace(direction, vector=project_out(direction.vector,
                                                                              torch.stack([d.vector for d in classes])))
            st.toast(f"Added the slider '{core.add_user_direction(direction)}'.")


def _on_z_upload(mid: str, nz: int) -> None:
    """A widget callback, so it may reset the sliders before they are drawn again."""
    upload = uploads.current("z_upload")
    uploads.accept("z_upload")
    if upload is None:
        return
    try:
        core.set_slider_start(mid, read_z(upload.name, upload.getvalue(), nz)[0])
    except core.DcganError as err:
        uploads.refuse("z_upload", [uploads.failed(upload.name, err)])


def z_io(model, mid: str, z: torch.Tensor) -> None:
    """Copy the current z out (.npy / JSON) and load one back, to return to an interesting point later."""
    c1, c2 = st.columns(2)
    c1.download_button("Copy z (.npy)", z_to_npy(z), "z.npy", key="dl_npy", icon=":material/download:",
                       on_click="ignore")
    c2.download_button("Copy z (JSON)", z_to_json(z), "z.json", mime="application/json", key="dl_json",
                       icon=":material/download:", on_click="ignore")
    st.file_uploader("Load a z you saved (.npy or .json)", type=["npy", "json"], key=uploads.key("z_upload"),
                     on_change=_on_z_upload, args=(mid, model.config.nz))
    uploads.show_errors("z_upload")


def randomise(mid: str, nz: int) -> None:
    core.set_slider_start(mid, L.sample_z(1, nz, seed=int(np.random.default_rng().integers(1 << 30)))[0].numpy())


@st.fragment
@core.guarded
def panel(model, mid: str, directions: list, cards: dict | None = None) -> None:
    """Sliders, the big image and the strip: only this part reruns when a slider moves."""
    cards = cards or {}
    z0 = torch.from_numpy(st.session_state[core.z_key(mid)])
    left, right = st.columns([2, 3])
    values = {}
    with left:
        b1, b2 = st.columns(2)
        b1.button("Reset sliders", on_click=core.reset_sliders, key="reset", icon=":material/restart_alt:")
        b2.button("Randomise z", key="randomise", on_click=randomise, args=(mid, model.config.nz),
                  icon=":material/casino:")
        live = live_view.sliders(model, mid, directions, cards)  # G in the browser; None where it cannot run
        values = live if live is not None else values
        for key, d in directions if live is None else ():  # else the server's own sliders
            extra = f" · {100 * d.explained_variance:.1f}% of variance" if d.explained_variance else ""
            start = None if key in st.session_state else 0.0  # a default beside a set value warns in the log
            values[key] = st.slider(f"{d.name}{extra}", -float(d.span), float(d.span), start, 0.1, key=key,
                                    help="Strength in standard deviations of z along this direction; the range "
                                         "reaches where its report card says the effect happens")
            if key in cards:
                st.caption(cards[key].summary(), help=CARD_HELP)
    previous = st.session_state.get("slider_previous", {})
    moved = [k for k, v in values.items() if previous.get(k, 0.0) != v]
    st.session_state["slider_previous"] = values
    if moved:
        st.session_state["slider_last"] = moved[0]
    by_key = dict(directions)
    z = z0.clone()
    for key, value in values.items():
        z = L.apply_direction(z, by_key[key], value)
    last_key = (st.session_state.get("slider_last") if st.session_state.get("slider_last") in by_key
                else directions[0][0])
    last = by_key[last_key]
    base = L.apply_direction(z, last, -values[last_key])  # the strip spans this slider's whole range
    reach = 2.0 if last.span <= 3 else last.span - 1  # wider sliders: the strip reaches the effect
    strip = [s * reach / 2 for s in STRIP]
    zs = torch.stack([z] + [L.apply_direction(base, last, s) for s in strip])
    images, captions = core.render(model, zs)  # one batched G (and D) call: big image + strip
    with right, st.container(key="slider_view"):  # sticky (STICKY): in view however many sliders are open
        core.show_image(images[0], captions[0],
                        scale=core.display_size(model.config) * 2)
        st.markdown(f"**Along {last.name}** (−{reach:g}σ … +{reach:g}σ, the other sliders as they are)")
        cols = st.columns(len(strip))
        for col, s, img, caption in zip(cols, strip, images[1:], captions[1:]):
            core.show_image(img, f"{s:+g}σ · {caption}",
                            scale=core.thumb_scale(model.config), container=col)
        st.session_state["slider_z"] = z.numpy()
    z_io(model, mid, z)


# The column holding the big image stays at the top of the window while the sliders beside it scroll (wide layouts).
STICKY = ("<style>@media (min-width: 640px) { [data-testid='stColumn']:has(.st-key-slider_view) "
          "{ position: sticky; top: 3.75rem; align-self: flex-start; z-index: 2; } }</style>")


CARD_HELP = ("Measured on 200 held-out samples: the share whose digit (the classifier's top guess) is unchanged at "
             "±2σ, beside random unit directions on the same samples; the commonest class change; how far ink, slant "
             "and width move, in standard deviations of that measure among the samples (style directions also in sd "
             "within the samples' digit, at the strength where the slider reaches the effect, beside random directions "
             "at that strength); mean |pixel change| on a 0-1 scale.")


def direction_sources(model, mid: str) -> list:
    """(widget key, Direction) pairs: PCA, SeFa, style and class (digit models), raw z dimensions, the user's own.

    Each Direction carries its unit vector in z and its slider range (span)."""
    nz, path = model.config.nz, core.current_path()
    digits = cards_.classifier(mid, model.config) is not None
    c1, c2, c3, c4, c5 = st.columns([3, 3, 2, 2, 3])
    k = c1.slider("PCA directions (GANSpace)", 0, 12, 6, key="n_pca")
    k_sefa = c2.slider("SeFa directions", 0, 8, 0, key="n_sefa",
                       help="Closed form: eigenvectors of G's first-layer weight")
    use_style = c3.toggle("Style", value=digits, key="use_style", disabled=not digits,
                          help="Thickness (ink), slant and width: each moves its measured attribute along what the "
                               "digit classifier is least sensitive to; the slider reaches where its card says the "
                               "attribute has moved 0.8 within-class sd both ways." if digits else
                               "Needs a digit model (one channel, trained on MNIST) to measure its samples.")
    use_classes = c4.toggle("Classes", key="use_classes", disabled=not digits,
                            help="One slider per digit: the normal of its boundary in z (logistic regression on the "
                                 "classifier's labels of 3,000 samples)." if digits else "Needs a digit model.")
    raw = c5.multiselect("Raw z dimensions", list(range(nz)), default=[], key="raw_dims")
    found, cards = [], {}
    for method, wanted in (("pca", k), ("sefa", k_sefa), ("style", use_style and digits),
                           ("class", use_classes and digits)):
        if wanted:
            directions, by_name = cards_.builtin(model, mid, path, method)
            chosen = directions[:wanted] if method in ("pca", "sefa") else directions
            found += [(method, d, by_name.get(d.name)) for d in chosen]
    found += [("raw", L.raw_direction(nz, i), None) for i in raw]
    found += [("user", d, None) for d in st.session_state.get("user_directions", []) if d.vector.shape[0] == nz]
    found += more_real_source(model, mid)
    pairs = []
    for source, d, card in found:
        key = f"slider:{mid}:{source}:{d.name}"
        cards[key] = card or cards_.card(model, mid, d)
        pairs.append((key, d))
    st.session_state["slider_cards"] = cards
    return pairs


def more_real_source(model, mid: str) -> list:
    """The "more real" slider (issue 20): the normalised gradient of the verdict through G at the starting z."""
    from dcgan.landscape import more_real

    if not model.has_verdict() or not st.toggle('"More real" at this z', key="use_more_real",
                                        help="The direction in z along which the verdict of this image rises "
                                             "fastest: the gradient of the verdict through G, normalised."):
        return []
    z0 = torch.from_numpy(st.session_state[core.z_key(mid)])
    d = more_real(model, z0)
    strengths = (0.0, 0.5, 1.0, 2.0)
    _, verdicts = model.render(torch.stack([L.apply_direction(z0, d, s) for s in strengths]))
    st.caption("Along \"more real\" from this z, the verdict goes " + " → ".join(
        f"{v:.2f} ({s:+g}σ)" for s, v in zip(strengths, verdicts)) + ". Its report card (under the slider) says what "
        "else it changes on 200 other samples.")
    return [("more-real", d, None)]


def directions_io(model, mid: str, directions: list) -> None:
    """Save the sliders' directions (with their report cards) to a file, or load some back as your own."""
    with st.expander("Save or load directions (.npz: names, unit vectors in z, report cards)"):
        cards = st.session_state.get("slider_cards", {})
        data = directions_bytes([d for _, d in directions], [cards[k] for k, _ in directions],
                                model_fingerprint=fingerprint(model.G)) if directions else b""
        st.download_button("Save these directions", data, "directions.npz", key="dl_directions",
                           disabled=not directions,
                           icon=":material/download:", on_click="ignore")
        st.file_uploader("Load directions (from this page or python -m dcgan directions)", type=["npz"],
                         key=uploads.key("directions_upload"), on_change=_on_directions_upload,
                         args=(model.config.nz,))
        uploads.show_errors("directions_upload")


def _on_directions_upload(nz: int) -> None:
    upload = uploads.current("directions_upload")
    uploads.accept("directions_upload")
    if upload is None:
        return
    try:
        loaded, _, _ = read_directions(upload.getvalue(), nz=nz, name=upload.name)
    except core.DcganError as err:
        uploads.refuse("directions_upload", [uploads.failed(upload.name, err)])
        return
    for d in loaded:
        core.add_user_direction(d)


def sefa_panel(model, mid: str) -> None:
    """SeFa's eigenvalue spectrum, and how its directions line up with GANSpace's."""
    import plotly.graph_objects as go

    with st.expander("SeFa: the eigenvalue spectrum, and how SeFa lines up with GANSpace"):
        sefa, values = sefa_directions(model.G, k=8)
        pca, _ = cards_.builtin(model, mid, core.current_path(), "pca")
        share = values / values.sum()
        c1, c2 = st.columns(2)
        fig = go.Figure(go.Bar(x=np.arange(1, 21), y=share[:20]))
        fig.update_layout(height=280, margin=dict(l=10, r=10, t=30, b=10), xaxis_title="eigenvector",
                          yaxis_title="share of the first layer's output variance", title="SeFa spectrum (top 20)")
        c1.plotly_chart(fig)
        cos = cosine_matrix(sefa, pca[:8])
        heat = go.Figure(go.Heatmap(z=cos, x=[d.name for d in pca[:8]], y=[d.name for d in sefa], zmin=0, zmax=1,
                                    colorscale="Blues", text=np.round(cos, 2), texttemplate="%{text}"))
        heat.update_layout(height=280, margin=dict(l=10, r=10, t=30, b=10), title="|cosine| SeFa vs GANSpace")
        c2.plotly_chart(heat)
        st.caption(f"Eigenvalues of WᵀW, W = G's first layer as a matrix from z "
                   f"(computed in milliseconds, no samples). "
                   f"The top 8 carry {100 * share[:8].sum():.0f}% of that layer's output variance for z ~ N(0, I).")


def main() -> None:
    st.title("Latent sliders")
    core.intro("Every image comes from a vector z. Principal directions (GANSpace: PCA of G's first-layer "
               "activations, carried back to z) and SeFa (eigenvectors of G's first weight) are the axes along which "
               "G's output varies most; on this model they change the digit as much as its style. Style directions "
               "(thickness, slant, width) move one measured attribute along what the digit classifier is least "
               "sensitive to, so the digit stays; your own come from the attribute picker, the Arithmetic page or a "
               "file. Under each slider, its "
               "report card says what moving along it was measured to change. Sliders are in standard deviations.")
    model, mid = core.current_model()
    model = core.truncated_model(model)  # the sidebar's truncation, for every z on the page (picked, random, default)
    if core.z_key(mid) not in st.session_state:
        st.session_state[core.z_key(mid)] = L.sample_z(1, model.config.nz, seed=0)[0].numpy()
    picker(model, mid)
    directions = direction_sources(model, mid)
    if not directions:
        st.info("Choose at least one direction above.")
        return
    sefa_panel(model, mid)
    directions_io(model, mid, directions)
    st.html(STICKY)
    panel(model, mid, directions, st.session_state.get("slider_cards"))


with core.guard():
    main()
