"""app/frontend.py, what both front ends share: bounded result cache, one-line errors with the traceback logged,
models loaded once per file version, captions that keep their phrases together."""
import logging
import os
import shutil
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from streamlit.testing.v1 import AppTest

from app import frontend
from dcgan.errors import ConfigError


def test_result_cache_forgets_the_least_recently_used_beyond_its_entries():
    cache = frontend.ResultCache(max_entries=3, max_bytes=1 << 30)
    for key in "abc":
        cache[key] = key
    assert cache["a"] == "a"  # a is now the most recently used
    cache["d"] = "d"
    assert "b" not in cache and {"a", "c", "d"} == {k for k in "abcd" if k in cache} and len(cache) == 3


def test_result_cache_is_bounded_by_bytes_and_keeps_the_newest():
    mb = 1 << 20
    cache = frontend.ResultCache(max_entries=100, max_bytes=9 * mb)
    for i in range(6):
        cache[i] = {"table": np.zeros(mb // 4, dtype=np.float32), "z": torch.zeros(mb // 4)}  # 2 MB each
    assert [i for i in range(6) if i in cache] == [2, 3, 4, 5] and cache.nbytes == 8 * mb
    cache["huge"] = np.zeros(20 * mb, dtype=np.uint8)  # over the whole budget alone: kept, everything else goes
    assert "huge" in cache and len(cache) == 1


def test_a_result_that_grows_after_it_is_kept_counts_at_its_new_size():
    class Job:  # like app.core.Job: its result arrives after it is put in the cache
        result = None

    cache, job = frontend.ResultCache(max_entries=10, max_bytes=1000), Job()
    cache["job"] = job
    job.result = np.zeros(200, dtype=np.float32)  # 800 bytes
    cache["new"] = np.zeros(100, dtype=np.float32)  # 400 more: over budget, so the job goes
    assert "job" not in cache and "new" in cache


def test_nbytes_finds_tensors_and_arrays_inside_dataclasses_dicts_and_lists():
    @dataclass
    class Report:
        images: torch.Tensor
        extra: dict

    r = Report(torch.zeros(10, 3, 8, 8), {"a": [np.zeros(100, dtype=np.float64)], "n": 3})
    assert frontend.nbytes(r) == 10 * 3 * 8 * 8 * 4 + 800
    assert frontend.nbytes([r, r]) == frontend.nbytes(r)  # the same object counted once


def test_get_or_compute_computes_once():
    calls = []
    cache = frontend.ResultCache()
    for _ in range(3):
        assert cache.get_or_compute("k", lambda: calls.append(1) or 42) == 42
    assert calls == [1]


def test_one_line_and_a_failed_load_names_the_file_once():
    assert frontend.one_line(RuntimeError("\n  first\nsecond")) == "first"
    assert frontend.one_line(KeyError()) == "KeyError"
    assert frontend.one_line(ValueError("x" * 500)) == "x" * 300
    line = frontend.load_failed("junk.pt", ValueError("junk.pt: not a PyTorch checkpoint"))
    assert line == "Could not load junk.pt: not a PyTorch checkpoint"
    line = frontend.load_failed("z.npy", ValueError("z.npy is not a z vector: expected a .npy array"))
    assert line == "Could not load z.npy: the file is not a z vector: expected a .npy array"
    assert frontend.load_failed("a", ValueError("not a checkpoint")) == "Could not load a: not a checkpoint"


def test_an_unexpected_error_is_one_line_for_the_user_and_a_full_traceback_in_the_log(caplog):
    def deep():
        raise RuntimeError("boom\nwith a second line")

    try:
        deep()
    except RuntimeError as err:
        with caplog.at_level(logging.ERROR, logger="dcgan.app"):
            line = frontend.unexpected(err)
    assert line.startswith("Something went wrong: boom") and "\n" not in line and "second line" not in line
    assert "Traceback" in caplog.text and "in deep" in caplog.text and "with a second line" in caplog.text


def _failing_page():
    from app import core

    with core.guard():
        raise RuntimeError("boom\nsecond line")


def test_streamlit_guard_shows_one_line_and_logs_the_traceback(caplog):
    at = AppTest.from_function(_failing_page)
    with caplog.at_level(logging.ERROR, logger="dcgan.app"):
        at.run(timeout=60)
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("Something went wrong: boom")
    assert "\n" not in at.error[0].value and "second line" not in at.error[0].value
    assert "Traceback" in caplog.text and "RuntimeError: boom" in caplog.text and "_failing_page" in caplog.text


def test_models_load_once_per_file_version(tiny_checkpoint, tmp_path):
    path = tmp_path / "m.pt"
    shutil.copy(tiny_checkpoint, path)
    first = frontend.model_at(path)
    assert frontend.model_at(str(path)) is first
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 10))  # a retrained run rewrites the file
    assert frontend.model_at(path) is not first


