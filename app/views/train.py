"""Train: start a DCGAN run in a background process and watch its losses and samples live."""
import re
import tempfile
import time
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import core
from app.runs import Run, all_runs

BUILTIN = ["mnist", "digits", "emoji"]


def data_source() -> str | None:
    kind = st.radio("Images", ["built-in", "upload a .zip", "folder on the server"], horizontal=True, key="train_kind")
    if kind == "built-in":
        return st.selectbox("Data set", BUILTIN, key="train_data")
    if kind == "upload a .zip":
        upload = st.file_uploader("A .zip of images (png, jpg, webp, bmp, gif)", type=["zip"], key="train_zip")
        if upload is None:
            return None
        path = Path(tempfile.gettempdir()) / "dcgan-train-uploads" / Path(upload.name).name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(upload.getvalue())
        return str(path)
    folder = st.text_input("Folder path on the server", key="train_folder")
    if folder and not Path(folder).expanduser().is_dir():
        st.error(f"No such folder: {folder}")
        return None
    return folder or None


def start_form() -> None:
    with st.expander("Start a new run", expanded=not all_runs()):
        source = data_source()
        c1, c2, c3, c4 = st.columns(4)
        size = c1.selectbox("Image size", [16, 32, 64, 128], index=1, key="train_size")
        epochs = c2.number_input("Epochs", 1, 500, 5, key="train_epochs")
        loss = c3.selectbox("Loss", ["bce", "hinge", "wgan-gp"], key="train_loss")
        batch = c4.selectbox("Batch size", [32, 64, 128], index=1, key="train_batch")
        c5, c6, c7 = st.columns(3)
        width = c5.select_slider("ngf = ndf", [16, 32, 64], value=32, key="train_width")
        nz = c6.select_slider("nz", [16, 32, 64, 100], value=100, key="train_nz")
        name = c7.text_input("Run name", f"run-{time.strftime('%H%M%S')}", key="train_name")
        if st.button("Start training", type="primary", disabled=source is None, key="train_start"):
            if not re.fullmatch(r"[\w.-]{1,60}", name):
                st.error("Run names may use letters, digits, '-', '_' and '.' only.")
                return
            run = Run(core.app_runs() / name)
            if run.folder.exists():
                st.error(f"A run called {name} exists: pick another name, or resume it below.")
                return
            run.start(["--data", source, "--image-size", str(size), "--epochs", str(epochs), "--loss", loss,
                       "--batch-size", str(batch), "--ngf", str(width), "--ndf", str(width), "--nz", str(nz)])
            st.success(f"Started {name}. It runs in the background: you can leave this page or reload it.")


def curves(rows: list[dict]) -> None:
    frame = pd.DataFrame(rows)
    fig = go.Figure()
    for col, label in (("loss_d", "D loss"), ("loss_g", "G loss"), ("d_real", "D(x)"), ("d_fake", "D(G(z))")):
        fig.add_scatter(x=frame["step"], y=frame[col], name=label, mode="lines")
    fig.update_layout(height=280, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="step", legend_orientation="h")
    st.plotly_chart(fig, key=f"curve-{len(rows)}")


@st.fragment(run_every=2)
def live(run: Run) -> None:
    running = run.running()
    rows = run.log()
    epoch = rows[-1]["epoch"] if rows else 0
    status = "running" if running else ("finished" if (run.folder / "last.pt").is_file() else "stopped")
    st.markdown(f"**{run.name}** · {status} · epoch {epoch} · {len(rows)} steps")
    left, right = st.columns([2, 1])
    with left:
        if rows:
            curves(rows)
        tail = run.output_tail()
        if tail and not running and "error" in tail:
            st.error(tail.splitlines()[-1])
    with right:
        sample = run.latest_sample()
        if sample:
            st.image(str(sample), caption=sample.stem.replace("_", " "))
    b1, b2 = st.columns(2)
    if running and b1.button("Stop", key=f"stop-{run.name}"):
        run.stop()
        st.rerun()
    if not running and (run.folder / "last.pt").is_file():
        more = b1.number_input("Train up to epoch", epoch + 1, 1000, epoch + 5, key=f"more-{run.name}")
        if b2.button("Resume", key=f"resume-{run.name}"):
            args = list(run.info.get("args", []))
            if "--epochs" in args:
                args[args.index("--epochs") + 1] = str(int(more))
            run.start(args, resume=True)
            st.rerun()


def main() -> None:
    st.title("Train")
    core.intro("Each step, D learns to tell real images from G's (its loss falls, D(x) rises), then G learns to "
               "fool the updated D (D(G(z)) rises). Healthy runs keep both in balance; D(x) near 1 with D(G(z)) "
               "near 0 for long means D is winning. Finished runs appear in the model picker.")
    start_form()
    runs = all_runs()
    if not runs:
        st.info("No runs yet.")
    for run in reversed(runs):
        with st.container(border=True):
            live(run)


with core.guard():
    main()
