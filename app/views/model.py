"""Model page: a first look at the samples, the model card, architecture, training curves, uploads."""
import pandas as pd
import streamlit as st

from app import core, uploads
from dcgan.latent import generate, sample_z
from dcgan.summary import architecture
from dcgan.train import fixed_noise
from dcgan.verdict import verdict_report


def _on_upload() -> None:
    """Runs before the script reruns, so it may switch the sidebar's model picker to the new file."""
    files = uploads.current("ckpt_upload") or []
    seen = st.session_state.setdefault("upload_seen", set())
    new = [f for f in files if f.file_id not in seen]
    if not new:  # a file was removed from the list: nothing to load
        return
    seen.update(f.file_id for f in new)
    added, errors = core.save_uploads(new)
    if errors:  # the box empties (a file that loaded is in the sidebar's model picker already)
        uploads.refuse("ckpt_upload", errors)
    else:
        uploads.accept("ckpt_upload")
    if added:
        st.session_state["model_key"] = added[-1]


def upload_box() -> None:
    st.file_uploader("Upload a checkpoint (.pt, .pth, .safetensors)", type=["pt", "pth", "safetensors"],
                     accept_multiple_files=True, key=uploads.key("ckpt_upload"), on_change=_on_upload,
                     help="This project's files and exports, or pytorch/examples' netG_epoch_N.pth (add its "
                          "netD_epoch_N.pth in the same upload to get D too). Files are read as weights only: "
                          "nothing in them can run. Uploads stay in this browser session.")
    uploads.show_errors("ckpt_upload")


def samples(model) -> None:
    seed = st.number_input("Seed", 0, 10**6, 0, key="model_seed", help="The same seed always gives the same samples.")
    z = sample_z(16, model.config.nz, seed=int(seed))
    images, captions, readings = core.render_with_readings(core.truncated_model(model), z)
    core.show_images(images, captions, per_row=8, scale=core.thumb_scale(model.config))
    if readings is not None:
        with st.expander("Nearest training images (the memorisation view)"):
            nearest_panel(model, core.digit_reader(model), images, readings)


def nearest_panel(model, reader, samples_u8, readings) -> None:
    """Each sample above its nearest training image: a memorised sample would sit on top of its original."""
    st.caption(f"Distance: RMS per pixel in [−1, 1] units, after the best shift of up to 2 px and the best stroke "
               f"width. A sample nearer than {reader.check.threshold:.3f} is flagged as a near copy: only "
               f"{100 * reader.check.false_positive_rate:.0f}% of real digits G never trained on are that near, while "
               + ", ".join(f"{100 * v:.0f}% of {k} copies" for k, v in reader.check.hit_rates.items()) + " are.")
    originals = core.to_uint8(reader.images[[r.nearest for r in readings]])
    for start in (0, 8):
        core.show_images(samples_u8[start:start + 8], [f"sample {i + 1}" for i in range(start, start + 8)], per_row=8,
                         scale=core.thumb_scale(model.config))
        core.show_images(originals[start:start + 8],
                         [f"training #{r.nearest} · {r.distance:.2f}" + (" · NEAR COPY" if r.near_copy else "")
                          for r in readings[start:start + 8]], per_row=8, scale=core.thumb_scale(model.config))


def fixed_z_verdict(model) -> list[dict] | None:
    """For a file trained before the per-epoch verdict was logged: the verdict of its fixed-z samples now."""
    if not model.has_verdict() or "step" not in model.meta:
        return None
    nz, seed = model.config.nz, (model.meta.get("train_config") or {}).get("seed", 0)
    realness = model.realness(generate(model.G, fixed_noise(nz, seed)))
    return [{"epoch": model.meta.get("epoch"), "step": model.meta["step"],
             "realness_generated": float(realness.mean())}]


def verdict_panel(model, mid: str) -> None:
    """What the number under every image is, and how well it separates real images from fakes."""
    st.subheader("The verdict under each image")
    st.markdown(core.frontend.verdict_help(model) if model.has_verdict() else core.VERDICT_HELP)  # as in Gradio
    if model.D is None:
        st.info("No verdict for this file: it has no discriminator.")
        return
    if not model.has_verdict():
        st.info("This file carries no calibration for the verdict (or one fitted on an older reading of D's "
                "features) and was not trained on a built-in data set. "
                "Calibrate it on real images here, or with `python -m dcgan calibrate FILE --data YOUR_IMAGES --out "
                "FILE`.")
        data = core.model_dataset(model, key="verdict_data")
        if st.button(f"Calibrate the verdict on {data.name}", key="verdict_calibrate", icon=":material/tune:"):
            with st.spinner("Fitting the verdict on real images…"):
                model.calibrate(data)
            st.rerun()
        return
    verdict = model.verdict()
    if verdict.auc_generated is not None:
        st.metric(f"Real vs generated ROC-AUC (real images of {verdict.data})", f"{verdict.auc_generated:.3f}",
                  help="1 = every real image scores above every sample; 0.5 = D cannot tell them apart.")
    key = ("verdict", mid)
    cache = core.results()
    if key not in cache and st.button("Check it on known fakes (~10 s)", key="verdict_check", icon=":material/rule:"):
        with st.spinner("Scoring held-out real images, samples, noise, blank images and an untrained G…"):
            data = core.dataset(core.model_default_data(model.config), model.config.image_size, model.config.channels)
            cache[key] = verdict_report(model, data)
    if key in cache:
        st.dataframe(pd.DataFrame({"held-out real images vs": list(cache[key]), "ROC-AUC": list(cache[key].values())}),
                     hide_index=True, column_config={"ROC-AUC": st.column_config.NumberColumn(format="%.3f")})


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
    core.intro("A DCGAN generator G turns a random vector z into an image; the discriminator D judges how real an "
               "image looks. Under each sample: D's verdict as a realness percentile among real images (below), and "
               "for digit models a second reading that does not use D: the digit classifier's label and confidence, "
               "and the distance to the nearest training image.")
    upload_box()
    model, mid = core.current_model()
    st.subheader("Samples")
    samples(model)
    verdict_panel(model, mid)
    left, right = st.columns(2)
    with left:
        st.subheader("Config")
        config_panel(model)
    with right:
        st.subheader("Training curves")
        if model.history:
            core.training_curves(model.history, verdicts=model.meta.get("verdict_log") or fixed_z_verdict(model))
        else:
            st.info("This file carries no training log (pytorch/examples files and exports don't).")
    architecture_panel(model)


with core.guard():
    main()
