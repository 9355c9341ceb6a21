"""Timeline: how a model got there (every saved epoch: metrics, the same z, D's map aligned across epochs), two
checkpoints side by side, and precision / recall against truncation for the current model.

Measurements run in background jobs (app.core.job), cached by checkpoint file version; the page only polls them."""
import tempfile
from pathlib import Path

import numpy as np
import streamlit as st

from app import core
from dcgan.data import model_default_data
from dcgan.timeline import (
    TimelineSettings,
    curves_figure,
    file_version,
    load_same_size,
    map_across,
    measure_cached,
    reference,
    run_checkpoints,
    timeline,
    truncation_sweep,
)

SWEEP = [None, 0.9, 0.75, 0.6, 0.5, 0.4, 0.25]  # None: G itself, the same as T = 1


def run_folders() -> dict[str, Path]:
    """Run folders with saved epochs that this session may see: its own app runs and the published ones (app.runs),
    and CLI runs under runs/ when the operator publishes them (DCGAN_PUBLISHED_RUNS: their names, or *)."""
    from app.runs import published, visible_runs

    shared = published()
    app_root = core.app_runs().resolve()  # app runs go through app.runs' ownership rules, never through here
    cli_runs = {f for f in {*(core.ROOT / "runs").glob("*"), *(core.ROOT / "runs").glob("*/*")}
                if not f.resolve().is_relative_to(app_root)}
    folders = [r.folder for r in visible_runs(core.session_owner())]
    folders += sorted(f for f in cli_runs if shared is None or f.name in shared)
    found = {}
    for folder in folders:
        if folder.is_dir() and (any(folder.glob("epoch_*.pt")) or (folder / "last.pt").is_file()):
            found[str(folder.relative_to(core.ROOT)) if folder.is_relative_to(core.ROOT) else str(folder)] = folder
    return found


def data_for(model):
    """The built-in set the model was trained on (or the default for its shape), at its size."""
    return core.dataset(model_default_data(model.config), model.config.image_size, model.config.channels)


@st.fragment(run_every=1)
def progress(job) -> None:
    """A running job's progress bar; the whole page redraws once it is done."""
    if not job.running:
        st.rerun(scope="app")
    st.progress(job.done / job.total, text=f"{job.message} ({job.done}/{job.total})")


def finished(job) -> bool:
    """Show a job's state; True once its result can be shown."""
    if job is None:
        return False
    if job.running:
        progress(job)
        return False
    if job.error:
        st.error(job.error, icon=":material/error:")
        return False
    return True


# -- a run's timeline ---------------------------------------------------------------------------------------------
def _timeline_job(run_dir, data, n, map_n, cache, *, progress):
    saved = run_checkpoints(run_dir)
    total = len(saved) + 1
    tl = timeline(run_dir, data, TimelineSettings(n=n), cache=cache,
                  progress=lambda done, _, name: progress(done, total, f"measured {name}"))
    progress(len(saved), total, "AlignedUMAP of D's features across epochs (the first one compiles: a minute or two)")
    return tl, map_across(load_same_size([p for _, p in saved]), data, n=map_n)


def map_figure(amap, i: int, classes):
    """Epoch i's layout; axes fixed over all epochs so that movement on screen is movement in the map."""
    import plotly.graph_objects as go

    every = np.concatenate(amap.layouts)
    lo, hi = every.min(0), every.max(0)
    pad = 0.05 * (hi - lo)
    xy, fig = amap.layouts[i], go.Figure()
    gen = amap.kind == "generated"
    fig.add_scatter(x=xy[gen, 0], y=xy[gen, 1], mode="markers", name="generated (same z)",
                    marker=dict(color="#999999", size=5, opacity=0.6))
    for c in sorted(set(amap.labels[~gen].tolist())):
        pick = (~gen) & (amap.labels == c)
        fig.add_scatter(x=xy[pick, 0], y=xy[pick, 1], mode="markers", marker=dict(size=6),
                        name=f"real {classes[c] if 0 <= c < len(classes) else '?'}")
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(range=[lo[0] - pad[0], hi[0] + pad[0]]),
                      yaxis=dict(range=[lo[1] - pad[1], hi[1] + pad[1]]), legend=dict(font=dict(size=10)))
    return fig


@st.cache_data(max_entries=8, max_size="128MB", show_spinner=False)
def animation(grids: np.ndarray) -> bytes:
    from dcgan.media import save_animation

    with tempfile.TemporaryDirectory() as folder:
        path = save_animation(grids, Path(folder) / "timeline.gif", fps=2, scale=2)
        return path.read_bytes()


