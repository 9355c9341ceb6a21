"""Shared fixtures: tiny fast models for unit tests, and the bundled MNIST model for toolkit tests."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from helpers import BUNDLED_MNIST, tiny_train_config

torch.set_num_threads(2)


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
