"""A training run's log: the per-step losses (DIR/log.jsonl and the checkpoint's `history`) and the per-epoch
verdict of the fixed-z samples. Kept apart from the training loop, which only appends to it."""
from __future__ import annotations

import json
from pathlib import Path

COLUMNS = ("step", "epoch", "loss_d", "loss_g", "d_real", "d_fake")


class RunLog:
    """Columns of per-step numbers plus one verdict row per epoch; written to log.jsonl as rows arrive."""

    def __init__(self, history: dict | None = None, verdict_log: list | None = None):
        self.history: dict[str, list] = history if history is not None else {c: [] for c in COLUMNS}
        self.verdict_log: list[dict] = verdict_log if verdict_log is not None else []

    @classmethod
    def resumed(cls, state: dict, epoch: int) -> "RunLog":
        """The log saved in a checkpoint, without verdict rows of epochs after the one it holds."""
        return cls(state["history"], [row for row in state.get("verdict_log", []) if row["epoch"] <= epoch])

    def last(self, column: str, default: float = 0.0) -> float:
        return self.history[column][-1] if self.history[column] else default

    def add(self, row: dict, log_file=None) -> None:
        """One step's numbers (keys: COLUMNS), also as one JSON line when a log file is open."""
        for key in COLUMNS:
            self.history[key].append(row[key])
        if log_file is not None:
            log_file.write(json.dumps({k: row[k] for k in COLUMNS}) + "\n")

    def rewrite(self, path: Path) -> Path:
        """log.jsonl as the history says: a resumed run drops rows logged after its checkpoint."""
        with open(path, "w") as f:
            for values in zip(*(self.history[c] for c in COLUMNS)):
                f.write(json.dumps(dict(zip(COLUMNS, values))) + "\n")
        return path

    def state(self) -> dict:
        """What a checkpoint stores of the log."""
        return {"history": self.history, "verdict_log": self.verdict_log}
