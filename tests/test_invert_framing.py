"""MNIST framing of a user's digit: the box, the centre of mass, and the images it must leave alone."""
import numpy as np
import torch

from dcgan.framing import BOX, FRAME, frame_digit, is_framed


def _centre(a: np.ndarray) -> tuple[float, float]:
    w = a.astype(float)
    rows, cols = np.arange(a.shape[0]) + 0.5, np.arange(a.shape[1]) + 0.5
    return w.sum(1) @ rows / w.sum(), w.sum(0) @ cols / w.sum()


def test_a_small_off_centre_digit_is_boxed_and_centred_like_mnist():
    page = np.zeros((90, 120), np.uint8)
    page[10:40, 80:92] = 255  # a 30 x 12 bar near the top right: too small, off-centre, not square
    out = frame_digit(page)
    assert out.shape == (FRAME, FRAME)
    rows, cols = np.nonzero(out > 64)
    assert abs((rows.max() - rows.min() + 1) - BOX) <= 1  # the longer side becomes 20 of 28
    assert abs((cols.max() - cols.min() + 1) - BOX * 12 / 30) <= 1.5  # the aspect ratio is kept
    assert np.allclose(_centre(out), (FRAME / 2, FRAME / 2), atol=0.6)  # centred by its centre of mass


def test_the_background_level_is_not_ink():
    page = np.full((60, 60), 40, np.uint8)  # a dark grey page, not black
    page[5:20, 40:48] = 250
    out = frame_digit(page)
    assert out[0, 0] == 0 and out.max() == 255


def test_real_mnist_digits_and_blank_pages_are_left_alone():
    from dcgan.data import load_data

    digits = load_data("mnist", image_size=32, channels=1, max_images=200).images[:, 0].numpy()
    kept = [np.array_equal(frame_digit(d), d) for d in digits]
    assert np.mean(kept) > 0.9  # already framed by MNIST itself: not resampled (that would only blur them)
    blank = np.zeros((40, 40), np.uint8)
    assert frame_digit(blank) is blank and is_framed(blank.astype(np.float32))


def test_framing_happens_only_for_digit_models_and_survives_both_polarities():
    from dcgan.invert import to_target

    page = np.full((64, 48), 255, np.uint8)
    page[40:60, 5:12] = 0  # a black stroke low on the left of a white page
    framed = to_target(page, image_size=32, channels=1, frame=True)
    assert torch.equal(framed, to_target(255 - page, image_size=32, channels=1, frame=True))
    plain = to_target(page, image_size=32, channels=1)
    assert not torch.equal(framed, plain)
    ys, xs = torch.nonzero(framed[0, 0] > 0, as_tuple=True)
    assert abs(ys.float().mean() - 16) < 2 and abs(xs.float().mean() - 16) < 2  # moved to the centre


def test_only_a_digit_model_frames_and_gets_the_classifier_loss(monkeypatch):
    import dcgan.invert
    from dcgan.checkpoint import build_model
    from dcgan.config import ModelConfig
    from dcgan.invert import feature_nets, target_options
    from dcgan.models import Discriminator, Generator

    torch.manual_seed(0)
    for dataset, digits in (("mnist", True), ("fashion-mnist", False), ("", False)):
        cfg = ModelConfig(nz=8, image_size=16, channels=1, ngf=8, ndf=8, dataset=dataset)
        model = build_model(cfg, Generator(cfg).state_dict(), Discriminator(cfg).state_dict())
        monkeypatch.setattr(dcgan.invert, "model_polarity", lambda G: True)  # as the trained MNIST model reads
        assert target_options(model)["frame"] == digits
        monkeypatch.setattr(dcgan.invert, "model_polarity", lambda G: False)  # black on white: no framing
        assert not target_options(model)["frame"]
        assert (feature_nets(model)["classifier"] is not None) == digits
