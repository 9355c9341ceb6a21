"""Inside G: what each unit of a generator layer draws, and what changes when it is switched off or forced on.

After GAN Dissection (Bau et al. 2019, "GAN Dissection: Visualizing and Understanding Generative
Adversarial Networks"), without its segmentation model:
1. a unit's activation map over many samples shows where, and in which samples, it fires;
2. ablation sets the unit to zero everywhere; insertion forces it to a high level (its 99th
   percentile over samples and positions) everywhere; the images after either show its effect;
3. units are ranked by that measured effect of ablation: on the digit classifier's class
   probabilities for digit models (total-variation distance), else on the pixels (mean |change|).
Layers are G's stages by name (layer1 = the 4x4 map, ...), the names the architecture table shows.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .errors import ConfigError
from .models import stage_modules


def _split(G, layer: int | str) -> tuple[torch.nn.Sequential, torch.nn.Sequential, str]:
    """G.main cut after stage `layer`: (head up to its ReLU, tail to the image, the stage's name)."""
    names = G.layer_names
    name = names[layer - 1] if isinstance(layer, int) and 1 <= layer <= len(names) else layer
    if name not in names:
        raise ConfigError(f"G layer must be one of {', '.join(names)} (or 1..{len(names)}), got {layer!r}")
    end = stage_modules(G, "output")[name][-1] + 1
    modules = list(G.main)
    return torch.nn.Sequential(*modules[:end]), torch.nn.Sequential(*modules[end:]), name


def _units(h: torch.Tensor, units, name: str) -> torch.Tensor:
    units = torch.as_tensor(list(units), dtype=torch.long)
    if units.numel() == 0 or units.min() < 0 or units.max() >= h.shape[1]:
        raise ConfigError(f"units must be in 0..{h.shape[1] - 1} for G's {name}")
    return units


@torch.no_grad()
def unit_maps(G, layer: int | str, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(activations (N, U, h, w) after the stage's ReLU, images G(z) (N, C, H, W)), G in eval mode."""
    head, tail, _ = _split(G, layer)
    h = head(z[:, :, None, None].to(next(G.parameters()).device))
    return h.cpu(), tail(h.clone()).cpu()  # the tail's in-place ReLUs must not touch h


@dataclass(frozen=True)
class UnitDissection:
    """Per chosen unit: top samples and their maps, and a few samples as drawn, ablated and with the unit inserted."""

    layer: str
    units: torch.Tensor  # (K,)
    top_images: torch.Tensor  # (K, t, C, H, W) the samples where the unit fires most
    top_maps: torch.Tensor  # (K, t, H, W) its activation map there, upsampled, scaled to [0, 1] per unit
    original: torch.Tensor  # (S, C, H, W)
    ablated: torch.Tensor  # (K, S, C, H, W) unit set to 0
    inserted: torch.Tensor  # (K, S, C, H, W) unit forced to its 99th percentile everywhere
    ablation_maps: torch.Tensor  # (K, S, H, W) the unit's own map in those samples, upsampled, [0, 1]


def _intervene(tail, h: torch.Tensor, unit: int, value: float) -> torch.Tensor:
    h = h.clone()
    h[:, unit] = value
    return tail(h)


def _upsample(maps: torch.Tensor, size: int) -> torch.Tensor:
    return F.interpolate(maps[:, None], size=(size, size), mode="bilinear", align_corners=False)[:, 0]


@torch.no_grad()
def dissect_units(G, layer: int | str, units, *, n_samples: int = 256, top: int = 6, shown: int = 4,
                  seed: int = 0) -> UnitDissection:
    """Steps 1-2 of the module doc for the chosen units, over n_samples random z (reproducible from seed)."""
    head, tail, name = _split(G, layer)
    z = torch.randn(n_samples, G.config.nz, generator=torch.Generator().manual_seed(seed))
    h = head(z[:, :, None, None])  # (N, U, h, w)
    units = _units(h, units, name)
    images = tail(h.clone())
    size = images.shape[-1]
    level = h.transpose(0, 1).flatten(1).quantile(0.99, dim=1)  # (U,) a high but typical activation
    order = h.mean((2, 3))[:, units].t().argsort(dim=1, descending=True)[:, :top]  # (K, t)
    peak = h[:, units].amax((0, 2, 3)).clamp(min=1e-8)  # (K,) scales each unit's maps to [0, 1]
    top_maps = torch.stack([_upsample(h[order[i], u] / peak[i], size) for i, u in enumerate(units)])
    s = min(shown, n_samples)
    ablated = torch.stack([_intervene(tail, h[:s], int(u), 0.0) for u in units])
    inserted = torch.stack([_intervene(tail, h[:s], int(u), float(level[u])) for u in units])
    maps = torch.stack([_upsample(h[:s, u] / peak[i], size) for i, u in enumerate(units)])
    return UnitDissection(name, units, images[order], top_maps.clamp(0, 1), images[:s], ablated, inserted,
                          maps.clamp(0, 1))


@torch.no_grad()
def rank_units(G, layer: int | str, *, classifier=None, n_samples: int = 16, seed: int = 0,
               batch_units: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """Step 3: every unit's effect of ablation, highest first: (units (U,), effects (U,)).

    With a classifier (digit models): the mean total-variation distance between its class
    probabilities before and after, in [0, 1]. Without: the mean absolute pixel change.
    """
    head, tail, _ = _split(G, layer)
    z = torch.randn(n_samples, G.config.nz, generator=torch.Generator().manual_seed(seed))
    h = head(z[:, :, None, None])
    base = tail(h.clone())
    score = (lambda x: F.softmax(classifier(x), 1)) if classifier is not None else (lambda x: x)
    before = score(base)
    effects = []
    for start in range(0, h.shape[1], batch_units):
        chunk = range(start, min(start + batch_units, h.shape[1]))
        hs = h.repeat(len(chunk), 1, 1, 1)  # (B*N, U, h, w): one copy of the samples per ablated unit
        for j, u in enumerate(chunk):
            hs[j * n_samples:(j + 1) * n_samples, u] = 0
        after = score(tail(hs)).view(len(chunk), n_samples, *before.shape[1:])
        change = ((after - before).abs().flatten(2).mean(2) if classifier is None
                  else 0.5 * (after - before).abs().sum(2))
        effects.append(change.mean(1))
    effects = torch.cat(effects)
    order = effects.argsort(descending=True)
    return order, effects[order]


def overlay(images: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
    """Images (N, C, H, W) in [-1, 1] tinted red where maps (N, H, W) in [0, 1] are high: RGB (N, 3, H, W) in [-1,
    1]."""
    grey = images.mean(1, keepdim=True).expand(-1, 3, -1, -1) if images.shape[1] == 1 else images
    red = torch.tensor([1.0, -1.0, -1.0]).view(1, 3, 1, 1)
    alpha = 0.6 * maps[:, None]
    return grey * (1 - alpha) + red * alpha


def effect_classifier(config):
    """The digit classifier for digit models (one channel, trained on a digit set), else None: rank on pixels."""
    from .data import is_digit_model

    if is_digit_model(config):
        from .metrics import load_classifier

        return load_classifier()
    return None


def unit_rows(d: UnitDissection, k: int) -> tuple[torch.Tensor, list[str]]:
    """Unit k as rows of RGB images (4, n, 3, H, W) in [-1, 1] with a label per row, for every front end."""
    n = min(d.top_images.shape[1], d.original.shape[0])
    rgb = lambda x: x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x  # noqa: E731
    rows = [overlay(d.top_images[k, :n], d.top_maps[k, :n]), overlay(d.original[:n], d.ablation_maps[k, :n]),
            rgb(d.ablated[k, :n]), rgb(d.inserted[k, :n])]
    labels = ["samples where it fires most (map in red)", "other samples (map in red)", "unit switched off",
              "unit forced on"]
    return torch.stack(rows), labels
