"""Landscape: D's verdict over a plane in z as a heatmap (GAN Lab for images), with arrows to "more real",
the slider's z and a walk drawn on it; click a point to see its image and send its z to the sliders."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from app import core
from app import direction_cards as cards_
from dcgan import landscape as LS
from dcgan import latent as L
from dcgan.landscape_plot import landscape_figure

KEYFRAMES = "three keyframes (seeds)"
TWO = "two directions"


def known_directions(model, mid: str, z0: torch.Tensor) -> dict:
    """Every direction the app knows for this model, by name: PCA, SeFa, style and class, yours, 'more real', raw z."""
    found = {}
    methods = ("pca", "sefa") + (("style", "class") if cards_.classifier(mid, model.config) is not None else ())
    for method in methods:
        for d in cards_.builtin(model, mid, core.current_path(), method)[0][:8]:
            found[d.name] = d
    for d in st.session_state.get("user_directions", []):
        if d.vector.shape[0] == model.config.nz:
            found[d.name] = d
    found["more real (at the centre)"] = LS.more_real(model, z0)
    found.update({f"z[{i}]": L.raw_direction(model.config.nz, i) for i in range(model.config.nz)})
    return found


def centre(model, mid: str) -> tuple[torch.Tensor, str]:
    slider_z = st.session_state.get("slider_z", st.session_state.get(core.z_key(mid)))
    has_slider = slider_z is not None and len(slider_z) == model.config.nz
    options = (["the slider page's z"] if has_slider else []) + ["a seed"]
    choice = st.radio("Centre z0", options, horizontal=True, key="land_centre")
    if choice == "a seed":
        seed = st.number_input("Seed", 0, 10**6, 0, key="land_seed")
        return L.sample_z(1, model.config.nz, seed=int(seed))[0], f"seed {seed}"
    return torch.from_numpy(np.asarray(slider_z, dtype=np.float32)), "slider z"


def choose_plane(model, mid: str) -> LS.Plane:
    kind = st.radio("Plane through", [TWO, KEYFRAMES], horizontal=True, key="land_kind")
    if kind == KEYFRAMES:
        c = st.columns(3)
        seeds = [int(c[i].number_input(f"Keyframe {i + 1} seed", 0, 10**6, i, key=f"land_key{i}")) for i in range(3)]
        z = torch.cat([L.sample_z(1, model.config.nz, seed=s) for s in seeds])
        return LS.keyframe_plane(z, tuple(f"seed {s}" for s in seeds))
    z0, _ = centre(model, mid)
    directions = known_directions(model, mid, z0)
    names = list(directions)
    c1, c2 = st.columns(2)
    first = c1.selectbox("a: first direction", names, index=0, key="land_u")
    second = c2.selectbox("b: second direction", names, index=min(1, len(names) - 1), key="land_v")
    return LS.direction_plane(z0, directions[first], directions[second])


@st.cache_resource(max_entries=8, show_spinner="Evaluating D's verdict over the plane…")
def _landscape(mid: str, key: bytes, grid: int, _model, _plane) -> LS.Landscape:
    return LS.landscape(_model, _plane, grid=grid)


def compute(model, mid: str, plane: LS.Plane, grid: int) -> LS.Landscape:
    key = b"".join(t.numpy().tobytes() for t in (plane.z0, plane.u, plane.v)) + repr(plane.marks).encode()
    return _landscape(mid, key, grid, model, plane)


def overlays(model, mid: str, plane: LS.Plane) -> tuple[dict, dict]:
    """Paths and points to draw: the walk through the keyframes, the slider's z, map points sent to the walk."""
    paths, points = {}, {}
    if len(plane.marks) == 3:
        keys = torch.stack([plane.points(torch.tensor([a]), torch.tensor([b]))[0] for a, b in plane.marks.values()])
        paths["slerp walk through the keyframes"] = plane.coords(L.interpolate(keys, 12, mode="slerp"))
    slider_z = st.session_state.get("slider_z")
    if slider_z is not None and len(slider_z) == model.config.nz:
        points["slider z"] = plane.coords(torch.from_numpy(np.asarray(slider_z)))
    sent = st.session_state.get("walk_keyframes")
    if sent is not None and np.asarray(sent).shape[-1] == model.config.nz:
        paths["walk keyframes from the feature map"] = plane.coords(torch.from_numpy(np.asarray(sent)))
    walk_overlay(st.session_state.get("walk_path"), mid, plane, paths, points)
    return paths, points


