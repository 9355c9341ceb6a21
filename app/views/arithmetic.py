"""Vector arithmetic (the paper's figure 7): mean(A) − mean(B) + mean(C), shown as a family of images."""
import streamlit as st
import torch

from app import core
from dcgan import latent as L

N_SAMPLES = 24
N_FAMILY = 8


def groups(model, z: torch.Tensor) -> tuple[list[int], list[int], list[int]]:
    numbers = list(range(1, N_SAMPLES + 1))
    c1, c2, c3, c4 = st.columns([3, 3, 3, 2])
    a = c1.multiselect("A", numbers, default=[1, 2, 3], key="arith_a", help="Samples that share a concept")
    b = c2.multiselect("− B", numbers, default=[4, 5, 6], key="arith_b", help="Samples without it (or with another)")
    c = c3.multiselect("+ C", numbers, default=[7, 8, 9], key="arith_c", help="Where to carry the difference A − B")
    return a, b, c


def equation(model, means, result) -> None:
    """G(mean A) − G(mean B) + G(mean C) = G(result), as images: what each averaged z looks like."""
    images, captions = core.render(model, torch.stack([*means, result]))
    cols = st.columns([2, 1, 2, 1, 2, 1, 2, 4], vertical_alignment="center")
    scale = core.display_size(model.config)
    for i, (label, op) in enumerate(zip(("mean A", "mean B", "mean C", "result"), ("−", "+", "=", ""))):
        core.show_image(images[i], f"{label} · {captions[i]}", scale=scale,
                        container=cols[2 * i])
        if op:
            cols[2 * i + 1].markdown(f"<h2 style='text-align:center'>{op}</h2>", unsafe_allow_html=True)


def main() -> None:
    st.title("Arithmetic")
    core.intro("Averaging the z of a few samples that share a concept gives a stable vector for it. "
               "mean(A) − mean(B) + mean(C) then carries the difference between A and B over to C, as in the "
               "DCGAN paper's 'smiling woman − neutral woman + neutral man'. Uniform noise around the result shows "
               "a family rather than one lucky image.")
    model, _ = core.current_model()
    c1, c2 = st.columns(2)
    seed = c1.number_input("Seed for the samples", 0, 10**6, 0, key="arith_seed")
    noise = c2.select_slider("Family noise (± per coordinate)", [0.0, 0.1, 0.25, 0.5, 1.0], value=0.25, key="arith_noise")
    z = L.sample_z(N_SAMPLES, model.config.nz, seed=int(seed), truncation=core.truncation_control())
    images, captions = core.render(model, z)
    core.show_images(images, [f"#{i + 1} · {c}" for i, c in enumerate(captions)],
                     per_row=12, scale=max(1, core.thumb_scale(model.config) // 2 + 1))
    group_a, group_b, group_c = groups(model, z)
    if not (group_a and group_b and group_c):
        st.info("Put at least one sample in each group.")
        return
    pick = lambda group: z[[i - 1 for i in group]]  # noqa: E731
    result, family = L.arithmetic(pick(group_a), pick(group_b), pick(group_c), n_family=N_FAMILY, noise=noise,
                                  seed=int(seed))
    equation(model, [pick(g).mean(0) for g in (group_a, group_b, group_c)], result)
    st.markdown(f"**Family** (result + U(−{noise}, {noise}) noise on each coordinate)")
    fam, fam_captions = core.render(model, family)
    core.show_images(fam, fam_captions, per_row=N_FAMILY,
                     scale=core.thumb_scale(model.config))
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    name = c1.text_input("Name for A − B as a slider direction", "A − B", key="arith_name")
    if c2.button("Add A − B to the slider page", key="arith_add", icon=":material/add:"):
        added = core.add_user_direction(L.attribute_direction(pick(group_a), pick(group_b), name))
        st.success(f"Added '{added}': find it on the Latent sliders page.")


with core.guard():
    main()
