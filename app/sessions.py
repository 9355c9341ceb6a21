"""Per-session temp folders that go when their browser session ends, not when Python happens to collect it.

Streamlit keeps a closed tab's session for `server.disconnectedSessionTTL` seconds (120 by default) so a
reconnect can resume it, and drops it lazily afterwards. A sweeper thread (one per server process) removes
each session's folder once that session has been neither connected nor resumable for the TTL. Folders live
under one parent per process, so two servers on a machine never sweep each other's sessions.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

PARENT = Path(tempfile.mkdtemp(prefix="dcgan-sessions-"))  # this server process's session folders
atexit.register(shutil.rmtree, str(PARENT), ignore_errors=True)
SEPARATOR = "--"  # folder name: <session id>--<random>


def new_folder(session_id: str) -> Path:
    """A fresh folder for `session_id` (a Streamlit session id, or "" outside a server)."""
    safe = "".join(c for c in session_id if c.isalnum() or c == "-")[:64] or "none"
    return Path(tempfile.mkdtemp(prefix=f"{safe}{SEPARATOR}", dir=PARENT))


def session_of(folder: Path) -> str:
    return folder.name.split(SEPARATOR)[0]


class Sweeper:
    """Removes the folders of sessions that have not been alive for `ttl` seconds (`alive(session_id)` says)."""

    def __init__(self, alive: Callable[[str], bool], ttl: float, *, clock: Callable[[], float] = time.monotonic):
        self.alive, self.ttl, self.clock = alive, ttl, clock
        self.gone_since: dict[str, float] = {}

    def sweep(self) -> list[Path]:
        """One pass over PARENT: the folders removed."""
        now, removed = self.clock(), []
        for folder in [p for p in PARENT.iterdir() if p.is_dir()]:
            sid = session_of(folder)
            if self.alive(sid):
                self.gone_since.pop(sid, None)
            elif now - self.gone_since.setdefault(sid, now) >= self.ttl:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
        return removed


def _streamlit_alive(session_id: str) -> bool:
    """Whether a browser is connected to the session now (Runtime.is_active_session is safe on any thread).

    A disconnected session counts as gone; the sweeper waits the TTL, as long as Streamlit lets it resume.
    """
    from streamlit.runtime import Runtime

    return not Runtime.exists() or Runtime.instance().is_active_session(session_id)


_started = threading.Lock()
_thread: list[threading.Thread] = []


def start_sweeper() -> None:
    """Start the process's sweeper once; it passes every min(30, TTL) seconds (at least 1)."""
    from streamlit import config

    ttl = float(config.get_option("server.disconnectedSessionTTL"))
    with _started:
        if _thread:
            return
        sweeper, period = Sweeper(_streamlit_alive, ttl), max(1.0, min(30.0, ttl))

        def loop():
            while True:
                time.sleep(period)
                try:
                    sweeper.sweep()
                except Exception:  # a sweep must never stop the sweeper (a folder vanishing mid-pass)
                    pass

        _thread.append(threading.Thread(target=loop, name="dcgan-session-sweeper", daemon=True))
        _thread[0].start()
