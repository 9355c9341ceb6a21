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


# Tests measured over ~9 s each (`pytest --durations`, 2 shared cores, load 5-20): marked slow here, in one list,
# so that `-m "not slow and not e2e and not ddp"` leaves the fast unit tests. Whole modules mark themselves.
SLOW = {
    "test_metrics.py": ("test_bundled_model_report", "test_eval_command_prints_table_and_writes_json",
                        "test_colour_model_report_uses_discriminator_features",
                        "test_memorisation_check_flags_near_copies_not_held_out_digits",
                        "test_digit_report_resizes_other_image_sizes", "test_frechet_real_halves_beat_noise"),
    "test_cli_toolkit.py": ("test_probe", "test_umap", "test_filters", "test_dissect_ranks_units_and_writes_panels"),
    "test_cli.py": ("test_train_sample_info_export_end_to_end", "test_error_is_one_line_with_exit_status_2",
                    "test_bad_flag_values_are_reported_not_raised"),
    "test_channel_report.py": ("test_real_pool_is_a_fixed_random_subset_across_classes",
                               "test_report_extremes_sorted_and_suppressing_images_lower_the_channel"),
    "test_timeline.py": ("test_aligned_umap_moves_points_less_than_independent_maps",),
    "test_train.py": ("test_same_seed_same_checkpoint_different_seed_differs",
                      "test_one_epoch_writes_checkpoint_samples_and_log",
                      "test_resume_matches_training_straight_through",
                      "test_training_moves_d_towards_telling_real_from_fake", "test_save_every_keeps_epoch_files",
                      "test_other_losses_train"),
    "test_features.py": ("test_probe_beats_pixels_and_an_untrained_d",),
    "test_direction_file.py": ("test_cli_writes_directions_that_load_back_and_refuses_bad_input",),
    "test_readings.py": ("test_digit_reading_reads_unseen_digits_and_flags_copies",),
    "test_security.py": ("test_resume_with_a_new_lr_applies_it_and_says_so",
                         "test_truncation_ends_for_any_positive_threshold_and_keeps_the_truncated_distribution"),
    "test_latent_filters.py": ("test_default_settings_meet_the_readability_bars_on_a_spread_of_channels",),
    "test_cli_errors.py": ("test_a_real_process_prints_no_traceback",),
    "test_data.py": ("test_mnist_is_parsed_once_then_read_from_the_cache",),
    "test_verdict.py": ("test_bundled_verdict_ranks_real_images_above_every_kind_of_garbage",),
    "test_invert.py": ("test_bundled_model_inverts_real_and_font_digits",),
    "test_filters.py": ("test_each_image_prefers_its_own_channel",),
    "test_fidelity.py": ("test_truncation_on_the_bundled_mnist_model_narrows_it",),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.originalname in SLOW.get(Path(str(item.fspath)).name, ()):
            item.add_marker(pytest.mark.slow)
