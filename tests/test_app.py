"""Every Streamlit page, run headless with AppTest on the bundled model: renders cleanly, reacts to its widgets."""
import io
import json
import os
import signal
import time

import numpy as np
import pytest
import torch
from helpers import ROOT, reference_generator
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.slow  # every test runs Streamlit pages (AppTest)

MAIN = str(ROOT / "app" / "main.py")
SLOW = 240  # seconds for a run that fits UMAP (numba compiles on the first fit) or optimises filter images


def open_page(page: str | None = None, *, timeout: float = 30) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=30)
    at.run()
    if page:
        at.switch_page(f"views/{page}.py").run(timeout=timeout)
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def uploader(at: AppTest, base: str):
    """The uploader keyed `base`, or its fresh key after a refusal (app.uploads empties a box that way)."""
    return next(u for u in at.file_uploader if u.key == base or u.key.startswith(f"{base}-"))


def refused(at: AppTest, base: str) -> bool:
    """A refused file left its uploader: the box has a fresh key and holds nothing."""
    box = uploader(at, base)
    return box.key != base and not box.value


def image_urls(at: AppTest) -> list[str]:
    return [img.proto.imgs[0].url for img in at.get("image")]


def caption_text(img) -> str:
    """An image's caption as plain text (the app keeps short phrases together with no-break spaces)."""
    return str(img.proto.imgs[0].caption).replace("\u00a0", " ")


def captions(at: AppTest) -> list[str]:
    return [caption_text(img) for img in at.get("image")]


def big_image(at: AppTest) -> str:
    """The slider page's big image: the one captioned with a score alone, after the picker's '#n · ...' samples."""
    return next(img.proto.imgs[0].url for img in at.get("image")
                if caption_text(img).startswith("realness "))


# -- Model page ------------------------------------------------------------------------------------
def test_model_page_shows_samples_with_scores_and_reacts_to_the_seed():
    at = open_page()
    sample_captions = [c for c in captions(at) if c.startswith("realness ")]
    assert len(sample_captions) == 16  # the verdict under every sample, then the digit reading
    assert all(" · reads " in c and " · nearest " in c for c in sample_captions)  # "nearest (training)": 96 px cells
    assert all(0 <= float(c.split()[1]) <= 1 for c in sample_captions)
    assert len(at.dataframe) == 2  # G and D layer tables
    assert at.sidebar.selectbox(key="model_key").value == "mnist-32 (bundled)"
    before = image_urls(at)
    at.number_input(key="model_seed").set_value(7).run()
    assert_clean(at)
    assert image_urls(at) != before


def _pth_bytes(module) -> bytes:
    buf = io.BytesIO()
    torch.save(module.state_dict(), buf)
    return buf.getvalue()


def _reference_discriminator(ndf=8, nc=1):
    """pytorch/examples' DCGAN discriminator layout at 64x64 (keys main.0.weight ... main.11.weight)."""
    from torch import nn

    seq = nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid(),
    )
    wrapper = nn.Module()
    wrapper.main = seq
    return wrapper


