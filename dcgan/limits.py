"""How much work one command or request may ask for: one home for the caps every front end applies.

Each cap is checked before anything is loaded or computed, and an over-limit request gets one line
(ConfigError) instead of minutes of work and gigabytes of memory.
"""
from __future__ import annotations

import math

from .errors import ConfigError

MAX_KEYFRAMES = 64  # a walk through more seeds than this is a denial of service, not a walk
MAX_FRAMES = 2048  # frames in one walk animation
MAX_OUTPUT_PIXELS = 64 << 20  # one written grid or animation frame, after upscaling
MAX_LIST_ITEMS = 1024  # --seeds, --channels, --units
MIN_TRUNCATION = 1e-6
MAX_TIMELINE_EPOCHS = 200  # saved epochs one timeline loads and measures

# CLI option -> (lowest, highest), applied to every command that has the option (lists: to each item)
OPTION_RANGES = {
    "n": (1, 100_000), "seed": (0, 2**63 - 1), "truncation": (MIN_TRUNCATION, 100.0), "nrow": (0, 4096),
    "scale": (1, 32), "steps": (1, 10_000), "n_keyframes": (2, MAX_KEYFRAMES), "fps": (1, 100),
    "per_channel": (1, 64), "diversity": (0.0, 1e4), "tv_weight": (0.0, 1e4), "top": (1, 4096),
    "starts": (1, 1024), "channels": (0, 100_000), "units": (0, 100_000),
    "bank": (1, 65_536), "k": (1, 256), "cards": (0, 10_000),  # invert's screened z, directions' k and card samples
}
SEED_ITEMS = (0, 2**63 - 1)  # --seeds as a list of keyframe seeds; as a count it is bounded by "n"


def check_number(name: str, value, low, high) -> None:
    """Refuse a number outside [low, high] (NaN and infinity included), naming the option."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or not low <= value <= high:
        raise ConfigError(f"--{name.replace('_', '-')} must be from {low:g} to {high:g}, got {value}")


def check_options(args: dict) -> None:
    """Every numeric CLI option that OPTION_RANGES knows, before the command loads anything."""
    for name, value in args.items():
        if value is None:
            continue
        if isinstance(value, list):
            if len(value) > MAX_LIST_ITEMS:
                raise ConfigError(f"--{name.replace('_', '-')} takes at most {MAX_LIST_ITEMS} values, got {len(value)}")
            low, high = SEED_ITEMS if name == "seeds" else OPTION_RANGES.get(name, (None, None))
            for item in value if low is not None else ():
                check_number(name, item, low, high)
        elif name == "seeds":
            check_number(name, value, 1, 100)
        elif name in OPTION_RANGES:
            check_number(name, value, *OPTION_RANGES[name])


def check_walk(n_keyframes: int, steps: int) -> int:
    """The number of frames a walk will have; refused when there are too many keyframes or frames."""
    if n_keyframes > MAX_KEYFRAMES:
        raise ConfigError(f"a walk takes at most {MAX_KEYFRAMES} keyframes, got {n_keyframes}")
    frames = (n_keyframes - 1) * steps + 1
    if frames > MAX_FRAMES:
        raise ConfigError(f"this walk would have {frames:,} frames; the limit is {MAX_FRAMES:,}: "
                          f"use fewer keyframes or steps")
    return frames


def check_picture(n: int, image_size: int, scale: int) -> None:
    """Refuse a grid of n images of image_size px, upscaled by scale, that is over MAX_OUTPUT_PIXELS."""
    pixels = n * (image_size * scale) ** 2
    if pixels > MAX_OUTPUT_PIXELS:
        raise ConfigError(f"{n} images of {image_size * scale} px make {pixels / 1e6:.0f} Mpx; the limit is "
                          f"{MAX_OUTPUT_PIXELS / 1e6:.0f} Mpx: use a smaller --n or --scale")
