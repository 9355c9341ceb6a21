"""Training runs started from the app: each is a `python -m dcgan train` process in its own session.

The process outlives the Streamlit script and a browser refresh; its folder (runs/app/NAME) holds
run.json (command and pid), log.jsonl, samples/ and last.pt, which is all the page needs to show it.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from app.core import ROOT, app_runs


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

    def target_epochs(self) -> int | None:
        args = self.info.get("args", [])
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
        return "\n".join([l for l in text.splitlines() if l.strip()][-lines:])

    def stop(self) -> None:
        """Interrupt the run; the last finished epoch's last.pt stays, so it can be resumed."""
        pid = self.info.get("pid")
        if pid and self.running():
            os.killpg(pid, signal.SIGINT)

    def start(self, args: list[str], *, resume: bool = False) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "dcgan", "train", *args, "--out", str(self.folder)] + (["--resume"] if resume else [])
        with open(self.folder / "output.txt", "ab") as out:
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        threading.Thread(target=proc.wait, daemon=True).start()  # reap it when it ends: no zombie in the server
        (self.folder / "run.json").write_text(json.dumps({"pid": proc.pid, "args": args}))


def all_runs() -> list[Run]:
    return [Run(p) for p in sorted(app_runs().glob("*")) if p.is_dir() and (p / "run.json").is_file()]
