"""The report every front end shows: real pool spans the classes, extremes are sorted, both sides are computed."""
import pytest
import torch

import dcgan
import dcgan.filters
from dcgan.channel_report import PIXELS, explain_channels, real_pool, report_rows, summary_lines
from dcgan.data import load_data, model_default_data
from dcgan.features import channel_means


@pytest.fixture(scope="module")
def tiny(tiny_checkpoint):
    model = dcgan.load(tiny_checkpoint)
    data = load_data(model_default_data(model.config), image_size=16)
    return model, data


def test_real_pool_is_a_fixed_random_subset_across_classes(tiny):
    _, data = tiny
    pool = real_pool(data, n=200)
    assert torch.equal(pool, real_pool(data, n=200)) and pool.shape == (200, 1, 16, 16)
    found = torch.cdist(pool.flatten(1), data.as_float().flatten(1)).argmin(1)  # each pool image's index in the set
    assert len(torch.unique(data.labels[found])) == 10  # every class, whatever order the set is stored in


def test_report_extremes_sorted_and_suppressing_images_lower_the_channel(tiny):
    model, data = tiny
    pool = real_pool(data, n=300)
    r = explain_channels(model, "layer1", pool, channels=[0, 3], suppress=True)
    assert r.layer == "layer1" and r.images.shape == (2, 1, 1, 16, 16) and r.suppressing.shape == (2, 1, 16, 16)
    assert (r.top_real_values[:, :-1] >= r.top_real_values[:, 1:]).all()
    assert (r.bottom_real_values[:, :-1] <= r.bottom_real_values[:, 1:]).all()
    low = channel_means(model.D, r.suppressing, 1)[torch.arange(2), r.channels]
    assert (low < r.activation[:, 0]).all()
    rows, width = report_rows(r, pool)
    assert width == 1 + 1 + 5 + 5 and rows.shape == (2 * width, 1, 16, 16)
    assert len(summary_lines(r)) == 5


def test_pixel_method_and_bad_method(tiny):
    model, data = tiny
    pool = real_pool(data, n=100)
    r = explain_channels(model, 1, pool, method=PIXELS, channels=[1], pixels=dcgan.filters.FilterSettings(steps=4))
    assert r.method == PIXELS and r.best_random.shape == (1,)
    with pytest.raises(ValueError, match="method must be one of"):
        explain_channels(model, 1, pool, method="magic")
