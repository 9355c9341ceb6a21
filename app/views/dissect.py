"""Inside G: each unit's activation map over samples, and what switching it off or forcing it on does (GAN
Dissection)."""
import streamlit as st
import torch

from app import core
from dcgan.dissect import dissect_units, effect_classifier, rank_units, unit_maps, unit_rows


def run(model, layer: str, top: int, extra: tuple) -> dict:
    """Rank every unit of the layer by its measured effect, then dissect the strongest `top` ones and any picked."""
    with st.spinner("Switching each unit off in turn and measuring the effect…"):
        clf = effect_classifier(model.config)
        order, ranked_effects = rank_units(model.G, layer, classifier=clf)
        d = dissect_units(model.G, layer, list(dict.fromkeys(order[:top].tolist() + list(extra))))
    effect = torch.empty_like(ranked_effects)
    effect[order] = ranked_effects  # by unit number
    measure = ("the digit classifier's class probabilities (total-variation distance, 0-1)" if clf
               else "the pixels (mean |change|)")
    return {"order": order, "effect": effect, "dissection": d, "measure": measure}


def show_unit(d, k: int, effect: float, rank: int, scale: int) -> None:
    rows, labels = unit_rows(d, k)
    st.markdown(f"**{d.layer} · unit {int(d.units[k])}** · effect of switching it off: {effect:.3f} (rank {rank})")
    for row, label in zip(rows, labels):
        cols = st.columns([2] + [1] * row.shape[0])
        cols[0].caption(label)
        for j, image in enumerate(core.to_uint8(row)):
            core.show_image(image, "", scale=scale, container=cols[j + 1])


def main() -> None:
    st.title("Inside G")
    core.intro("What does each unit of a generator layer draw? Each unit is switched off (set to 0) in turn on 16 "
               "samples and the change is measured; the strongest units are shown with their activation map (red) "
               "on the samples where they fire most and on others, then the same samples with the unit switched off "
               "and forced on (to its 99th-percentile level everywhere), after Bau et al. (2019), GAN Dissection.")
    model, mid = core.current_model()
    names = model.G.layer_names
    c1, c2, c3 = st.columns(3)
    layer = c1.selectbox("G layer", names, index=min(1, len(names) - 1), key="dis_layer",
                         help="Names as in the Model page's architecture table: layer1 is the 4x4 map.")
    top = c2.slider("Strongest units to show", 1, 16, 4, key="dis_top")
    n_units = unit_maps(model.G, layer, torch.zeros(1, model.config.nz))[0].shape[1]
    extra = c3.multiselect(f"Also these units (of {n_units})", list(range(n_units)), key="dis_units")
    key, cache = ("dissect", mid, layer, top, tuple(extra)), core.results()
    if st.button("Run", type="primary", key="dis_run"):
        cache[key] = run(model, layer, top, tuple(extra))
    if key not in cache:
        st.info("Choose a layer, then press Run.")
        return
    result = cache[key]
    st.caption(f"Effect measured on {result['measure']}, averaged over 16 samples. Strongest units: " + ", ".join(
        f"{int(u)} ({result['effect'][u]:.3f})" for u in result["order"][:10]))
    rank = {int(u): i + 1 for i, u in enumerate(result["order"])}
    d = result["dissection"]
    for k, unit in enumerate(d.units.tolist()):
        show_unit(d, k, float(result["effect"][unit]), rank[unit], core.thumb_scale(model.config))


with core.guard():
    main()
