"""Latent space: sampling z, and (later) interpolation, arithmetic and directions."""
from __future__ import annotations

import torch


def sample_z(n: int, nz: int, *, seed: int = 0, truncation: float | None = None) -> torch.Tensor:
    """n latent vectors z ~ N(0, I) of size nz, reproducible from `seed`.

    With `truncation` t, every coordinate outside [-t, t] is redrawn until it falls inside
    (the truncation trick): samples get more typical and less varied as t shrinks.
    """
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n, nz, generator=gen)
    if truncation is not None:
        if truncation <= 0:
            raise ValueError(f"truncation must be positive, got {truncation}")
        outside = z.abs() > truncation
        while outside.any():
            z[outside] = torch.randn(int(outside.sum()), generator=gen)
            outside = z.abs() > truncation
    return z


@torch.no_grad()
def generate(G: torch.nn.Module, z: torch.Tensor, *, batch_size: int = 256) -> torch.Tensor:
    """G(z) in [-1, 1] on the CPU, in batches, without building a graph."""
    device = next(G.parameters()).device
    return torch.cat([G(chunk.to(device)).cpu() for chunk in z.split(batch_size)])
