"""Bring your own image: upload or draw one, find the z whose G(z) matches it, then explore from that z."""
import io
from pathlib import Path

import numpy as np
import streamlit as st
import torch

from app import core, uploads
from app.canvas import draw
from dcgan.data import decode_image, model_default_data
from dcgan.invert import InvertSettings, feature_nets, invert, real_nn_reference, target_options, to_target
from dcgan.media import to_uint8


@st.cache_data(max_entries=4, show_spinner=False)
def yardstick(name: str, image_size: int, channels: int) -> float:
    """The data's median real-to-real nearest-neighbour distance: the scale an error is read against."""
    return real_nn_reference(core.dataset(name, image_size, channels).as_float())


def _check_upload(channels: int) -> None:
    """Decode the image as it arrives: one that cannot be read is refused there, not at Find z."""
    upload = uploads.current("invert_upload")
    if upload is None:
        return
    try:
        decode_image(upload.getvalue(), channels)
    except core.DcganError as err:  # over the pixel limit (read from the header, nothing decoded)
        uploads.refuse("invert_upload", [uploads.failed(upload.name, err)])
    except Exception:  # any decoder failure means "not a readable image"
        uploads.refuse("invert_upload", [f"Could not load {upload.name}: not a readable image; try a png, jpg, "
                                         "webp, bmp or gif."])
    else:
        uploads.accept("invert_upload")


def source_image(model) -> tuple[bytes | None, str]:
    """The user's image as file bytes (drawn on the canvas or uploaded), and a name for it."""
    how = st.radio("Image", ["Draw", "Upload"], horizontal=True, key="invert_source",
                   disabled=model.config.channels != 1, help="Drawing is for greyscale (digit) models")
    if how == "Draw" and model.config.channels == 1:
        return draw(key="invert_canvas"), "drawing"
    upload = st.file_uploader("An image of any size (png, jpg, webp, bmp, gif)", key=uploads.key("invert_upload"),
                              type=["png", "jpg", "jpeg", "webp", "bmp", "gif"], on_change=_check_upload,
                              args=(model.config.channels,))
    uploads.show_errors("invert_upload")
    return (upload.getvalue(), Path(upload.name).stem) if upload is not None else (None, "")


def run_inversion(model, target: torch.Tensor):
    """invert() with a progress bar and the reconstruction shown as it converges."""
    settings = InvertSettings()
    bar, live = st.progress(0.0, text="Screening random z…"), st.empty()
    scale = core.display_size(model.config)

    def progress(step, steps, images):
        if step % 3 == 0 or step == steps:
            bar.progress(step / steps, text=f"Optimising z: step {step} of {steps}")
            core.show_image(to_uint8(images)[0], f"G(z) at step {step}", scale=scale, container=live)

    res = invert(model.G, target, settings=settings, progress=progress, **feature_nets(model))
    bar.empty()
    live.empty()
    return res


def show_result(model, result: dict) -> None:
    """Target, reconstruction and their difference side by side, with the error against the data's yardstick."""
    cfg, scale = model.config, max(1, 224 // model.config.image_size)  # 224 px: three fit side by side
    name = model_default_data(cfg)
    nn = yardstick(name, cfg.image_size, cfg.channels)
    diff = np.abs(result["target"].astype(int) - result["recon"].astype(int)).astype(np.uint8)
    reading = core.render(model, torch.from_numpy(result["z"])[None])[1][0]
    captions = ("your image, as the model sees it", f"G(z) · {reading}", "|difference| (white = far)")
    for col, image, caption in zip(st.columns(3), (result["target"], result["recon"], diff), captions):
        core.show_image(image, scale=scale, container=col)  # captions apart: a long one would stretch the image
        col.caption(caption)
    verdict = "closer than" if result["error"] <= nn else "farther than"
    st.markdown(f"RMS pixel error **{result['error']:.3f}** ([-1, 1] units): {verdict} a typical {name} image is to "
                f"its nearest other {name} image ({nn:.3f}). |z|/√nz = **{result['typ']:.2f}** (1 is typical for "
                "a sampled z, so the sliders, walks and arithmetic treat it like one).")


def send_buttons(model, mid: str, z: np.ndarray, stem: str) -> None:
    c1, c2, c3, c4 = st.columns(4)
    if c1.button("Send z to the sliders", key="invert_to_sliders", icon=":material/tune:"):
        core.set_slider_start(mid, z)
        st.success("Sent: open the Latent sliders page.")
    if c2.button("Add z to the walk", key="invert_to_walk", icon=":material/route:"):
        sent = st.session_state.get("walk_keyframes")
        keep = sent if sent is not None and sent.shape[-1] == z.shape[0] else np.zeros((0, z.shape[0]), np.float32)
        st.session_state["walk_keyframes"] = np.concatenate([keep, z[None]]).astype(np.float32)
        names = dict(st.session_state.get("walk_keyframe_names", {}))  # z bytes -> label, read by the Walks page
        names[z.astype(np.float32).tobytes()] = f"inverted: {stem}"
        st.session_state["walk_keyframe_names"] = names
        st.success(f"Added: the Walks page has {len(st.session_state['walk_keyframes'])} sent point(s).")
    if c3.button("Use z as C in arithmetic", key="invert_to_arith", icon=":material/calculate:"):
        st.session_state["arith_inverted"] = z.astype(np.float32)
        st.success("Sent: on the Arithmetic page, A − B is added to your image.")
    buf = io.BytesIO()
    np.save(buf, z.astype(np.float32))
    c4.download_button("Download z (.npy)", buf.getvalue(), "z.npy", key="invert_download", icon=":material/download:")


def main() -> None:
    st.title("Invert")
    core.intro("Bring your own image: find the z whose G(z) looks most like it, then explore from there. "
               "1,024 random z are screened in one pass, the two nearest are optimised (pixels, D's features, the "
               "digit classifier's features for a digit model, and a pull that keeps |z| typical), and the closer "
               "one is kept. Any size works; a digit drawn dark on light is flipped to match a white-on-black "
               "model, and a digit is framed like MNIST's (20 px box, centred in 28 px by its centre of mass).")
    model, mid = core.current_model()
    cfg = model.config
    raw, stem = source_image(model)
    if st.button("Find z", type="primary", key="invert_run", disabled=raw is None, icon=":material/search:"):
        try:
            arr = decode_image(raw, cfg.channels)
        except core.DcganError as err:  # over the pixel limit (read from the header, nothing decoded)
            st.error(str(err), icon=":material/error:")
            return
        except Exception:  # any decoder failure means "not a readable image"
            st.error("This file is not a readable image: try a png, jpg, webp, bmp or gif.", icon=":material/error:")
            return
        target = to_target(arr, **target_options(model))
        res = run_inversion(model, target)
        st.session_state["invert_result"] = dict(mid=mid, stem=stem, z=res.z[0].numpy(), target=to_uint8(target)[0],
                                                 recon=to_uint8(res.images)[0], error=float(res.error[0]),
                                                 typ=float(res.typicality()[0]))
    result = st.session_state.get("invert_result")
    if result is None or result["mid"] != mid:
        st.info("Draw or upload an image, then press Find z (a few seconds).")
        return
    show_result(model, result)
    send_buttons(model, mid, result["z"], result["stem"])


with core.guard():
    main()
