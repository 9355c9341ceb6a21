"""Model page: a first look at the samples, the model card, architecture, training curves, uploads."""
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import core
from dcgan.latent import sample_z
from dcgan.summary import architecture


def _on_upload() -> None:
    """Runs before the script reruns, so it may switch the sidebar's model picker to the new file."""
    upload = st.session_state.get("ckpt_upload")
    st.session_state.pop("upload_error", None)
    if upload is None:
        return
    try:
        core.save_upload(upload)
    except core.DcganError as err:
        st.session_state["upload_error"] = f"Could not load {upload.name}: {err}"
        return
    st.session_state["model_key"] = next(k for k in reversed(core.uploaded_models()) if k.startswith(upload.name))


def upload_box() -> None:
    st.file_uploader("Upload a checkpoint (.pt, .pth, .safetensors)", type=["pt", "pth", "safetensors"],
                     key="ckpt_upload", on_change=_on_upload,
                     help="This project's files, exports, or pytorch/examples netG_epoch_N.pth. "
                          "Files are loaded as weights only: nothing in them can run.")
    if "upload_error" in st.session_state:
        st.error(st.session_state["upload_error"])


def samples(model) -> None:
    seed = st.number_input("Seed", 0, 10**6, 0, key="model_seed")
    images, scores = core.render(model, sample_z(16, model.config.nz, seed=int(seed)))
    cols = st.columns(8)
    for i, (img, s) in enumerate(zip(images, scores)):
        core.show_image(img, core.score_caption(s, model.config.loss), scale=core.display_size(model.config) // 2 or 1,
                        container=cols[i % 8])


def curves(history: dict) -> None:
    frame = pd.DataFrame(history)
    window = max(1, len(frame) // 100)
    fig = go.Figure()
    for col, name in (("loss_d", "D loss"), ("loss_g", "G loss"), ("d_real", "D(x)"), ("d_fake", "D(G(z))")):
        fig.add_scatter(x=frame["step"], y=frame[col].rolling(window, min_periods=1).mean(), name=name, mode="lines")
    fig.update_layout(height=320, xaxis_title="step", margin=dict(l=10, r=10, t=10, b=10), legend_orientation="h")
    st.plotly_chart(fig)


def main() -> None:
    st.title("Model")
    core.intro("A DCGAN generator G turns a random vector z into an image through transposed convolutions; "
               "the discriminator D reads images back down with strided convolutions and scores how real they look. "
               "The number under each sample is D's verdict.")
    upload_box()
    model, _ = core.current_model()
    cfg = model.config
    st.subheader("Samples")
    samples(model)
    left, right = st.columns([1, 1])
    with left:
        st.subheader("Config")
        epoch = model.meta.get("epoch")
        st.markdown(f"{cfg.image_size} × {cfg.image_size} px · {cfg.channels} channel{'s' if cfg.channels > 1 else ''} · "
                    f"z of size {cfg.nz} · ngf {cfg.ngf} · ndf {cfg.ndf} · loss {cfg.loss}"
                    + (f" · trained on {cfg.dataset}" if cfg.dataset else "") + (f", {epoch} epochs" if epoch else "")
                    + (f" · classes {', '.join(cfg.labels)}" if cfg.labels else ""))
        with st.expander("Full config and metadata"):
            st.json(core.describe(model))
        card = core.all_models()[core.current_key()].with_suffix(".md")
        if card.is_file():
            with st.expander("Model card", expanded=True):
                st.markdown(card.read_text())
    with right:
        st.subheader("Training curves")
        if model.history:
            curves(model.history)
        else:
            st.info("This file carries no training log (pytorch/examples files and exports don't).")
    st.subheader("Architecture")
    core.intro("G doubles the image size at each stride-2 transposed convolution (o = s(i−1) + k − 2p) and has "
               "BatchNorm everywhere except its Tanh output layer; D halves it at each stride-2 convolution, with "
               "LeakyReLU(0.2) and no BatchNorm on its input layer. No pooling, no fully connected hidden layers.")
    for name, rows in architecture(model).items():
        total = sum(r["parameters"] for r in rows)
        st.markdown(f"**{name}** · {total:,} parameters")
        st.dataframe(pd.DataFrame(rows), hide_index=True)


with core.guard():
    main()
