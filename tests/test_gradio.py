"""The Gradio front end: its named API endpoints answer gradio_client on a loopback port."""
import subprocess
import sys

import pytest
from PIL import Image

from helpers import ROOT, running_server


@pytest.fixture(scope="module")
def gradio_url():
    with running_server(["-m", "app.gradio_app"]) as url:
        yield url + "/"


def test_generate_endpoint_sizes_and_seeds(gradio_url):
    from gradio_client import Client

    client = Client(gradio_url, verbose=False)
    a = client.predict(0, 3.0, 4, api_name="/generate")
    b = client.predict(1, 3.0, 4, api_name="/generate")
    img_a, img_b = Image.open(a), Image.open(b)
    assert img_a.size == (2 * (2 * 32 + 3 * 2),) * 2  # a 2x2 grid of 32 px images, 2 px padding, upscaled x2
    assert img_a.tobytes() != img_b.tobytes()


def test_walk_endpoint_returns_a_gif(gradio_url):
    from gradio_client import Client

    gif = Image.open(Client(gradio_url, verbose=False).predict("0, 1, 2", 4, "slerp", api_name="/walk"))
    assert gif.n_frames == 9 and gif.size == (128, 128)


def test_bad_checkpoint_is_refused_at_start(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_text("nope")
    r = subprocess.run([sys.executable, "-m", "app.gradio_app", "--checkpoint", str(junk)], cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0 and r.stderr.strip().startswith("error:") and "Traceback" not in r.stderr