def timeline_view(tl, amap, data) -> None:
    epochs = [r["epoch"] for r in tl.rows]
    epoch = st.select_slider("Epoch", epochs, value=epochs[-1], key="tl_epoch")
    i = epochs.index(epoch)
    row = tl.rows[i]
    c1, c2, c3 = st.columns(3)
    c1.metric("Fréchet distance", f"{row['fd']:.2f}", help=f"In the {tl.feature_space}'s features; lower is better.")
    c2.metric("Precision", f"{row['precision']:.3f}", help="Share of samples inside the real images' k=3 manifold.")
    c3.metric("Recall", f"{row['recall']:.3f}", help="Share of real images inside the samples' k=3 manifold.")
    left, right = st.columns(2)
    with left:
        core.show_image(tl.grids[i], f"the same {tl.settings.n_grid} z at epoch {epoch} ({row['file']})", scale=2)
        with st.expander("Animation over epochs"):
            st.image(animation(tl.grids), caption="the same z, one frame per saved epoch")
    with right:
        st.plotly_chart(map_figure(amap, i, data.classes), key="tl_map")
        st.caption(f"D's features of the same {int((amap.kind == 'real').sum())} real images "
                   f"and samples from the same z, "
                   f"each epoch's own D, laid out by AlignedUMAP (points tied to themselves across epochs). Mean step "
                   f"between epochs: {amap.movement:.2f} (0 = still, ~1.4 = unrelated layouts).")
    fig = curves_figure(tl.rows)
    fig.add_vline(x=epoch, line=dict(color="#888", dash="dot"))
    st.plotly_chart(fig, key="tl_curves")
    st.caption(f"Each epoch against the same {tl.settings.n} real images and the same z, in the {tl.feature_space}'s "
               f"feature space; precision and recall after Kynkäänniemi et al. (2019), k = {tl.settings.k}.")


def timeline_tab() -> None:
    folders = run_folders()
    if not folders:
        st.info("No run with saved epochs yet: train one on the Train page (it keeps every epoch), or run "
                "`python -m dcgan train ... --save-every 1 --out runs/NAME`.")
        return
    c1, c2, c3 = st.columns([3, 1, 1])
    name = c1.selectbox("Run", list(folders), key="tl_run")
    n = c2.select_slider("Images per epoch", [300, 500, 1000, 2000], value=500, key="tl_n")
    map_n = c3.select_slider("Map points (each kind)", [100, 200, 300, 500], value=200, key="tl_map_n")
    saved = run_checkpoints(folders[name])
    first = load_same_size([saved[0][1]])[0]
    data = data_for(first)
    st.caption(f"{len(saved)} saved epoch(s): " + ", ".join(p.name for _, p in saved) + f" · real images: {data.name}")
    key = ("timeline", tuple(file_version(p) for _, p in saved), data.name, n, map_n)
    if core.existing_job(key) is None and st.button("Measure every epoch", type="primary", key="tl_go",
                                                     icon=":material/play_arrow:"):
        core.job(key, _timeline_job, folders[name], data, n, map_n, core.results())
    job = core.existing_job(key)
    if finished(job):
        timeline_view(*job.result, data)


# -- side by side -------------------------------------------------------------------------------------------------
def checkpoint_choices() -> tuple[dict[str, Path], tuple[str, str]]:
    """Every model of the picker and every saved epoch, and a default pair of one size: the first and last epoch
    of the first run (or the current model twice)."""
    choices = {label: path for label, path in core.all_models().items()}
    pairs = []
    for folder in run_folders().values():
        saved = [f"{folder.name}/{path.name}" for _, path in run_checkpoints(folder)]
        choices.update(zip(saved, [p for _, p in run_checkpoints(folder)]))
        pairs.append((saved[0], saved[-1]))
    return choices, pairs[0] if pairs else (core.current_key(),) * 2


def _pair_job(paths, data, n, cache, *, progress):
    models = load_same_size(paths)
    ref = reference(models[0], data, TimelineSettings(n=n))
    rows = []
    for i, (model, path) in enumerate(zip(models, paths)):
        rows.append(measure_cached(model, path, data, ref, cache))
        progress(i + 1, 3, f"measured {Path(path).name}")
    progress(2, 3, "AlignedUMAP of both D's features (the first one compiles: a minute or two)")
    return rows, map_across(models, data, n=200)


