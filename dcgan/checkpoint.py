"""Saving and safely loading models.

Three kinds of file load into the same `Model`:
1. this project's checkpoints (`last.pt`): one dict with config, both nets, optimisers, RNG
   states, data set labels and the loss history;
2. `.safetensors` exports, config in the metadata;
3. the bare state_dicts pytorch/examples' DCGAN writes (`netG_epoch_N.pth`), config inferred
   from weight shapes.
Nothing is ever unpickled beyond tensors and plain containers (`weights_only=True`), so a
file cannot run code.
"""
from __future__ import annotations

import json
import os
import pickle
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from .config import ModelConfig, from_dict
from .errors import CheckpointError, ConfigError
from .meta import check_meta
from .models import Discriminator, Generator

if TYPE_CHECKING:  # numpy is imported where it is used
    import numpy as np

FORMAT = "dcgan-explorer"
VERSION = 1  # raised when the layout of a file changes; files from a newer version are refused (check_version)
RESUME_ONLY = ("opt_G", "opt_D", "rng")  # what last.pt holds for resuming, and epoch files and exports leave out


@dataclass
class Model:
    """A loaded model: G and D in eval mode (D may be None), their config, and what the file said."""

    G: Generator
    D: Discriminator | None
    config: ModelConfig
    meta: dict = field(default_factory=dict)  # epoch, step, train config, history, verdict, source...
    _verdict: object = field(default=None, repr=False, compare=False)

    @property
    def history(self) -> dict | None:
        """Per-step training log (lists keyed by column), when the file carries one."""
        return self.meta.get("history") or None

    def require_d(self, needs: str) -> Discriminator:
        """D, or one line (CheckpointError) saying what needs it: a G-only export (`export`'s default) has none."""
        if self.D is None:
            raise CheckpointError(f"this file has no discriminator, and {needs} needs it: use a checkpoint that "
                                  "includes D (the training run's last.pt, or `export --with-d`)")
        return self.D

    @torch.no_grad()
    def render(self, z: torch.Tensor):
        """G(z) as uint8 (N, H, W, C) arrays plus the verdict per image (NaN without D): what front ends show."""
        import numpy as np

        from .latent import generate
        from .media import to_uint8

        images = generate(self.G, z)
        if not self.has_verdict():
            return to_uint8(images), np.full(len(z), np.nan)
        return to_uint8(images), self.realness(images)

    def has_verdict(self) -> bool:
        """Whether `realness` can answer: D is here and a calibration is in the file or can be made from built-in
        data."""
        from .errors import DcganError

        try:
            return self.D is not None and self.verdict() is not None
        except DcganError:
            return False

    def verdict(self):
        """The fitted per-image verdict (dcgan.verdict.Verdict): from the file, else fitted on the built-in data
        once."""
        from .verdict import model_verdict

        if self._verdict is None:
            self._verdict = model_verdict(self)
        return self._verdict

    def calibrate(self, data) -> "Model":
        """Fit the verdict on real images `data` (an ImageData), e.g. for a file trained elsewhere; returns self."""
        from .verdict import calibrate

        self._verdict = calibrate(self, data)
        self.meta["verdict"] = self._verdict.state_dict()
        return self

    @torch.no_grad()
    def realness(self, images) -> "np.ndarray":
        """The per-image verdict every front end shows: (N,) in [0, 1], higher = more real, batch-independent.

        It is the share of held-out real images that look less real than the image (see dcgan.verdict).
        `images` are float (N, C, H, W) in [-1, 1], as G makes them.
        """
        from .verdict import check_images

        images = check_images(images, self.config)
        if self.D is None:
            raise CheckpointError("this file has no discriminator, so there is no verdict: load a file with D")
        return self.verdict().score(self.D, images)

    def to(self, device) -> "Model":
        self.G.to(device)
        if self.D is not None:
            self.D.to(device)
        return self