def test_uploads_load_a_reference_checkpoint_with_its_d_and_reject_junk():
    at = open_page()
    torch.manual_seed(0)
    g = _pth_bytes(reference_generator(nz=16, ngf=8, nc=1))
    at.file_uploader(key="ckpt_upload").set_value([("junk.pt", b"not a checkpoint" * 10,
                                                    "application/octet-stream")]).run()
    assert len(at.error) == 1 and "Could not load junk.pt" in at.error[0].value
    assert at.error[0].value.count("junk.pt") == 1 and refused(at, "ckpt_upload")  # the box no longer holds it
    assert at.sidebar.selectbox(key="model_key").value == "mnist-32 (bundled)"  # still on a working model
    assert len([c for c in captions(at) if c.startswith("realness ")]) == 16

    uploader(at, "ckpt_upload").set_value([("netG_epoch_3.pth", g, "application/octet-stream")]).run()
    assert_clean(at)  # the refusal's line went with the new upload
    picked = at.sidebar.selectbox(key="model_key").value
    assert picked == "netG_epoch_3.pth (uploaded, 64px, G only)"
    assert any("64 × 64 px" in m.value and "no discriminator" in m.value for m in at.markdown)
    assert len([c for c in captions(at) if c.startswith("no verdict")]) == 16  # it generates
    at.switch_page("views/filters.py").run()
    assert at.warning and "no discriminator" in at.warning[0].value  # pages that need D say so, no error

    at.switch_page("views/model.py").run()
    d = _pth_bytes(_reference_discriminator())
    uploader(at, "ckpt_upload").set_value([("netG_epoch_5.pth", g, "application/octet-stream"),
                                                   ("netD_epoch_5.pth", d, "application/octet-stream")]).run()
    assert_clean(at)
    assert at.sidebar.selectbox(key="model_key").value == "netG_epoch_5.pth (uploaded, 64px)"  # G and D, one model
    assert len([c for c in captions(at) if c.startswith("no verdict")]) == 16  # its data is unknown: not yet
    assert at.selectbox(key="verdict_data").value == "mnist"  # a one-channel model: digits by default
    at.button(key="verdict_calibrate").click().run(timeout=60)
    assert_clean(at)
    assert len([c for c in captions(at) if c.startswith("realness ")]) == 16


# -- Latent sliders ------------------------------------------------------------------------------------
def server_sliders(at: AppTest) -> AppTest:
    """The page's own Streamlit sliders: AppTest has no browser to run the live view
    (tests/e2e/test_live_view_browser.py)."""
    at.toggle(key="live_on").set_value(False).run()
    assert_clean(at)
    return at


def test_sliders_move_the_big_image_and_the_strip_follows_the_last_slider():
    at = server_sliders(open_page("sliders"))
    before = big_image(at)
    at.slider(key=next(s.key for s in at.slider if s.label.startswith("PC2"))).set_value(2.0).run()
    assert_clean(at)
    assert big_image(at) != before
    assert any(m.value.startswith("**Along PC2") for m in at.markdown)
    strip = [c for c in captions(at) if "σ ·" in c]
    assert [c.split(" ")[0] for c in strip] == ["-2σ", "-1σ", "+0σ", "+1σ", "+2σ"]
    at.button(key="reset").click().run()
    assert big_image(at) == before and all(s.value == 0.0 for s in at.slider if s.key.startswith("slider:"))


def test_a_saved_z_loads_back_and_an_attribute_becomes_a_slider():
    at = server_sliders(open_page("sliders"))
    before = big_image(at)
    z = np.random.default_rng(1).standard_normal(100).astype(np.float32)
    at.file_uploader(key="z_upload").set_value(("z.json", json.dumps(z.tolist()).encode(), "application/json")).run()
    assert_clean(at)
    assert big_image(at) != before
    wrong = io.BytesIO()
    np.save(wrong, np.zeros(7, np.float32))
    at.file_uploader(key="z_upload").set_value(("short.npy", wrong.getvalue(), "application/octet-stream")).run()
    assert at.error and "this model's z has 100 numbers" in at.error[0].value
    assert at.error[0].value.count("short.npy") == 1 and refused(at, "z_upload")
    at.multiselect(key="attr_with").set_value([1, 2]).run()
    at.multiselect(key="attr_without").set_value([3]).run()
    at.text_input(key="attr_name").set_value("slant").run()
    at.button(key="attr_add").click().run()
    assert any(s.label == "slant" for s in at.slider)


