"""A real `streamlit run` server on a free loopback port, and headless Debian Chromium driven by Playwright."""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers import CHROMIUM, CHROMIUM_ARGS, running_server


@pytest.fixture(scope="session")
def streamlit_url():
    args = ["-m", "streamlit", "run", "app/main.py", "--server.address", "127.0.0.1", "--server.headless", "true",
            "--global.developmentMode", "false", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    with running_server(args, port_flag="--server.port", health_path="/_stcore/health") as url:
        yield url


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
