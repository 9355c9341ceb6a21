"""Architecture tables: every layer of G and D with its output shape, parameter count and size arithmetic.

For transposed convolutions the output size follows o = s(i - 1) + k - 2p; for strided
convolutions o = floor((i + 2p - k) / s) + 1. Showing the numbers makes the doubling and
halving of DCGAN's stages concrete.
"""
from __future__ import annotations

import torch
from torch import nn


def output_size(module: nn.Module, i: int) -> int:
    """Spatial output size of a square (transposed) convolution for input size i."""
    k, s, p = module.kernel_size[0], module.stride[0], module.padding[0]
    if isinstance(module, nn.ConvTranspose2d):
        return s * (i - 1) + k - 2 * p
    return (i + 2 * p - k) // s + 1


def size_rule(module: nn.Module, i: int) -> str:
    """The size formula with this layer's numbers filled in, e.g. 'o = 2·(16 − 1) + 4 − 2·1 = 32'."""
    k, s, p = module.kernel_size[0], module.stride[0], module.padding[0]
    if isinstance(module, nn.ConvTranspose2d):
        return f"o = s(i − 1) + k − 2p = {s}·({i} − 1) + {k} − 2·{p} = {output_size(module, i)}"
    return f"o = ⌊(i + 2p − k) / s⌋ + 1 = ⌊({i} + 2·{p} − {k}) / {s}⌋ + 1 = {output_size(module, i)}"


@torch.no_grad()
def layer_table(net: nn.Module, example: torch.Tensor) -> list[dict]:
    """One row per layer of net.main: stage (layer1...), layer, type, output shape (C x H x W), parameters, size rule.

    The example is run through the layers one by one, so the shapes are measured, not assumed;
    the size rule is computed from the layer's own k, s, p and must agree with them.
    """
    from .models import Generator, stage_modules

    stage = {i: name for name, idx in stage_modules(net, "output" if isinstance(net, Generator) else "logit").items()
             for i in idx}
    rows, x = [], example
    for index, module in enumerate(net.main):
        size_in = x.shape[-1]
        x = module(x.clone() if isinstance(module, (nn.ReLU, nn.LeakyReLU)) else x)  # in-place activations
        is_conv = isinstance(module, (nn.Conv2d, nn.ConvTranspose2d))
        kind = type(module).__name__
        if is_conv:
            kind += (f" {module.kernel_size[0]}x{module.kernel_size[0]}, "
                     f"stride {module.stride[0]}, pad {module.padding[0]}")
        elif isinstance(module, nn.LeakyReLU):
            kind += f"({module.negative_slope})"
        rows.append({
            "stage": stage[index],  # the name the Filters page and the CLI use
            "layer": f"main.{index}",
            "type": kind,
            "output": " x ".join(str(d) for d in x.shape[1:]),
            "parameters": sum(p.numel() for p in module.parameters()),
            "size rule": size_rule(module, size_in) if is_conv else "",
        })
    return rows


def architecture(model) -> dict[str, list[dict]]:
    """Layer tables for G (from a 1x1 z) and D (from a full-size image), eval mode, batch of one."""
    cfg = model.config
    device = next(model.G.parameters()).device
    tables = {"Generator": layer_table(model.G, torch.zeros(1, cfg.nz, 1, 1, device=device))}
    if model.D is not None:
        image = torch.zeros(1, cfg.channels, cfg.image_size, cfg.image_size, device=device)
        tables["Discriminator"] = layer_table(model.D, image)
    return tables