def test_sliders_carry_report_cards_ranges_that_reach_and_directions_files():
    at = server_sliders(open_page("sliders"))
    labels = {s.label: s for s in at.slider}
    assert {"thickness (ink)", "slant", "width"} <= set(labels)  # the built-in style directions, on a digit model
    cards = [c.value for c in at.caption if c.value.startswith("class kept")]
    assert len(cards) == 9 and all("a random direction keeps" in c for c in cards)  # 6 PCA + 3 style
    assert labels["slant"].max >= 5.0 and labels["width"].max >= 6.0  # style sliders reach 0.8 within-class sd
    assert sum("within-class sd" in c and "random" in c and "there" in c for c in cards) == 3  # the reach, vs random
    at.toggle(key="use_classes").set_value(True).run()
    assert_clean(at)
    seven = next(s for s in at.slider if s.label == "class 7")
    assert seven.max >= 4.0  # class directions reach their class beyond 2 sd: the range follows the card
    from dcgan.direction_file import directions_bytes
    from dcgan.latent import Direction

    other = directions_bytes([Direction("eight", torch.nn.functional.normalize(torch.ones(8), dim=0))])
    at.file_uploader(key="directions_upload").set_value(("small.npz", other, "application/octet-stream")).run()
    assert at.error and "nz 8 but this model's z has 100" in at.error[0].value
    assert at.error[0].value.count("small.npz") == 1 and refused(at, "directions_upload")
    mine = directions_bytes([Direction("mine", torch.nn.functional.normalize(torch.arange(100.0), dim=0), span=4.0)])
    uploader(at, "directions_upload").set_value(("mine.npz", mine, "application/octet-stream")).run()
    assert_clean(at)
    loaded = next(s for s in at.slider if s.label == "mine")
    assert loaded.max == 4.0 and len([c for c in at.caption if c.value.startswith("class kept")]) == 10  # 9 + its card
    assert len([c for c in at.caption if c.value.startswith("in class ")]) == 10  # class cards lead with the reach


# -- Walks --------------------------------------------------------------------------------------------
def test_walk_reacts_to_steps_keyframes_and_loop():
    at = open_page("walk")
    assert any("37 frames" in c for c in captions(at))  # 4 keyframes: 3 segments x 12 + 1
    at.slider(key="walk_steps").set_value(4).run()
    assert any("13 frames" in c for c in captions(at))
    at.checkbox(key="walk_loop").check().run()
    assert any("17 frames" in c for c in captions(at))  # back to the first: one more segment
    at.multiselect(key="walk_pick").set_value([5]).run()
    at.checkbox(key="walk_loop").uncheck().run()
    assert at.warning and "at least two keyframes" in at.warning[0].value
    two = np.random.default_rng(2).standard_normal((2, 100))
    at.file_uploader(key="walk_z_upload").set_value(("two.json", json.dumps(two.tolist()).encode(),
                                                     "application/json")).run()
    assert_clean(at)
    assert any("9 frames" in c for c in captions(at))  # sample #5 then the two saved z's
    assert any("two.json[1]" in c.value for c in at.caption)
    at.radio(key="walk_spacing").set_value("equal change in the image").run()
    assert_clean(at)
    assert (any("9 frames" in c for c in captions(at))
            and any("Measured on this walk: slerp" in c.value for c in at.caption))


# -- Arithmetic -------------------------------------------------------------------------------------
def test_arithmetic_opens_on_a_measured_example_and_follows_chosen_groups():
    at = open_page("arithmetic")
    result = lambda: next(i.proto.imgs[0].url for i in at.get("image") if caption_text(i).startswith("result"))  # noqa: E731
    assert any("thick 3 − thin 3 + thin 7" in m.value for m in at.markdown)
    measured = next(m.value for m in at.markdown if m.value.startswith("**Over 32 family members:**"))
    kept = int(measured.split("**")[3].rstrip("%"))  # share of the family that are 7s like C
    took = int(measured.split("**")[5].rstrip("%"))  # share with more ink than their C-only twin
    assert kept >= 70 and took >= 70, measured
    before = result()
    at.radio(key="arith_mode").set_value("Choose the groups from samples").run()
    assert at.info and "each group" in at.info[0].value
    at.multiselect(key="arith_a").set_value([10, 11]).run()
    at.multiselect(key="arith_b").set_value([4]).run()
    at.multiselect(key="arith_c").set_value([7]).run()
    assert_clean(at)
    assert result() != before
    at.text_input(key="arith_name").set_value("ten minus four").run()
    at.button(key="arith_add").click().run()
    assert at.success and "ten minus four" in at.success[0].value
    at.switch_page("views/sliders.py").run()
    assert any(s.label == "ten minus four" for s in server_sliders(at).slider)


