"""What every page shares: the model registry and picker, cached model loading, error guard, image display.

Pages only lay out widgets and call dcgan/; conversions and maths live in the library.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import secrets
import shutil
import weakref
from pathlib import Path

import numpy as np
import streamlit as st
import torch

import dcgan
import dcgan.latent
from app import frontend  # what both front ends share: caches, error lines, scale factors
from dcgan.checkpoint import describe  # noqa: F401  (pages show it)
from dcgan.data import BUILTIN, data_mismatch, model_default_data
from dcgan.errors import DcganError
from dcgan.media import to_uint8, upscale  # noqa: F401  (re-exported to the pages)
from dcgan.readings import VERDICT_HELP, DigitReader, image_captions, verdict_caption  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]

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
        st.error(frontend.one_line(err, limit=1000), icon=":material/error:")
    except Exception as err:  # the last line of defence: a user must never see a traceback; the server log gets it
        st.error(frontend.unexpected(err), icon=":material/error:")


def guarded(fn):
    """guard() for a function: fragments rerun on their own, outside the page body's guard."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with guard():
            return fn(*args, **kwargs)
    return wrapper


# -- models ---------------------------------------------------------------------------------------
def load_model(path: str, mtime: float | None = None) -> dcgan.Model:
    """One shared, eval-mode Model per file version (path, mtime, size): the Gradio app's cache too."""
    with st.spinner("Loading model…"):
        return frontend.model_at(path)


def app_runs() -> Path:
    """Where runs started from the app live (DCGAN_APP_RUNS overrides it, e.g. in tests)."""
    return Path(os.environ.get("DCGAN_APP_RUNS", ROOT / "runs" / "app"))


def bundled_models() -> dict[str, Path]:
    return {f"{p.stem} (bundled)": p for p in sorted(BUNDLED.glob("*.pt")) if p.stem not in NOT_MODELS}


def trained_models() -> dict[str, Path]:
    """This session's runs and the runs the operator publishes (see app.runs), not everyone's."""
    from app.runs import visible_runs

    runs = visible_runs(session_owner())
    return {f"{r.name} (trained here)": r.folder / "last.pt" for r in runs if (r.folder / "last.pt").is_file()}


# -- sessions -------------------------------------------------------------------------------------
MAX_SESSION_UPLOADS = 4  # upload batches a session keeps; older ones are deleted, files and picker entries


def setting(name: str, default: str | None = None) -> str | None:
    """An operator setting: the environment variable `name`, else the Streamlit secret of that name."""
    if name in os.environ:
        return os.environ[name]
    try:
        return str(st.secrets[name]) if name in st.secrets else default
    except Exception:  # no secrets.toml: Streamlit raises rather than returning nothing
        return default


class _SessionDir:
    """A temporary folder that lives as long as the browser session whose state holds it."""

    def __init__(self):
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        from app import sessions

        ctx = get_script_run_ctx()
        self.path = sessions.new_folder(ctx.session_id if ctx else "")
        weakref.finalize(self, shutil.rmtree, str(self.path), ignore_errors=True)  # also at server exit


def session_dir() -> Path:
    """This session's temp folder (uploads, a training zip): made once, removed by app.sessions' sweeper once the
    session has been closed for server.disconnectedSessionTTL seconds (or when Python collects the session)."""
    from app import sessions

    sessions.start_sweeper()
    holder = st.session_state.get("_session_dir")
    if holder is None or not holder.path.is_dir():  # none yet, or swept while the tab was away
        holder = st.session_state["_session_dir"] = _SessionDir()
    return holder.path


def session_owner() -> str:
    """A random token naming this browser session as the owner of the runs it starts.

    It rides in the Train page's URL (?owner=...) so a refresh keeps the session's runs; whoever has that URL
    shares them, and nobody else can see or stop them.
    """
    token = st.session_state.get("_owner")
    if token is None:
        given = st.query_params.get("owner", "")
        token = given if re.fullmatch(r"[0-9a-f]{32}", given) else secrets.token_hex(16)
        st.session_state["_owner"] = token
    return token


