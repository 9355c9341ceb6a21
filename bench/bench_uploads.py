"""Memory and disk after many checkpoint uploads in one Streamlit session (prints figures; not a test).

    python bench/bench_uploads.py [--n 50]

Target (issue #19): after 50 uploads of a 10 MB file in one session, RSS stays within 300 MB of the start,
and the session's upload folder holds at most core.MAX_SESSION_UPLOADS batches. Measured with AppTest,
which runs the Model page in this process, so this process's RSS is the server's.
"""
import argparse
import gc
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024


def ten_mb_checkpoint(folder: Path) -> bytes:
    """An untrained 64x64 colour G (ngf 56, 2.7 million weights, ~11 MB) exported as a slim .pt."""
    from dcgan.checkpoint import build_model, export
    from dcgan.config import ModelConfig
    from dcgan.models import Generator

    config = ModelConfig(image_size=64, channels=3, nz=100, ngf=56, ndf=56)
    model = build_model(config, Generator(config).state_dict(), None)
    return export(model, folder / "g.pt").read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50)
    args = parser.parse_args()
    from streamlit.testing.v1 import AppTest

    from app import core

    data = ten_mb_checkpoint(Path(tempfile.mkdtemp()))
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    at.run()
    at.file_uploader(key="ckpt_upload").set_value([("warm.pt", data, "application/octet-stream")]).run()
    gc.collect()
    start = rss_mb()
    for i in range(args.n):
        at.file_uploader(key="ckpt_upload").set_value([(f"m{i}.pt", data, "application/octet-stream")]).run()
        assert not at.exception, [e.value for e in at.exception]
        if (i + 1) % 10 == 0:
            gc.collect()
            print(f"after {i + 1:3d} uploads of {len(data) / 1e6:.1f} MB: RSS {rss_mb():7.0f} MB "
                  f"({rss_mb() - start:+.0f} MB since the first)")
    folder = at.session_state["_session_dir"].path / "uploads"
    disk = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(f"upload folders kept: {len(list(folder.iterdir()))} (limit {core.MAX_SESSION_UPLOADS}), "
          f"{disk / 1e6:.0f} MB on disk")


if __name__ == "__main__":
    main()
