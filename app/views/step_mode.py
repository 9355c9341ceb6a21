"""Train one step at a time (GAN Lab's slow motion), a section of the Train page: D steps, G steps, and after
each the landscape of a fixed plane, a fixed sample grid and the losses redraw. It works on a copy: the file
is never written."""
import contextlib
import json
import time

import plotly.graph_objects as go
import streamlit as st
import torch

from app import core
from app.runs import NAME
from dcgan import landscape as LS
from dcgan.data import BUILTIN, load_data
from dcgan.invert import busy_machine_threads
from dcgan.landscape_plot import landscape_figure
from dcgan.step_mode import StepMode

GRID = 15  # landscape points per side in step mode: a redraw in about a second on a 2-core CPU
PLAY_STEPS = 10


def _state_key(path) -> str:
    return f"step_mode:{path}"


def start(models: dict) -> None:
    c1, c2, c3 = st.columns([3, 2, 1], vertical_alignment="bottom")
    names = list(models)
    current = next((n for n, p in models.items() if str(p) == str(core.current_path())), names[0])
    name = c1.selectbox("Start from", names, index=names.index(current), key="step_model")
    plane_kind = c2.selectbox("Landscape plane", ["sefa", "pca", "keyframes"], key="step_plane")
    if c3.button("Start stepping", key="step_start", icon=":material/play_circle:"):
        path = models[name]
        model = core.load_model(str(path), path.stat().st_mtime)
        if model.config.dataset not in BUILTIN:
            raise core.DcganError(f"step mode draws its batches from a built-in data set; this model was trained on "
                                  f"{model.config.dataset!r}")
        data = load_data(model.config.dataset, image_size=model.config.image_size, channels=model.config.channels)
        steps = StepMode(model, data)
        st.session_state["step_mode"] = {"steps": steps, "path": str(path), "name": name,
                                         "plane": LS.plane_for(model, plane_kind, seed=0)}


def buttons(steps: StepMode) -> str | None:
    cols = st.columns(5)
    labels = [("D", "One D step"), ("G", "One G step"), ("DG", "One of each"), ("play", f"Play slowly ({PLAY_STEPS})")]
    pressed = [what for col, (what, label) in zip(cols, labels) if col.button(label, key=f"step_{what}")]
    return pressed[0] if pressed else None  # every button drawn, whichever was pressed


def do(steps: StepMode, what: str) -> None:
    {"D": steps.d_step, "G": steps.g_step, "DG": steps.both}[what]()


def losses_chart(steps: StepMode):
    fig = go.Figure()
    for kind, colour in (("D", core.D_COLOUR), ("G", core.G_COLOUR)):
        rows = [s for s in steps.history if s.kind == kind]
        fig.add_trace(go.Scatter(x=[s.step for s in rows], y=[s.loss_before for s in rows], mode="lines+markers",
                                 name=f"{kind} loss (its batch, before the step)", line={"color": colour}))
    rows = steps.history
    fig.add_trace(go.Scatter(x=[s.step for s in rows], y=[s.gap_after for s in rows], mode="lines", name="D's logit "
                             "gap real − fake (after)", line={"color": "grey", "dash": "dot"}))
    fig.update_layout(height=300, margin={"l": 10, "r": 10, "t": 10, "b": 10}, xaxis_title="step",
                      legend={"orientation": "h", "y": -0.25})
    return fig


def redraw(steps: StepMode, plane, box) -> None:
    """Landscape, fixed samples and losses of the stepped model, into `box` (an st.empty)."""
    model = steps.current()
    land = LS.landscape(model, plane, grid=GRID)
    images, verdicts = model.render(steps.fixed_z)
    with box.container():
        left, right = st.columns([3, 2])
        left.plotly_chart(landscape_figure(land, height=480), key=f"step_land_{steps.steps}_{time.time_ns()}")
        with right:
            cols = st.columns(4)
            for i, (img, v) in enumerate(zip(images, verdicts)):
                core.show_image(img, f"{v:.2f}", scale=2, container=cols[i % 4])
            st.caption("The same 16 z after every step; captions: the verdict.")
        st.plotly_chart(losses_chart(steps), key=f"step_loss_{steps.steps}_{time.time_ns()}")
        last = steps.history[-1] if steps.history else None
        st.caption((f"Step {last.step} ({last.kind}): loss {last.loss_before:.3f} → {last.loss_after:.3f} on its own "
                    f"batch; D's logit gap real − fake {last.gap_before:.2f} → {last.gap_after:.2f}. " if last else "")
                   + f"The verdict is refitted on {steps.n_verdict} fixed real images whenever D has changed.")


def save(steps: StepMode, source: str) -> None:
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    name = c1.text_input("Save as a new run", f"stepped-{steps.steps}", key="step_save_name")
    if not c2.button("Save", key="step_save", icon=":material/save:", disabled=not steps.steps):
        return
    folder = core.app_runs() / name
    if not NAME.fullmatch(name) or folder.exists():
        st.error("Pick a new run name: 1 to 60 letters, digits, '-' and '_'.", icon=":material/error:")
        return
    folder.mkdir(parents=True)
    steps.save(folder / "last.pt", source=source)
    args = [a for k, v in steps.train_config().to_dict().items() if k in ("data", "image_size", "nz", "ngf", "ndf",
            "loss", "batch_size", "epochs") for a in (f"--{k.replace('_', '-')}", str(v))]
    (folder / "run.json").write_text(json.dumps({"args": args, "owner": core.session_owner(),
                                                 "stepped_from": source}))
    st.success(f"Saved {name}: pick it in the sidebar, or resume training it below.")


@contextlib.contextmanager
def busy_threads():
    """One torch thread while stepping on a loaded machine, then torch's count as it was: at load 12 a D step plus
    redraw took 6.1 s with one thread, 11.3 s with two. Verdicts and landscapes are bit-identical either way
    (checked); a step's weight gradients may round differently, as they do across machines."""
    before = torch.get_num_threads()
    busy_machine_threads()
    try:
        yield
    finally:
        torch.set_num_threads(before)


def section() -> None:
    """The step-by-step section of the Train page."""
    st.markdown("Start from any checkpoint (the bundled ones too: they are copied, never written). Each D step "
                "pushes D's verdict up on real images and down on G's; each G step moves G's samples along D's "
                "arrows. Watch the landscape shift and the samples move.")
    start({**core.bundled_models(), **core.trained_models()})
    session = st.session_state.get("step_mode")
    if not session:
        return
    steps = session["steps"]
    st.markdown(f"**{session['name']}** (a copy), batches of {steps.batch_size} from {steps.data.name}; the "
                f"landscape's plane stays fixed.")
    what = buttons(steps)
    box = st.empty()
    with busy_threads():
        step_and_redraw(steps, session["plane"], box, what)
    save(steps, session["path"])


def step_and_redraw(steps: StepMode, plane, box, what: str | None) -> None:
    """The pressed button's steps, each followed by a redraw (or just the redraw, when none was pressed)."""
    if what == "play":
        for _ in range(PLAY_STEPS):
            do(steps, "DG")
            redraw(steps, plane, box)
    else:
        t = time.perf_counter()
        if what:
            do(steps, what)
        redraw(steps, plane, box)
        if what:
            st.caption(f"That step and its redraw took {time.perf_counter() - t:.2f} s.")