# -- Filters ----------------------------------------------------------------------------------------
def test_filters_page_runs_on_demand_beside_real_examples_and_switches_layer():
    at = AppTest.from_file(MAIN, default_timeout=SLOW)
    at.run()
    at.session_state["filt_steps_through G"], at.session_state["filt_count"] = 16, 3  # a quick optimisation
    at.switch_page("views/filters.py").run()
    assert_clean(at)
    assert not at.get("image") and "press Run" in at.info[0].value  # nothing slow before Run
    at.button(key="filt_run").click().run()
    assert_clean(at)
    assert captions(at)[0] == "layer2 · ch 0" and len(at.get("image")) == 3 * (1 + 5 + 5)  # + most and least exciting
    assert any("best random G sample" in c.value for c in at.caption)
    at.selectbox(key="filt_layer").set_value("layer3").run()
    assert not at.get("image")  # new settings wait for Run
    at.checkbox(key="filt_suppress").check()
    at.button(key="filt_run").click().run()
    assert_clean(at)
    assert "layer3 · ch 2" in captions(at) and captions(at).count("suppresses") == 3
    at.selectbox(key="filt_layer").set_value("layer2").run()
    at.checkbox(key="filt_suppress").uncheck().run()
    assert captions(at)[0] == "layer2 · ch 0"  # kept from the first run, shown without a new one


def test_inside_g_ranks_units_on_demand_and_shows_their_interventions():
    at = AppTest.from_file(MAIN, default_timeout=SLOW)
    at.run()
    at.session_state["dis_layer"], at.session_state["dis_top"] = "layer3", 2
    at.switch_page("views/dissect.py").run()
    assert_clean(at)
    assert not at.get("image") and "press Run" in at.info[0].value
    at.button(key="dis_run").click().run()
    assert_clean(at)
    assert len(at.get("image")) == 2 * 4 * 4  # 2 units x 4 rows x 4 samples
    assert any("digit classifier" in c.value for c in at.caption)
    assert any("unit switched off" in c.value for c in at.caption)
    at.multiselect(key="dis_units").select(7).run()
    at.button(key="dis_run").click().run()
    assert_clean(at)
    assert len(at.get("image")) == 3 * 4 * 4 and any("unit 7" in m.value for m in at.markdown)


# -- Feature map ---------------------------------------------------------------------------------------
def test_feature_map_builds_the_map_and_recolours():
    at = AppTest.from_file(MAIN, default_timeout=SLOW)
    at.run()
    at.session_state["map_n"] = 250  # the smallest map
    at.switch_page("views/feature_map.py").run()
    assert_clean(at)
    names = lambda: [t["name"] for t in json.loads(at.get("plotly_chart")[0].proto.spec)["data"]]  # noqa: E731
    assert sorted(names()) == ["generated", "real"]
    at.radio(key="map_color").set_value("label").run()
    assert_clean(at)
    assert "generated" in names() and "7" in names()  # one trace per digit class


# -- Train ----------------------------------------------------------------------------------------
@pytest.fixture
def app_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("DCGAN_APP_RUNS", str(tmp_path))
    yield tmp_path
    for info in tmp_path.glob("*/run.json"):  # never leave a training process behind
        try:
            os.killpg(json.loads(info.read_text())["pid"], signal.SIGKILL)
        except (OSError, KeyError, ValueError):
            pass


