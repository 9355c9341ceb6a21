"""The front ends on a network: runs belong to their session, the server's folders stay closed, requests are bounded."""
import gc
import json
import os
import shutil
import signal
import subprocess
import threading
import time

import pytest
import torch
from helpers import ROOT, running_server
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.slow  # Streamlit and Gradio servers

MAIN = str(ROOT / "app" / "main.py")
ALICE, BOB = "a" * 32, "b" * 32


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    folder = tmp_path / "runs"
    folder.mkdir()
    monkeypatch.setenv("DCGAN_APP_RUNS", str(folder))
    for name in ("DCGAN_PUBLISHED_RUNS", "DCGAN_DATA_ROOTS", "DCGAN_MAX_RUNS", "DCGAN_MAX_RUNS_PER_SESSION"):
        monkeypatch.delenv(name, raising=False)
    return folder


def fake_run(folder, name: str, owner: str, checkpoint=None, pid=None):
    """A run folder as the Train page writes it; with `pid`, a process standing in for the training."""
    run = folder / name
    run.mkdir()
    if checkpoint is not None:
        shutil.copy(checkpoint, run / "last.pt")
    (run / "run.json").write_text(json.dumps({"pid": pid, "args": ["--epochs", "1"], "owner": owner}))
    return run


@pytest.fixture
def sleeper():
    procs = []

    def start():
        procs.append(subprocess.Popen(["sleep", "60"], start_new_session=True))
        return procs[-1].pid

    yield start
    for proc in procs:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def train_page(owner: str) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=30)
    at.query_params["owner"] = owner  # the token the Train page keeps in its URL
    at.run()
    at.switch_page("views/train.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_runs(at: AppTest) -> set[str]:
    return {m.value.split("**")[1] for m in at.markdown if m.value.count("**") >= 2 and " · " in m.value}


# -- runs belong to their session --------------------------------------------------------------------
def test_a_session_sees_stops_and_picks_only_its_own_runs_and_published_ones(runs_dir, tiny_checkpoint, monkeypatch):
    for name, owner in (("mine", ALICE), ("theirs", BOB), ("shared", BOB)):
        fake_run(runs_dir, name, owner, tiny_checkpoint)
    monkeypatch.setenv("DCGAN_PUBLISHED_RUNS", "shared")
    at = train_page(ALICE)
    assert shown_runs(at) == {"mine", "shared"}
    picker = at.sidebar.selectbox(key="model_key").options
    assert ("mine (trained here)" in picker and "shared (trained here)" in picker
            and "theirs (trained here)" not in picker)
    keys = {b.key for b in at.button}
    assert "resume-mine" in keys and "resume-shared" not in keys  # a published run is shown, not controlled
    assert shown_runs(train_page(BOB)) == {"theirs", "shared"}
    assert shown_runs(train_page("c" * 32)) == {"shared"}


def test_caps_on_runs_per_session_and_per_server(runs_dir, sleeper, monkeypatch):
    fake_run(runs_dir, "busy", ALICE, pid=sleeper())
    at = train_page(ALICE)
    at.text_input(key="train_name").set_value("second").run()
    at.button(key="train_start").click().run()
    assert "already has 1 run" in at.error[0].value and not (runs_dir / "second").exists()
    monkeypatch.setenv("DCGAN_MAX_RUNS", "1")
    bob = train_page(BOB)
    bob.text_input(key="train_name").set_value("bobs").run()
    bob.button(key="train_start").click().run()
    assert "server is running 1" in bob.error[0].value and not (runs_dir / "bobs").exists()


@pytest.mark.parametrize("name", ["..", "a/b", ".hidden", "x" * 61, "a.b"])
def test_run_names_are_slugs(runs_dir, name):
    at = train_page(ALICE)
    at.text_input(key="train_name").set_value(name).run()
    at.button(key="train_start").click().run()
    assert at.error and "Run names are" in at.error[0].value
    assert sorted(p.name for p in runs_dir.parent.iterdir()) == ["runs"] and not list(runs_dir.iterdir())


def test_folders_on_the_server_are_off_unless_the_operator_names_roots(runs_dir, tmp_path, monkeypatch):
    at = train_page(ALICE)
    assert at.radio(key="train_kind").options == ["built-in", "upload a .zip"]
    data = tmp_path / "data"
    (data / "images").mkdir(parents=True)
    (data / "escape").symlink_to("/etc")
    monkeypatch.setenv("DCGAN_DATA_ROOTS", str(data))
    at = train_page(ALICE)
    at.radio(key="train_kind").set_value("folder on the server").run()
    messages = {}
    for folder in ("/etc", "/root/.ssh", str(data / "missing"), str(data / "escape"), str(data / ".." / "runs")):
        at.text_input(key="train_folder").set_value(folder).run()
        messages[folder] = at.error[0].value.replace(folder, "PATH")
    assert len(set(messages.values())) == 1, messages  # missing and not allowed read alike
    at.text_input(key="train_folder").set_value(str(data / "images")).run()
    assert not at.error


# -- uploads are bounded and go with the session ----------------------------------------------------
def test_uploads_keep_a_few_batches_and_the_session_folder_goes_with_the_session(runs_dir, tiny_checkpoint):
    from app import core

    data = tiny_checkpoint.read_bytes()
    at = AppTest.from_file(MAIN, default_timeout=30)
    at.run()
    for i in range(core.MAX_SESSION_UPLOADS + 2):
        at.file_uploader(key="ckpt_upload").set_value([(f"m{i}.pt", data, "application/octet-stream")]).run()
        assert not at.exception and not at.error
    folder = at.session_state["_session_dir"].path
    assert len(list((folder / "uploads").iterdir())) == core.MAX_SESSION_UPLOADS
    picker = at.sidebar.selectbox(key="model_key").options
    assert sum("(uploaded" in o for o in picker) == core.MAX_SESSION_UPLOADS and "m0.pt (uploaded, 16px)" not in picker

    holder = core._SessionDir()
    path = holder.path
    assert path.is_dir()
    del holder
    gc.collect()
    assert not path.exists()


def test_a_crafted_loadable_upload_is_one_error_line_and_the_page_stays(runs_dir, tiny_checkpoint, tmp_path):
    state = torch.load(tiny_checkpoint, weights_only=True)
    state["history"], state["D"] = "a string", [1, 2]
    torch.save(state, tmp_path / "odd.pt")
    at = AppTest.from_file(MAIN, default_timeout=30)
    at.run()
    at.file_uploader(key="ckpt_upload").set_value([("odd.pt", (tmp_path / "odd.pt").read_bytes(), "x")]).run()
    assert not at.exception
    assert len(at.error) == 1 and "Could not load odd.pt" in at.error[0].value and "\n" not in at.error[0].value
    assert at.sidebar.selectbox(key="model_key").value == "mnist-32 (bundled)"


# -- Gradio: bounded requests, and the server keeps serving ----------------------------------------
@pytest.fixture(scope="module")
def gradio_url():
    with running_server(["-m", "app.gradio_app"]) as url:
        yield url + "/"


def test_an_oversized_walk_is_refused_at_once_while_another_session_is_served(gradio_url):
    from gradio_client import Client

    seeds = ", ".join(map(str, range(1000)))  # 1,000 keyframes: 31,969 frames and 45 s before the cap
    answers = {}

    def other_user():
        start = time.perf_counter()
        Client(gradio_url, verbose=False).predict(0, "none", 4, api_name="/generate")
        answers["generate"] = time.perf_counter() - start

    start = time.perf_counter()
    thread = threading.Thread(target=other_user)
    thread.start()
    with pytest.raises(Exception, match="at most 64 keyframes") as info:
        Client(gradio_url, verbose=False).predict(seeds, 32, "slerp", api_name="/walk")
    refused_after = time.perf_counter() - start
    thread.join(timeout=60)
    assert "Traceback" not in str(info.value) and "\n" not in str(info.value).strip()
    assert refused_after < 30 and "generate" in answers  # both answered; the walk did no work


def test_walk_gifs_and_uploads_are_kept_in_a_bounded_folder():
    import app.gradio_app as ga

    paths = [ga.walk("0, 1", 2, "lerp") for _ in range(ga.KEEP_FILES + 5)]
    kept = list((ga.OUT / "walks").iterdir())
    assert len(kept) == ga.KEEP_FILES and str(ga.OUT / "walks" / os.path.basename(paths[-1])) in map(str, kept)


def test_a_z_file_with_thousands_of_keyframes_is_one_line_on_the_walks_page(runs_dir):
    import numpy as np

    from app.common import z_to_npy

    at = AppTest.from_file(MAIN, default_timeout=30)
    at.run()
    at.switch_page("views/walk.py").run()
    # 5,000 keyframes: 160,000 frames at 32 steps
    many = z_to_npy(np.random.default_rng(0).standard_normal((5000, 100)))
    at.file_uploader(key="walk_z_upload").set_value([("many.npy", many, "application/octet-stream")]).run()
    assert not at.exception
    assert len(at.error) == 1 and "at most 64 keyframes" in at.error[0].value


def test_the_sweeper_removes_a_session_folder_once_its_session_has_been_gone_for_the_ttl():
    from app import sessions

    mine, theirs = sessions.new_folder("alive-session"), sessions.new_folder("closed-session")
    alive, now = {"alive-session", "closed-session"}, [0.0]
    sweeper = sessions.Sweeper(lambda sid: sid in alive, ttl=10, clock=lambda: now[0])
    ours = lambda: [p for p in sweeper.sweep() if p in (mine, theirs)]  # noqa: E731  (other tests' folders aside)
    assert ours() == [] and theirs.is_dir()
    alive.discard("closed-session")  # the tab closes: Streamlit may still resume it for the TTL
    now[0] = 5.0
    assert ours() == [] and theirs.is_dir()
    now[0] = 14.0
    assert ours() == [] and theirs.is_dir()  # 9 s gone
    now[0] = 15.0
    assert ours() == [theirs] and not theirs.exists() and mine.is_dir()
    alive.discard("alive-session")
    now[0] = 20.0
    ours()
    alive.add("alive-session")  # a reconnect within the TTL resets the clock
    now[0] = 40.0
    assert ours() == [] and mine.is_dir()
    assert sessions.PARENT in mine.parents  # one parent per server process: servers never sweep each other


def test_walk_gifs_are_bounded_by_bytes_as_well_as_by_count(tmp_path):
    import app.gradio_app as ga

    files = []
    for i, size in enumerate([10, 10, 10, 10, 40]):  # oldest first; the newest alone is 40 bytes
        files.append(tmp_path / f"walk-{i}.gif")
        files[-1].write_bytes(b"x" * size)
        os.utime(files[-1], (1000 + i, 1000 + i))
    ga._prune_oldest(files, keep=10, keep_bytes=60)  # newest first: 40, 50, 60 fit; 70 does not
    assert [f.name for f in files if f.exists()] == ["walk-2.gif", "walk-3.gif", "walk-4.gif"]
    ga._prune_oldest(files, keep=3)  # room for one more: the 2 newest stay
    assert [f.name for f in files if f.exists()] == ["walk-3.gif", "walk-4.gif"]


def test_served_images_are_bounded_and_each_image_endpoint_makes_room(tmp_path, monkeypatch):
    import gradio.utils

    import app.gradio_app as ga

    monkeypatch.setattr(gradio.utils, "get_upload_folder", lambda: str(tmp_path))
    for i in range(ga.KEEP_IMAGES + 6):  # PNGs Gradio wrote for earlier outputs, oldest first
        (tmp_path / f"h{i:03d}").mkdir()
        (tmp_path / f"h{i:03d}" / "image.png").write_bytes(b"x" * 10)
        os.utime(tmp_path / f"h{i:03d}" / "image.png", (1000 + i, 1000 + i))
    (tmp_path / "upload").mkdir()
    (tmp_path / "upload" / "digit.png").write_bytes(b"y")  # a visitor's upload: not ours to remove
    ga.generate(0, "none", 4)
    kept = sorted(p.parent.name for p in tmp_path.glob("*/image.png"))
    assert kept == [f"h{i:03d}" for i in range(7, ga.KEEP_IMAGES + 6)]  # room for the one this call makes
    assert not (tmp_path / "h000").exists() and (tmp_path / "upload" / "digit.png").exists()


def test_an_image_bomb_on_the_invert_page_is_one_line_from_its_header(runs_dir):
    from test_security import png_declaring

    at = AppTest.from_file(MAIN, default_timeout=60)
    at.run()
    at.switch_page("views/invert.py").run()
    at.radio(key="invert_source").set_value("Upload").run()
    start = time.perf_counter()  # the upload is decoded as it arrives: refused there, not at Find z
    at.file_uploader(key="invert_upload").set_value([("bomb.png", png_declaring(13000, 13000), "image/png")]).run()
    assert not at.exception and time.perf_counter() - start < 20  # decoding 169 Mpx alone would take longer
    assert len(at.error) == 1 and "169000000 pixels is over" in at.error[0].value
    assert at.error[0].value.startswith("Could not load bomb.png") and at.button(key="invert_run").disabled
    assert "invert_result" not in at.session_state


@pytest.mark.parametrize("value", [12345, ["a,b"], "data:image/png;base64,@@@not base64@@@", ","])
def test_whatever_a_crafted_client_sends_as_the_canvas_is_no_drawing_or_bytes(monkeypatch, value):
    import app.canvas as canvas

    monkeypatch.setattr(canvas, "_canvas", lambda **kwargs: value)
    drawn = canvas.draw(key="k")
    assert drawn is None or drawn == b""


def test_an_image_bomb_sent_to_gradio_invert_is_refused_from_its_header(gradio_url, tmp_path):
    from gradio_client import Client, handle_file
    from test_security import png_declaring

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_declaring(13000, 13000))  # 169 Mpx: under Pillow's own 179 Mpx error, 3 GB once decoded
    start = time.perf_counter()
    with pytest.raises(Exception, match="pixel limit") as info:
        Client(gradio_url, verbose=False).predict(handle_file(str(bomb)), api_name="/invert")
    assert time.perf_counter() - start < 30 and "\n" not in str(info.value).strip()


def test_a_walk_prunes_gradios_served_copies_of_older_walks(tmp_path, monkeypatch):
    import app.gradio_app as ga

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path))  # Gradio's serving cache: one hash folder per file
    for i in range(ga.KEEP_FILES + 8):
        (tmp_path / f"h{i}").mkdir()
        (tmp_path / f"h{i}" / f"walk-{i}.gif").write_bytes(b"gif")
        os.utime(tmp_path / f"h{i}" / f"walk-{i}.gif", (1000 + i, 1000 + i))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "image.png").write_bytes(b"png")  # not ours: never touched
    ga.walk("0, 1", 2, "lerp")
    kept = sorted(int(p.stem.split("-")[1]) for p in tmp_path.glob("*/walk-*.gif"))
    assert kept == list(range(9, ga.KEEP_FILES + 8)) and (tmp_path / "other" / "image.png").is_file()
