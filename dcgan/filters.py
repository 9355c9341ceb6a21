"""What excites each of D's channels: images made by gradient ascent, one per channel, in one batch.

The recipe follows lucid/lucent's feature visualisation, sized for small DCGAN inputs:
1. parameterise each image by a scaled Fourier spectrum, so optimisation favours smooth,
   low-frequency images over adversarial high-frequency noise;
2. for colour, decorrelate channels with a fixed colour basis;
3. each step, jitter the image by a few pixels, scale it a little and rotate it a few degrees
   (transformation robustness), so the result cannot rely on exact positions;
4. a prior for the data: the image starts at the data's background level (dark for MNIST) and an L1
   penalty pulls pixels back to it, so only what the channel needs is drawn;
5. maximise the chosen channel's mean activation minus the total-variation and prior penalties, with Adam.
D runs in eval mode (BatchNorm frozen); inputs stay in D's own [-1, 1] range. Even so these images are
superstimuli rather than pictures of the data: `latent_filters` searches through G for readable ones.
"""
from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .errors import ConfigError
from .models import Discriminator
from .precision import fast_dtype

# Principal axes of natural-image colour (lucid's ImageNet estimate), square-root scaled:
# optimising in this basis keeps colours plausible instead of saturated noise.
_COLOR_BASIS = torch.tensor([[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]])
_COLOR_BASIS = _COLOR_BASIS / _COLOR_BASIS.norm(dim=0).max()


@dataclass(frozen=True)
class FilterSettings:
    """Optimisation and regularisation settings; the defaults give readable images at 16-64 px."""

    steps: int = 256
    lr: float = 0.05
    jitter: int = 1  # pixels, each way
    tv_weight: float = 0.2  # total-variation penalty: higher = smoother images
    decay: float = 1.5  # spectrum scaling 1 / f^decay: higher = smoother images
    init_std: float = 0.01
    scale: float = 0.1  # random zoom by up to this fraction, each step
    rotate: float = 10.0  # random rotation by up to this many degrees, each step
    background: float | None = None  # the data's background level in [-1, 1] (MNIST: -1); None: no prior
    prior_weight: float = 0.1  # L1 pull towards the background (used when background is set)
    # bf16 autocast for D; None: where the hardware runs it natively (~2x faster, same images to the eye)
    bf16: bool | None = None


def _frequencies(size: int) -> torch.Tensor:
    fy = torch.fft.fftfreq(size)[:, None]
    fx = torch.fft.rfftfreq(size)[None, :]
    return (fx**2 + fy**2).sqrt()


def fourier_image(n: int, channels: int, size: int, *, settings: FilterSettings, generator: torch.Generator,
                  device: torch.device | str = "cpu"):
    """A Fourier parameterisation: (params, to_image) where to_image() gives (n, channels, size, size) in [-1, 1]."""
    freqs = _frequencies(size).to(device)
    scale = 1.0 / freqs.clamp(min=1.0 / size) ** settings.decay  # (size, size//2+1)
    spectrum = torch.randn(n, channels, *freqs.shape, 2, generator=generator) * settings.init_std
    spectrum = spectrum.to(device).requires_grad_(True)  # drawn on the CPU: the same image on every device
    basis = _COLOR_BASIS.to(device)
    level = 0.0 if settings.background is None else max(-0.95, min(0.95, settings.background))
    offset = torch.atanh(torch.tensor(level))  # the image starts at the background level

    def to_image() -> torch.Tensor:
        coeffs = torch.view_as_complex(spectrum) * scale
        x = torch.fft.irfft2(coeffs, s=(size, size), norm="ortho")  # (n, channels, size, size)
        if channels == 3:
            x = torch.einsum("nchw,dc->ndhw", x, basis)
        return torch.tanh(x + offset)

    return [spectrum], to_image


def _jitter(x: torch.Tensor, pixels: int, generator: torch.Generator) -> torch.Tensor:
    if pixels <= 0:
        return x
    dy, dx = (int(v) for v in torch.randint(-pixels, pixels + 1, (2,), generator=generator))
    return torch.roll(x, shifts=(dy, dx), dims=(2, 3))


