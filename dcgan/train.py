"""The training loop: data in memory, alternating D and G steps, one self-describing checkpoint per epoch.

Nothing here knows about DCGAN layers; it trains whatever `models.build` returns.
"""
from __future__ import annotations

import contextlib
import copy
import math
import warnings
from pathlib import Path

import torch
from tqdm.auto import tqdm

from . import distributed, losses
from .augment import random_cutout, random_shift
from .checkpoint import epoch_state, read_training_state, save_atomic, training_state
from .config import ModelConfig, TrainConfig
from .data import ImageData, load_data
from .errors import CheckpointError, TrainingError
from .media import grid, save_png
from .models import build
from .precision import fast_dtype
from .run_log import COLUMNS as HISTORY_COLUMNS
from .run_log import RunLog

LOG_VERDICT_IMAGES = 400  # real images behind each epoch's verdict of the fixed-z samples (~1 s at 64x64)
FINAL_VERDICT_IMAGES = 3000


def pick_device(name: str = "auto") -> torch.device:
    """CUDA, then MPS, then CPU, unless a device is named."""
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _plain(state: dict) -> dict:
    """A state_dict with contiguous tensors: channels_last weights would not export to safetensors."""
    return {k: v.contiguous() if isinstance(v, torch.Tensor) else v for k, v in state.items()}


def fixed_noise(nz: int, seed: int, n: int = 64) -> torch.Tensor:
    """The z's behind every epoch's sample grid: the same for the whole run, so grids are comparable."""
    return torch.randn(n, nz, generator=torch.Generator().manual_seed(seed + 1))


