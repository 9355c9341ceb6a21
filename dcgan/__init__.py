"""DCGAN Explorer's library: train DCGANs and look inside them. No UI code lives here."""
from .checkpoint import Model, load
from .config import ModelConfig, TrainConfig
from .errors import DcganError

__all__ = ["Model", "load", "ModelConfig", "TrainConfig", "DcganError"]
