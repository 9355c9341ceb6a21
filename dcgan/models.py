"""The DCGAN generator and discriminator (Radford, Metz & Chintala 2015, section 3).

Paper guidelines followed here:
1. no pooling: D downsamples with strided convolutions, G upsamples with transposed ones;
2. BatchNorm in both nets, except G's output layer and D's input layer;
3. no fully connected hidden layers (z is reshaped to a 1x1 map);
4. ReLU in G with a Tanh output; LeakyReLU(0.2) in D;
5. weights from N(0, 0.02), BatchNorm scale from N(1, 0.02).

Both nets keep their layers in one `nn.Sequential` called `main`. At 64x64 its indices are
the same as pytorch/examples' DCGAN, so those state_dicts load by name. Other sizes add or
remove 4x4 stride-2 stages: every stage doubles (G) or halves (D) the spatial size.
"""
from __future__ import annotations

import torch
from torch import nn

from .config import MAX_STAGE_MULT as MAX_MULT  # noqa: F401  (re-exported)
from .config import ModelConfig, stage_multipliers  # noqa: F401  (stage_multipliers is re-exported)


def stage_modules(net: nn.Module, last: str) -> dict[str, list[int]]:
    """Which `main.N` modules make each named stage: layer1, layer2, ... end at each hidden nonlinearity.

    One set of names for the Filters page, the CLI and the architecture table. What follows the last
    hidden stage (the output convolution, and G's Tanh) is named `last`.
    """
    stages, current = {}, []
    for index, module in enumerate(net.main):
        current.append(index)
        if isinstance(module, (nn.ReLU, nn.LeakyReLU)):
            stages[f"layer{len(stages) + 1}"], current = current, []
    if current:
        stages[last] = current
    return stages


def init_weights(module: nn.Module, generator: torch.Generator | None = None) -> None:
    """Paper initialisation: conv weights N(0, 0.02); BatchNorm scale N(1, 0.02), shift 0 (drawn from `generator`)."""
    if getattr(module, "weight", None) is not None and module.weight.is_meta:
        return  # a shape-only network (checkpoint.expected_shapes): nothing to initialise
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02, generator=generator)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02, generator=generator)
        nn.init.zeros_(module.bias)
        module.reset_running_stats()


class Generator(nn.Module):
    """z (N, nz) or (N, nz, 1, 1) -> images (N, channels, size, size) in [-1, 1]."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        mults = stage_multipliers(config.image_size)
        ngf = config.ngf
        layers: list[nn.Module] = [
            # nz x 1 x 1 -> (ngf*m0) x 4 x 4
            nn.ConvTranspose2d(config.nz, ngf * mults[0], 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * mults[0]),
            nn.ReLU(True),
        ]
        for m_in, m_out in zip(mults, mults[1:]):
            # (ngf*m_in) x s x s -> (ngf*m_out) x 2s x 2s
            layers += [
                nn.ConvTranspose2d(ngf * m_in, ngf * m_out, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf * m_out),
                nn.ReLU(True),
            ]
        # ngf x size/2 x size/2 -> channels x size x size; no BatchNorm on the output layer
        layers += [nn.ConvTranspose2d(ngf * mults[-1], config.channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        self.apply(init_weights)

    @property
    def layer_names(self) -> list[str]:
        """Names of the hidden stages (after each ReLU): layer1 (the 4x4 map) onward, as D names its own."""
        return [name for name in stage_modules(self, "output") if name != "output"]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() == 2:
            z = z[:, :, None, None]
        if z.dim() != 4 or z.shape[1] != self.config.nz or z.shape[2:] != (1, 1):
            raise ValueError(f"z must have shape (N, {self.config.nz}) or (N, {self.config.nz}, 1, 1), "
                             f"got {tuple(z.shape)}")
        return self.main(z)


class Discriminator(nn.Module):
    """images (N, channels, size, size) -> realness logits (N,).

    With loss wgan-gp the critic has no BatchNorm, since the gradient penalty is per sample.
    `activations(x)` returns each stage's output after its LeakyReLU, for feature plots,
    linear probes and filter visualisation.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        mults = list(reversed(stage_multipliers(config.image_size)))
        ndf = config.ndf
        norm = config.loss != "wgan-gp"
        layers: list[nn.Module] = [
            # channels x size x size -> ndf x size/2 x size/2; no BatchNorm on the input layer
            nn.Conv2d(config.channels, ndf * mults[0], 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        for m_in, m_out in zip(mults, mults[1:]):
            # (ndf*m_in) x s x s -> (ndf*m_out) x s/2 x s/2
            layers.append(nn.Conv2d(ndf * m_in, ndf * m_out, 4, 2, 1, bias=False))
            if norm:
                layers.append(nn.BatchNorm2d(ndf * m_out))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
        # (ndf*m_last) x 4 x 4 -> 1 x 1 x 1: the realness logit
        layers.append(nn.Conv2d(ndf * mults[-1], 1, 4, 1, 0, bias=False))
        self.main = nn.Sequential(*layers)
        self.apply(init_weights)

    @property
    def layer_names(self) -> list[str]:
        """Names of the stages whose activations `activations` returns: layer1 (input side) onward."""
        return [name for name in stage_modules(self, "logit") if name != "logit"]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).flatten()

    def activations(self, x: torch.Tensor, *, upto: int | None = None,
                    pre_activation: bool = False) -> list[torch.Tensor]:
        """Per-stage activations [(N, C_i, H_i, W_i), ...], stopping after stage `upto` (1-based) if given.

        `pre_activation=True` returns the values before each LeakyReLU (useful as an
        optimisation objective: it keeps a gradient where the unit is negative).
        """
        outs: list[torch.Tensor] = []
        for module in self.main:
            if isinstance(module, nn.LeakyReLU):
                if pre_activation:
                    outs.append(x)
                x = nn.functional.leaky_relu(x, module.negative_slope)  # not in-place: x may be kept
                if not pre_activation:
                    outs.append(x)
                if upto is not None and len(outs) == upto:
                    break
            else:
                x = module(x)
        return outs


def realness(D: nn.Module, images: torch.Tensor, loss: str) -> torch.Tensor:
    """D's verdict per image (N,): the probability of 'real' for BCE models, the raw score otherwise."""
    logits = D(images)
    return torch.sigmoid(logits) if loss == "bce" else logits


def build(config: ModelConfig) -> tuple[Generator, Discriminator]:
    """A freshly initialised (G, D) pair for this config."""
    return Generator(config), Discriminator(config)
