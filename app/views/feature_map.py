"""Feature map: UMAP of D's features for real images and samples; select points to see them or reuse their z."""
import numpy as np
import streamlit as st

from app import core
from dcgan.embed import feature_map, umap_figure
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
    st.caption("A linear SVM on D's pooled features, against raw pixels and an untrained D, on the same split.")
    if data.labels is None:
        st.info("This data set has no labels to probe.")
        return
    key = ("probe", mid, data.name)
    cache = core.results()
    if key not in cache and st.button("Run the probe (about a minute)", key="probe_run"):
        with st.spinner("Fitting linear SVMs…"):
            cache[key] = linear_probe(model, data, n=1500, seed=0)
    if key in cache:
        result = cache[key]
        pct = result.as_percentages()
        st.metric("D features", f"{pct['d_features']:.1f}%")
        st.metric("Raw pixels", f"{pct['raw_pixels']:.1f}%", f"{pct['d_features'] - pct['raw_pixels']:+.1f} for D",
                  delta_color="off")
        st.metric("Untrained D", f"{pct['random_d']:.1f}%")
        st.caption(f"{result.n_train} training / {result.n_test} test images.")


def selection_panel(model, table, rows: list[int]) -> None:
    st.markdown(f"**{len(rows)} selected**")
    shown = rows[:24]
    images = core.to_uint8(table.images[shown])
    cols = st.columns(12)
    for i, r in enumerate(shown):
        label = table.kind[r] + (f" · {table.classes[table.label[r]]}" if table.label[r] >= 0 and table.classes else "")
        core.show_image(images[i], f"{label} · {core.score_caption(table.score[r], model.config.loss)}", scale=2,
                        container=cols[i % 12])
    generated = [r for r in rows if table.kind[r] == "generated"]
    if not generated:
        return
    c1, c2 = st.columns(2)
    if c1.button("Send the first generated point to the sliders", key="send_slider"):
        z = table.z[generated[0]].astype(np.float32)
        st.session_state[f"z0:{st.session_state['map_mid']}"] = z
        st.session_state["slider_z"] = z
        st.success("Sent: open the Latent sliders page.")
    if c2.button(f"Send {min(8, len(generated))} generated points to the walk page", key="send_walk",
                 disabled=len(generated) < 2):
        st.session_state["walk_keyframes"] = table.z[generated[:8]].astype(np.float32)
        st.success("Sent: open the Walks page.")


def main() -> None:
    st.title("Feature map")
    core.intro("D's features (each layer max-pooled to 4x4, as in the paper) for real images and samples, "
               "flattened to 2-D with UMAP. If samples sit among real digits of the same class, D sees them alike. "
               "Select points (box or lasso) to see their images.")
    model, mid = core.current_model()
    st.session_state["map_mid"] = mid
    if model.D is None:
        st.warning("This file has no discriminator, so there are no D features to map.")
        return
    c1, c2, c3 = st.columns(3)
    data = core.model_dataset(model, key="map_data")
    n = c2.select_slider("Real images (and as many samples)", [250, 500, 1000, 2000], value=500, key="map_n")
    color = c3.radio("Colour by", ["kind", "label", "score"], horizontal=True, key="map_color")
    with c1:
        st.caption("The first map compiles UMAP's numba code (10–20 s); later ones are faster and cached.")
    left, right = st.columns([3, 1])
    with left:
        table = build_map(model, mid, data, n)
        fig = umap_figure(table, color_by=color, with_thumbnails=False)
        event = st.plotly_chart(fig, on_select="rerun", selection_mode=("points", "box", "lasso"), key=f"map:{mid}:{n}")
    with right:
        probe_panel(model, mid, data)
    points = event.selection.points if event and event.selection else []
    rows = sorted({int(p["customdata"][0]) for p in points if p.get("customdata")})
    if rows:
        selection_panel(model, table, rows)


with core.guard():
    main()