def _scale_rotate(x: torch.Tensor, settings: FilterSettings, fill: float, generator: torch.Generator) -> torch.Tensor:
    """Each image zoomed by up to ±settings.scale and rotated by up to ±settings.rotate degrees; edges filled with
    `fill`."""
    if settings.scale <= 0 and settings.rotate <= 0:
        return x
    n = x.shape[0]
    zoom = 1 + settings.scale * (2 * torch.rand(n, generator=generator) - 1)
    angle = torch.deg2rad(settings.rotate * (2 * torch.rand(n, generator=generator) - 1))
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([torch.stack([cos, -sin, torch.zeros(n)], 1), torch.stack([sin, cos, torch.zeros(n)], 1)], 1)
    grid = F.affine_grid(theta.to(x.device, x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x - fill, grid, align_corners=False, padding_mode="zeros") + fill


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels, per image: (N,)."""
    dy = (x[:, :, 1:] - x[:, :, :-1]).abs().flatten(1).mean(1)
    dx = (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().flatten(1).mean(1)
    return dy + dx


def _stage(D: Discriminator, index: int) -> tuple[nn.Sequential, nn.Conv2d, nn.BatchNorm2d | None, float]:
    """Stage `index` (1-based) of D split as (everything before its conv, conv, BatchNorm or None, LeakyReLU slope)."""
    modules = list(D.main)
    relus = [i for i, m in enumerate(modules) if isinstance(m, nn.LeakyReLU)]
    end = relus[index - 1]
    conv_at = max(i for i in range(end) if isinstance(modules[i], nn.Conv2d))
    bn = modules[conv_at + 1] if isinstance(modules[conv_at + 1], nn.BatchNorm2d) else None
    return nn.Sequential(*modules[:conv_at]), modules[conv_at], bn, modules[end].negative_slope


def channel_objective(D: Discriminator, images: torch.Tensor, layer: int, channels: torch.Tensor) -> torch.Tensor:
    """Mean activation (after LeakyReLU) of channels[i] of stage `layer` in images[i]: (N,).

    Equal to D.activations(images)[layer - 1][i, channels[i]].mean(), but the stage's own conv
    computes only the one channel each image is scored on (a grouped convolution, one group
    per image), which makes deep layers with hundreds of channels ~C times cheaper there.
    Needs D in eval mode: BatchNorm is applied with its running statistics.
    """
    prefix, conv, bn, slope = _stage(D, layer)
    h = prefix(images)  # (N, C_in, s, s): the previous stage's activations
    n, c_in = h.shape[:2]
    weight = conv.weight[channels]  # (N, C_in, k, k): one output channel per image
    y = F.conv2d(h.reshape(1, n * c_in, *h.shape[2:]), weight, stride=conv.stride, padding=conv.padding, groups=n)[0]
    if bn is not None:  # frozen BatchNorm of the chosen channels: (y - mean) / std * gamma + beta
        scale = bn.weight[channels] / (bn.running_var[channels] + bn.eps).sqrt()
        y = (y - bn.running_mean[channels][:, None, None]) * scale[:, None, None] + bn.bias[channels][:, None, None]
    return F.leaky_relu(y, slope).mean((1, 2))  # y: (N, s', s')


@contextlib.contextmanager
def frozen(D: nn.Module):
    """D in eval mode (BatchNorm frozen), channels_last, with no weight gradients; all restored afterwards.

    Only the image needs a gradient: skipping D's weight gradients halves the backward pass. channels_last
    spares oneDNN a layout conversion around every convolution (~20% of a step on CPU).
    """
    was_training, flags = D.training, [p.requires_grad for p in D.parameters()]
    was_contiguous = all(p.is_contiguous() for p in D.parameters())
    D.eval().requires_grad_(False).to(memory_format=torch.channels_last)
    try:
        yield D
    finally:
        D.train(was_training)
        if was_contiguous:
            D.to(memory_format=torch.contiguous_format)
        for p, flag in zip(D.parameters(), flags):
            p.requires_grad_(flag)


def layer_index(D: Discriminator, layer: int | str) -> int:
    """The 1-based stage number of a layer given by name (layer2) or number; a one-line error otherwise."""
    names = D.layer_names
    index = names.index(layer) + 1 if isinstance(layer, str) and layer in names else layer
    if not isinstance(index, int) or not 1 <= index <= len(names):
        raise ConfigError(f"layer must be one of {', '.join(names)} (or 1..{len(names)}), got {layer!r}")
    return index


def resolve_channels(D: Discriminator, index: int, channels=None) -> torch.Tensor:
    """Channel numbers of stage `index` as a long tensor (default: all); a one-line error for any that don't exist."""
    n_channels = _stage(D, index)[1].out_channels
    channels = torch.arange(n_channels) if channels is None else torch.as_tensor(list(channels), dtype=torch.long)
    if channels.numel() == 0 or channels.min() < 0 or channels.max() >= n_channels:
        raise ConfigError(f"channels must be in 0..{n_channels - 1} for {D.layer_names[index - 1]}")
    return channels


def visualise_layer(
    D: Discriminator,
    layer: int | str,
    *,
    channels=None,
    settings: FilterSettings = FilterSettings(),
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
    **overrides,
) -> torch.Tensor:
    """One image per channel of a D stage that maximises that channel's mean activation.

    layer: 1-based stage number or a name from D.layer_names. Returns (len(channels), C, H, W)
    in [-1, 1] on the CPU. All channels are optimised together as one batch; the result is
    reproducible from `seed`. `progress(step, total)` is called after every step. Keyword
    overrides replace fields of `settings`, e.g. `visualise_layer(D, 2, steps=64, tv_weight=0.1)`.
    """
    bad = set(overrides) - {f.name for f in dataclasses.fields(FilterSettings)}
    if bad:
        raise TypeError(f"unknown filter settings {sorted(bad)}; use fields of FilterSettings")
    settings = dataclasses.replace(settings, **overrides)
    index = layer_index(D, layer)
    channels = resolve_channels(D, index, channels)
    device = next(D.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    params, to_image = fourier_image(len(channels), D.config.channels, D.config.image_size, settings=settings,
                                     generator=gen, device=device)
    opt = torch.optim.Adam(params, lr=settings.lr)
    fill = 0.0 if settings.background is None else settings.background
    prior = 0.0 if settings.background is None else settings.prior_weight
    bf16 = settings.bf16 if settings.bf16 is not None else fast_dtype(device) == torch.bfloat16
    with frozen(D), torch.enable_grad():
        for step in range(settings.steps):
            image = to_image()
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                seen = _scale_rotate(_jitter(image, settings.jitter, gen), settings, fill, gen)
                score = channel_objective(D, seen, index, channels.to(device)).float()
            smooth = settings.tv_weight * total_variation(image)
            loss = -(score - smooth - prior * (image - fill).abs().mean((1, 2, 3))).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if progress is not None:
                progress(step + 1, settings.steps)
    with torch.no_grad():
        return to_image().cpu()
