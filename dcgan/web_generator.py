"""G for the browser: BatchNorm folded into the transposed convolutions, weights as compact bytes.

A live view redraws G(z) on every slider move, so it runs G in the browser. In eval mode each
BatchNorm is an affine map per channel, y = s * x + t with s = gamma / sqrt(var + eps) and
t = beta - s * mean, so it folds into the convolution before it: W'[:, c] = s[c] * W[:, c] and a
bias t. What is left is a chain of (transposed conv + bias, ReLU | Tanh) that plain JS can run.

The export is one JSON layout plus one byte string, little-endian float16 or float32, each
layer's weight (cin, cout, k, k) in PyTorch's order followed by its bias (cout,).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .errors import DcganError

DTYPES = {"float16": np.float16, "float32": np.float32}
MAX_LIVE_MACS = 250_000_000  # above this a browser redraws too slowly to feel live (the page falls back)


@dataclass(frozen=True)
class FoldedLayer:
    """One transposed convolution with its BatchNorm folded in, and the nonlinearity after it."""

    weight: torch.Tensor  # (cin, cout, k, k)
    bias: torch.Tensor  # (cout,)
    stride: int
    padding: int
    activation: str  # "relu" or "tanh"


def _fold(conv: nn.ConvTranspose2d, bn: nn.BatchNorm2d | None) -> tuple[torch.Tensor, torch.Tensor]:
    weight = conv.weight.detach().double()  # (cin, cout, k, k)
    bias = conv.bias.detach().double() if conv.bias is not None else torch.zeros(weight.shape[1], dtype=torch.float64)
    if bn is None:
        return weight.float(), bias.float()
    scale = bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)  # (cout,)
    shift = bn.bias.detach().double() - scale * bn.running_mean.double()
    return (weight * scale[None, :, None, None]).float(), (bias * scale + shift).float()


def fold_generator(G: nn.Module) -> list[FoldedLayer]:
    """G's layers with BatchNorm (eval mode, running statistics) folded into each transposed conv."""
    modules, layers, i = list(G.main), [], 0
    while i < len(modules):
        conv = modules[i]
        if not isinstance(conv, nn.ConvTranspose2d):
            raise DcganError(f"cannot fold G: expected a transposed convolution at main.{i}, "
                             f"found {type(conv).__name__}")
        bn = modules[i + 1] if i + 1 < len(modules) and isinstance(modules[i + 1], nn.BatchNorm2d) else None
        i += 2 if bn is not None else 1
        act = modules[i] if i < len(modules) else None
        if not isinstance(act, (nn.ReLU, nn.Tanh)):
            raise DcganError(f"cannot fold G: expected ReLU or Tanh at main.{i}")
        weight, bias = _fold(conv, bn)
        layers.append(FoldedLayer(weight, bias, conv.stride[0], conv.padding[0],
                                  "relu" if isinstance(act, nn.ReLU) else "tanh"))
        i += 1
    return layers


@torch.no_grad()
def run_folded(layers: list[FoldedLayer], z: torch.Tensor) -> torch.Tensor:
    """The folded chain on z (N, nz) -> images (N, C, H, W) in [-1, 1]: what the browser computes."""
    x = z.reshape(z.shape[0], -1, 1, 1).float()
    for layer in layers:
        x = nn.functional.conv_transpose2d(x, layer.weight, layer.bias, stride=layer.stride, padding=layer.padding)
        x = torch.relu(x) if layer.activation == "relu" else torch.tanh(x)
    return x


def count_macs(layers: list[FoldedLayer], nz: int) -> int:
    """Multiply-adds for one image (dense; the browser skips the zeros that ReLU leaves)."""
    size, total = 1, 0
    for layer in layers:
        cin, cout, k, _ = layer.weight.shape
        total += size * size * cin * cout * k * k
        size = (size - 1) * layer.stride - 2 * layer.padding + k
    return total


def export(layers: list[FoldedLayer], *, nz: int, dtype: str = "float16") -> tuple[dict, bytes]:
    """(layout, blob): the folded G as bytes the browser reads, and the JSON that says where each array is."""
    if dtype not in DTYPES:
        raise DcganError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    parts, entries, offset = [], [], 0  # offsets count elements, not bytes
    for layer in layers:
        cin, cout, k, _ = layer.weight.shape
        w = layer.weight.numpy().astype(DTYPES[dtype]).ravel()
        b = layer.bias.numpy().astype(DTYPES[dtype]).ravel()
        entries.append(dict(cin=cin, cout=cout, k=k, stride=layer.stride, padding=layer.padding,
                            activation=layer.activation, weight=offset, bias=offset + w.size))
        parts += [w, b]
        offset += w.size + b.size
    blob = np.concatenate(parts).astype(np.dtype(DTYPES[dtype]).newbyteorder("<")).tobytes()
    return {"nz": nz, "dtype": dtype, "count": offset, "layers": entries, "macs": count_macs(layers, nz)}, blob


def read_export(layout: dict, blob: bytes) -> list[FoldedLayer]:
    """The inverse of `export` (used by tests and by anyone checking a file)."""
    flat = np.frombuffer(blob, dtype=np.dtype(DTYPES[layout["dtype"]]).newbyteorder("<")).astype(np.float32)
    if flat.size != layout["count"]:
        raise DcganError(f"weight blob has {flat.size} numbers but its layout says {layout['count']}")
    layers = []
    for e in layout["layers"]:
        shape = (e["cin"], e["cout"], e["k"], e["k"])
        w = flat[e["weight"]:e["weight"] + int(np.prod(shape))].reshape(shape)
        b = flat[e["bias"]:e["bias"] + e["cout"]]
        layers.append(FoldedLayer(torch.from_numpy(w.copy()), torch.from_numpy(b.copy()), e["stride"], e["padding"],
                                  e["activation"]))
    return layers


def pack(layout: dict, blob: bytes) -> bytes:
    """One byte string for the wire: uint32 length of the JSON layout, the layout, padding to 4, the blob."""
    head = json.dumps(layout).encode()
    head += b" " * (-(len(head) + 4) % 4)  # the blob starts 4-byte aligned, so JS can view it in place
    return len(head).to_bytes(4, "little") + head + blob


def unpack(data: bytes) -> tuple[dict, bytes]:
    """The inverse of `pack`."""
    n = int.from_bytes(data[:4], "little")
    return json.loads(data[4:4 + n]), data[4 + n:]
