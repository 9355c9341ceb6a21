"""GAN objectives on D's raw logits. Each returns (d_loss, g_loss) pieces the trainer combines.

- bce: the paper's non-saturating loss; G maximises log D(G(z)) (Goodfellow et al. 2014, sec. 3).
- hinge: D minimises relu(1 - D(x)) + relu(1 + D(G(z))); G minimises -D(G(z)).
- wgan-gp: critic minimises D(G(z)) - D(x) + lambda * (|grad D(x_hat)| - 1)^2 (Gulrajani et al. 2017, alg. 1).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def d_loss(kind: str, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Discriminator (critic) loss without any gradient penalty."""
    if kind == "bce":
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
    if kind == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    return fake_logits.mean() - real_logits.mean()


def g_loss(kind: str, fake_logits: torch.Tensor) -> torch.Tensor:
    """Generator loss: non-saturating for bce, -D(G(z)) for hinge and wgan-gp."""
    if kind == "bce":
        return F.softplus(-fake_logits).mean()
    return -fake_logits.mean()


def gradient_penalty(D, real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """WGAN-GP penalty: (|grad_x D(x_hat)|_2 - 1)^2 on interpolates x_hat = eps * real + (1 - eps) * fake.

    eps holds one uniform draw per image (shape N x 1 x 1 x 1); the norm is taken in fp32 even under autocast.
    """
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    return ((_input_gradient(D(x_hat).float(), x_hat).norm(dim=1) - 1) ** 2).mean()


def r1_penalty(real_logits: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): the mean squared norm of D's gradient at real images, |grad_x D(x)|^2.

    `real` must have been passed to D with requires_grad; the norm is taken in fp32 even under autocast.
    """
    return _input_gradient(real_logits, real).pow(2).sum(1).mean()


def _input_gradient(logits: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """d(sum of logits)/d(images), one fp32 row per image, kept in the graph so that a penalty on it trains D."""
    (grad,) = torch.autograd.grad(logits.sum(), images, create_graph=True)
    return grad.float().flatten(1)


def score(kind: str, logits: torch.Tensor) -> torch.Tensor:
    """What the progress bar shows as D(x) / D(G(z)): a probability for bce, the raw score otherwise."""
    return torch.sigmoid(logits).mean() if kind == "bce" else logits.mean()
