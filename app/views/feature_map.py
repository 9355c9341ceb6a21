"""Feature map: UMAP of D's features for real images and samples; select points to see them or reuse their z."""
import numpy as np
import streamlit as st

from app import core
from dcgan.embed import balanced_selection, feature_map, umap_figure, write_map_html
from dcgan.features import linear_probe


def build_map(model, mid: str, data, n: int):
    key = ("map", mid, data.name, n)
    cache = core.results()
    if key not in cache:
        with st.status("Building the map…", expanded=True) as status:
            table, _ = feature_map(model, data, n=n, seed=0, status=status.write)
            status.update(label="Map ready", state="complete", expanded=False)
        cache[key] = table
    return cache[key]


def probe_panel(model, mid: str, data) -> None:
    st.markdown("**Linear probe** (paper §5.1)")
    st.caption("How much of the class does D's feature space hold? The same linear classifier on D's pooled features "
               "of real images, on raw pixels and on an untrained D, each tuned over the same wide grid.")
    if data.labels is None:
        st.info("This data set has no labels to probe.")
        return
    key = ("probe", mid, data.name)
    cache = core.results()
    if key not in cache and st.button("Run the probe (~1 min)", key="probe_run", icon=":material/play_arrow:"):
        with st.spinner("Fitting linear classifiers over 3 seeds…"):
            cache[key] = linear_probe(model, data)
    if key in cache:
        result = cache[key]
        pct = result.as_percentages()
        labels = {"d_features": "D features", "raw_pixels": "Raw pixels", "random_d": "Untrained D"}
        for name, label in labels.items():
            mean, sd = pct[name]
            delta = f"{pct['d_features'][0] - mean:+.1f} for D" if name != "d_features" else None
            st.metric(label, f"{mean:.1f}% ± {sd:.1f}", delta, delta_color="off")
        for line in result.summary().splitlines():
            (st.warning if line.startswith("Warning") else st.caption)(line)


def selection_panel(model, mid: str, table, rows: list[int]) -> None:
    shown = balanced_selection(table, rows)
    n_real = sum(table.kind[r] == "real" for r in rows)
    st.markdown(f"**{len(rows)} selected** ({n_real} real, {len(rows) - n_real} generated)"
                + (f"; {len(shown)} shown, real and generated alternating" if len(rows) > len(shown) else ""))
    names = table.class_names()
    captions = [f"{table.kind[r]} · class {names[r]} · {core.verdict_caption(table.score[r])}" for r in shown]
    core.show_images(core.to_uint8(table.images[shown]), captions, per_row=6, scale=core.thumb_scale(model.config))
    generated = [r for r in rows if table.kind[r] == "generated"]
    if not generated:
        st.caption("Only real images selected: generated points can be sent to the slider and walk pages.")
        return
    c1, c2 = st.columns(2)
    if c1.button("Send the first generated point to the sliders", key="send_slider", icon=":material/tune:"):
        core.set_slider_start(mid, table.z[generated[0]])
        st.success("Sent: open the Latent sliders page.")
    if c2.button(f"Send {min(8, len(generated))} generated points to the walk page", key="send_walk",
                 disabled=len(generated) < 2, icon=":material/route:"):
        st.session_state["walk_keyframes"] = table.z[generated[:8]].astype(np.float32)
        st.success("Sent: open the Walks page.")


def quality_panel(table) -> None:
    """How far to trust the picture: class k-NN accuracy on the map vs in the features, and mixing of samples."""
    q = table.quality
    st.markdown("**How faithful is the map?**")
    if q["knn_accuracy_map"] is not None:
        st.metric("10-NN class accuracy, 2-D map", f"{100 * q['knn_accuracy_map']:.1f}%")
        st.metric("10-NN class accuracy, full D features", f"{100 * q['knn_accuracy_features']:.1f}%")
    if q["generated_among_real"] is not None:
        st.metric("Samples among real images", f"{100 * q['generated_among_real']:.1f}%",
                  help="Share of samples whose 10 nearest points in the full D features are mostly real. "
                       "High: D's features place samples among real images.")


def show_hover_map(table, color: str) -> None:
    """The map as a standalone Plotly page whose hover shows the point's image (Streamlit's chart cannot)."""
    import tempfile

    import streamlit.components.v1 as components

    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/map.html"
        write_map_html(umap_figure(table, color_by=color), path)
        components.html(open(path).read(), height=600)


def main() -> None:
    st.title("Feature map")
    core.intro("D's features (each layer max-pooled to 4x4, as in the paper) for real images and samples, "
               "flattened to 2-D with UMAP. If samples sit among real images of the same class, D sees them alike; "
               "islands of only one kind show what D tells apart. Select points (box or lasso) to see their images.")
    model, mid = core.current_model()
    if model.D is None:
        st.warning("This file has no discriminator, so there are no D features to map.")
        return
    c1, c2, c3 = st.columns(3)
    data = core.model_dataset(model, key="map_data", container=c1)
    n = c2.select_slider("Real images (and as many samples)", [250, 500, 1000, 2000], value=500, key="map_n",
                         help="The first map compiles UMAP's numba code (about 10 s); "
                              "later ones are faster, and cached.")
    color = c3.radio("Colour by", ["kind", "label", "score"], horizontal=True, key="map_color",
                     help="score = the per-image verdict (realness); generated points are grey under every colouring.")
    hover = st.toggle("Pictures on hover (no selection)", key="map_hover",
                      help="Shows each point's image as you hover; box and lasso selection work only with this off.")
    left, right = st.columns([3, 1])
    event = None
    with left:
        table = build_map(model, mid, data, n)
        if hover:
            show_hover_map(table, color)
        else:
            fig = umap_figure(table, color_by=color, with_thumbnails=False)
            event = st.plotly_chart(fig, on_select="rerun", selection_mode=("points", "box", "lasso"),
                                    key=f"map:{mid}:{data.name}:{n}")
    with right:
        quality_panel(table)
        probe_panel(model, mid, data)
    points = event.selection.points if event and event.selection else []
    rows = sorted({int(p["customdata"][0]) for p in points if p.get("customdata")})
    if rows:
        selection_panel(model, mid, table, rows)


with core.guard():
    main()
