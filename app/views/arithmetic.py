"""Vector arithmetic (the paper's figure 7): mean(A) − mean(B) + mean(C), shown as a family of images."""
import streamlit as st
import torch

from app import core
from dcgan import latent as L

N_SAMPLES = 24


def main() -> None:
    st.title("Arithmetic")
    core.intro("Averaging the z of a few samples that share a concept gives a stable vector for it. "
               "mean(A) − mean(B) + mean(C) then carries the difference between A and B over to C, as in the "
               "DCGAN paper's 'smiling woman − neutral woman + neutral man'. Small uniform noise (±0.25) around "
               "the result shows a family rather than one lucky image.")
    model, _ = core.current_model()
    seed = st.number_input("Seed for the samples", 0, 10**6, 0, key="arith_seed")
    z = L.sample_z(N_SAMPLES, model.config.nz, seed=int(seed))
    images, scores = core.render(model, z)
    cols = st.columns(12)
    for i in range(N_SAMPLES):
        core.show_image(images[i], f"#{i + 1} · {core.score_caption(scores[i], model.config.loss)}", scale=2,
                        container=cols[i % 12])
    numbers = list(range(1, N_SAMPLES + 1))
    c1, c2, c3 = st.columns(3)
    group_a = c1.multiselect("A", numbers, default=[1, 2, 3], key="arith_a")
    group_b = c2.multiselect("− B", numbers, default=[4, 5, 6], key="arith_b")
    group_c = c3.multiselect("+ C", numbers, default=[7, 8, 9], key="arith_c")
    if not (group_a and group_b and group_c):
        st.info("Put at least one sample in each group.")
        return
    pick = lambda group: z[[i - 1 for i in group]]
    result, family = L.arithmetic(pick(group_a), pick(group_b), pick(group_c), n_family=8, noise=0.25, seed=int(seed))
    out, out_scores = core.render(model, torch.cat([result[None], family]))
    left, right = st.columns([1, 3])
    with left:
        st.markdown("**Result**")
        core.show_image(out[0], core.score_caption(out_scores[0], model.config.loss), scale=core.display_size(model.config))
    with right:
        st.markdown("**Family** (result + U(−0.25, 0.25) noise)")
        fam_cols = st.columns(8)
        for col, img, sc in zip(fam_cols, out[1:], out_scores[1:]):
            core.show_image(img, core.score_caption(sc, model.config.loss), scale=2, container=col)
    name = st.text_input("Name for A − B as a slider direction", "A − B", key="arith_name")
    if st.button("Add A − B to the slider page", key="arith_add"):
        st.session_state.setdefault("user_directions", []).append(L.attribute_direction(pick(group_a), pick(group_b), name))
        st.success(f"Added '{name}': find it on the Latent sliders page.")


with core.guard():
    main()