def side_by_side_tab() -> None:
    choices, (first, last) = checkpoint_choices()
    labels = list(choices)
    c1, c2, c3 = st.columns([2, 2, 1])
    a = c1.selectbox("Left", labels, index=labels.index(first), key="sbs_a")
    b = c2.selectbox("Right", labels, index=labels.index(last), key="sbs_b")
    seed = c3.number_input("Seed", 0, 10**6, 0, key="sbs_seed")
    models = load_same_size([choices[a], choices[b]])  # one-line error for different sizes
    from dcgan.latent import sample_z

    z = sample_z(16, models[0].config.nz, seed=int(seed))
    cols = st.columns(2)
    for col, model, label in zip(cols, models, (a, b)):
        with col:
            images, _ = core.render(core.truncated_model(model), z)
            core.show_image(grid_from(images), f"{label}: the same 16 z", scale=2)
    data = data_for(models[0])
    key = ("pair", file_version(choices[a]), file_version(choices[b]), data.name)
    if core.existing_job(key) is None and st.button("Measure both and map them", key="sbs_go",
                                                    icon=":material/play_arrow:"):
        core.job(key, _pair_job, [choices[a], choices[b]], data, 500, core.results())
    job = core.existing_job(key)
    if finished(job):
        rows, amap = job.result
        for col, row, i in zip(st.columns(2), rows, (0, 1)):
            col.markdown(f"FD **{row['fd']:.2f}** · precision **{row['precision']:.3f}** "
                         f"· recall **{row['recall']:.3f}**")
            col.plotly_chart(map_figure(amap, i, data.classes), key=f"sbs_map{i}")
        st.caption("Both against the same 500 real images (in the left model's feature space when it is D's); the maps "
                   "hold the same 200 real images and 200 z, through each model's own D, aligned by AlignedUMAP.")


def grid_from(images: np.ndarray) -> np.ndarray:
    """uint8 (N, H, W, C) images in one grid of rows of 8."""
    import torch

    from dcgan.media import grid

    return grid(torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1, nrow=8)


# -- truncation ---------------------------------------------------------------------------------------------------
def truncation_figure(rows):
    from plotly.subplots import make_subplots

    x = [r["truncation"] if r["truncation"] is not None else 1.0 for r in rows]  # none = T 1 (dcgan.truncation)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("precision and recall", "Fréchet distance"))
    for key, colour in (("precision", core.D_COLOUR), ("recall", core.G_COLOUR)):
        fig.add_scatter(x=x, y=[r[key] for r in rows], name=key, mode="lines+markers", line=dict(color=colour),
                        row=1, col=1)
    fig.add_scatter(x=x, y=[r["fd"] for r in rows], name="FD", mode="lines+markers", line=dict(color="#555"),
                    row=1, col=2)
    ticks = dict(tickvals=x, ticktext=[f"{t:g}" if rows[i]["truncation"] is not None else "none (1)"
                                      for i, t in enumerate(x)], title_text="truncation T")
    fig.update_xaxes(**ticks)
    fig.update_yaxes(range=[0, 1.02], row=1, col=1)
    fig.update_yaxes(type="log", row=1, col=2)
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10))
    return fig


def truncation_tab() -> None:
    model, _ = core.current_model()
    path = core.current_path()
    data = data_for(model)
    n = st.select_slider("Images per truncation", [300, 500, 1000, 2000], value=500, key="tr_n")
    key = ("truncation", file_version(path), data.name, n)
    if core.existing_job(key) is None and st.button("Measure against truncation", key="tr_go",
                                                    icon=":material/play_arrow:"):
        core.job(key, truncation_sweep, model, data, SWEEP, TimelineSettings(n=n))
    job = core.existing_job(key)
    if finished(job):
        st.plotly_chart(truncation_figure(job.result), key="tr_plot")
        st.caption(f"{path.name} against {n} real images of {data.name}, the same z at every T: G's 8x8 features h "
                   "drawn as h_mean + T (h - h_mean) (StyleGAN's truncation; in z it made this DCGAN's strokes faint). "
                   "Smaller T trades recall (variety) for precision (typical samples).")


def main() -> None:
    st.title("Timeline")
    core.intro("How a model got there and how its checkpoints compare: Fréchet distance, precision (are samples "
               "realistic?) and recall (is every kind of real image covered?), the same z drawn by every epoch, and "
               "D's feature map across epochs. Measurements run in the background and are kept per file version.")
    core.truncation_control()
    tabs = st.tabs(["Run timeline", "Side by side", "Truncation"])
    with tabs[0], core.guard():
        timeline_tab()
    with tabs[1], core.guard():
        side_by_side_tab()
    with tabs[2], core.guard():
        truncation_tab()


with core.guard():
    main()