def save_atomic(obj: dict, path: str | Path) -> None:
    """torch.save to a temporary file beside `path`, then rename: a kill never leaves a broken file.

    Temporary files that a killed save left behind are removed first; a failed write (a full disk) says so.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; a checkpoint is an ordinary shareable file
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except (OSError, RuntimeError) as err:  # torch's zip writer reports a short write as "unexpected pos"
        Path(tmp).unlink(missing_ok=True)
        raise CheckpointError(f"could not write {path}: {_write_failure(err, path)}; the previous {path.name} "
                              "(if any) is unchanged") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_failure(err: Exception, path: Path) -> str:
    import errno
    import shutil

    full = getattr(err, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or "unexpected pos" in str(err)
    if full or shutil.disk_usage(path.parent).free < 1 << 20:
        return "the disk is full (free some space and resume)"
    return str(err).splitlines()[0][:160] if str(err) else type(err).__name__


def _torch_load(path: Path) -> object:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about pickle protocols before refusing
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if "GLOBAL" in str(err) or "Unsupported global" in str(err) or _calls_code(path):
            raise CheckpointError(f"{path.name}: refused, the file holds Python objects that could run code; "
                                  f"only tensors are loaded") from None
        raise CheckpointError(f"{path.name}: not a PyTorch checkpoint (unreadable pickle)") from None
    except Exception as err:  # the unpickler raises many types on junk input; none may escape as a traceback
        truncated = ("central directory", "EOF", "truncated", "failed reading")
        if isinstance(err, EOFError) or any(s in str(err) for s in truncated):
            raise CheckpointError(f"{path.name}: the file is truncated or corrupt") from None
        raise CheckpointError(f"{path.name}: not a PyTorch checkpoint") from None


def _calls_code(path: Path) -> bool:
    """Whether a plain pickle file imports or calls anything (read opcode by opcode, never executed)."""
    import pickletools

    try:
        return any(op.name in {"GLOBAL", "STACK_GLOBAL", "REDUCE", "INST", "OBJ"}
                   for op, _, _ in pickletools.genops(path.read_bytes()))
    except Exception:  # not a well-formed pickle
        return False


def _strip_prefix(state: dict) -> dict:
    """Drop the `module.` prefix that DataParallel / DDP add to every key."""
    if state and all(k.startswith("module.") for k in state):
        return {k[len("module."):]: v for k, v in state.items()}
    return state


def _is_generator_state(state: dict) -> bool:
    return "main.1.running_mean" in state or ("main.0.weight" in state and "main.1.weight" in state)


def infer_config(g_state: dict | None, d_state: dict | None = None, **extra) -> ModelConfig:
    """Recover image size, channels, nz, ngf and ndf from pytorch/examples-style weight shapes."""
    try:
        if g_state is not None:
            convs = [v for k, v in g_state.items() if k.endswith(".weight") and v.dim() == 4]
            nz, channels = convs[0].shape[0], convs[-1].shape[1]
            ngf = convs[-1].shape[0]
            size = 4 * 2 ** (len(convs) - 1)
        else:
            convs = [v for k, v in d_state.items() if k.endswith(".weight") and v.dim() == 4]
            nz, channels, ngf = extra.pop("nz", 100), convs[0].shape[1], convs[0].shape[0]
            size = 4 * 2 ** (len(convs) - 1)
        ndf = ngf
        if d_state is not None:
            d_convs = [v for k, v in d_state.items() if k.endswith(".weight") and v.dim() == 4]
            ndf = d_convs[0].shape[0]
        loss = "bce" if d_state is None or any("running_mean" in k for k in d_state) else "wgan-gp"
        return ModelConfig(image_size=size, channels=channels, nz=nz, ngf=ngf, ndf=ndf, loss=loss, **extra)
    except (IndexError, AttributeError, ConfigError) as err:
        raise CheckpointError(f"weight shapes fit no DCGAN architecture ({err})") from None


def _load_weights(module: nn.Module, state: dict, what: str) -> None:
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as err:
        first = next((line.strip() for line in str(err).splitlines()[1:] if line.strip()), str(err))
        raise CheckpointError(f"{what} weights do not fit the architecture: {first[:200]}") from None


def expected_shapes(net: type, config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """The state_dict shapes `net(config)` has, from a network on the meta device (nothing is allocated)."""
    with torch.device("meta"):
        return {k: tuple(v.shape) for k, v in net(config).state_dict().items()}


def check_state(state, net: type, config: ModelConfig, what: str) -> None:
    """Refuse weights whose names or shapes do not fit the config: checked before the real network is built."""
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in state.items()):
        raise CheckpointError(f"{what} weights must be a dict of tensors, got {type(state).__name__}")
    expected = expected_shapes(net, config)
    optional = {k for k in expected if k.endswith("num_batches_tracked")}  # files from older PyTorch lack them
    missing, unexpected = sorted(set(expected) - set(state) - optional), sorted(set(state) - set(expected))
    if missing or unexpected:
        listed = ", ".join([f"missing {k}" for k in missing[:2]] + [f"unexpected {k}" for k in unexpected[:2]])
        raise CheckpointError(f"{what} weights do not fit the architecture: {listed[:200]}")
    for key, shape in expected.items():
        if key in state and tuple(state[key].shape) != shape:
            raise CheckpointError(f"{what} weights do not fit the architecture: {key} is {tuple(state[key].shape)}, "
                                  f"the config needs {shape}")


def build_model(config: ModelConfig, g_state: dict | None, d_state: dict | None, meta: dict | None = None,
                device="cpu") -> Model:
    """Rebuild G and D from config, load their weights strictly, put them in eval mode.

    Names and shapes are checked against the config first, so a crafted file never makes a network it cannot fill.
    """
    if g_state is None:
        raise CheckpointError("the file has no generator weights")
    g_what = f"generator ({config.image_size}x{config.image_size}, nz={config.nz}, ngf={config.ngf})"
    check_state(g_state, Generator, config, g_what)
    if d_state is not None:
        check_state(d_state, Discriminator, config, f"discriminator (ndf={config.ndf})")
    meta = check_meta(meta or {})
    G = Generator(config)
    _load_weights(G, g_state, g_what)
    D = None
    if d_state is not None:
        D = Discriminator(config)
        _load_weights(D, d_state, f"discriminator (ndf={config.ndf})")
        D.eval().requires_grad_(False)
    G.eval().requires_grad_(False)
    return Model(G, D, config, meta).to(device)


def _from_project_dict(obj: dict, device) -> Model:
    try:
        config = from_dict(ModelConfig, obj["config"])
    except (ConfigError, TypeError, KeyError, AttributeError, ValueError) as err:
        raise CheckpointError(f"checkpoint config is invalid: {str(err)[:200]}") from None
    meta = {k: v for k, v in obj.items() if k not in ("G", "G_ema", "D", "opt_G", "opt_D", "rng", "config")}
    g_state = obj.get("G")
    if obj.get("G_ema") is not None:  # a run with --ema-decay: the averaged G is the one to look at and export
        g_state, meta["g_weights"] = obj["G_ema"], f"EMA of G's weights (decay {_ema_decay(obj)})"
    return build_model(config, g_state, obj.get("D"), meta, device)


def _ema_decay(obj: dict) -> str:
    train_config = obj.get("train_config")
    decay = train_config.get("ema_decay") if isinstance(train_config, dict) else None
    return f"{decay:g}" if isinstance(decay, (int, float)) and not isinstance(decay, bool) else "unknown"


def _from_bare_state(state: dict, path: Path, device) -> Model:
    state = _strip_prefix(state)
    if not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path.name}: not a DCGAN checkpoint (no weight tensors found)")
    if not any(k.startswith("main.") for k in state):
        raise CheckpointError(f"{path.name}: not a DCGAN checkpoint (expected keys like main.0.weight)")
    if not _is_generator_state(state):
        raise CheckpointError(f"{path.name}: this is a discriminator file; load its generator (netG_*.pth) instead")
    d_state = None
    sibling = path.with_name(path.name.replace("netG", "netD"))
    if "netG" in path.name and sibling.exists():
        candidate = _strip_prefix(_torch_load(sibling))
        d_state = candidate if isinstance(candidate, dict) else None
    config = infer_config(state, d_state, dataset="")
    meta = {"source": "pytorch/examples", "path": str(path)}
    return build_model(config, state, d_state, meta, device)


def _load_safetensors(path: Path, device) -> Model:
    from safetensors import SafetensorError
    from safetensors.torch import load_file, safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"{path.name}: not a readable safetensors file "
                              f"({str(err).splitlines()[0][:120]})") from None
    g_state = ({k[2:]: v for k, v in tensors.items() if k.startswith("G.")}
               or {k: v for k, v in tensors.items() if k.startswith("main.")})
    d_state = {k[2:]: v for k, v in tensors.items() if k.startswith("D.")} or None
    check_version(metadata.get("version"), path.name)
    try:
        config = from_dict(ModelConfig, json.loads(metadata["config"])) if "config" in metadata else None
        meta = json.loads(metadata.get("meta", "{}"))
    except (ConfigError, ValueError, TypeError, AttributeError, RecursionError) as err:
        raise CheckpointError(f"{path.name}: config in metadata is invalid: {str(err)[:200]}") from None
    return build_model(config or infer_config(g_state, d_state), g_state, d_state, meta, device)


# -- the project's own training checkpoint: written (training_state) and read (read_training_state) here only --
def training_state(*, model_config: ModelConfig, train_config: dict, nets: dict, optimisers: dict, epoch: int,
                   step: int, rng: dict, data, log: dict, verdict: dict | None) -> dict:
    """Everything last.pt holds: enough to resume a run exactly, and to load it as a Model."""
    return {
        "format": FORMAT, "version": VERSION, "config": model_config.to_dict(), "train_config": train_config,
        **nets, **optimisers, "epoch": epoch, "step": step, "rng": rng,
        "dataset": data.name, "labels": list(data.classes), "n_images": len(data), **log,
        **({"verdict": verdict} if verdict else {}),
    }


def epoch_state(state: dict) -> dict:
    """An epoch_NNN.pt: for looking back (dcgan timeline), not for resuming, so without optimiser or RNG state."""
    return {k: v for k, v in state.items() if k not in RESUME_ONLY}


def check_version(version, name: str) -> None:
    """Refuse a file from a newer release in one line (its layout may differ); files without a version are 1."""
    if isinstance(version, str) and version.isdigit():
        version = int(version)  # safetensors metadata holds strings
    if version is None:
        return
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"{name}: the file's format version is invalid ({str(version)[:20]!r})")
    if version > VERSION:
        raise CheckpointError(f"{name}: this file was written by a newer DCGAN Explorer (format {version}; "
                              f"this one reads up to {VERSION}): upgrade to load it")


def read_training_state(path: Path, model_config: ModelConfig) -> dict:
    """The state a run resumes from: this project's last.pt, of a version this release reads, with the same model."""
    state = _torch_load(path)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"cannot resume from {path}: it is not a DCGAN Explorer training checkpoint")
    check_version(state.get("version"), path.name)
    if state.get("config") != model_config.to_dict():
        raise CheckpointError(f"cannot resume from {path}: it was trained with a different model or data set "
                              f"({state.get('config')})")
    missing = [k for k in ("G", "D", *RESUME_ONLY, "epoch", "step", "history") if k not in state]
    if missing:
        raise CheckpointError(f"cannot resume from {path}: it has no {', '.join(missing)} "
                              "(an epoch file or an export): resume from the run's last.pt")
    return state


