"""What excites each of D's channels: images made by gradient ascent, one per channel, in one batch.

The recipe follows lucid/lucent's feature visualisation, sized for small DCGAN inputs:
1. parameterise each image by a scaled Fourier spectrum, so optimisation favours smooth,
   low-frequency images over adversarial high-frequency noise;
2. for colour, decorrelate channels with a fixed colour basis;
3. each step, jitter the image by a few pixels so the result cannot rely on exact positions;
4. maximise the chosen channel's mean activation minus a total-variation penalty, with Adam.
D runs in eval mode (BatchNorm frozen); inputs stay in D's own [-1, 1] range.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from .models import Discriminator

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
    tv_weight: float = 0.02  # total-variation penalty: higher = smoother images
    decay: float = 0.75  # spectrum scaling 1 / f^decay: higher = smoother images
    init_std: float = 0.01


def _frequencies(size: int) -> torch.Tensor:
    fy = torch.fft.fftfreq(size)[:, None]
    fx = torch.fft.rfftfreq(size)[None, :]
    return (fx**2 + fy**2).sqrt()


def fourier_image(n: int, channels: int, size: int, *, settings: FilterSettings, generator: torch.Generator):
    """A Fourier parameterisation: (params, to_image) where to_image() gives (n, channels, size, size) in [-1, 1]."""
    freqs = _frequencies(size)
    scale = 1.0 / freqs.clamp(min=1.0 / size) ** settings.decay  # (size, size//2+1)
    spectrum = (torch.randn(n, channels, *freqs.shape, 2, generator=generator) * settings.init_std).requires_grad_(True)

    def to_image() -> torch.Tensor:
        coeffs = torch.view_as_complex(spectrum) * scale
        x = torch.fft.irfft2(coeffs, s=(size, size), norm="ortho")  # (n, channels, size, size)
        if channels == 3:
            x = torch.einsum("nchw,dc->ndhw", x, _COLOR_BASIS)
        return torch.tanh(x)

    return [spectrum], to_image


def _jitter(x: torch.Tensor, pixels: int, generator: torch.Generator) -> torch.Tensor:
    if pixels <= 0:
        return x
    dy, dx = (int(v) for v in torch.randint(-pixels, pixels + 1, (2,), generator=generator))
    return torch.roll(x, shifts=(dy, dx), dims=(2, 3))


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference between neighbouring pixels, per image: (N,)."""
    dy = (x[:, :, 1:] - x[:, :, :-1]).abs().flatten(1).mean(1)
    dx = (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().flatten(1).mean(1)
    return dy + dx


def channel_objective(D: Discriminator, images: torch.Tensor, layer: int, channels: torch.Tensor) -> torch.Tensor:
    """Mean activation of channels[i] of stage `layer` in images[i]: (N,)."""
    act = D.activations(images, upto=layer)[-1]  # (N, C, h, w)
    return act[torch.arange(len(channels)), channels].mean((1, 2))


def visualise_layer(
    D: Discriminator,
    layer: int | str,
    *,
    channels=None,
    settings: FilterSettings = FilterSettings(),
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """One image per channel of a D stage that maximises that channel's mean activation.

    layer: 1-based stage number or a name from D.layer_names. Returns (len(channels), C, H, W)
    in [-1, 1]. All channels are optimised together as one batch; the result is reproducible
    from `seed`. `progress(step, total)` is called as it goes.
    """
    index = D.layer_names.index(layer) + 1 if isinstance(layer, str) else int(layer)
    if not 1 <= index <= len(D.layer_names):
        raise ValueError(f"layer must be one of {', '.join(D.layer_names)}, got {layer!r}")
    n_channels = D.activations(torch.zeros(1, D.config.channels, D.config.image_size, D.config.image_size), upto=index)[-1].shape[1]
    channels = torch.arange(n_channels) if channels is None else torch.as_tensor(list(channels))
    if channels.numel() == 0 or channels.min() < 0 or channels.max() >= n_channels:
        raise ValueError(f"channels must be in 0..{n_channels - 1}")
    was_training = D.training
    D.eval()
    gen = torch.Generator().manual_seed(seed)
    params, to_image = fourier_image(len(channels), D.config.channels, D.config.image_size, settings=settings, generator=gen)
    opt = torch.optim.Adam(params, lr=settings.lr)
    with torch.enable_grad():
        for step in range(settings.steps):
            image = to_image()
            score = channel_objective(D, _jitter(image, settings.jitter, gen), index, channels)
            loss = -(score - settings.tv_weight * total_variation(image)).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if progress is not None:
                progress(step + 1, settings.steps)
    D.train(was_training)
    return to_image().detach()