def _forget_old_uploads(root: Path) -> None:
    """Keep the newest MAX_SESSION_UPLOADS upload folders; delete the rest and their picker entries."""
    folders = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in folders[:max(0, len(folders) - MAX_SESSION_UPLOADS)]:
        shutil.rmtree(old, ignore_errors=True)
    kept = uploaded_models()
    for label in [k for k, p in kept.items() if not p.is_file()]:
        del kept[label]


def uploaded_models() -> dict[str, Path]:
    kept = st.session_state.setdefault("uploaded", {})
    for label in [k for k, p in kept.items() if not p.is_file()]:  # swept with a closed session's folder
        del kept[label]
    return kept


def all_models() -> dict[str, Path]:
    return {**bundled_models(), **uploaded_models(), **trained_models()}


def save_uploads(files) -> tuple[list[str], list[str]]:
    """Write uploaded files side by side in this session's temp folder, validate each with dcgan.load.

    Side by side, so a pytorch/examples netD_epoch_N.pth uploaded with its netG_epoch_N.pth is
    loaded as that generator's discriminator. Returns (labels of models added, one-line errors).
    """
    root = session_dir() / "uploads"
    folder = root / hashlib.sha1(b"".join(f.file_id.encode() for f in files)).hexdigest()[:12]
    folder.mkdir(parents=True, exist_ok=True)
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
            errors.append(frontend.load_failed(path.name, err))
            continue
        label = f"{path.name} (uploaded, {model.config.image_size}px{'' if model.D is not None else ', G only'})"
        uploaded_models()[label] = path
        added.append(label)
    if not added:
        shutil.rmtree(folder, ignore_errors=True)  # nothing usable in it: keep nothing
    _forget_old_uploads(root)
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
display_size = frontend.display_scale  # a nearest-neighbour factor that shows an image at about 128 px
thumb_scale = frontend.thumb_scale  # the factor for thumbnails in grids and strips (about 64 px)


def render(model: dcgan.Model, z: torch.Tensor) -> tuple[np.ndarray, list[str]]:
    """G(z) as uint8 (N, H, W, C) plus each image's caption: the verdict, and the digit reading where it applies."""
    images, captions, _ = render_with_readings(model, z)
    return images, captions


def render_with_readings(model: dcgan.Model, z: torch.Tensor):
    """render(), plus the digit readings behind the captions (None for non-digit models), computed once."""
    reader = digit_reader(model)
    with torch.inference_mode():
        images = dcgan.latent.generate(model.G, z)
        readings = reader.read(images) if reader is not None else None
        return to_uint8(images), image_captions(model, images, readings), readings


def digit_reader(model) -> DigitReader | None:
    """The second reading for a digit model (classifier + nearest training image), None for other models."""
    with st.spinner("Calibrating the digit reading…"):
        return frontend.digit_reader(model)


MAIN_PX, GAP_PX = 900, 16  # the wide layout's main column on a 1400 px window, and the gap between st.columns


def show_image(image: np.ndarray, caption: str = "", *, scale: int = 4, container=st, width: int | None = None) -> None:
    """A crisp (nearest-neighbour) image with a caption; `width`: the caption's room in px (default: the image's)."""
    shown = upscale(image, scale)
    caption = frontend.keep_phrases(caption, width or shown.shape[1])  # lines break between phrases, not inside
    container.image(shown[..., 0] if shown.shape[-1] == 1 else shown, caption=caption, width="content",
                    output_format="PNG")


