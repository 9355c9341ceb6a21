"""What every page shares: the model registry and picker, cached model loading, error guard, image display.

Pages only lay out widgets and call dcgan/; conversions and maths live in the library.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np
import streamlit as st
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `streamlit run app/main.py` from anywhere finds the dcgan package

import dcgan  # noqa: E402
from dcgan.checkpoint import describe  # noqa: E402,F401  (pages show it)
from dcgan.errors import DcganError  # noqa: E402
from dcgan.media import to_uint8, upscale  # noqa: E402,F401  (re-exported to the pages)

BUNDLED = ROOT / "checkpoints"
DEFAULT_MODEL = BUNDLED / "mnist-32.pt"
NOT_MODELS = {"digit-classifier"}  # bundled files that are not GANs
D_COLOUR, G_COLOUR = "#1c7ed6", "#ff8700"  # D and G in every chart: apart in light and dark themes


@contextlib.contextmanager
def guard():
    """Run a page body; any error becomes a one-line st.error with what to do, never a traceback.

    Streamlit's own control flow (st.rerun, st.stop) derives from BaseException and passes through.
    """
    try:
        yield
    except DcganError as err:
        st.error(str(err), icon=":material/error:")
    except Exception as err:  # the last line of defence: a user must never see a traceback
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        st.error(f"Something went wrong: {first[:300]}. Try another setting or reload the page.", icon=":material/error:")


def guarded(fn):
    """guard() for a function: fragments rerun on their own, outside the page body's guard."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with guard():
            return fn(*args, **kwargs)
    return wrapper


# -- models ---------------------------------------------------------------------------------------
@st.cache_resource(max_entries=8, show_spinner="Loading model…")
def load_model(path: str, mtime: float) -> dcgan.Model:
    """One shared, eval-mode Model per file version (mtime in the key reloads a retrained run)."""
    return dcgan.load(path)


def app_runs() -> Path:
    """Where runs started from the app live (DCGAN_APP_RUNS overrides it, e.g. in tests)."""
    return Path(os.environ.get("DCGAN_APP_RUNS", ROOT / "runs" / "app"))


def bundled_models() -> dict[str, Path]:
    return {f"{p.stem} (bundled)": p for p in sorted(BUNDLED.glob("*.pt")) if p.stem not in NOT_MODELS}


def trained_models() -> dict[str, Path]:
    return {f"{p.parent.name} (trained here)": p for p in sorted(app_runs().glob("*/last.pt"))}


def uploaded_models() -> dict[str, Path]:
    return st.session_state.setdefault("uploaded", {})


def all_models() -> dict[str, Path]:
    return {**bundled_models(), **uploaded_models(), **trained_models()}


def save_uploads(files) -> tuple[list[str], list[str]]:
    """Write uploaded files side by side in this session's temp folder, validate each with dcgan.load.

    Side by side, so a pytorch/examples netD_epoch_N.pth uploaded with its netG_epoch_N.pth is
    loaded as that generator's discriminator. Returns (labels of models added, one-line errors).
    """
    root = Path(st.session_state.setdefault("upload_dir", tempfile.mkdtemp(prefix="dcgan-upload-")))
    folder = root / hashlib.sha1(b"".join(f.file_id.encode() for f in files)).hexdigest()[:12]
    folder.mkdir(exist_ok=True)
    paths = []
    for f in files:
        path = folder / Path(f.name).name  # keeps the user's file name (netG_epoch_N.pth matters)
        path.write_bytes(f.getvalue())
        paths.append(path)
    names = {p.name for p in paths}
    added, errors = [], []
    for path in paths:
        if "netD" in path.name and path.name.replace("netD", "netG") in names:
            continue  # loaded with its generator
        try:
            model = dcgan.load(path)  # raises a one-line CheckpointError for anything unusable
        except DcganError as err:
            errors.append(f"Could not load {path.name}: {err}")
            continue
        label = f"{path.name} (uploaded, {model.config.image_size}px{'' if model.D is not None else ', G only'})"
        uploaded_models()[label] = path
        added.append(label)
    return added, errors


def current_key() -> str | None:
    models = all_models()
    key = st.session_state.get("model_key")
    if key not in models:
        key = next((k for k, p in models.items() if p == DEFAULT_MODEL), next(iter(models), None))
        st.session_state["model_key"] = key
    return key


def current_path() -> Path:
    key = current_key()
    if key is None:
        raise DcganError("No model found: put a checkpoint in checkpoints/ or upload one on the Model page.")
    return all_models()[key]


def current_model() -> tuple[dcgan.Model, str]:
    """The model picked in the sidebar, and a short id that keys caches and session state."""
    path = current_path()
    mtime = path.stat().st_mtime
    return load_model(str(path), mtime), f"{path}:{mtime}"


def card_title(path: Path) -> str | None:
    """The one-line description from a model card's first heading ('# name: description')."""
    card = path.with_suffix(".md")
    if not card.is_file():
        return None
    first = card.read_text().splitlines()[0].lstrip("# ").strip()
    return first.split(":", 1)[-1].strip() or None


def model_picker() -> None:
    """Sidebar: choose among bundled, uploaded and trained models."""
    models = all_models()
    if not models:
        st.sidebar.error("No model found: put a checkpoint in checkpoints/ or upload one on the Model page.")
        return
    current_key()  # puts a valid choice in session state, which sets the widget's value
    st.sidebar.selectbox("Model", list(models), key="model_key",
                         help="Bundled models, files you uploaded on the Model page (this browser session only), "
                              "and runs trained on the Train page.")
    title = card_title(models[st.session_state["model_key"]])
    if title:
        st.sidebar.caption(title)