class Trainer:
    """Holds one run's state (nets, optimisers, RNG, history) so it can be checkpointed and resumed."""

    def __init__(self, cfg: TrainConfig, data: ImageData, *, device: torch.device,
                 world: distributed.World = distributed.World()):
        self.cfg, self.data, self.device, self.world = cfg, data, device, world
        self.recipe = cfg.recipe()
        self.model_config = ModelConfig(
            image_size=cfg.image_size, channels=data.images.shape[1], nz=cfg.nz, ngf=cfg.ngf, ndf=cfg.ndf,
            loss=cfg.loss, dataset=data.name, labels=data.classes,
        )
        torch.manual_seed(cfg.seed)  # weight init
        self.G, self.D = (net.to(device) for net in build(self.model_config))
        # The fast path: lower-precision autocast, and channels_last so oneDNN needs no layout conversions.
        self.amp_dtype = fast_dtype(device) if cfg.fast else None
        self.layout = torch.channels_last if cfg.fast and device.type != "mps" else torch.contiguous_format
        self.G, self.D = (net.to(memory_format=self.layout) for net in (self.G, self.D))
        if world.size > 1:
            self.G, self.D = (distributed.sync_batchnorm(net, device) for net in (self.G, self.D))
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True
        # fp16 (CUDA without bf16) needs loss scaling; one scaler per optimiser. Disabled scalers are no-ops.
        self.scaler_D, self.scaler_G = (torch.amp.GradScaler(device.type, enabled=self.amp_dtype == torch.float16)
                                        for _ in range(2))
        # The fused Adam updates every tensor in one kernel: the same maths as the per-tensor loop, with less overhead.
        adam = dict(betas=self.recipe["betas"], fused=device.type in ("cpu", "cuda"))
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=self.recipe["lr"], **adam)
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=self.recipe["lr_d"], **adam)
        self.G_ema: torch.nn.Module | None = None  # the moving average of G's weights, when cfg.ema_decay > 0
        self.reset_ema()
        self.gen = torch.Generator().manual_seed(cfg.seed)  # shuffles, z and penalty mixing: all on CPU
        self.images = data.images.to(device)  # uint8 on the device: decoded once, scaled per batch
        # What runs the forward passes whose gradients must be averaged across ranks
        # (the nets themselves in one process).
        self.G_ddp, self.D_ddp = (distributed.data_parallel(net, world, device) for net in (self.G, self.D))
        self.epoch = self.step = 0
        self.verdict: dict | None = None  # the per-image verdict's calibration, fitted once training is done
        self.log = RunLog()  # per step: losses; per epoch: the verdict of the fixed-z samples (see _log_verdict)
        self.out = Path(cfg.out)

    @property
    def history(self) -> dict[str, list]:
        return self.log.history

    @property
    def G_shown(self) -> torch.nn.Module:
        """The G the checkpoint loads as (the EMA copy when there is one): what grids and the verdict look at."""
        return self.G if self.G_ema is None else self.G_ema

    # -- the moving average of G's weights -------------------------------------------------------
    def reset_ema(self) -> None:
        """Start the EMA from G as it is now (after init, a warm start, or on resuming a file without one)."""
        self.G_ema = None
        if self.cfg.ema_decay > 0:
            self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)

    @torch.no_grad()
    def update_ema(self) -> None:
        """ema <- decay * ema + (1 - decay) * G for every weight; BatchNorm's running statistics are copied from G."""
        if self.G_ema is None:
            return
        ema, live = list(self.G_ema.parameters()), list(self.G.parameters())
        torch._foreach_lerp_(ema, live, 1.0 - self.cfg.ema_decay)
        for ema_buffer, buffer in zip(self.G_ema.buffers(), self.G.buffers()):
            ema_buffer.copy_(buffer)

    def warm_start(self, path: str | Path) -> None:
        """Take G's and D's weights from a checkpoint of the same architecture; optimisers stay fresh."""
        from .checkpoint import load

        model = load(path)
        model.require_d("--init-from")
        keys = ("image_size", "channels", "nz", "ngf", "ndf", "loss")
        theirs, ours = model.config.to_dict(), self.model_config.to_dict()
        differ = [f"{k} {theirs[k]} vs {ours[k]}" for k in keys if theirs[k] != ours[k]]
        if differ:
            raise CheckpointError(f"--init-from {Path(path).name}: its model differs from this run's ("
                                  + ", ".join(differ) + "): use the same --image-size, --nz, --ngf, --ndf and --loss")
        self.G.load_state_dict(model.G.state_dict())
        self.D.load_state_dict(model.D.state_dict())
        self.reset_ema()

    # -- checkpointing -------------------------------------------------------------------
    def state(self) -> dict:
        """This run as last.pt holds it (the layout is dcgan.checkpoint's)."""
        return training_state(
            model_config=self.model_config, train_config=self.cfg.to_dict(),
            nets={"G": _plain(self.G.state_dict()), "D": _plain(self.D.state_dict()),
                  **({"G_ema": _plain(self.G_ema.state_dict())} if self.G_ema is not None else {})},
            optimisers={"opt_G": self.opt_G.state_dict(), "opt_D": self.opt_D.state_dict()},
            epoch=self.epoch, step=self.step, rng={"gen": self.gen.get_state(), "torch": torch.get_rng_state()},
            data=self.data, log=self.log.state(), verdict=self.verdict,
        )

    def restore(self, path: Path) -> None:
        state = read_training_state(path, self.model_config)
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        self.reset_ema()  # a file without an EMA (or EMA newly turned on): start it from the restored G
        if self.G_ema is not None and "G_ema" in state:
            self.G_ema.load_state_dict(state["G_ema"])
        self._apply_recipe(state.get("train_config") or {})
        self.gen.set_state(state["rng"]["gen"])
        torch.set_rng_state(state["rng"]["torch"])
        self.epoch, self.step = state["epoch"], state["step"]
        self.log = RunLog.resumed(state, self.epoch)
        self.verdict = state.get("verdict") if self.epoch >= self.cfg.epochs else None  # refitted after more epochs

    def _apply_recipe(self, saved: dict) -> None:
        """Resuming with another --lr, betas, --n-critic, --gp-lambda, --r1-gamma or --batch-size: use the new values,
        and say so.

        The optimiser state would otherwise bring back the old learning rate and betas silently.
        """
        try:
            before = {**saved, **TrainConfig(**saved).recipe()}
        except (TypeError, ValueError):
            return  # a file from an older version: nothing to compare with
        now = {**self.cfg.to_dict(), **self.recipe}
        keys = ("lr", "lr_d", "betas", "n_critic", "gp_lambda", "r1_gamma", "batch_size", "ema_decay")
        changed = [k for k in keys if before.get(k) != now.get(k)]
        for opt, lr in ((self.opt_G, self.recipe["lr"]), (self.opt_D, self.recipe["lr_d"])):
            for group in opt.param_groups:
                group["lr"], group["betas"] = lr, self.recipe["betas"]
        if changed:
            warnings.warn("resuming with changed settings, applied from now on: " + ", ".join(
                f"{k} {before.get(k)} -> {now.get(k)}" for k in changed), stacklevel=2)

    def save(self) -> Path:
        last = self.out / "last.pt"
        state = self.state()
        save_atomic(state, last)
        if self.cfg.save_every and self.epoch % self.cfg.save_every == 0:
            save_atomic(epoch_state(state), self.out / f"epoch_{self.epoch:03d}.pt")
        return last

    # -- one optimisation step --------------------------------------------------------------
    def _batch(self, idx: torch.Tensor) -> torch.Tensor:
        """This rank's share of a global batch of training images, scaled to [-1, 1]."""
        real = self.images[self.world.shard(idx).to(self.device)].float().div_(127.5).sub_(1.0)
        return real.contiguous(memory_format=self.layout)

    def _noise(self, n: int) -> torch.Tensor:
        """z for a global batch of n, drawn on every rank alike; each rank keeps its own slice."""
        return self.world.shard(torch.randn(n, self.cfg.nz, generator=self.gen)).to(self.device)

    def _autocast(self, enabled: bool = True):
        if self.amp_dtype is None or not enabled:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    @staticmethod
    def _optimise(optimiser: torch.optim.Optimizer, scaler: torch.amp.GradScaler, loss: torch.Tensor) -> None:
        optimiser.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimiser)
        scaler.update()

    def _augmented(self, images: torch.Tensor) -> torch.Tensor:
        """What D is shown: the images, randomly shifted and cut out when the run asks for it (dcgan.augment)."""
        if not (self.cfg.augment_shift or self.cfg.augment_cutout):
            return images
        if self.cfg.augment_shift:
            images = random_shift(images, self.cfg.augment_shift, self.gen)
        if self.cfg.augment_cutout:
            images = random_cutout(images, self.cfg.augment_cutout, self.gen)
        return images.contiguous(memory_format=self.layout)

    def train_step(self, real: torch.Tensor, *, update_g: bool, batch_size: int) -> torch.Tensor:
        """One D step, and a G step if asked. Returns [loss_d, loss_g, D(x), D(G(z)), G updated] on the device (no
        host sync).

        `real` is this rank's share of a global batch of `batch_size` (all of it in one process).
        """
        kind = self.cfg.loss
        noise = self._noise(batch_size)
        with self._autocast(), torch.set_grad_enabled(update_g):  # critic-only steps need no graph through G
            fake = (self.G_ddp if update_g else self.G)(noise)
        # 1. D step: push D(x) up and D(G(z)) down (G's output detached). Losses are taken in fp32.
        real_seen, fake_seen = self._augmented(real), self._augmented(fake.detach())
        if self.cfg.r1_gamma:  # (refused with wgan-gp, which has its own penalty)
            real_seen = real_seen.detach().requires_grad_(True)
        with self._autocast():
            real_logits, fake_logits = self.D_ddp(real_seen).float(), self.D_ddp(fake_seen).float()
        loss_d = losses.d_loss(kind, real_logits, fake_logits)
        if kind == "wgan-gp":
            eps = self.world.shard(torch.rand(batch_size, 1, 1, 1, generator=self.gen)).to(self.device)
            # fp16 would need the scaler inside autograd.grad
            with self._autocast(enabled=self.amp_dtype != torch.float16):
                penalty = losses.gradient_penalty(self.D_ddp, real_seen, fake_seen, eps)  # on what D saw
            loss_d = loss_d + self.cfg.gp_lambda * penalty
        if self.cfg.r1_gamma:
            loss_d = loss_d + self.cfg.r1_gamma / 2 * losses.r1_penalty(real_logits, real_seen)
        self._optimise(self.opt_D, self.scaler_D, loss_d)
        # 2. G step: push D(G(z)) up through the updated D. D's own weight gradients are not needed here, so D is
        # frozen for this pass (and run outside DDP: nothing of D's is synchronised). G's gradient is unchanged.
        loss_g = torch.zeros((), device=self.device)
        if update_g:
            self.D.requires_grad_(False)
            with self._autocast():
                loss_g = losses.g_loss(kind, self.D(self._augmented(fake)).float())
            self._optimise(self.opt_G, self.scaler_G, loss_g)
            self.D.requires_grad_(True)
            self.update_ema()
        return torch.stack([loss_d.detach(), loss_g.detach(), losses.score(kind, real_logits.detach()),
                            losses.score(kind, fake_logits.detach()),
                            torch.tensor(float(update_g), device=self.device)])

    # -- logging ---------------------------------------------------------------------------
    def _flush(self, pending: list[torch.Tensor], log_file, bar) -> None:
        """Move pending step stats to the host in one sync, log them, and stop on a non-finite loss."""
        if not pending:
            return
        rows = self.world.mean(torch.stack(pending).float()).cpu().tolist()  # every rank sees the global means
        first_step = self.step - len(rows) + 1
        for i, (ld, lg, dr, df, updated) in enumerate(rows):
            if not (math.isfinite(ld) and math.isfinite(lg)):
                kept = (f"{self.out / 'last.pt'} keeps the last good epoch" if self.epoch > 0
                        else "no epoch had finished, so nothing was saved")
                raise TrainingError(
                    f"loss became {'NaN' if math.isnan(ld) or math.isnan(lg) else 'infinite'} at epoch "
                    f"{self.epoch + 1}, "
                    f"step {first_step + i}; stopped, and {kept} (try a lower --lr)"
                )
            if not updated:  # a critic-only step (wgan-gp): carry the last G loss
                lg = self.log.last("loss_g")
            self.log.add(dict(zip(HISTORY_COLUMNS, (first_step + i, self.epoch + 1, ld, lg, dr, df))), log_file)
        if log_file is not None:
            log_file.flush()
        ld, lg, dr, df = (self.history[c][-1] for c in HISTORY_COLUMNS[2:])
        bar.set_postfix_str(f"loss D {ld:.3f}  G {lg:.3f}  D(x) {dr:.3f}  D(G(z)) {df:.3f}")
        pending.clear()

    # -- the loop ----------------------------------------------------------------------------
    def run(self, *, progress: bool = True) -> Path:
        """Train until cfg.epochs, saving last.pt and a sample grid after each epoch."""
        cfg, n, main = self.cfg, len(self.data), self.world.is_main
        batch = min(cfg.batch_size, n - n % self.world.size)  # the global batch
        n_critic = self.recipe["n_critic"]
        noise = fixed_noise(cfg.nz, cfg.seed).to(self.device)
        last = self.out / "last.pt"
        self.out.mkdir(parents=True, exist_ok=True)
        # Only rank 0 writes; the log drops rows logged after the last checkpoint, if resuming.
        with open(self.log.rewrite(self.out / "log.jsonl"), "a") if main else contextlib.nullcontext() as log_file:
            while self.epoch < cfg.epochs:
                self.G.train(), self.D.train()
                order = torch.randperm(n, generator=self.gen)  # the same on every rank: each takes its slice
                n_batches = n // batch  # drop the ragged last batch: BatchNorm wants full batches
                bar = tqdm(range(n_batches), desc=f"epoch {self.epoch + 1}/{cfg.epochs}", leave=True,
                           disable=not (progress and main))
                pending: list[torch.Tensor] = []
                for b in bar:
                    self.step += 1
                    real = self._batch(order[b * batch : (b + 1) * batch])
                    pending.append(self.train_step(real, update_g=self.step % n_critic == 0, batch_size=batch))
                    if len(pending) >= cfg.log_every:
                        self._flush(pending, log_file, bar)
                self._flush(pending, log_file, bar)
                bar.close()
                self.epoch += 1
                if main:
                    self.write_samples(noise)
                    self._log_verdict(noise)
                    last = self.save()
        if main and self.verdict is None:
            self.verdict = self._fit_verdict()
            last = self.save() if self.verdict else last
        return last

    @torch.no_grad()
    def _log_verdict(self, noise: torch.Tensor) -> None:
        """The per-image verdict of this epoch's fixed-z samples, fitted on up to LOG_VERDICT_IMAGES training images
        with this
        epoch's D: the curve that agrees with the captions under images, unlike D's train-mode batch means."""
        from .verdict import auc, fit_verdict

        n = min(len(self.data), LOG_VERDICT_IMAGES)
        if n < 40:
            return
        real = self.data.as_float(torch.randperm(len(self.data), generator=torch.Generator().manual_seed(0))[:n])
        self.G.eval(), self.D.eval()
        try:
            verdict = fit_verdict(self.D, real, bank_size=n // 2)
            scores = verdict.score(self.D, self.G_shown(noise).float())
            real_scores = verdict.score(self.D, real[n // 2:])
        finally:
            self.G.train(), self.D.train()
        self.log.verdict_log.append({"epoch": self.epoch, "step": self.step, "realness_generated": float(scores.mean()),
                                 "auc_generated": auc(real_scores, scores)})

    def _fit_verdict(self) -> dict | None:
        """The per-image verdict (dcgan.verdict) for the final D, fitted on the training images; None if too few."""
        from .checkpoint import build_model
        from .latent import generate, sample_z
        from .verdict import fit_verdict

        if len(self.data) < 40:
            return None
        model = build_model(self.model_config, _plain(self.G_shown.state_dict()), _plain(self.D.state_dict()))
        generated = generate(model.G, sample_z(500, self.cfg.nz, seed=self.cfg.seed + 1))
        # Up to FINAL_VERDICT_IMAGES: a bank of 1,500 and as many to calibrate on (~10 s at 64x64 on 2 cores)
        subset = torch.randperm(len(self.data),
                                generator=torch.Generator().manual_seed(0))[:FINAL_VERDICT_IMAGES].sort().values
        verdict = fit_verdict(model.D, self.data.as_float(subset), generated=generated, data=self.data.name,
                              seed=self.cfg.seed)
        verdict.bank_index_ = subset.numpy()[verdict.bank_index_]  # indices into the whole data set, for held_out()
        return verdict.state_dict()

    @torch.no_grad()
    def write_samples(self, noise: torch.Tensor) -> Path:
        """Save the fixed-noise grid for this epoch as DIR/samples/epoch_NNN.png (G in eval mode)."""
        self.G.eval()
        images = self.G_shown(noise)
        self.G.train()
        return save_png(grid(images), self.out / "samples" / f"epoch_{self.epoch:03d}.png")


def train(cfg: TrainConfig, *, resume: bool = False, progress: bool = True) -> Path:
    """Train a DCGAN as `cfg` says, writing DIR/last.pt, DIR/log.jsonl and DIR/samples/. Returns last.pt's path."""
    from .media import writable

    last = writable(Path(cfg.out) / "last.pt")  # a folder that cannot be made, or nothing to resume: before any data
    if resume and not last.is_file():
        raise CheckpointError(f"nothing to resume: {last} does not exist")
    data = load_data(cfg.data, image_size=cfg.image_size, channels=cfg.channels, download=cfg.download,
                     data_root=cfg.data_root, max_images=cfg.max_images)
    world = distributed.world_from_env()  # several processes when started by torchrun
    device = distributed.start(world, pick_device(cfg.device), cfg.batch_size)
    try:
        trainer = Trainer(cfg, data, device=device, world=world)
        if resume:
            trainer.restore(last)
        elif cfg.init_from:
            trainer.warm_start(cfg.init_from)
        return trainer.run(progress=progress)
    finally:
        distributed.stop(world)
