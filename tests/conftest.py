"""Shared fixtures: tiny fast models for unit tests, and the bundled MNIST model for toolkit tests."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_MNIST = ROOT / "checkpoints" / "mnist-32.pt"

torch.set_num_threads(2)


def tiny_train_config(out: Path, **overrides):
    """A TrainConfig that trains in about a second: scikit-learn digits at 16x16, nz=ngf=ndf=8."""
    from dcgan.config import TrainConfig

    values = dict(data="digits", out=str(out), image_size=16, epochs=1, batch_size=64, nz=8, ngf=8, ndf=8,
                  seed=0, device="cpu", log_every=5)
    values.update(overrides)
    return TrainConfig(**values)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A project checkpoint trained for one epoch on digits (session-wide, trained once)."""
    from dcgan.train import train

    out = tmp_path_factory.mktemp("tiny")
    return train(tiny_train_config(out), progress=False)


@pytest.fixture(scope="session")
def bundled_mnist() -> Path:
    """The MNIST model that ships in checkpoints/ (the toolkit and app are tested against it)."""
    assert BUNDLED_MNIST.is_file(), f"{BUNDLED_MNIST} is missing: the bundled model must ship with the project"
    return BUNDLED_MNIST
