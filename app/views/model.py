"""Model page: a first look at the samples, the model card, architecture, training curves, uploads."""
import pandas as pd
import streamlit as st

from app import core
from dcgan.latent import sample_z
from dcgan.summary import architecture


def _on_upload() -> None:
    """Runs before the script reruns, so it may switch the sidebar's model picker to the new file."""
    files = st.session_state.get("ckpt_upload") or []
    seen = st.session_state.setdefault("upload_seen", set())
    new = [f for f in files if f.file_id not in seen]
    if not new:  # a file was removed from the list: nothing to load
        return
    seen.update(f.file_id for f in new)
    added, errors = core.save_uploads(new)
    st.session_state["upload_errors"] = errors
    if added:
        st.session_state["model_key"] = added[-1]


def upload_box() -> None:
    st.file_uploader("Upload a checkpoint (.pt, .pth, .safetensors)", type=["pt", "pth", "safetensors"],
                     accept_multiple_files=True, key="ckpt_upload", on_change=_on_upload,
                     help="This project's files and exports, or pytorch/examples' netG_epoch_N.pth (add its "
                          "netD_epoch_N.pth in the same upload to get D too). Files are read as weights only: "
                          "nothing in them can run. Uploads stay in this browser session.")
    for message in st.session_state.get("upload_errors", []):
        st.error(message, icon=":material/error:")


def samples(model) -> None:
    seed = st.number_input("Seed", 0, 10**6, 0, key="model_seed", help="The same seed always gives the same samples.")
    images, scores = core.render(model, sample_z(16, model.config.nz, seed=int(seed)))
    core.show_images(images, [core.score_caption(s, model.config.loss) for s in scores], per_row=8,
                     scale=core.thumb_scale(model.config))


def config_panel(model) -> None:
    cfg, epoch = model.config, model.meta.get("epoch")
    st.markdown(f"{cfg.image_size} × {cfg.image_size} px · {cfg.channels} channel{'s' if cfg.channels > 1 else ''} · "
                f"z of size {cfg.nz} · ngf {cfg.ngf} · ndf {cfg.ndf} · loss {cfg.loss}"
                + (f" · trained on {cfg.dataset}" if cfg.dataset else "") + (f", {epoch} epochs" if epoch else "")
                + (f" · classes {', '.join(cfg.labels)}" if cfg.labels else "")
                + ("" if model.D is not None else " · **no discriminator in this file**"))
    with st.expander("Full config and metadata"):
        st.json(core.describe(model))
    card = core.current_path().with_suffix(".md")
    if card.is_file():
        with st.expander("Model card"):
            core.show_markdown_with_images(card.read_text(), card.parent)


def architecture_panel(model) -> None:
    st.subheader("Architecture")
    core.intro("G turns z (a 1 × 1 'image' with nz channels) into a picture: each stride-2 transposed convolution "
               "doubles the size, o = s(i − 1) + k − 2p, with BatchNorm + ReLU after every layer but the last "
               "(Tanh, to [−1, 1]). D mirrors it: stride-2 convolutions halve the size, o = ⌊(i + 2p − k) / s⌋ + 1, "
               "with LeakyReLU(0.2), BatchNorm everywhere except the input layer, and a final 4 × 4 convolution "
               "to one score. No pooling and no fully connected hidden layers: the paper's recipe. The stage column "
               "gives the names the Filters page and `python -m dcgan filters` / `dissect` use: layerK is the "
               "main.N modules up to and including its K-th nonlinearity.")
    for name, rows in architecture(model).items():
        st.markdown(f"**{name}** · {sum(r['parameters'] for r in rows):,} parameters")
        st.dataframe(pd.DataFrame(rows), hide_index=True, height=36 * (len(rows) + 1) + 2,
                     column_config={"parameters": st.column_config.NumberColumn(format="localized"),
                                    "size rule": st.column_config.TextColumn(width="large")})


def main() -> None:
    st.title("Model")
    core.intro("A DCGAN generator G turns a random vector z into an image; the discriminator D scores how real an "
               "image looks. Under each sample: D's verdict, D(x) = its probability that the image is real "
               "(a well-trained D is hard to fool, so low values are normal late in training).")
    upload_box()
    model, _ = core.current_model()
    st.subheader("Samples")
    samples(model)
    left, right = st.columns(2)
    with left:
        st.subheader("Config")
        config_panel(model)
    with right:
        st.subheader("Training curves")
        if model.history:
            core.training_curves(model.history)
        else:
            st.info("This file carries no training log (pytorch/examples files and exports don't).")
    architecture_panel(model)


with core.guard():
    main()
