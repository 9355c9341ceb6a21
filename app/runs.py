"""Training runs started from the app: each is a `python -m dcgan train` process in its own session.

The process outlives the Streamlit script and a browser refresh; its folder (runs/app/NAME) holds
run.json (command, pid and owner), log.jsonl, samples/ and last.pt, which is all the page needs to show it.

A run belongs to the browser session that started it (core.session_owner): only that session sees, stops,
resumes and picks it, plus the finished runs the operator publishes (DCGAN_PUBLISHED_RUNS). How many run
at once is capped per session and per server (DCGAN_MAX_RUNS_PER_SESSION, DCGAN_MAX_RUNS).
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from app.core import ROOT, app_runs, setting
from dcgan.config import TrainConfig

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,59}")  # run names are slugs: no dots, no slashes
_STARTING = threading.Lock()  # the cap check and the start happen together, whichever session asks


@dataclass
class Run:
    folder: Path

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def info(self) -> dict:
        try:
            return json.loads((self.folder / "run.json").read_text())
        except (OSError, ValueError):
            return {}

    @property
    def owner(self) -> str | None:
        return self.info.get("owner")

    def running(self) -> bool:
        pid = self.info.get("pid")
        if not pid:
            return False
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        try:  # a zombie (finished, not yet reaped) counts as stopped
            return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
        except OSError:
            return True

    def log(self) -> list[dict]:
        path = self.folder / "log.jsonl"
        if not path.is_file():
            return []
        rows = []
        for line in path.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:  # a line being written right now
                break
        return rows

    def config(self) -> TrainConfig | None:
        """The TrainConfig the run was started with (None for a folder from before run.json held one)."""
        from dcgan.config import from_dict
        from dcgan.errors import ConfigError

        try:
            return from_dict(TrainConfig, self.info["config"])
        except (KeyError, TypeError, ConfigError):
            return None

    def target_epochs(self) -> int | None:
        cfg, args = self.config(), self.info.get("args", [])  # args: run.json as older versions wrote it
        if cfg is not None:
            return cfg.epochs
        return int(args[args.index("--epochs") + 1]) if "--epochs" in args[:-1] else None

    def completed_epochs(self) -> int:
        """Epochs finished so far: each writes its samples/epoch_NNN.png just before last.pt."""
        sample = self.latest_sample()
        return int(sample.stem.split("_")[-1]) if sample else 0

    def state(self) -> str:
        if self.running():
            return "running"
        target = self.target_epochs()
        return "finished" if target and self.completed_epochs() >= target else "stopped"

    def latest_sample(self) -> Path | None:
        samples = sorted((self.folder / "samples").glob("epoch_*.png"))
        return samples[-1] if samples else None

    def output_tail(self, lines: int = 3) -> str:
        path = self.folder / "output.txt"
        if not path.is_file():
            return ""
        text = path.read_text(errors="replace").replace("\r", "\n")
        return "\n".join([line for line in text.splitlines() if line.strip()][-lines:])

    def stop(self) -> None:
        """Interrupt the run; the last finished epoch's last.pt stays, so it can be resumed."""
        pid = self.info.get("pid")
        if pid and self.running():
            os.killpg(pid, signal.SIGINT)

    def start(self, cfg: TrainConfig, *, owner: str, resume: bool = False) -> None:
        """`python -m dcgan train --config` on the run's config (its folder as --out), in its own process group."""
        self.folder.mkdir(parents=True, exist_ok=True)
        cfg = dataclasses.replace(cfg, out=str(self.folder))
        (self.folder / "config.json").write_text(json.dumps(cfg.to_dict()))
        cmd = [sys.executable, "-m", "dcgan", "train", "--config", str(self.folder / "config.json")]
        cmd += ["--resume"] if resume else []
        with open(self.folder / "output.txt", "ab") as out:
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        threading.Thread(target=proc.wait, daemon=True).start()  # reap it when it ends: no zombie in the server
        (self.folder / "run.json").write_text(json.dumps({"pid": proc.pid, "config": cfg.to_dict(), "owner": owner}))


def all_runs() -> list[Run]:
    return [Run(p) for p in sorted(app_runs().glob("*")) if p.is_dir() and (p / "run.json").is_file()]


def published() -> set[str] | None:
    """Run names the operator shares with every session (DCGAN_PUBLISHED_RUNS: names, comma-separated); None = all."""
    value = (setting("DCGAN_PUBLISHED_RUNS") or "").strip()
    return None if value == "*" else {n.strip() for n in value.split(",") if n.strip()}


def visible_runs(owner: str) -> list[Run]:
    """The runs this session may see: its own, and published runs that are not running."""
    shared = published()
    return [r for r in all_runs() if r.owner == owner or ((shared is None or r.name in shared) and not r.running())]


def _cap(name: str, default: int) -> int:
    try:
        return max(0, int(setting(name) or default))
    except ValueError:
        return default


def start_refusal(owner: str) -> str | None:
    """Why this session may not start (or resume) a run now, or None when it may."""
    running = [r for r in all_runs() if r.running()]
    per_session, per_server = _cap("DCGAN_MAX_RUNS_PER_SESSION", 1), _cap("DCGAN_MAX_RUNS", 2)
    if sum(r.owner == owner for r in running) >= per_session:
        return f"This session already has {per_session} run(s) going: stop one or wait for it to finish."
    if len(running) >= per_server:
        return f"The server is running {per_server} training run(s), its limit: try again when one has finished."
    return None


def start_owned(run: Run, cfg: TrainConfig, *, owner: str, resume: bool = False) -> str | None:
    """Start `run` for `owner` unless a cap says no; returns the refusal, or None once it is running."""
    with _STARTING:
        refusal = start_refusal(owner)
        if refusal is None:
            run.start(cfg, owner=owner, resume=resume)
        return refusal


def data_roots() -> list[Path]:
    """Folders on the server that visitors may train from (DCGAN_DATA_ROOTS, os.pathsep-separated); none by default."""
    value = setting("DCGAN_DATA_ROOTS") or ""
    return [Path(p).expanduser().resolve() for p in value.split(os.pathsep) if p.strip()]


def allowed_folder(text: str) -> Path | None:
    """The folder `text` names when it exists under an allowed root (symlinks resolved), else None.

    Missing and not allowed answer alike, so the page never tells a visitor which folders exist.
    """
    try:
        path = Path(text).expanduser().resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    inside = any(path == root or root in path.parents for root in data_roots())
    return path if inside and path.is_dir() else None