def wait_for(condition, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while not condition():
        assert time.time() < deadline, "timed out"
        time.sleep(0.5)


def _process_gone(folder) -> bool:
    pid = json.loads((folder / "run.json").read_text())["pid"]
    try:
        os.kill(pid, 0)
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] == "Z"
    except OSError:
        return True


def test_train_starts_stops_and_resumes_a_background_run(app_runs):
    at = open_page("train")
    for key, value in (("train_data", "digits"), ("train_size", 16), ("train_batch", 64)):
        at.selectbox(key=key).set_value(value).run()
    # the page's most epochs: a tiny run takes well under a second an epoch on an idle machine, so with fewer it
    # can finish before the Stop below arrives (and reads "finished", not "stopped")
    at.number_input(key="train_epochs").set_value(500).run()
    at.select_slider(key="train_width").set_value(8).run()
    at.select_slider(key="train_nz").set_value(16).run()
    at.text_input(key="train_name").set_value("apptest").run()
    at.select_slider(key="train_shift").set_value(0.125).run()  # the small-data aids, off by default
    at.toggle(key="train_ema").set_value(True).run()
    at.selectbox(key="train_loss").set_value("wgan-gp").run()
    assert at.toggle(key="train_r1").disabled  # wgan-gp has its own gradient penalty
    at.selectbox(key="train_loss").set_value("bce").run()
    at.toggle(key="train_r1").set_value(True).run()
    at.button(key="train_start").click().run()
    assert_clean(at)
    assert at.success and "Started apptest" in at.success[0].value
    folder = app_runs / "apptest"
    started = json.loads((folder / "run.json").read_text())["config"]  # the page's TrainConfig, not argv strings
    assert (started["data"], started["image_size"], started["epochs"], started["nz"]) == ("digits", 16, 500, 16)
    assert (started["augment_shift"], started["ema_decay"], started["r1_gamma"]) == (0.125, 0.999, 0.02)
    wait_for(lambda: (folder / "last.pt").is_file())  # the first epoch is done
    at.run()
    assert any("apptest** · running" in m.value for m in at.markdown)
    at.button(key="stop-apptest").click().run()  # SIGINT to the run's process group
    wait_for(lambda: _process_gone(folder), timeout=30)
    at.run()
    assert any("apptest** · stopped" in m.value for m in at.markdown)
    assert "apptest (trained here)" in at.sidebar.selectbox(key="model_key").options
    done = int(next(m.value for m in at.markdown if "apptest**" in m.value).split(" · ")[2].split(" ")[0])
    at.number_input(key="more-apptest").set_value(done + 1).run()
    at.button(key="resume-apptest").click().run()
    wait_for(lambda: _process_gone(folder) and (folder / "samples" / f"epoch_{done + 1:03d}.png").is_file())
    at.run()
    assert_clean(at)
    assert any(f"apptest** · finished · {done + 1} of {done + 1}" in m.value for m in at.markdown)
    state = torch.load(folder / "last.pt", weights_only=False)
    assert "G_ema" in state and state["train_config"]["augment_shift"] == 0.125  # the resume kept the aids
    assert state["train_config"]["r1_gamma"] == 0.02


def test_real_images_follow_the_model_and_a_mismatch_is_a_warning():
    at = open_page("filters")
    assert at.selectbox(key="filt_data").value == "mnist"
    at.sidebar.selectbox(key="model_key").set_value("emoji-64 (bundled)").run()
    assert_clean(at)
    assert at.selectbox(key="filt_data").value == "emoji-people"  # the picker moved with the model (its own data)
    assert not at.warning
    at.selectbox(key="filt_data").set_value("mnist").run()
    assert any("trained on 'emoji-people', not 'mnist'" in w.value for w in at.warning)  # never silently
    at.sidebar.selectbox(key="model_key").set_value("mnist-32 (bundled)").run()
    assert at.selectbox(key="filt_data").value == "mnist" and not at.warning
