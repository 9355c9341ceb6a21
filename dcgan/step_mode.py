"""Training one step at a time (GAN Lab's slow motion): single D or G steps on a copy of a loaded model.

The copy has its own Adam optimisers (the paper's recipe; a loaded file carries no optimiser state) and draws
its batches from real images in memory. The loaded model and its file are never touched: `save` writes the
stepped copy to a new path and refuses the source. After a D step the verdict's percentiles would describe the
old D, so `model()` refits the verdict on a fixed set of real images whenever D has changed.
"""
from __future__ import annotations

import contextlib
import copy
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import losses
from .checkpoint import FORMAT, VERSION, Model, save_atomic
from .config import TrainConfig
from .errors import DcganError
from .latent import sample_z
from .train import HISTORY_COLUMNS
from .verdict import fit_verdict


def _plain(net: torch.nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


GP_LAMBDA = 10.0  # wgan-gp's penalty weight, as TrainConfig's default


@contextlib.contextmanager
def _measuring(*nets: torch.nn.Module):
    """Forward passes in train mode that leave BatchNorm's running statistics as they were: measuring is no training."""
    saved = [{k: b.clone() for k, b in net.named_buffers()} for net in nets]
    try:
        with torch.no_grad():
            yield
    finally:
        for net, buffers in zip(nets, saved):
            for k, b in net.named_buffers():
                b.copy_(buffers[k])


@dataclass
class StepStats:
    """One step's numbers, measured on the batch it used, before and after the update."""

    step: int
    kind: str  # "D" or "G"
    loss_before: float
    loss_after: float
    gap_before: float  # mean D logit of the real batch minus that of the fake batch
    gap_after: float


@dataclass
class StepMode:
    """A steppable copy of `model`; `data` is an ImageData of its image size and channels (the built-in set)."""

    model: Model
    data: object
    batch_size: int = 64
    seed: int = 0
    n_verdict: int = 300  # real images the verdict is refitted on after D steps (fixed for the whole session)
    n_samples: int = 16  # the fixed sample grid's z
    history: list = field(default_factory=list)

    def __post_init__(self):
        if self.model.D is None:
            raise DcganError("this file has no discriminator, so it cannot be trained a step at a time: "
                             "load a file with D")
        self.G, self.D = copy.deepcopy(self.model.G), copy.deepcopy(self.model.D)
        self.G.requires_grad_(True)
        self.D.requires_grad_(True)
        recipe = TrainConfig(loss=self.model.config.loss).recipe()
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=recipe["lr"], betas=recipe["betas"])
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=recipe["lr"], betas=recipe["betas"])
        self.gen = torch.Generator().manual_seed(self.seed)
        self.fixed_z = sample_z(self.n_samples, self.model.config.nz, seed=self.seed + 1)
        order = torch.randperm(len(self.data), generator=torch.Generator().manual_seed(self.seed))
        self.verdict_real = self.data.as_float(order[: self.n_verdict])
        self._verdict, self._verdict_step = None, -1  # fitted on first use: step 0 and later steps read alike
        self.steps = self.d_steps = 0

    # -- batches -----------------------------------------------------------------------------
    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randint(len(self.data), (self.batch_size,), generator=self.gen)
        return self.data.as_float(idx), torch.randn(self.batch_size, self.model.config.nz, generator=self.gen)

    def _d_loss(self, real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, float]:
        """D's loss on (real, fake) and its logit gap, in train mode as in training (BatchNorm on the batch)."""
        real_logits, fake_logits = self.D(real), self.D(fake)
        loss = losses.d_loss(self.model.config.loss, real_logits, fake_logits)
        if self.model.config.loss == "wgan-gp":
            eps = torch.rand(len(real), 1, 1, 1, generator=self.gen)
            loss = loss + GP_LAMBDA * losses.gradient_penalty(self.D, real, fake, eps)
        return loss, float((real_logits.mean() - fake_logits.mean()).detach())

    # -- steps -----------------------------------------------------------------------------------
    def d_step(self) -> StepStats:
        """One Adam step of D on a fresh batch: D(x) up, D(G(z)) down (the trainer's d_loss)."""
        real, noise = self._batch()
        self.G.train(), self.D.train()
        with torch.no_grad():
            fake = self.G(noise)
        loss, gap = self._d_loss(real, fake)
        self.opt_D.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_D.step()
        with _measuring(self.D):
            after, gap_after = self._d_loss(real, fake)
        self.d_steps += 1
        return self._log("D", float(loss.detach()), float(after), gap, gap_after)

    def g_step(self) -> StepStats:
        """One Adam step of G on fresh z: D(G(z)) up through the current D (the trainer's g_loss)."""
        real, noise = self._batch()
        self.G.train(), self.D.train()
        self.D.requires_grad_(False)
        fake_logits = self.D(self.G(noise))  # (B,)
        loss = losses.g_loss(self.model.config.loss, fake_logits)
        self.opt_G.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_G.step()
        with _measuring(self.G, self.D):  # D did not change: its logits of real and of the old fakes still hold
            moved = self.D(self.G(noise))  # (B,): the same z through the stepped G
            real_mean = self.D(real).mean()
            after = losses.g_loss(self.model.config.loss, moved)
            gap, gap_after = float(real_mean - fake_logits.detach().mean()), float(real_mean - moved.mean())
        self.D.requires_grad_(True)
        return self._log("G", float(loss.detach()), float(after), gap, gap_after)

    def both(self) -> list[StepStats]:
        """A D step, then a G step: one iteration of the trainer's loop."""
        return [self.d_step(), self.g_step()]

    def _log(self, kind: str, before: float, after: float, gap: float, gap_after: float) -> StepStats:
        self.steps += 1
        self.G.eval(), self.D.eval()
        stats = StepStats(self.steps, kind, before, after, gap, gap_after)
        self.history.append(stats)
        return stats

    # -- what the front ends show and save --------------------------------------------------------
    def current(self) -> Model:
        """The stepped nets as a Model (eval mode) whose verdict fits the current D (refitted after D steps)."""
        if self._verdict_step != self.d_steps:
            self.D.eval()
            self._verdict = fit_verdict(self.D, self.verdict_real, data=self.data.name, seed=self.seed)
            self._verdict_step = self.d_steps
        meta = {k: v for k, v in self.model.meta.items() if k not in ("verdict", "history")}
        return Model(self.G, self.D, self.model.config, meta, _verdict=self._verdict)

    def _epoch(self) -> int:
        epoch = self.model.meta.get("epoch")
        return epoch if isinstance(epoch, int) else 0

    def _history(self) -> dict:
        """The file's training log, with no rows added: single steps are not epochs of training."""
        history = self.model.meta.get("history")
        return history if isinstance(history, dict) else {c: [] for c in HISTORY_COLUMNS}

    def train_config(self, *, epochs: int | None = None) -> TrainConfig:
        """The recipe that resumes this model with `dcgan train --resume` (the built-in data, the paper's optimiser)."""
        c = self.model.config
        return TrainConfig(data=self.data.name, image_size=c.image_size, channels=c.channels, nz=c.nz, ngf=c.ngf,
                           ndf=c.ndf, loss=c.loss, batch_size=self.batch_size, epochs=epochs or self._epoch() + 1)

    def save(self, path, *, source=None) -> Path:
        """Write the stepped model as a new checkpoint at `path`; refuses to overwrite the file it came from."""
        path = Path(path)
        if source is not None and path.resolve() == Path(source).resolve():
            raise DcganError("step mode never overwrites the file it started from: save under a new name")
        state = {"format": FORMAT, "version": VERSION, "config": self.model.config.to_dict(),
                 "G": _plain(self.G), "D": _plain(self.D), "opt_G": self.opt_G.state_dict(),
                 "opt_D": self.opt_D.state_dict(), "rng": {"gen": self.gen.get_state(), "torch": torch.get_rng_state()},
                 "epoch": self._epoch(), "step": int(self.model.meta.get("step") or 0) + self.steps,
                 "train_config": self.train_config().to_dict(), "history": self._history(),
                 "dataset": self.data.name, "labels": list(self.model.config.labels or ()), "n_images": len(self.data),
                 "verdict": self.current().verdict().state_dict(), "stepped_from": str(source or "")}
        save_atomic(state, path)
        return path
