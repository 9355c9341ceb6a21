"""What every page shares: the model registry and picker, cached model loading, error guard, image display.

Pages only lay out widgets and call dcgan/; conversions and maths live in the library.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
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
from dcgan.media import grid, to_uint8, upscale  # noqa: E402

BUNDLED = ROOT / "checkpoints"
DEFAULT_MODEL = BUNDLED / "mnist-32.pt"
torch.set_num_threads(max(1, torch.get_num_threads()))


@contextlib.contextmanager
def guard():
    """Run a page body; any error becomes a one-line st.error with what to do, never a traceback."""
    try:
        yield
    except DcganError as err:
        st.error(str(err))
    except Exception as err:  # the last line of defence: a user must never see a traceback
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        st.error(f"Something went wrong: {first[:300]}. Try another setting or reload the page.")


# -- models ---------------------------------------------------------------------------------------
@st.cache_resource(max_entries=8, show_spinner="Loading model…")
def load_model(path: str, mtime: float) -> dcgan.Model:
    """One shared, eval-mode Model per file version (mtime in the key reloads a retrained run)."""
    return dcgan.load(path)


def app_runs() -> Path:
    """Where runs started from the app live (DCGAN_APP_RUNS overrides it, e.g. in tests)."""
    return Path(os.environ.get("DCGAN_APP_RUNS", ROOT / "runs" / "app"))


def bundled_models() -> dict[str, Path]:
    return {f"{p.stem} (bundled)": p for p in sorted(BUNDLED.glob("*.pt")) if p.stem != "digit-classifier"}


def trained_models() -> dict[str, Path]:
    return {f"{p.parent.name} (trained here)": p for p in sorted(app_runs().glob("*/last.pt"))}


def uploaded_models() -> dict[str, Path]:
    return st.session_state.setdefault("uploaded", {})


def all_models() -> dict[str, Path]:
    return {**bundled_models(), **uploaded_models(), **trained_models()}


def save_upload(upload) -> Path:
    """Write an uploaded file to this session's temp folder, validate it with dcgan.load, register it."""
    folder = Path(st.session_state.setdefault("upload_dir", tempfile.mkdtemp(prefix="dcgan-upload-")))
    data = upload.getvalue()
    path = folder / hashlib.sha1(data).hexdigest()[:12] / Path(upload.name).name  # keeps the user's file name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    model = dcgan.load(path)  # raises a one-line CheckpointError for anything unusable
    label = f"{path.name} (uploaded, {model.config.image_size}px)"
    uploaded_models()[label] = path
    return path


def current_key() -> str:
    models = all_models()
    key = st.session_state.get("model_key")
    if key not in models:
        key = next((k for k, p in models.items() if p == DEFAULT_MODEL), next(iter(models), None))
        st.session_state["model_key"] = key
    return key


def current_model() -> tuple[dcgan.Model, str]:
    """The model picked in the sidebar, and a short id that keys caches and session state."""
    path = all_models()[current_key()]
    model = load_model(str(path), path.stat().st_mtime)
    return model, f"{path}:{path.stat().st_mtime}"


def model_picker() -> None:
    """Sidebar: choose among bundled, uploaded and trained models."""
    models = all_models()
    if not models:
        st.sidebar.error("No model found: put a checkpoint in checkpoints/ or upload one on the Model page.")
        return
    keys = list(models)
    current = current_key()
    st.sidebar.selectbox("Model", keys, index=keys.index(current), key="model_key")


# -- images ---------------------------------------------------------------------------------------
def display_size(config) -> int:
    """A nearest-neighbour factor that shows small images at a readable size."""
    return max(1, 128 // config.image_size)


def render(model: dcgan.Model, z: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """G(z) as uint8 (N, H, W, C) plus D's realness per image (NaN without D)."""
    with torch.inference_mode():
        return model.render(z)


def score_caption(score: float, loss: str) -> str:
    if np.isnan(score):
        return "no D in this file"
    return f"D(x) = {score:.3f}" if loss == "bce" else f"D score {score:.2f}"


def show_image(image: np.ndarray, caption: str = "", *, scale: int = 4, container=st) -> None:
    """A crisp (nearest-neighbour) image with a caption."""
    shown = upscale(image, scale)
    container.image(shown[..., 0] if shown.shape[-1] == 1 else shown, caption=caption, width="content", output_format="PNG")


def show_grid(images: torch.Tensor, *, nrow: int = 8, scale: int = 2) -> None:
    arr = upscale(grid(images, nrow=nrow), scale)
    st.image(arr, width="content")


def intro(text: str) -> None:
    """A short explanation of what the page shows."""
    st.caption(text)


# -- slow results ---------------------------------------------------------------------------------------
@st.cache_resource
def results() -> dict:
    """Results that cost seconds (filters, maps, probes), keyed by model id and settings, shared by sessions."""
    return {}


@st.cache_resource(max_entries=4, show_spinner="Loading the data set…")
def dataset(name: str, image_size: int, channels: int):
    from dcgan.data import load_data

    return load_data(name, image_size=image_size, channels=channels)


def model_dataset(model, *, key: str):
    """The data set a model was trained on when it is built in, else the user's choice."""
    builtin = ("mnist", "digits", "emoji")
    default = model.config.dataset if model.config.dataset in builtin else "mnist"
    name = st.selectbox("Real images from", builtin, index=builtin.index(default), key=key,
                        help="The built-in data sets; a model trained on a folder is compared with one of these.")
    return dataset(name, model.config.image_size, model.config.channels)
