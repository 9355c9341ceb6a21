"""Shared fixtures: tiny fast models for unit tests, and the bundled MNIST model for toolkit tests."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from helpers import BUNDLED_MNIST, tiny_train_config

# The machine's 2 cores, shared among pytest-xdist's workers (pyproject.toml starts 2): threads past the core count
# only contend.
torch.set_num_threads(max(1, (os.cpu_count() or 2) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))))


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


# Tests measured over ~9 s each (`pytest --durations`, 2 shared cores, load 5-20), and, so that the fast subset
# stays under a minute, every test that took over ~2 s at load 10-20 (well under 1 s on an idle machine; the fast
# subset's runs of 2026-12-02): marked slow here, in one list, so that `-m "not slow and not e2e and not ddp"`
# leaves the fast unit tests. Whole modules mark themselves.
SLOW = {
    "test_metrics.py": ("test_bundled_model_report", "test_eval_command_prints_table_and_writes_json",
                        "test_colour_model_report_uses_discriminator_features",
                        "test_memorisation_check_flags_near_copies_not_held_out_digits",
                        "test_digit_report_resizes_other_image_sizes", "test_frechet_real_halves_beat_noise",
                        "test_classifier_reaches_98_percent_on_its_held_out_split",
                        "test_copy_distance_sees_through_shifts_and_finds_the_original",
                        "test_bundled_checkpoints_are_slim_and_keep_their_loss_history"),
    "test_cli_toolkit.py": ("test_probe", "test_umap", "test_filters", "test_dissect_ranks_units_and_writes_panels",
                            "test_bad_layer_or_channel_is_one_line", "test_walk"),
    "test_cli.py": ("test_train_sample_info_export_end_to_end", "test_error_is_one_line_with_exit_status_2",
                    "test_bad_flag_values_are_reported_not_raised"),
    "test_channel_report.py": ("test_real_pool_is_a_fixed_random_subset_across_classes",
                               "test_report_extremes_sorted_and_suppressing_images_lower_the_channel",
                               "test_pixel_method_and_bad_method"),
    "test_timeline.py": ("test_aligned_umap_moves_points_less_than_independent_maps",
                         "test_timeline_command_writes_one_entry_per_epoch_and_a_page",
                         "test_a_checkpoint_against_itself_reads_as_the_real_set_would",
                         "test_epoch_files_are_slim_and_last_pt_keeps_what_resuming_needs",
                         "test_no_checkpoints_and_mixed_sizes_get_one_line_errors"),
    "test_train.py": ("test_same_seed_same_checkpoint_different_seed_differs",
                      "test_one_epoch_writes_checkpoint_samples_and_log",
                      "test_resume_matches_training_straight_through",
                      "test_training_moves_d_towards_telling_real_from_fake", "test_save_every_keeps_epoch_files",
                      "test_other_losses_train", "test_nan_loss_stops_and_keeps_last_good_checkpoint",
                      "test_r1_training_flattens_d_at_real_images"),
    "test_features.py": ("test_probe_beats_pixels_and_an_untrained_d",
                         "test_probe_warns_when_the_chosen_penalty_sits_at_the_grid_edge",
                         "test_the_untrained_d_leaves_the_global_rng_alone",
                         "test_features_are_pooled_to_4x4_per_layer"),
    "test_direction_file.py": ("test_cli_writes_directions_that_load_back_and_refuses_bad_input",),
    "test_directions.py": ("test_the_shipped_slant_and_class_directions_do_what_their_names_say",),
    "test_report_card.py": ("test_a_class_card_finds_where_the_class_is_reached_and_round_trips",
                            "test_no_move_changes_nothing_and_a_big_move_changes_more_than_a_small_one"),
    "test_readings.py": ("test_digit_reading_reads_unseen_digits_and_flags_copies",
                         "test_captions_put_the_verdict_first"),
    "test_security.py": ("test_resume_with_a_new_lr_applies_it_and_says_so",
                         "test_truncation_ends_for_any_positive_threshold_and_keeps_the_truncated_distribution",
                         "test_a_directions_file_declaring_a_huge_array_is_refused_from_its_header",
                         "test_nan_in_the_first_epoch_says_nothing_was_saved"),
    "test_latent_filters.py": ("test_default_settings_meet_the_readability_bars_on_a_spread_of_channels",
                               "test_diversity_term_makes_a_channels_images_differ_more",
                               "test_each_image_beats_the_best_random_sample_on_its_own_channel",
                               "test_negative_side_suppresses_below_the_lowest_random_sample",
                               "test_reproducible_leaves_nets_as_found_and_rejects_bad_input"),
    "test_cli_errors.py": ("test_a_real_process_prints_no_traceback",),
    "test_data.py": ("test_mnist_is_parsed_once_then_read_from_the_cache",),
    "test_verdict.py": ("test_bundled_verdict_ranks_real_images_above_every_kind_of_garbage",
                        "test_verdict_of_an_image_does_not_depend_on_its_batch",
                        "test_calibrate_command_adds_a_verdict_to_a_file_without_one",
                        "test_untrained_d_verdict_still_rejects_noise"),
    "test_invert.py": ("test_prior_pulls_z_back_to_typical_norm", "test_g_of_z0_inverts_back_with_typical_z",
                       "test_cli_writes_npy_and_png_and_survives_a_bad_file"),
    "test_filters.py": ("test_each_image_prefers_its_own_channel",
                        "test_visualisation_leaves_d_as_it_found_it_and_bf16_matches_fp32",
                        "test_robust_pixel_view_is_smoother_and_keeps_a_dark_background",
                        "test_visualisation_is_reproducible_and_seeded", "test_top_examples_are_sorted"),
    "test_distributed.py": ("test_fast_and_fp32_training_agree_within_bf16_precision",
                            "test_a_fast_path_checkpoint_is_contiguous_and_exports"),
    "test_truncation.py": ("test_small_t_draws_only_the_centres_images_and_spread_shrinks_with_t",
                           "test_later_batchnorms_are_re_estimated_on_the_truncated_features",
                           "test_features_are_pulled_toward_their_nearest_centre_by_the_factor_t",
                           "test_none_and_one_are_g_itself_and_other_t_keep_gs_interface",
                           "test_truncation_acts_after_the_8x8_stage_or_the_last_hidden_one"),
    "test_live_view.py": ("test_the_page_sends_G_once_and_the_pages_own_directions_and_z",
                          "test_a_model_too_large_for_the_browser_falls_back_to_server_sliders"),
    "test_dissect.py": ("test_ranking_is_sorted_and_ranks_what_it_measures",
                        "test_ablation_changes_the_output_where_the_units_map_is_active",
                        "test_bad_layer_or_unit_is_a_one_line_error"),
    "test_checkpoint.py": ("test_pytorch_examples_state_dict_gives_identical_images",),
    "test_frontend.py": ("test_streamlit_guard_shows_one_line_and_logs_the_traceback",
                         "test_pca_directions_are_computed_once_per_file_version"),
    "test_landscape.py": ("test_grid_is_the_verdict_of_each_point",
                          "test_torch_verdict_equals_the_verdict_on_known_images",
                          "test_arrows_agree_with_finite_differences", "test_more_real_direction_raises_the_verdict",
                          "test_cli_writes_the_promised_json_and_html",
                          "test_landscape_arrows_are_the_gradient_at_their_points"),
    "test_latent.py": ("test_pca_directions_are_ranked_and_change_the_image",
                       "test_equal_change_walk_spaces_frames_more_evenly_and_keeps_the_keyframes",
                       "test_walk_frames_and_animation"),
    "test_readability.py": ("test_nearest_real_ratio_is_near_one_for_held_out_digits_and_far_for_noise",),
    "test_web_generator.py": ("test_cli_web_writes_what_the_browser_reads",),
}


SHARED_SERVER = "streamlit-server"  # the xdist group of the browser tests that share one Streamlit server


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's worker reads the groups
def pytest_collection_modifyitems(config, items):
    """Mark the SLOW tests; give each test its pytest-xdist group (pyproject.toml runs `--dist loadgroup`).

    A worker takes a whole group: a test file's tests stay together (module fixtures are built once), and so do all
    the browser tests of the shared Streamlit server (tests/e2e/conftest.py), which then starts, loads its models
    and compiles UMAP's numba code in one worker only."""
    for item in items:
        if item.originalname in SLOW.get(Path(str(item.fspath)).name, ()):
            item.add_marker(pytest.mark.slow)
        shared = {"streamlit_url", "streamlit_server"} & set(getattr(item, "fixturenames", ()))
        item.add_marker(pytest.mark.xdist_group(SHARED_SERVER if shared else Path(str(item.fspath)).name))
