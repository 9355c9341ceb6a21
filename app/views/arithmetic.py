"""Vector arithmetic (the paper's figure 7): mean(A) − mean(B) + mean(C), shown as a family of images, and checked."""
import streamlit as st
import torch

from app import core
from app import direction_cards as cards_
from dcgan import latent as L
from dcgan.arithmetic_check import check_arithmetic, example_groups
from dcgan.directions import label_samples
from dcgan.style import STYLES

N_SAMPLES = 24
N_FAMILY = 8
N_CHECK = 32  # family members the outcome is measured over
N_POOL = 400
EXAMPLE = "Worked example (groups picked by the classifier and a style measure)"
CHOOSE = "Choose the groups from samples"
STYLE_WORDS = {"ink": ("thick", "thin"), "slant": ("right-leaning", "left-leaning"), "width": ("wide", "narrow")}


@st.cache_resource(max_entries=4, show_spinner="Labelling 400 samples to pick the example's groups…")
def pool(mid: str, _model, seed: int, truncation: float | None):  # truncation: _model.G's, a key
    return label_samples(_model.G, cards_.classifier(mid, _model.config), n=N_POOL, seed=seed)


def example(model, mid: str, seed: int):
    """Groups for 'much style a − little style a + little style c', picked from a labelled pool."""
    c1, c2, c3 = st.columns(3)
    style = c1.selectbox("Attribute", STYLES, key="arith_style",
                         format_func=lambda s: f"{s} ({'/'.join(STYLE_WORDS[s])})")
    a_class = c2.selectbox("A and B: the digit", list(range(10)), index=3, key="arith_from")
    c_class = c3.selectbox("C: the digit", list(range(10)), index=7, key="arith_to")
    samples = pool(mid, model, seed, core.truncation())
    try:
        groups = example_groups(samples, style=style, a_class=a_class, c_class=c_class)
    except ValueError as err:
        st.warning(f"{err} (try another seed).", icon=":material/warning:")
        return None
    more, less = STYLE_WORDS[style]
    st.markdown(f"**{more} {a_class} − {less} {a_class} + {less} {c_class}** should give a **{more} {c_class}**: "
                f"A are the {len(groups[0])} samples the classifier calls a {a_class} (≥ 90% sure) with most {style}, "
                f"B those with least, C the {c_class}s with least, out of {N_POOL} samples.")
    images, captions = core.render(model, samples.z[sum(groups, [])])
    for g, (name, col) in enumerate(zip("ABC", st.columns(3))):  # each group 2 x 2: room to read
        with col:
            core.show_images(images[4 * g:4 * g + 4], [f"{name} · {c}" for c in captions[4 * g:4 * g + 4]], per_row=2,
                             scale=max(1, core.thumb_scale(model.config) // 2 + 1), room=1 / 3)
    return [samples.z[g] for g in groups]


def chosen(model, seed: int, *, c_given: bool = False):
    """Groups picked by hand from a seeded grid of samples (C may come from the Invert page instead)."""
    z = L.sample_z(N_SAMPLES, model.config.nz, seed=int(seed))  # truncation is in model.G (main)
    images, captions = core.render(model, z)
    core.show_images(images, [f"#{i + 1} · {c}" for i, c in enumerate(captions)],
                     per_row=8, scale=max(1, core.thumb_scale(model.config) // 2 + 1))
    numbers = list(range(1, N_SAMPLES + 1))
    c1, c2, c3 = st.columns(3)
    a = c1.multiselect("A", numbers, key="arith_a", help="Samples that share a concept (same digit, one style)")
    b = c2.multiselect("− B", numbers, key="arith_b",
                       help="The same digit without that style: A − B is then the style alone")
    c = c3.multiselect("+ C", numbers, key="arith_c",
                       help="Another digit, with B's style: the result should be C with A's")
    st.caption("What works: A and B the same digit, differing in one thing (thickness, slant, width); C a different "
               "digit that looks like B. Groups with nothing in common give an arbitrary digit.")
    if not (a and b and (c or c_given)):
        st.info("Put at least one sample in each group.")
        return None
    return [z[[i - 1 for i in g]] for g in (a, b, c or [1])]


def sent_c(model) -> torch.Tensor | None:
    """The z sent from the Invert page as C (1, nz), if there is one for this model and the user keeps it."""
    inverted = st.session_state.get("arith_inverted")
    if inverted is None or inverted.shape[0] != model.config.nz:
        return None
    if not st.checkbox("C = the image sent from the Invert page", value=True, key="arith_use_inverted"):
        return None
    return torch.from_numpy(inverted)[None]


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


def outcome(model, mid: str, groups, noise: float, seed: int) -> None:
    """How often the result keeps C's class and takes A − B's attribute, against mean(C) + the same noise."""
    clf = cards_.classifier(mid, model.config)
    sd = {k: float(v.std()) for k, v in pool(mid, model, 0,
                                             core.truncation()).style.items()} if clf is not None else None
    if sd is None:
        st.caption("The outcome is measured only for digit models (it needs the digit classifier).")
        return
    o = check_arithmetic(model.G, clf, *groups, style_sd=sd, n_family=N_CHECK, noise=noise, seed=seed)
    kept = (f"**{100 * o.keeps_class:.0f}%** are {o.c_class}s like C "
            f"(mean(C) + the same noise: {100 * o.baseline_keeps_class:.0f}%)")
    sign = "more" if o.style_gap >= 0 else "less"
    took = (f"**{100 * o.takes_style:.0f}%** have {sign} {o.style} than their C-only twin "
            f"(A − B differs most in {o.style}: {o.style_gap:+.1f} sd; 50% is chance)")
    st.markdown(f"**Over {N_CHECK} family members:** {kept}; {took}.")
    if abs(o.style_gap) < 0.5:
        st.warning("A and B barely differ in ink, slant or width: A − B carries little style. "
                   "Pick A and B of one digit "
                   "that differ in one attribute.", icon=":material/lightbulb:")


def main() -> None:
    st.title("Arithmetic")
    core.intro("Averaging the z of a few samples that share a concept gives a stable vector for it. "
               "mean(A) − mean(B) + mean(C) then carries the difference between A and B over to C, as in the "
               "DCGAN paper's 'smiling woman − neutral woman + neutral man'. It works when A and B differ in one "
               "attribute and C shares B's value of it; the measurements below say how often it did. Uniform noise "
               "around the result shows a family rather than one lucky image.")
    model, mid = core.current_model()
    model = core.truncated_model(model)  # the sidebar's truncation, for the example, the samples and the results
    digits = cards_.classifier(mid, model.config) is not None
    c1, c2, c3 = st.columns([3, 1, 2])
    mode = c1.radio("Groups", [EXAMPLE, CHOOSE] if digits else [CHOOSE], key="arith_mode", horizontal=True)
    seed = int(c2.number_input("Seed for the samples", 0, 10**6, 0, key="arith_seed"))
    noise = c3.select_slider("Family noise (± per coordinate)", [0.0, 0.1, 0.25, 0.5, 1.0], value=0.25,
                             key="arith_noise")
    c_z = sent_c(model)
    groups = example(model, mid, seed) if mode == EXAMPLE else chosen(model, seed, c_given=c_z is not None)
    if groups is None:
        return
    if c_z is not None:
        groups = [groups[0], groups[1], c_z]
    result, family = L.arithmetic(*groups, n_family=N_FAMILY, noise=noise, seed=seed)
    equation(model, [g.mean(0) for g in groups], result)
    st.markdown(f"**Family** (result + U(−{noise}, {noise}) noise on each coordinate)")
    fam, fam_captions = core.render(model, family)
    core.show_images(fam, fam_captions, per_row=N_FAMILY,
                     scale=core.thumb_scale(model.config))
    outcome(model, mid, groups, noise, seed)
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    name = c1.text_input("Name for A − B as a slider direction", "A − B", key="arith_name")
    if c2.button("Add A − B to the slider page", key="arith_add", icon=":material/add:"):
        added = core.add_user_direction(L.attribute_direction(groups[0], groups[1], name))
        st.success(f"Added '{added}': find it on the Latent sliders page, with its report card.")


with core.guard():
    main()
