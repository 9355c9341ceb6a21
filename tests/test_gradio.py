"""The Gradio front end: named API endpoints answer gradio_client on a loopback port; handlers refuse bad files
cleanly."""
from pathlib import Path

import pytest
from helpers import ROOT, running_server
from PIL import Image

pytestmark = pytest.mark.slow  # a Gradio server


@pytest.fixture(scope="module")
def gradio_url():
    with running_server(["-m", "app.gradio_app"]) as url:
        yield url + "/"


@pytest.fixture(scope="module")
def ga():
    import app.gradio_app as ga

    return ga


@pytest.fixture
def junk(tmp_path):
    path = tmp_path / "junk.pt"
    path.write_text("not a checkpoint")
    return path


def test_generate_endpoint_sizes_and_seeds(gradio_url):
    from gradio_client import Client

    client = Client(gradio_url, verbose=False)
    a = client.predict(0, "none", 4, api_name="/generate")
    b = client.predict(1, "none", 4, api_name="/generate")
    img_a, img_b = Image.open(a), Image.open(b)
    assert img_a.format == "PNG"
    assert img_a.size == (2 * (2 * 32 + 3 * 2),) * 2  # a 2x2 grid of 32 px images, 2 px padding, upscaled x2
    assert img_a.tobytes() != img_b.tobytes()
    assert Image.open(client.predict(0, "none", 4, api_name="/generate")).tobytes() == img_a.tobytes()  # seeded


def test_walk_endpoint_returns_a_gif(gradio_url):
    from gradio_client import Client

    gif = Image.open(Client(gradio_url, verbose=False).predict("0, 1, 2", 4, "slerp", api_name="/walk"))
    assert gif.format == "GIF" and gif.n_frames == 9 and gif.size == (128, 128)  # 2 segments x 4 steps + the last key


def test_endpoint_errors_are_one_line_messages(gradio_url):
    from gradio_client import Client

    with pytest.raises(Exception, match="at least two seeds") as info:
        Client(gradio_url, verbose=False).predict("7", 4, "slerp", api_name="/walk")
    assert "Traceback" not in str(info.value)


def test_bad_checkpoint_is_refused_at_start(ga, junk):
    with pytest.raises(SystemExit) as info:
        ga.main(["--checkpoint", str(junk)])
    message = str(info.value.code)
    assert message.startswith("error:") and "junk.pt" in message and "\n" not in message


def test_bad_upload_is_refused_and_a_good_one_switches_model(ga, junk, tiny_checkpoint):
    import dcgan

    with pytest.raises(ga.gr.Error) as info:
        ga.upload(str(junk))
    assert "junk.pt" in info.value.message and "\n" not in info.value.message
    assert not list((ga.OUT / "uploads").glob("*/junk.pt"))  # the refused copy is not kept
    path, text, layers, filter_source, source, g_layers = ga.upload(str(tiny_checkpoint))
    assert Path(path).read_bytes() == tiny_checkpoint.read_bytes() and "16x16" in text
    assert [c[0] for c in layers.choices] == dcgan.load(tiny_checkpoint).D.layer_names
    assert source.value == filter_source.value == "digits"  # the tiny model was trained on scikit-learn digits
    assert [c[0] for c in g_layers.choices] == dcgan.load(tiny_checkpoint).G.layer_names
    grid = ga.generate(0, "none", 4, path)
    assert grid.shape == (4 * (2 * 16 + 3 * 2), 4 * (2 * 16 + 3 * 2), 3)  # 16 px images upscaled x4


def test_sliders_and_filters_on_a_tiny_model(ga, tiny_checkpoint):
    path = str(tiny_checkpoint)
    still, caption = ga.slide(path, 0, *[0.0] * ga.N_SLIDERS)
    moved, _ = ga.slide(path, 0, 2.5, *[0.0] * (ga.N_SLIDERS - 1))
    assert still.shape == moved.shape == (256, 256) and (still != moved).any()
    assert caption.startswith("realness ") and "share of real training images" in caption and "ROC-AUC" in caption
    quiet = dict(progress=lambda *a, **k: None)
    rows, figures = ga.filters(path, "through G", "layer1", 4, 16, True, "digits", **quiet)
    # 4 rows of 1 optimised + 1 suppressing + 5 + 5 real images, 16 px upscaled x4 with 2 px padding
    assert [image.shape for image, _ in rows] == [(4 * (2 + 18), 4 * (2 + 12 * 18), 3)] * 4
    assert "best random G sample" in figures and "through G" in figures
    _, pixel_figures = ga.filters(path, "in pixels", "layer1", 2, 16, False, "digits", **quiet)
    assert "superstimul" in pixel_figures
    with pytest.raises(ga.gr.Error, match="channels must be in"):
        ga.filters(path, "through G", "layer1", 32, 16, False, "digits", **quiet)  # layer1 of ndf=8 has 8 channels


def test_umap_tab_maps_real_and_generated_images(ga, tiny_checkpoint):
    fig = ga.umap_plot(str(tiny_checkpoint), "digits", 100, "kind", progress=lambda *a, **k: None)
    assert {t.name for t in fig.data} == {"real", "generated"}
    assert sum(len(t.x) for t in fig.data) == 200  # 100 real digits and 100 samples


def test_inside_g_tab_on_a_tiny_model(ga, tiny_checkpoint):
    picture, text = ga.dissect(str(tiny_checkpoint), "layer2", 2)
    # 2 units x 4 rows of 4 samples, 16 px upscaled x4 with 2 px padding
    assert picture.shape == (4 * (2 + 8 * 18), 4 * (2 + 4 * 18), 3)
    assert "switched off" in text and "digit classifier" in text
    with pytest.raises(ga.gr.Error, match="G layer must be one of"):
        ga.dissect(str(tiny_checkpoint), "layer9", 2)