def test_pca_directions_are_computed_once_per_file_version(tiny_checkpoint):
    a = frontend.pca_directions(tiny_checkpoint, k=3)
    assert frontend.pca_directions(str(tiny_checkpoint), k=3) is a and len(a) == 3


def test_captions_keep_short_phrases_on_one_line():
    shown = frontend.keep_phrases("realness 0.62 · reads 3 (97%) · nearest training 0.210")
    assert shown.split(" · ") == ["realness\u00a00.62", "reads\u00a03\u00a0(97%)", "nearest\u00a0training\u00a00.210"]
    assert " " not in shown.replace(" · ", "")  # the only places a line may break are between phrases
    long = "the same 16 z at epoch 1 (epoch_001.pt)"
    assert frontend.keep_phrases(long) == long  # a long phrase wraps as text does
    thumb = frontend.keep_phrases("-2σ · realness 0.08 · reads 5 (100%) · nearest training 0.30", 96)
    assert thumb.split(" · ") == ["-2σ", "realness\u00a00.08", "reads\u00a05\u00a0(100%)", "nearest\u00a00.30"]
    assert all(len(p) * frontend.CHAR_PX <= 96 for p in thumb.split(" · "))  # each phrase fits a 96 px cell
    assert frontend.keep_phrases("nearest training 0.30", 256) == "nearest\u00a0training\u00a00.30"  # room: kept
    assert frontend.keep_phrases(frontend.verdict_caption(float("nan")), 96) == "no\u00a0verdict"


def test_display_scales_and_the_square_grid():
    @dataclass
    class Config:
        image_size: int

    assert [frontend.display_scale(Config(s)) for s in (16, 32, 64, 256)] == [8, 4, 2, 1]
    assert [frontend.thumb_scale(Config(s)) for s in (16, 32, 64, 256)] == [4, 2, 1, 1]
    picture = frontend.square_grid(torch.zeros(9, 1, 16, 16), target=32)
    assert picture.shape == (2 * (3 * 18 + 2), 2 * (3 * 18 + 2), 3)  # 3 x 3, 2 px padding, upscaled x2


def test_keyframes_from_seeds_are_each_seeds_first_sample():
    from dcgan.latent import sample_z

    z = frontend.keyframes_from_seeds([5, 1, 5], 8)
    assert z.shape == (3, 8) and torch.equal(z[0], z[2]) and not torch.equal(z[0], z[1])
    assert torch.equal(z[1], sample_z(1, 8, seed=1)[0])


def test_truncation_choices_are_the_offered_ones_only():
    assert frontend.truncation_value("none") is None and frontend.truncation_value("0.5") == 0.5
    assert [frontend.truncation_value(c) for c in frontend.TRUNCATIONS[:-1]] == sorted(
        float(c) for c in frontend.TRUNCATIONS[:-1])
    for bad in ("1.7", 3.0, "", "nan"):  # each new T would build a G: a free value is refused in one line
        with pytest.raises(ConfigError, match="truncation must be one of") as info:
            frontend.truncation_value(bad)
        assert "\n" not in str(info.value)
