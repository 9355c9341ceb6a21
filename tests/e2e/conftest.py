"""A real `streamlit run` server on a free loopback port, and headless Debian Chromium driven by Playwright."""
from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import pytest
from helpers import BUNDLED_MNIST, CHROMIUM, CHROMIUM_ARGS, running_server


def write_finished_run(folder: Path, checkpoint: Path = BUNDLED_MNIST) -> Path:
    """A finished app run rebuilt from a checkpoint that carries its loss log: what the Train page shows.

    The bundled MNIST model keeps its real per-step log, so the Train page screenshot shows real curves
    and real samples instead of the noise of a seconds-long test run.
    """
    import dcgan
    from dcgan.config import TrainConfig
    from dcgan.latent import generate, sample_z
    from dcgan.media import grid, save_png

    model = dcgan.load(checkpoint)
    cfg, epochs, run = model.config, model.meta.get("epoch", 1), folder / checkpoint.stem
    (run / "samples").mkdir(parents=True)
    columns = list(model.history)
    with open(run / "log.jsonl", "w") as f:
        for values in zip(*model.history.values()):
            f.write(json.dumps(dict(zip(columns, values))) + "\n")
    save_png(grid(generate(model.G, sample_z(64, cfg.nz, seed=0))), run / "samples" / f"epoch_{epochs:03d}.png")
    shutil.copy(checkpoint, run / "last.pt")
    train = TrainConfig(data=cfg.dataset, out=str(run), image_size=cfg.image_size, epochs=epochs, loss=cfg.loss,
                        nz=cfg.nz, ngf=cfg.ngf, ndf=cfg.ndf)
    (run / "run.json").write_text(json.dumps({"pid": None, "config": train.to_dict()}))
    return run


@pytest.fixture(scope="session")
def app_runs_dir(tmp_path_factory):
    """The folder the browser-tested app trains into (never the user's runs/app); its runs are killed after."""
    folder = tmp_path_factory.mktemp("app-runs")
    write_finished_run(folder)
    yield folder
    for info in folder.glob("*/run.json"):
        try:
            os.killpg(json.loads(info.read_text())["pid"], signal.SIGKILL)
        except (OSError, KeyError, ValueError, TypeError):
            pass


@pytest.fixture(scope="session")
def streamlit_url(streamlit_server):
    return streamlit_server[0]


@pytest.fixture(scope="session")
def streamlit_server(app_runs_dir, tmp_path_factory):
    """(URL, server log file) of the one Streamlit server every browser test shares: each server start and each
    first use of a page (UMAP's numba compilation, the model loads) costs tens of seconds on 2 cores."""
    log = tmp_path_factory.mktemp("streamlit-log") / "server.log"
    args = ["-m", "streamlit", "run", "app/main.py", "--server.address", "127.0.0.1", "--server.headless", "true",
            "--global.developmentMode", "false", "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false"]
    previous = os.environ.get("DCGAN_APP_RUNS")
    os.environ["DCGAN_APP_RUNS"] = str(app_runs_dir)  # the server inherits it
    os.environ["DCGAN_PUBLISHED_RUNS"] = "mnist-32"  # the finished run the fixture wrote, shown to every session
    try:
        with running_server(args, port_flag="--server.port", health_path="/_stcore/health", log=log) as url:
            yield url, log
    finally:
        os.environ.pop("DCGAN_PUBLISHED_RUNS", None)
        if previous is None:
            os.environ.pop("DCGAN_APP_RUNS", None)
        else:
            os.environ["DCGAN_APP_RUNS"] = previous


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is required for browser tests (apt-get install chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)
    pg = context.new_page()
    yield pg
    context.close()


def pytest_collection_modifyitems(config, items):
    """Every browser test is `e2e` (deselect with -m 'not e2e'); this conftest only sees tests/e2e's items."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)
