"""The discrete scaled architecture: one frozen description read by both the counter and the builder.

All rounding happens here, once (see `rounding`); the counter (`cost`) and the
torch builder (`build`) only read the integers stored in `ScaledArch`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from scaling_core.core.base import BaseSpec, load_base
from scaling_core.core.errors import ConfigError, require_finite
from scaling_core.core.recipe import Multipliers, Recipe
from scaling_core.core.rounding import (
    RoundingPolicy,
    expanded_channels,
    round_channels,
    round_repeats,
    round_resolution,
    squeeze_channels,
)


@dataclass(frozen=True)
class ConvBNAct:
    """Convolution without bias, batch norm, SiLU (stem and head)."""

    kind: ClassVar[str] = "conv_bn_act"
    in_channels: int
    out_channels: int
    kernel: int
    stride: int


SE_POSITIONS = ("after_depthwise", "before_depthwise")


@dataclass(frozen=True)
class MBConv:
    """Inverted bottleneck: [1×1 expand], k×k depthwise, [squeeze-excite], 1×1 project, [residual].

    se_position "before_depthwise" moves squeeze-excite in front of the depthwise convolution (it then
    pools and gates the expanded map at the block's input resolution); EfficientNet puts it after.
    """

    kind: ClassVar[str] = "mbconv"
    in_channels: int
    expanded_channels: int
    se_channels: int
    out_channels: int
    kernel: int
    stride: int
    expand_ratio: int
    # Networks described before the option existed keep their cache keys: the store leaves the default out.
    se_position: str = field(default="after_depthwise", metadata={"omit_default_from_key": True})

    @property
    def has_expansion(self):
        """A 1×1 expansion conv exists when the expanded width differs from the input (torchvision's rule)."""
        return self.expanded_channels != self.in_channels

    @property
    def has_residual(self):
        """Identity shortcut when the block keeps both shape and stride."""
        return (self.stride == 1) & (self.in_channels == self.out_channels)


@dataclass(frozen=True)
class Stage:
    """`repeats` blocks: `first` (carries the stride and the width change), then repeats − 1 copies of `rest`."""

    first: MBConv
    rest: MBConv
    repeats: int


@dataclass(frozen=True)
class Classifier:
    """Global average pool, dropout, linear layer with bias."""

    kind: ClassVar[str] = "classifier"
    in_features: int
    num_classes: int
    dropout: float


@dataclass(frozen=True)
class ScaledArch:
    """A scaled network in integers, hashable (usable as a cache key)."""

    base_name: str
    multipliers: Multipliers | None  # None only inside array-valued sweeps
    policy: RoundingPolicy
    resolution_px: int
    in_channels: int
    stem: ConvBNAct
    stages: tuple[Stage, ...]
    head: ConvBNAct
    classifier: Classifier
    label: str = field(default="", compare=False)

    @property
    def total_blocks(self) -> int:
        """Number of blocks over all stages."""
        return sum(int(s.repeats) for s in self.stages)


def discretise(
    base: BaseSpec,
    depth,
    width,
    resolution,
    policy: RoundingPolicy,
    num_classes: int,
    as_int: Callable = int,
    multipliers: Multipliers | None = None,
    label: str = "",
    se_position: str = "after_depthwise",
) -> ScaledArch:
    """Round continuous (d, w, r) into a ScaledArch; with as_int=identity, fields may be numpy arrays (sweeps)."""
    divisor = policy.width_divisor

    def channels(c):
        return as_int(round_channels(c, width, divisor))

    resolution_px = as_int(round_resolution(base.resolution_px, resolution, policy.resolution_multiple))
    stem = ConvBNAct(base.in_channels, channels(base.stem.out_channels), base.stem.kernel, base.stem.stride)
    stages = []
    in_ch = stem.out_channels
    for s in base.stages:
        out_ch = channels(s.out_channels)
        repeats = as_int(round_repeats(s.repeats, depth, policy.depth_rounding))
        blocks = [
            _mbconv(c_in, out_ch, s.expand_ratio, s.se_ratio, s.kernel, stride, divisor, as_int, se_position)
            for c_in, stride in ((in_ch, s.stride), (out_ch, 1))
        ]
        stages.append(Stage(blocks[0], blocks[1], repeats))
        in_ch = out_ch
    head = ConvBNAct(in_ch, channels(base.head_channels), 1, 1)
    return ScaledArch(
        base.name,
        multipliers,
        policy,
        resolution_px,
        base.in_channels,
        stem,
        tuple(stages),
        head,
        Classifier(head.out_channels, num_classes, base.dropout),
        label,
    )


def _mbconv(in_ch, out_ch, expand_ratio, se_ratio, kernel, stride, divisor, as_int, se_position) -> MBConv:
    se = squeeze_channels(in_ch, se_ratio) if se_ratio > 0 else 0 * np.asarray(in_ch)
    return MBConv(
        in_ch,
        as_int(expanded_channels(in_ch, expand_ratio, divisor)),
        as_int(se),
        out_ch,
        kernel,
        stride,
        expand_ratio,
        se_position,
    )


def scale(
    multipliers: Multipliers,
    *,
    base: BaseSpec | str = "efficientnet-b0",
    policy: RoundingPolicy | None = None,
    num_classes: int | None = None,
    label: str = "",
    se_position: str = "after_depthwise",
) -> ScaledArch:
    """The discrete architecture for continuous multipliers; ConfigError for out-of-range input."""
    if se_position not in SE_POSITIONS:
        raise ConfigError("se_position", se_position, f"one of {', '.join(SE_POSITIONS)}")
    base = load_base(base) if isinstance(base, str) else base
    policy = policy or RoundingPolicy()
    num_classes = require_classes(base.num_classes if num_classes is None else num_classes)
    _check_sizes(base, multipliers)
    arch = discretise(
        base,
        multipliers.depth,
        multipliers.width,
        multipliers.resolution,
        policy,
        int(num_classes),
        multipliers=multipliers,
        label=label,
        se_position=se_position,
    )
    if arch.resolution_px < base.min_resolution_px:
        raise ConfigError(
            "resolution",
            arch.resolution_px,
            f"≥ {base.min_resolution_px} px, the product of {base.name}'s strides (r = {multipliers.resolution:.4g} × {base.resolution_px} px "
            f"rounds below it; raise gamma or phi)",
        )
    return arch


MAX_SCALED_SIZE = 2**31


def _check_sizes(base: BaseSpec, m: Multipliers) -> None:
    """Refuse multipliers that would give a channel count, repeat count or side beyond 2^31 (and overflow rounding)."""
    largest = {
        "channels": max(
            [base.stem.out_channels, base.head_channels, *(s.out_channels * s.expand_ratio for s in base.stages)]
        )
        * m.width,
        "repeats": max(s.repeats for s in base.stages) * m.depth,
        "resolution": base.resolution_px * m.resolution,
    }
    for what, size in largest.items():
        if size >= MAX_SCALED_SIZE:
            raise ConfigError(
                "phi",
                f"{what} {size:.3g}",
                "small enough that every scaled size stays below 2^31 (lower phi or the coefficients)",
            )


def require_classes(num_classes) -> int:
    """The class count as an int, or ConfigError."""
    bad_type = isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer))
    if bad_type or not 1 <= num_classes <= 1_000_000:
        raise ConfigError("num_classes", num_classes, "an integer in [1, 1000000]")
    return int(num_classes)


def scale_recipe(recipe: Recipe, phi: float, **kwargs) -> ScaledArch:
    """The discrete architecture of recipe at φ."""
    phi = require_finite("phi", phi, minimum=0.0)
    kwargs.setdefault("label", f"α={recipe.alpha:g}, β={recipe.beta:g}, γ={recipe.gamma:g}, φ={phi:g}")
    return scale(recipe.multipliers(phi), **kwargs)
