"""Data-parallel training across processes and machines, started by `torchrun` (PyTorch's own launcher).

torchrun sets RANK, WORLD_SIZE and LOCAL_RANK; without them everything here is a no-op and training runs in
one process. Each rank takes its own slice of every global batch, gradients are averaged by
DistributedDataParallel (gloo on CPU, nccl on CUDA), and BatchNorm normalises over the *global* batch, so a
run on N processes computes what one process computes on the same global batch (tested on 2 CPU processes).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from .errors import ConfigError


@dataclass(frozen=True)
class World:
    """This process's place in the job: rank 0 of 1 when not launched by torchrun."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Only rank 0 writes checkpoints, samples, the log and the progress bar."""
        return self.rank == 0

    def shard(self, batch: torch.Tensor) -> torch.Tensor:
        """This rank's contiguous slice of a global batch (every rank draws the same global batch)."""
        if self.size == 1:
            return batch
        per_rank = batch.shape[0] // self.size
        return batch[self.rank * per_rank : (self.rank + 1) * per_rank]

    def mean(self, values: torch.Tensor) -> torch.Tensor:
        """The mean over ranks of a tensor of statistics (one collective, used when logging)."""
        if self.size == 1:
            return values
        values = values.clone()
        dist.all_reduce(values)
        return values / self.size


def world_from_env() -> World:
    """Read torchrun's variables; a missing or single-process launch is World()."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World()
    return World(rank=int(os.environ["RANK"]), size=size, local_rank=int(os.environ.get("LOCAL_RANK", "0")))


def start(world: World, device: torch.device, batch_size: int) -> torch.device:
    """Join the process group (nccl on CUDA, gloo otherwise) and return this rank's device."""
    if world.size == 1:
        return device
    if batch_size % world.size:
        raise ConfigError(f"--batch-size {batch_size} must be divisible by the {world.size} processes: "
                          f"it is the global batch")
    if device.type == "cuda":
        device = torch.device("cuda", world.local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def stop(world: World) -> None:
    if world.size > 1 and dist.is_initialized():
        dist.destroy_process_group()


class _SumOverRanks(torch.autograd.Function):
    """all_reduce(SUM) with a backward: the gradient of a global sum reaches each rank as the sum of all ranks'
    gradients."""

    @staticmethod
    def forward(ctx, local: torch.Tensor) -> torch.Tensor:
        total = local.clone()
        dist.all_reduce(total)
        return total

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


class GlobalBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm over all ranks' samples on any device: torch's SyncBatchNorm refuses CPU tensors.

    Per-channel sums and squared sums are all-reduced with a differentiable collective, so the backward pass
    also sees every rank's contribution. Outside training, or in one process, it is plain BatchNorm2d.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        xf = x.float()
        channels = x.shape[1]
        local = torch.cat([xf.sum((0, 2, 3)), (xf * xf).sum((0, 2, 3)), xf.new_tensor([xf.numel() / channels])])
        total = _SumOverRanks.apply(local)
        count = total[-1]
        mean = total[:channels] / count
        var = (total[channels : 2 * channels] / count - mean * mean).clamp_min(0)
        with torch.no_grad():
            self.num_batches_tracked.add_(1)
            self.running_mean.lerp_(mean.detach(), self.momentum)
            self.running_var.lerp_(var.detach() * count / (count - 1), self.momentum)
        scale = torch.rsqrt(var + self.eps) * self.weight
        y = xf * scale[None, :, None, None] + (self.bias - mean * scale)[None, :, None, None]
        return y.to(x.dtype)


def sync_batchnorm(net: nn.Module, device: torch.device) -> nn.Module:
    """Swap BatchNorm2d for its global-batch version: torch's SyncBatchNorm on CUDA, GlobalBatchNorm2d elsewhere.

    The state_dict keys do not change, so checkpoints stay interchangeable with single-process ones.
    """
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(net)
    for name, child in net.named_children():
        if type(child) is nn.BatchNorm2d:
            swapped = GlobalBatchNorm2d(child.num_features, child.eps, child.momentum).to(child.weight.device)
            swapped.load_state_dict(child.state_dict())
            setattr(net, name, swapped)
        else:
            sync_batchnorm(child, device)
    return net


def data_parallel(net: nn.Module, world: World, device: torch.device) -> nn.Module:
    """DistributedDataParallel around `net` in a multi-process job; `net` itself otherwise."""
    if world.size == 1:
        return net
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    # Buffers (BatchNorm running stats) are already identical on every rank: no per-forward broadcast.
    return DistributedDataParallel(net, device_ids=ids, forward_sync_buffers=False)
