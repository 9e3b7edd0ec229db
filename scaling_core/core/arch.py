"""The discrete scaled architecture: one frozen description read by both the counter and the builder.

All rounding happens here, once (see `rounding`); the counter (`cost`) and the
torch builder (`build`) only read the integers stored in `ScaledArch`. A sweep discretises a whole
grid at once into `ArchArrays`: the same layer specs with int64 arrays where one network has ints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt

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

IntArray: TypeAlias = npt.NDArray[np.int64]
# A rounded size: an int for one network, an int64 array (one entry per configuration) in a sweep.
Size = TypeVar("Size", int, IntArray)


@dataclass(frozen=True)
class ConvBNAct(Generic[Size]):
    """Convolution without bias, batch norm, SiLU (stem and head)."""

    kind: ClassVar[str] = "conv_bn_act"
    in_channels: Size
    out_channels: Size
    kernel: int
    stride: int


SE_POSITIONS = ("after_depthwise", "before_depthwise")


@dataclass(frozen=True)
class MBConv(Generic[Size]):
    """Inverted bottleneck: [1×1 expand], k×k depthwise, [squeeze-excite], 1×1 project, [residual].

    se_position "before_depthwise" moves squeeze-excite in front of the depthwise convolution (it then
    pools and gates the expanded map at the block's input resolution); EfficientNet puts it after.
    """

    kind: ClassVar[str] = "mbconv"
    in_channels: Size
    expanded_channels: Size
    se_channels: Size
    out_channels: Size
    kernel: int
    stride: int
    expand_ratio: int
    # Networks described before the option existed keep their cache keys: the store leaves the default out.
    se_position: str = field(default="after_depthwise", metadata={"omit_default_from_key": True})

    @property
    def has_expansion(self) -> bool | npt.NDArray[np.bool_]:
        """A 1×1 expansion conv exists when the expanded width differs from the input (torchvision's rule)."""
        return self.expanded_channels != self.in_channels

    @property
    def has_residual(self) -> bool | npt.NDArray[np.bool_]:
        """Identity shortcut when the block keeps both shape and stride."""
        return (self.stride == 1) & (self.in_channels == self.out_channels)


@dataclass(frozen=True)
class Stage(Generic[Size]):
    """`repeats` blocks: `first` (carries the stride and the width change), then repeats − 1 copies of `rest`."""

    first: MBConv[Size]
    rest: MBConv[Size]
    repeats: Size


@dataclass(frozen=True)
class Classifier(Generic[Size]):
    """Global average pool, dropout, linear layer with bias."""

    kind: ClassVar[str] = "classifier"
    in_features: Size
    num_classes: int
    dropout: float


@dataclass(frozen=True)
class ScaledArch:
    """A scaled network in integers, hashable (usable as a cache key)."""

    base_name: str
    multipliers: Multipliers
    policy: RoundingPolicy
    resolution_px: int
    in_channels: int
    stem: ConvBNAct[int]
    stages: tuple[Stage[int], ...]
    head: ConvBNAct[int]
    classifier: Classifier[int]
    label: str = field(default="", compare=False)

    @property
    def total_blocks(self) -> int:
        """Number of blocks over all stages."""
        return sum(s.repeats for s in self.stages)


@dataclass(frozen=True, eq=False)
class ArchArrays:
    """A grid of scaled networks (a sweep) in one description: every rounded size an int64 array over the grid."""

    base_name: str
    policy: RoundingPolicy
    resolution_px: IntArray
    in_channels: int
    stem: ConvBNAct[IntArray]
    stages: tuple[Stage[IntArray], ...]
    head: ConvBNAct[IntArray]
    classifier: Classifier[IntArray]


@dataclass(frozen=True)
class _Layers(Generic[Size]):
    resolution_px: Size
    stem: ConvBNAct[Size]
    stages: tuple[Stage[Size], ...]
    head: ConvBNAct[Size]
    classifier: Classifier[Size]


def _discretise_layers(
    base: BaseSpec,
    depth: Any,
    width: Any,
    resolution: Any,
    policy: RoundingPolicy,
    num_classes: int,
    as_size: Callable[[Any], Size],
    se_position: str,
) -> _Layers[Size]:
    """The rounding shared by one network and a sweep; as_size makes each rounded value an int or keeps the array."""
    divisor = policy.width_divisor

    def channels(c: Any) -> Size:
        return as_size(round_channels(c, width, divisor))

    resolution_px = as_size(round_resolution(base.resolution_px, resolution, policy.resolution_multiple))
    stem = ConvBNAct(as_size(base.in_channels), channels(base.stem.out_channels), base.stem.kernel, base.stem.stride)
    stages = []
    in_ch = stem.out_channels
    for s in base.stages:
        out_ch = channels(s.out_channels)
        repeats = as_size(round_repeats(s.repeats, depth, policy.depth_rounding))
        blocks = [
            _mbconv(c_in, out_ch, s.expand_ratio, s.se_ratio, s.kernel, stride, divisor, as_size, se_position)
            for c_in, stride in ((in_ch, s.stride), (out_ch, 1))
        ]
        stages.append(Stage(blocks[0], blocks[1], repeats))
        in_ch = out_ch
    head = ConvBNAct(in_ch, channels(base.head_channels), 1, 1)
    return _Layers(resolution_px, stem, tuple(stages), head, Classifier(head.out_channels, num_classes, base.dropout))


def discretise(
    base: BaseSpec,
    multipliers: Multipliers,
    policy: RoundingPolicy,
    num_classes: int,
    label: str = "",
    se_position: str = "after_depthwise",
) -> ScaledArch:
    """Round continuous (d, w, r) into a ScaledArch (no range checks: `scale` makes them)."""
    m = multipliers
    layers = _discretise_layers(base, m.depth, m.width, m.resolution, policy, num_classes, int, se_position)
    return ScaledArch(
        base.name,
        multipliers,
        policy,
        layers.resolution_px,
        base.in_channels,
        layers.stem,
        layers.stages,
        layers.head,
        layers.classifier,
        label,
    )


def discretise_arrays(
    base: BaseSpec,
    depth: npt.NDArray[np.float64],
    width: npt.NDArray[np.float64],
    resolution: npt.NDArray[np.float64],
    policy: RoundingPolicy,
    num_classes: int,
) -> ArchArrays:
    """Round arrays of (d, w, r) into one ArchArrays, element for element the integers `discretise` gives."""
    layers = _discretise_layers(base, depth, width, resolution, policy, num_classes, _int_array, "after_depthwise")
    return ArchArrays(
        base.name,
        policy,
        layers.resolution_px,
        base.in_channels,
        layers.stem,
        layers.stages,
        layers.head,
        layers.classifier,
    )


def _int_array(value: Any) -> IntArray:
    return np.asarray(value, dtype=np.int64)


def _mbconv(
    in_ch: Size,
    out_ch: Size,
    expand_ratio: int,
    se_ratio: float,
    kernel: int,
    stride: int,
    divisor: int,
    as_size: Callable[[Any], Size],
    se_position: str,
) -> MBConv[Size]:
    se = squeeze_channels(in_ch, se_ratio) if se_ratio > 0 else 0 * np.asarray(in_ch)
    return MBConv(
        in_ch,
        as_size(expanded_channels(in_ch, expand_ratio, divisor)),
        as_size(se),
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
    arch = discretise(base, multipliers, policy, num_classes, label=label, se_position=se_position)
    if arch.resolution_px < base.min_resolution_px:
        raise ConfigError(
            "resolution",
            arch.resolution_px,
            f"≥ {base.min_resolution_px} px, the product of {base.name}'s strides "
            f"(r = {multipliers.resolution:.4g} × {base.resolution_px} px rounds below it; raise gamma or phi)",
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