def walk_overlay(walk: dict | None, mid: str, plane: LS.Plane, paths: dict, points: dict) -> None:
    """The Walk page's current path and keyframes, projected onto the plane, named with how far off it they lie."""
    if not walk or walk.get("mid") != mid or walk["frames"].shape[-1] != plane.z0.numel():
        return
    frames, keys = torch.from_numpy(walk["frames"]), torch.from_numpy(walk["keys"])
    off = plane.distance(frames)
    paths[f"the Walk page's {walk['mode']} path ({len(frames)} frames; projected: {off.mean():.1f} sd off the plane "
          f"on average, at most {off.max():.1f})"] = plane.coords(frames)
    for name, ab in zip(walk["names"], plane.coords(keys)):
        points[f"walk: {name}"] = ab


def clickable(fig, land: LS.Landscape) -> None:
    """An invisible marker on every grid point, so a click selects it (heatmaps themselves are not selectable)."""
    bb, aa = np.meshgrid(land.b, land.a, indexing="ij")
    fig.add_trace(go.Scatter(x=aa.ravel(), y=bb.ravel(), mode="markers", marker={"size": 12, "opacity": 0},
                             customdata=land.verdict.ravel(), showlegend=False, name="grid",
                             hovertemplate="a %{x:.2f} · b %{y:.2f}<br>verdict %{customdata:.3f}<extra></extra>"))


def picked_point(model, mid: str, land: LS.Landscape, event) -> None:
    points = [p for p in (event.selection.points if event else []) if "x" in p and "y" in p]
    if not points:
        st.caption("Click a point of the heatmap to see its image and send its z to the sliders.")
        return
    a, b = float(points[0]["x"]), float(points[0]["y"])
    z = land.plane.points(torch.tensor([a]), torch.tensor([b]))
    images, captions = core.render(model, z)
    core.show_image(images[0], f"a {a:+.2f}, b {b:+.2f} · {captions[0]}", scale=core.display_size(model.config))
    if st.button("Send this z to the sliders", key="land_send", icon=":material/tune:"):
        core.set_slider_start(mid, z[0].numpy())
        st.switch_page("views/sliders.py")


def main() -> None:
    st.title("Landscape")
    core.intro("GAN Lab (Kahng et al. 2018) for images. A plane in z, z0 + a·u + b·v, is a 2-D world whose every "
               "point is an image. The colour is the per-image verdict of that image (the share of held-out real "
               "images that look less real to D); the red arrows are its gradient in (a, b), taken through G: they "
               "point to 'more real'. Where the verdict is clamped at 0 or 1 it is flat and there is no arrow.")
    model, mid = core.current_model()
    if model.D is None:
        st.info("This file has no discriminator, so it has no landscape: pick a model with D.")
        return
    plane = choose_plane(model, mid)
    grid = st.select_slider("Grid points per side", [10, 15, 20, 30, 40], 30, key="land_grid")
    land = compute(model, mid, plane, grid)
    paths, points = overlays(model, mid, plane)
    fig = landscape_figure(land, paths=paths, points=points)
    clickable(fig, land)
    left, right = st.columns([3, 1])
    with left:
        event = st.plotly_chart(fig, on_select="rerun", selection_mode="points", key="land_chart")
    with right:
        st.metric("verdict range on the plane", f"{land.verdict.min():.2f} – {land.verdict.max():.2f}")
        picked_point(model, mid, land, event)
    st.caption(f"{grid}x{grid} points over ±{land.a[-1]:g} sd; arrows every 3rd point, length ∝ |gradient| (capped at "
               "its 90th percentile). u and v are orthonormal: the second direction loses its part along the first.")


with core.guard():
    main()