def show_images(images: np.ndarray, captions: list[str], *, per_row: int, scale: int, room: float = 1.0) -> list:
    """Images in rows of `per_row` columns, a caption under each; returns the column of each image.

    `room`: the share of the page's width the grid has (1/3 inside one of three columns)."""
    cols, width = [], int(MAIN_PX * room - GAP_PX * (per_row - 1)) // per_row  # a caption's room: its column
    for start in range(0, len(images), per_row):
        row = st.columns(per_row)
        for j, i in enumerate(range(start, min(start + per_row, len(images)))):
            show_image(images[i], captions[i], scale=scale, container=row[j], width=width)
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


def training_curves(history: dict | list[dict], *, verdicts: list[dict] | None = None, height: int = 460,
                    key: str | None = None) -> None:
    """Losses, D's mean output on each training batch, and (when known) the per-image verdict of the fixed-z
    samples by epoch: the one curve on the same scale as the realness under the images.

    The middle panel is D in train mode on all-real or all-fake batches (BatchNorm uses the batch's own
    statistics), which is why it differs from the per-image verdict; the caption says so.
    """
    import pandas as pd
    from plotly.subplots import make_subplots

    frame = pd.DataFrame(history)
    window = max(1, len(frame) // 150)
    rows = 3 if verdicts else 2
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.06)
    series = (("loss_d", "D loss", 1, D_COLOUR), ("loss_g", "G loss", 1, G_COLOUR),
              ("d_real", "D(x), real batches", 2, D_COLOUR), ("d_fake", "D(G(z)), generated batches", 2, G_COLOUR))
    for col, name, row, colour in series:
        if col in frame:
            fig.add_scatter(x=frame["step"], y=frame[col].rolling(window, min_periods=1).mean(), name=name,
                            mode="lines", line=dict(color=colour, width=1.5, dash="solid" if row == 1 else "dot"),
                            row=row, col=1)
    if verdicts:
        fig.add_scatter(x=[v["step"] for v in verdicts], y=[v["realness_generated"] for v in verdicts],
                        name="realness of the fixed-z samples (per image)", mode="lines+markers",
                        line=dict(color=G_COLOUR, width=2), row=3, col=1)
        fig.update_yaxes(title_text="realness", range=[0, 1], row=3, col=1)
    fig.update_layout(height=height + (140 if verdicts else 0), margin=dict(l=10, r=10, t=40, b=10),
                      hovermode="x unified", legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    fig.update_yaxes(title_text="loss", row=1, col=1)
    fig.update_yaxes(title_text="D, batch mean", row=2, col=1)
    fig.update_xaxes(title_text="step", row=rows, col=1)
    st.plotly_chart(fig, key=key)
    st.caption("Middle: D's mean output on whole training batches, all real or all generated, with BatchNorm using "
               "each batch's own statistics (train mode). One image alone is judged differently, so these values are "
               "not the realness under the images."
               + (" Bottom: the realness of the 64 fixed-z samples at the end of each epoch, judged as the captions "
                  "judge an image (per image, eval mode, a percentile among real images)." if verdicts else ""))


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
def results() -> frontend.ResultCache:
    """Results that cost seconds (filters, maps, probes), keyed by model id and settings, shared by sessions;
    bounded by entries and bytes (the least recently used go first)."""
    return frontend.ResultCache()


def dataset(name: str, image_size: int, channels: int):
    """A built-in data set, loaded once per process (frontend.dataset, shared with the Gradio app)."""
    with st.spinner("Loading the data set…"):
        return frontend.dataset(name, image_size, channels)


def dataset_choice(model, *, key: str, container=st) -> str:
    """The 'Real images from' picker (nothing is loaded yet): it moves to the model's own data set whenever the
    model changes, and warns when the chosen data is not the model's."""
    owner = f"{key}:model"
    if st.session_state.get(owner) != st.session_state.get("model_key") or st.session_state.get(key) not in BUILTIN:
        st.session_state[key] = model_default_data(model.config)
        st.session_state[owner] = st.session_state.get("model_key")
    name = container.selectbox("Real images from", BUILTIN, key=key,
                               help="The built-in data sets; it follows the model you pick. A model trained on a "
                                    "folder is compared with one of these.")
    warning = data_mismatch(model.config, name)
    if warning:
        container.warning(warning, icon=":material/warning:")
    return name


def model_dataset(model, *, key: str, container=st):
    """The chosen real-image set, loaded at the model's size and channels (see dataset_choice)."""
    return dataset(dataset_choice(model, key=key, container=container), model.config.image_size, model.config.channels)


def real_pool(name: str, image_size: int, channels: int):
    """A fixed random subset of a built-in set, loaded once per process (see dcgan.channel_report.real_pool)."""
    with st.spinner("Loading the real images…"):
        return frontend.real_pool(name, image_size, channels)


def add_user_direction(direction) -> str:
    """Keep a user-made direction for the slider page (this session); returns its name, made unique."""
    import dataclasses

    kept = st.session_state.setdefault("user_directions", [])
    names, name, n = {d.name for d in kept}, direction.name.strip() or "direction", 2
    while name in names:
        name, n = f"{direction.name} ({n})", n + 1
    kept.append(dataclasses.replace(direction, name=name))
    return name


# -- truncation (issue 15): one control, shown in the sidebar of every page that draws samples ---------------------
TRUNCATIONS = frontend.TRUNCATIONS


def _keep_truncation() -> None:
    st.session_state["truncation"] = st.session_state["_truncation"]


def truncation_control() -> float | None:
    """Draw the sidebar's truncation slider (once per run; later calls only read it) and return its value.

    The choice lives in a plain session key, so it survives pages that do not draw the widget."""
    state = st.session_state
    state.setdefault("truncation", "none")
    try:
        state["_truncation"] = state["truncation"]
        st.sidebar.select_slider(
            "Truncation", TRUNCATIONS, key="_truncation", on_change=_keep_truncation,
            help=frontend.TRUNCATION_HELP + " Applies to every sample, slider, walk and arithmetic result drawn.")
    except st.errors.StreamlitAPIException:  # already drawn in this run
        pass
    return truncation()


def truncation() -> float | None:
    """The truncation chosen in the sidebar (None = none)."""
    return frontend.truncation_value(st.session_state.get("truncation", "none"))


def truncated_model(model: dcgan.Model) -> dcgan.Model:
    """`model` with G truncated at the sidebar's T (dcgan.truncation), drawing the control; itself for none."""
    return frontend.truncated_model(model, truncation_control())


# -- background jobs (issue 15): slow measurements run in a thread, the page polls their progress ------------------
class Job:
    """A function running in a thread, with progress the page can show. Its callback never touches Streamlit."""

    def __init__(self, fn, *args, **kwargs):
        import threading

        self.done, self.total, self.message, self.result, self.error = 0, 1, "starting", None, None
        self.thread = threading.Thread(target=self._run, args=(fn, args, kwargs), daemon=True)
        self.thread.start()

    def _run(self, fn, args, kwargs) -> None:
        try:
            self.result = fn(*args, progress=self.progress, **kwargs)
        except DcganError as err:
            self.error = str(err)
        except Exception as err:  # shown as one line, like guard(); the traceback goes to the server log
            self.error = frontend.unexpected(err)
        self.done = self.total

    def progress(self, done: int, total: int, message: str = "") -> None:
        self.done, self.total, self.message = done, max(total, 1), message

    @property
    def running(self) -> bool:
        return self.thread.is_alive()


def job(key, fn, *args, **kwargs) -> Job:
    """The job under `key` (shared by sessions, like results()); started with fn(*args, progress=..., **kwargs) if new
    or if the last one failed. Key it by file versions (dcgan.timeline.file_version) so a rewritten file is redone."""
    jobs = results()
    current = jobs.get(("job", key))
    if current is None or (current.error and not current.running):
        current = jobs[("job", key)] = Job(fn, *args, **kwargs)
    return current


def existing_job(key) -> Job | None:
    return results().get(("job", key))
