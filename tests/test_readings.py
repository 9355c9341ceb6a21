"""Captions and the second reading under digit images; which data a model is compared with."""
import numpy as np
import pytest
import torch

import dcgan
from dcgan.config import ModelConfig
from dcgan.data import ImageData, data_mismatch, load_data, model_default_data
from dcgan.memorisation import shifted
from dcgan.metrics import classifier_split
from dcgan.readings import DigitReader, applies, image_captions, verdict_caption


@pytest.fixture(scope="module")
def reader():
    return DigitReader(load_data("mnist", image_size=32))


def test_digit_reading_reads_unseen_digits_and_flags_copies():
    data = load_data("mnist", image_size=32)
    train, held = (torch.tensor(i) for i in classifier_split(data.labels.tolist()))
    reader = DigitReader(ImageData(data.images[train], data.labels[train], data.classes, "mnist-train-split"))
    held = held[:200].numpy()
    readings = reader.read(data.as_float(torch.from_numpy(held)))
    labels = [data.classes[i] for i in data.labels[held]]
    assert np.mean([r.label == want for r, want in zip(readings, labels)]) > 0.95
    assert np.mean([r.near_copy for r in readings]) <= 0.1  # held-out digits are not copies
    moved = shifted(data.as_float(train[:20]), 1, 1)  # training digits, moved a pixel
    copies = reader.read(moved)
    assert all(r.near_copy for r in copies) and [r.nearest for r in copies] == list(range(20))
    assert "NEAR COPY" in copies[0].caption() and copies[0].caption().startswith("reads ")


def test_captions_put_the_verdict_first(bundled_mnist, reader):
    model = dcgan.load(bundled_mnist)
    images = torch.cat([load_data("mnist", image_size=32).as_float(slice(0, 2)), torch.rand(2, 1, 32, 32) * 2 - 1])
    captions = image_captions(model, images, reader.read(images))
    assert all(c.startswith("realness ") and " · reads " in c for c in captions)
    assert [float(c.split()[1]) for c in captions[2:]] == [0.0, 0.0]  # noise: less real than every real digit
    assert verdict_caption(float("nan")).startswith("no verdict")


def test_data_follows_the_model_and_mismatches_are_named():
    emoji = ModelConfig(image_size=64, channels=3, dataset="emoji")
    mnist = ModelConfig(image_size=32, channels=1, dataset="mnist")
    unknown_colour = ModelConfig(image_size=64, channels=3, dataset="")
    assert model_default_data(emoji) == "emoji" and model_default_data(mnist) == "mnist"
    assert model_default_data(unknown_colour) == "emoji"
    assert data_mismatch(emoji, "emoji") is None and data_mismatch(mnist, "mnist") is None
    assert "trained on 'emoji'" in data_mismatch(emoji, "mnist")
    assert "colour model" in data_mismatch(unknown_colour, "mnist")
    assert applies(mnist, "mnist") and not applies(emoji, "emoji") and not applies(mnist, "emoji")