# -- images ---------------------------------------------------------------------------------------
def display_size(config) -> int:
    """A nearest-neighbour factor that shows small images at a readable size (128 px)."""
    return max(1, 128 // config.image_size)


def thumb_scale(config) -> int:
    """The factor for thumbnails in grids and strips (64 px)."""
    return max(1, 64 // config.image_size)


def render(model: dcgan.Model, z: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """G(z) as uint8 (N, H, W, C) plus D's realness per image (NaN without D)."""
    with torch.inference_mode():
        return model.render(z)


def score_caption(score: float, loss: str) -> str:
    """D's verdict as a short caption: the probability of 'real' for BCE models, the raw score otherwise."""
    if np.isnan(score):
        return "no D in this file"
    return f"D(x) = {score:.3f}" if loss == "bce" else f"D score {score:.2f}"


def show_image(image: np.ndarray, caption: str = "", *, scale: int = 4, container=st) -> None:
    """A crisp (nearest-neighbour) image with a caption."""
    shown = upscale(image, scale)
    container.image(shown[..., 0] if shown.shape[-1] == 1 else shown, caption=caption, width="content",
                    output_format="PNG")


def show_images(images: np.ndarray, captions: list[str], *, per_row: int, scale: int) -> list:
    """Images in rows of `per_row` columns, a caption under each; returns the column of each image."""
    cols = []
    for start in range(0, len(images), per_row):
        row = st.columns(per_row)
        for j, i in enumerate(range(start, min(start + per_row, len(images)))):
            show_image(images[i], captions[i], scale=scale, container=row[j])
            cols.append(row[j])
    return cols


def intro(text: str) -> None:
    """A short explanation of what the page shows."""
    st.caption(text)


def show_markdown_with_images(text: str, base: Path) -> None:
    """Markdown whose image links are relative files (a model card): the images are shown with st.image."""
    parts = re.split(r"!\[([^\]]*)\]\(([^)]+)\)", text)
    for i in range(0, len(parts), 3):
        if parts[i].strip():
            st.markdown(parts[i])
        if i + 2 < len(parts):
            image = (base / parts[i + 2]).resolve()
            if image.is_file():
                st.image(str(image), caption=parts[i + 1] or None)


def training_curves(history: dict | list[dict], *, height: int = 400, key: str | None = None) -> None:
    """Losses (top) and D's mean output on real and generated images (bottom), per step, lightly smoothed."""
    import pandas as pd
    from plotly.subplots import make_subplots

    frame = pd.DataFrame(history)
    window = max(1, len(frame) // 150)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06)
    series = (("loss_d", "D loss", 1, D_COLOUR), ("loss_g", "G loss", 1, G_COLOUR),
              ("d_real", "D(x), real", 2, D_COLOUR), ("d_fake", "D(G(z)), generated", 2, G_COLOUR))
    for col, name, row, colour in series:
        if col in frame:
            fig.add_scatter(x=frame["step"], y=frame[col].rolling(window, min_periods=1).mean(), name=name,
                            mode="lines", line=dict(color=colour, width=1.5, dash="solid" if row == 1 else "dot"),
                            row=row, col=1)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), hovermode="x unified",
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    fig.update_yaxes(title_text="loss", row=1, col=1)
    fig.update_yaxes(title_text="D output", row=2, col=1)
    fig.update_xaxes(title_text="step", row=2, col=1)
    st.plotly_chart(fig, key=key)


# -- latent vectors shared between pages ------------------------------------------------------------
def z_key(mid: str) -> str:
    """Session-state key of the slider page's starting z for one model."""
    return f"z0:{mid}"


def reset_sliders() -> None:
    for key in list(st.session_state):
        if str(key).startswith("slider:"):
            st.session_state[key] = 0.0


def set_slider_start(mid: str, z) -> None:
    """Make z the slider page's starting point (sliders back at 0). Safe in widget callbacks."""
    st.session_state[z_key(mid)] = np.asarray(z, dtype=np.float32).reshape(-1)
    reset_sliders()


# -- slow results ---------------------------------------------------------------------------------------
@st.cache_resource
def results() -> dict:
    """Results that cost seconds (filters, maps, probes), keyed by model id and settings, shared by sessions."""
    return {}


@st.cache_resource(max_entries=4, show_spinner="Loading the data set…")
def dataset(name: str, image_size: int, channels: int):
    from dcgan.data import load_data

    return load_data(name, image_size=image_size, channels=channels)


def dataset_choice(model, *, key: str, container=st) -> str:
    """The user's choice of built-in real-image set (default: the model's own); nothing is loaded yet."""
    from dcgan.channel_report import BUILTIN_SETS, default_real_set

    return container.selectbox("Real images from", BUILTIN_SETS, index=BUILTIN_SETS.index(default_real_set(model.config)),
                               key=key, help="The built-in data sets; a model trained on a folder is compared with one of these.")


def model_dataset(model, *, key: str, container=st):
    """The data set a model was trained on when it is built in, else the user's choice."""
    return dataset(dataset_choice(model, key=key, container=container), model.config.image_size, model.config.channels)


@st.cache_resource(max_entries=4, show_spinner="Loading the real images…")
def real_pool(name: str, image_size: int, channels: int):
    """A fixed random subset of a built-in set, loaded once per process (see dcgan.channel_report.real_pool)."""
    from dcgan.channel_report import real_pool as pool

    return pool(dataset(name, image_size, channels))


def add_user_direction(direction) -> str:
    """Keep a user-made direction for the slider page (this session); returns its name, made unique."""
    import dataclasses

    kept = st.session_state.setdefault("user_directions", [])
    names, name, n = {d.name for d in kept}, direction.name.strip() or "direction", 2
    while name in names:
        name, n = f"{direction.name} ({n})", n + 1
    kept.append(dataclasses.replace(direction, name=name))
    return name
