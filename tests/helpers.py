"""Helpers shared by the test modules (imported as `helpers`; conftest files hold only fixtures)."""
import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_MNIST = ROOT / "checkpoints" / "mnist-32.pt"
# Browser tests save their screenshots here; DCGAN_UPDATE_SCREENSHOTS=1 writes them over the README's instead.
SCREENSHOTS = ROOT / ("assets" if os.environ.get("DCGAN_UPDATE_SCREENSHOTS") else "tests/e2e/artifacts")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def tiny_train_config(out: Path, **overrides):
    """A TrainConfig that trains in about a second: scikit-learn digits at 16x16, nz=ngf=ndf=8."""
    from dcgan.config import TrainConfig

    values = dict(data="digits", out=str(out), image_size=16, epochs=1, batch_size=64, nz=8, ngf=8, ndf=8,
                  seed=0, device="cpu", log_every=5)
    values.update(overrides)
    return TrainConfig(**values)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def wait_for_app(page, timeout: float = 90_000) -> None:
    """Wait until the script has finished running and nothing is still loading."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)
    page.wait_for_function("!document.querySelector('[data-testid=\"stSkeleton\"]')", timeout=timeout)
    page.wait_for_timeout(300)


@contextlib.contextmanager
def running_server(args: list[str], *, port_flag: str = "--port", health_path: str = "/", timeout: float = 120,
                   log: Path | None = None):
    """Start `python ARGS <port_flag> N` on a free loopback port; yield its base URL; stop it afterwards.

    With `log`, the server's stdout and stderr go to that file (to read the server log after a test)."""
    import sys

    port = free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
    out = open(log, "w") if log else subprocess.PIPE  # closed with the server, below
    proc = subprocess.Popen([sys.executable, *args, port_flag, str(port)], cwd=ROOT, env=env,
                            stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until_up(f"http://127.0.0.1:{port}{health_path}", proc, timeout=timeout)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log:
            out.close()


def reference_generator(nz=100, ngf=64, nc=3):
    """pytorch/examples' DCGAN generator layout, rebuilt here: one nn.Sequential named main."""
    from torch import nn

    seq = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh(),
    )
    wrapper = nn.Module()
    wrapper.main = seq
    return wrapper