def load(path: str | Path, device="cpu") -> Model:
    """Load any supported model file safely and return G (and D) in eval mode on `device`."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no such file: {path}")
    with open(path, "rb") as f:
        head = f.read(16)
    if not head:
        raise CheckpointError(f"{path.name}: the file is empty")
    if path.suffix == ".safetensors" or (len(head) >= 9 and head[8:9] == b"{"):
        return _load_safetensors(path, device)
    obj = _torch_load(path)
    if isinstance(obj, dict) and obj.get("format") == FORMAT:
        check_version(obj.get("version"), path.name)
        model = _from_project_dict(obj, device)
    elif isinstance(obj, dict):
        model = _from_bare_state(obj, path, device)
    else:
        raise CheckpointError(f"{path.name}: not a DCGAN checkpoint "
                              f"(holds a {type(obj).__name__}, expected a dict of weights)")
    model.meta.setdefault("path", str(path))
    return model


def export(model: Model, out: str | Path, *, include_d: bool = False) -> Path:
    """Write a model for sharing: `.safetensors` (config in the metadata) or a slim `.pt`.

    Both drop optimiser and RNG state. A `.pt` keeps the metadata (labels, loss history),
    which is how the bundled checkpoints stay small but still show their training curves.
    """
    from .media import writable

    out = writable(out)
    if include_d:
        model.require_d("exporting with D")
    with_d = include_d and model.D is not None
    if out.suffix == ".safetensors":
        from safetensors.torch import save_file

        tensors = {f"G.{k}": v.contiguous() for k, v in model.G.state_dict().items()}
        if with_d:
            tensors.update({f"D.{k}": v.contiguous() for k, v in model.D.state_dict().items()})
        meta = {k: model.meta[k] for k in ("epoch", "step", "dataset") if k in model.meta}
        save_file(tensors, str(out), metadata={"format": FORMAT, "version": str(VERSION),
                                               "config": json.dumps(model.config.to_dict()), "meta": json.dumps(meta)})
    elif out.suffix in (".pt", ".pth"):
        meta = {k: v for k, v in model.meta.items() if k not in ("path", "format", "version", "source", *RESUME_ONLY)}
        save_atomic({**meta, "format": FORMAT, "version": VERSION, "config": model.config.to_dict(),
                     "G": model.G.state_dict(), "D": model.D.state_dict() if with_d else None}, out)
    else:
        raise CheckpointError(f"export format must be .safetensors or .pt, got {out.suffix or 'no suffix'!r}")
    return out


def describe(model: Model) -> dict:
    """Config and metadata as plain JSON-able data (what `dcgan info` prints)."""
    meta = {k: v for k, v in model.meta.items() if k not in ("history", "verdict")}
    history = model.history
    if history:
        meta["history_rows"] = len(next(iter(history.values()), []))
    return {
        "config": model.config.to_dict(),
        "parameters": {
            "G": sum(p.numel() for p in model.G.parameters()),
            "D": sum(p.numel() for p in model.D.parameters()) if model.D is not None else 0,
        },
        "meta": meta,
    }