def test_invert_endpoint_returns_z_and_reconstruction(gradio_url, tmp_path):
    import numpy as np
    from gradio_client import Client, handle_file

    page = Image.new("RGB", (60, 80), (255, 255, 255))  # a black "1" on a white page, not the model's size
    page.paste((0, 0, 0), (26, 10, 34, 70))
    page.save(tmp_path / "one.png")
    z, recon, text = Client(gradio_url, verbose=False).predict(handle_file(str(tmp_path / "one.png")),
                                                               api_name="/invert")
    assert len(z) == 100 and 0.7 < np.linalg.norm(z) / 10 < 1.3
    pair = np.asarray(Image.open(recon).convert("L"), dtype=float)
    half = pair.shape[1] // 2
    assert abs(pair[:, :half].mean() - pair[:, half:].mean()) < 40  # G(z) is as dark as the flipped target
    assert pair[:, half:][:,
                          half // 2 - 8 : half // 2 + 8].mean() > pair[:, half:].mean()  # bright stroke in the middle
    assert "RMS pixel error" in text


def test_invert_endpoint_refuses_a_non_image(gradio_url, tmp_path):
    from gradio_client import Client, handle_file

    (tmp_path / "x.png").write_text("not an image")
    with pytest.raises(Exception) as info:
        Client(gradio_url, verbose=False).predict(handle_file(str(tmp_path / "x.png")), api_name="/invert")
    assert "Traceback" not in str(info.value)


def test_unexpected_errors_are_one_line_on_the_page_and_a_traceback_in_the_log(ga, caplog):
    import logging

    def broken():
        raise RuntimeError("boom\nsecond line")

    with caplog.at_level(logging.ERROR, logger="dcgan.app"), pytest.raises(ga.gr.Error) as info:
        with ga.user_errors():
            broken()
    assert info.value.message.startswith("Something went wrong: boom") and "\n" not in info.value.message
    assert "Traceback" in caplog.text and "in broken" in caplog.text and "second line" in caplog.text


def test_a_colour_model_compares_with_emoji_as_in_the_streamlit_app(ga):
    _, _, _, filter_source, source, _ = ga.use_checkpoint(str(ROOT / "checkpoints" / "emoji-64.pt"))
    # the model's own data (its card: the faces, people and hands); test_app: the Streamlit picker moves there too
    assert filter_source.value == source.value == "emoji-people"


def test_the_generate_tab_opens_with_samples(ga):
    demo = ga.build()
    on_load = [f for f in demo.fns.values() if any(t[1] == "load" for t in f.targets)]
    assert ga.generate in [f.fn for f in on_load]


@pytest.mark.slow
def test_colour_by_redraws_the_cached_map_without_mapping_again(ga, tiny_checkpoint, monkeypatch):
    import dcgan.embed

    calls = []
    real = dcgan.embed.feature_map
    monkeypatch.setattr(dcgan.embed, "feature_map", lambda *a, **k: calls.append(1) or real(*a, **k))
    path = str(tiny_checkpoint)
    assert not hasattr(ga.umap_recolour(path, "digits", 200, "label"), "data") and not calls  # no map yet: no update
    ga.umap_plot(path, "digits", 100, "kind", progress=lambda *a, **k: None)  # the map the UMAP tab test makes
    mapped = len(calls)
    recoloured = ga.umap_recolour(path, "digits", 100, "label")
    assert "generated" in {t.name for t in recoloured.data} and "7" in {t.name for t in recoloured.data}
    assert len(calls) == mapped <= 1  # mapped at most once, recoloured from the cache


def test_filters_rows_are_labelled_with_their_channel_and_figures(ga, tiny_checkpoint):
    rows, _ = ga.filters(str(tiny_checkpoint), "through G", "layer1", 3, 16, False, "digits",
                         progress=lambda *a, **k: None)
    captions = [caption for _, caption in rows]  # each under its own row of images
    assert [c.split(" · ")[:2] for c in captions] == [["layer1", f"ch {n}"] for n in range(3)]
    assert all("× top real" in c and "× best random" in c for c in captions)
    pool = {im.tobytes() for im in ga.to_uint8(ga.frontend.real_pool("digits", 16, 1))[..., 0]}
    image = rows[0][0]  # 1 optimised + 5 + 5 real images of 16 px, 2 px apart, upscaled x4
    cells = [image[8::4, 4 * (2 + 18 * j)::4][:16, :16, 0] for j in range(1, 11)]
    assert all(cell.tobytes() in pool for cell in cells)  # the real examples are real images of the set


def test_generate_truncates_g_features_at_the_offered_values_only(ga, tiny_checkpoint):
    import gradio as gr
    import numpy as np

    from dcgan.latent import generate, sample_z
    from dcgan.truncation import truncated

    path = str(tiny_checkpoint)
    G = ga.model_at(path).G
    want = ga.frontend.square_grid(generate(truncated(G, 0.5), sample_z(4, G.config.nz, seed=0)), target=64)
    assert np.array_equal(ga.generate(0, "0.5", 4, path), want)  # the library's truncation, not z's
    assert not np.array_equal(ga.generate(0, "none", 4, path), want)
    with pytest.raises(gr.Error, match="truncation must be one of"):
        ga.generate(0, "1.7", 4, path)
