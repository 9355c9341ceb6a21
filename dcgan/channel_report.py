"""Everything one view of a D layer's channels shows, computed once for the CLI, Streamlit and Gradio.

A report holds, per channel: the optimised images (through G by default, or in pixels), the
images that most suppress it (optional), the real images that excite it most and least, and the
figures that say how far to trust the pictures: the activation reached over the top real example
and over the best random G sample, the high-frequency share and the nearest-real distance ratio.
Method names, captions and the real-image pool live here so that every front end says the same.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import torch

from .errors import CheckpointError, ConfigError
from .features import channel_means
from .filters import FilterSettings, layer_index, resolve_channels, visualise_layer
from .latent_filters import LatentSettings, visualise_through_g
from .readability import high_frequency_share, nearest_real_ratio

THROUGH_G, PIXELS = "through G", "in pixels"
METHODS = {
    THROUGH_G: "Images G can draw: z is optimised (kept on the sqrt(nz) sphere, where G's samples live) so that "
               "G(z) excites the channel most. Readable, and on the data's manifold by construction.",
    PIXELS: "Pixels optimised directly, with jitter, scale and rotation robustness, a 1/f (Fourier) "
            "parameterisation and a dark-background prior. Still a superstimulus: patterns D responds to, "
            "not pictures of the data; read it as texture, and trust the through-G view for shapes.",
}
N_REAL = 5  # real examples shown per channel, each side


@dataclass(frozen=True)
class ChannelReport:
    """One layer's channels; tensors on the CPU, images in [-1, 1], C = len(channels), k images per channel."""

    layer: str
    method: str
    channels: torch.Tensor  # (C,)
    images: torch.Tensor  # (C, k, ch, H, W) optimised to excite each channel
    activation: torch.Tensor  # (C, k) each image's mean activation of its own channel
    best_random: torch.Tensor  # (C,) best of the random G samples: the fair baseline
    top_real: torch.Tensor  # (C, N_REAL) real images exciting each channel most, most first
    top_real_values: torch.Tensor
    bottom_real: torch.Tensor  # (C, N_REAL) real images exciting it least, least first
    bottom_real_values: torch.Tensor
    suppressing: torch.Tensor | None  # (C, ch, H, W) through G, lowering each channel most
    hf_share: float  # mean high-frequency share of `images`
    nn_ratio: float  # nearest-real distance ratio of `images` (1 = as close as real digits are to each other)
    real_hf_share: float  # the same measure on the real pool: what a picture of the data scores

    def vs_top_real(self) -> torch.Tensor:
        """(C,) the best image's activation over the top real example's."""
        return self.activation.max(1).values / self.top_real_values[:, 0]

    def vs_best_random(self) -> torch.Tensor:
        """(C,) the best image's activation over the best random G sample's."""
        return self.activation.max(1).values / self.best_random


def real_pool(data, *, n: int = 2000, seed: int = 0) -> torch.Tensor:
    """A random, fixed subset of n real images in [-1, 1]; built-in sets are sorted by class, so never take the
    first n."""
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))[:n]
    return data.as_float(order.sort().values)


def _real_extremes(D, pool: torch.Tensor, index: int, channels: torch.Tensor) -> tuple:
    means = channel_means(D, pool, index)[:, channels].t()  # (C, N)
    k = min(N_REAL, pool.shape[0])
    top_v, top_i = means.topk(k, dim=1)
    low_v, low_i = means.topk(k, dim=1, largest=False)
    return top_i, top_v, low_i, low_v


def _pixel_view(model, pool, index, channels, settings, seed,
                progress) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pixel-space images (C, 1, ...), their activation (C, 1), and the best random G sample per channel."""
    if settings.background is None:  # the data's prior: its typical background level (MNIST: black, -1)
        settings = dataclasses.replace(settings, background=float(pool.median()))
    images = visualise_layer(model.D, index, channels=channels, settings=settings, seed=seed, progress=progress)
    acts = channel_means(model.D, images, index)[torch.arange(len(channels)), channels][:, None]
    baseline = visualise_through_g(model.G, model.D, index, channels=channels, steps=0, seed=seed).best_random
    return images[:, None], acts, baseline


def explain_channels(model, layer: int | str, pool: torch.Tensor, *, method: str = THROUGH_G, channels=None,
                     latent: LatentSettings = LatentSettings(), pixels: FilterSettings = FilterSettings(),
                     suppress: bool = False, seed: int = 0,
                     progress: Callable[[str, int, int], None] | None = None) -> ChannelReport:
    """The full report for one D layer (see the module doc); progress(stage, step, total) after every step."""
    if model.D is None:
        raise CheckpointError("this file has no discriminator, so no D filters: use a checkpoint that includes D")
    if method not in METHODS:
        raise ConfigError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    index = layer_index(model.D, layer)
    channels = resolve_channels(model.D, index, channels)
    tell = (lambda stage: (lambda i, n: progress(stage, i, n))) if progress else (lambda stage: None)
    if method == THROUGH_G:
        r = visualise_through_g(model.G, model.D, index, channels=channels, settings=latent, seed=seed,
                                progress=tell("exciting"))
        images, acts, baseline = r.images, r.activation, r.best_random
    else:
        images, acts, baseline = _pixel_view(model, pool, index, channels, pixels, seed, tell("exciting"))
    low = None
    if suppress:
        low = visualise_through_g(model.G, model.D, index, channels=channels, settings=latent, seed=seed,
                                  negative=True, per_channel=1, progress=tell("suppressing")).images[:, 0]
    top_i, top_v, low_i, low_v = _real_extremes(model.D, pool, index, channels)
    flat = images.flatten(0, 1)
    return ChannelReport(model.D.layer_names[index - 1], method, channels, images, acts, baseline, top_i, top_v,
                         low_i, low_v, low, float(high_frequency_share(flat).mean()), nearest_real_ratio(flat, pool),
                         float(high_frequency_share(pool[:500]).mean()))


def report_rows(report: ChannelReport, pool: torch.Tensor) -> tuple[torch.Tensor, int]:
    """One row per channel, as (C * width, ch, H, W) and width: its image(s), the suppressing one, top and bottom
    real."""
    parts = [report.images]  # (C, k, ...)
    if report.suppressing is not None:
        parts.append(report.suppressing[:, None])
    parts += [pool[report.top_real], pool[report.bottom_real]]  # (C, N_REAL, ...) each
    rows = torch.cat(parts, 1)
    return rows.flatten(0, 1), rows.shape[1]


def summary_lines(report: ChannelReport) -> list[str]:
    """The figures every front end prints under a report, one claim per line."""
    top, rand = report.vs_top_real(), report.vs_best_random()
    return [
        f"{report.layer}, {report.method}, {len(report.channels)} channels",
        f"activation reached / top real example: median {top.median():.2f}x (range {top.min():.2f}-{top.max():.2f})",
        f"activation reached / best random G sample: median {rand.median():.2f}x (range "
        f"{rand.min():.2f}-{rand.max():.2f})",
        f"high-frequency share (power above half Nyquist): {report.hf_share:.3f} (real images "
        f"{report.real_hf_share:.3f}, "
        f"white noise 0.8)",
        f"nearest-real distance / real-to-real: {report.nn_ratio:.2f}x (1 = as close as real images are to each other)",
    ]
