"""The training loop: data in memory, alternating D and G steps, one self-describing checkpoint per epoch.

Nothing here knows about DCGAN layers; it trains whatever `models.build` returns.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from tqdm.auto import tqdm

from . import losses
from .checkpoint import FORMAT, VERSION, save_atomic
from .config import ModelConfig, TrainConfig
from .data import ImageData, load_data
from .errors import CheckpointError, TrainingError
from .media import grid, save_png
from .models import build

HISTORY_COLUMNS = ("step", "epoch", "loss_d", "loss_g", "d_real", "d_fake")


def pick_device(name: str = "auto") -> torch.device:
    """CUDA, then MPS, then CPU, unless a device is named."""
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def fixed_noise(nz: int, seed: int, n: int = 64) -> torch.Tensor:
    """The z's behind every epoch's sample grid: the same for the whole run, so grids are comparable."""
    return torch.randn(n, nz, generator=torch.Generator().manual_seed(seed + 1))


class Trainer:
    """Holds one run's state (nets, optimisers, RNG, history) so it can be checkpointed and resumed."""

    def __init__(self, cfg: TrainConfig, data: ImageData, *, device: torch.device):
        self.cfg, self.data, self.device = cfg, data, device
        self.recipe = cfg.recipe()
        self.model_config = ModelConfig(
            image_size=cfg.image_size, channels=data.images.shape[1], nz=cfg.nz, ngf=cfg.ngf, ndf=cfg.ndf,
            loss=cfg.loss, dataset=data.name, labels=data.classes,
        )
        torch.manual_seed(cfg.seed)  # weight init
        self.G, self.D = (net.to(device) for net in build(self.model_config))
        adam = dict(lr=self.recipe["lr"], betas=self.recipe["betas"])
        self.opt_G = torch.optim.Adam(self.G.parameters(), **adam)
        self.opt_D = torch.optim.Adam(self.D.parameters(), **adam)
        self.gen = torch.Generator().manual_seed(cfg.seed)  # shuffles, z and penalty mixing: all on CPU
        self.images = data.images.to(device)  # uint8 on the device: decoded once, scaled per batch
        self.epoch = self.step = 0
        self.history: dict[str, list] = {c: [] for c in HISTORY_COLUMNS}
        self.out = Path(cfg.out)

    # -- checkpointing -------------------------------------------------------------------
    def state(self) -> dict:
        return {
            "format": FORMAT, "version": VERSION,
            "config": self.model_config.to_dict(), "train_config": self.cfg.to_dict(),
            "G": self.G.state_dict(), "D": self.D.state_dict(),
            "opt_G": self.opt_G.state_dict(), "opt_D": self.opt_D.state_dict(),
            "epoch": self.epoch, "step": self.step,
            "rng": {"gen": self.gen.get_state(), "torch": torch.get_rng_state()},
            "dataset": self.data.name, "labels": list(self.data.classes), "n_images": len(self.data),
            "history": self.history,
        }

    def restore(self, path: Path) -> None:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:
            raise CheckpointError(f"cannot resume from {path}: {str(err).splitlines()[0][:160]}") from None
        if state.get("format") != FORMAT or state.get("config") != self.model_config.to_dict():
            raise CheckpointError(f"cannot resume from {path}: it was trained with a different model or data set ({state.get('config')})")
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        self.gen.set_state(state["rng"]["gen"])
        torch.set_rng_state(state["rng"]["torch"])
        self.epoch, self.step, self.history = state["epoch"], state["step"], state["history"]

    def save(self) -> Path:
        last = self.out / "last.pt"
        state = self.state()
        save_atomic(state, last)
        if self.cfg.save_every and self.epoch % self.cfg.save_every == 0:
            save_atomic(state, self.out / f"epoch_{self.epoch:03d}.pt")
        return last

    # -- one optimisation step --------------------------------------------------------------
    def _batch(self, idx: torch.Tensor) -> torch.Tensor:
        return self.images[idx.to(self.device)].float().div_(127.5).sub_(1.0)

    def _noise(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.cfg.nz, generator=self.gen).to(self.device)

    def train_step(self, real: torch.Tensor, *, update_g: bool) -> torch.Tensor:
        """One D step, and a G step if asked. Returns [loss_d, loss_g, D(x), D(G(z)), G updated] on the device (no host sync)."""
        kind = self.cfg.loss
        fake = self.G(self._noise(real.shape[0]))
        # 1. D step: push D(x) up and D(G(z)) down (G's output detached).
        real_logits, fake_logits = self.D(real), self.D(fake.detach())
        loss_d = losses.d_loss(kind, real_logits, fake_logits)
        if kind == "wgan-gp":
            loss_d = loss_d + self.cfg.gp_lambda * losses.gradient_penalty(self.D, real, fake.detach(), self.gen)
        self.opt_D.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_D.step()
        # 2. G step: push D(G(z)) up through the updated D.
        loss_g = torch.zeros((), device=self.device)
        if update_g:
            loss_g = losses.g_loss(kind, self.D(fake))
            self.opt_G.zero_grad(set_to_none=True)
            loss_g.backward()
            self.opt_G.step()
        return torch.stack([loss_d.detach(), loss_g.detach(), losses.score(kind, real_logits.detach()), losses.score(kind, fake_logits.detach()), torch.tensor(float(update_g), device=self.device)])

    # -- logging ---------------------------------------------------------------------------
    def _flush(self, pending: list[torch.Tensor], log_file, bar) -> None:
        """Move pending step stats to the host in one sync, log them, and stop on a non-finite loss."""
        if not pending:
            return
        rows = torch.stack(pending).float().cpu().tolist()
        first_step = self.step - len(rows) + 1
        for i, (ld, lg, dr, df, updated) in enumerate(rows):
            if not (math.isfinite(ld) and math.isfinite(lg)):
                raise TrainingError(
                    f"loss became {'NaN' if math.isnan(ld) or math.isnan(lg) else 'infinite'} at epoch {self.epoch + 1}, "
                    f"step {first_step + i}; stopped, and {self.out / 'last.pt'} keeps the last good epoch (try a lower --lr)"
                )
            if not updated:  # a critic-only step (wgan-gp): carry the last G loss
                lg = self.history["loss_g"][-1] if self.history["loss_g"] else 0.0
            row = dict(zip(HISTORY_COLUMNS, (first_step + i, self.epoch + 1, ld, lg, dr, df)))
            for key, value in row.items():
                self.history[key].append(value)
            log_file.write(json.dumps(row) + "\n")
        log_file.flush()
        ld, lg, dr, df = (self.history[c][-1] for c in HISTORY_COLUMNS[2:])
        bar.set_postfix_str(f"loss D {ld:.3f}  G {lg:.3f}  D(x) {dr:.3f}  D(G(z)) {df:.3f}")
        pending.clear()

    def _rewrite_log(self) -> Path:
        path = self.out / "log.jsonl"
        with open(path, "w") as f:
            for values in zip(*(self.history[c] for c in HISTORY_COLUMNS)):
                f.write(json.dumps(dict(zip(HISTORY_COLUMNS, values))) + "\n")
        return path

    # -- the loop ----------------------------------------------------------------------------
    def run(self, *, progress: bool = True) -> Path:
        """Train until cfg.epochs, saving last.pt and a sample grid after each epoch."""
        cfg, n = self.cfg, len(self.data)
        batch = min(cfg.batch_size, n)
        n_critic = self.recipe["n_critic"]
        noise = fixed_noise(cfg.nz, cfg.seed).to(self.device)
        last = self.out / "last.pt"
        self.out.mkdir(parents=True, exist_ok=True)
        log_path = self._rewrite_log()  # drops rows logged after the last checkpoint, if resuming
        with open(log_path, "a") as log_file:
            while self.epoch < cfg.epochs:
                self.G.train(), self.D.train()
                order = torch.randperm(n, generator=self.gen)
                n_batches = n // batch  # drop the ragged last batch: BatchNorm wants full batches
                bar = tqdm(range(n_batches), desc=f"epoch {self.epoch + 1}/{cfg.epochs}", disable=not progress, leave=True)
                pending: list[torch.Tensor] = []
                for b in bar:
                    self.step += 1
                    real = self._batch(order[b * batch : (b + 1) * batch])
                    pending.append(self.train_step(real, update_g=self.step % n_critic == 0))
                    if len(pending) >= cfg.log_every:
                        self._flush(pending, log_file, bar)
                self._flush(pending, log_file, bar)
                bar.close()
                self.epoch += 1
                self.write_samples(noise)
                last = self.save()
        return last

    @torch.no_grad()
    def write_samples(self, noise: torch.Tensor) -> Path:
        """Save the fixed-noise grid for this epoch as DIR/samples/epoch_NNN.png (G in eval mode)."""
        self.G.eval()
        images = self.G(noise)
        self.G.train()
        return save_png(grid(images), self.out / "samples" / f"epoch_{self.epoch:03d}.png")


def train(cfg: TrainConfig, *, resume: bool = False, progress: bool = True) -> Path:
    """Train a DCGAN as `cfg` says, writing DIR/last.pt, DIR/log.jsonl and DIR/samples/. Returns last.pt's path."""
    data = load_data(cfg.data, image_size=cfg.image_size, channels=cfg.channels, download=cfg.download,
                     data_root=cfg.data_root, max_images=cfg.max_images)
    trainer = Trainer(cfg, data, device=pick_device(cfg.device))
    last = Path(cfg.out) / "last.pt"
    if resume:
        if not last.is_file():
            raise CheckpointError(f"nothing to resume: {last} does not exist")
        trainer.restore(last)
    return trainer.run(progress=progress)
