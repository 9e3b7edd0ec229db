"""Discretisation of continuous multipliers: each rule once, for scalars and numpy arrays alike."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scaling_core.core.errors import ConfigError

RESOLUTION_MULTIPLES = (1, 4, 8, 16, 32)
DEPTH_ROUNDINGS = ("ceil", "round")


@dataclass(frozen=True)
class RoundingPolicy:
    """How (d, w, r) become integers: width divisor, depth rounding, resolution multiple."""

    width_divisor: int = 8
    depth_rounding: str = "ceil"
    resolution_multiple: int = 8

    def __post_init__(self) -> None:
        if not isinstance(self.width_divisor, (int, np.integer)) or not 1 <= self.width_divisor <= 256:
            raise ConfigError("width_divisor", self.width_divisor, "an integer in [1, 256]")
        if self.depth_rounding not in DEPTH_ROUNDINGS:
            raise ConfigError("depth_rounding", self.depth_rounding, f"one of {DEPTH_ROUNDINGS}")
        if self.resolution_multiple not in RESOLUTION_MULTIPLES:
            raise ConfigError("resolution_multiple", self.resolution_multiple, f"one of {RESOLUTION_MULTIPLES}")


def round_channels(channels, width, divisor: int = 8):
    """channels × width to the nearest multiple of divisor, never below divisor, plus one step where that lost >10%.

    The rule of the reference implementations: TensorFlow's `round_filters`
    (tensorflow/tpu efficientnet_model.py) and torchvision's `_make_divisible`.
    """
    scaled = np.multiply(channels, width)
    rounded = np.maximum(divisor, np.floor(scaled + divisor / 2) // divisor * divisor)
    return np.where(rounded < 0.9 * scaled, rounded + divisor, rounded).astype(np.int64)


def round_repeats(repeats, depth, rounding: str = "ceil"):
    """repeats × depth, ceiled as in TensorFlow's `round_repeats` (or rounded half up, at least 1)."""
    scaled = np.multiply(repeats, depth)
    if rounding == "ceil":
        return np.ceil(scaled).astype(np.int64)
    return np.maximum(1, np.floor(scaled + 0.5)).astype(np.int64)


def round_resolution(resolution_px, resolution, multiple: int = 8):
    """base resolution × r to the nearest multiple (halves round up)."""
    scaled = np.multiply(resolution_px, resolution)
    return (np.floor(scaled / multiple + 0.5) * multiple).astype(np.int64)


def expanded_channels(in_channels, expand_ratio, divisor: int = 8):
    """Expanded width of an inverted bottleneck: torchvision's adjust_channels(in, ratio)."""
    return round_channels(in_channels, expand_ratio, divisor)


def squeeze_channels(in_channels, se_ratio: float):
    """Squeeze-excite width: max(1, ⌊in × se_ratio⌋), as TensorFlow's num_reduced_filters."""
    return np.maximum(1, np.floor(np.multiply(in_channels, se_ratio))).astype(np.int64)


def round_group_width(group_width, width):
    """A group width × the width multiplier, rounded as pycls's scaler rounds it (pycls/models/scaler.py): at most
    2 kept, at most 5 made 4, else the nearest multiple of 8 (at least 8)."""
    scaled = np.maximum(1, np.round(np.multiply(group_width, width))).astype(np.int64)
    eights = np.maximum(8, np.round(scaled / 8) * 8).astype(np.int64)
    return np.where(scaled <= 2, scaled, np.where(scaled <= 5, 4, eights))


def group_compatible(out_channels, bottleneck_ratio: float, group_width):
    """(block width, group width) such that the inner width out × ratio is a multiple of the group width.

    torchvision's `_adjust_widths_groups_compatibilty` (RegNet): inner = ⌊out × ratio⌋, the group width at most
    the inner width, the inner width made divisible by it (`round_channels`' rule), out = ⌊inner / ratio⌋.
    """
    inner = np.floor(np.multiply(out_channels, bottleneck_ratio)).astype(np.int64)
    group = np.minimum(group_width, inner)
    inner = round_channels(inner, 1, group)
    return np.floor(inner / bottleneck_ratio).astype(np.int64), group
