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

from scaling_core.core.base import BaseSpec, BaseStage, load_base
from scaling_core.core.errors import ConfigError, require_finite
from scaling_core.core.recipe import Multipliers, Recipe
from scaling_core.core.rounding import (
    RoundingPolicy,
    expanded_channels,
    group_compatible,
    round_channels,
    round_group_width,
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


class InvertedResidual:
    """What MBConv and fused-MBConv share: whether they expand and whether they add their input back."""

    expanded_channels: Any
    in_channels: Any
    out_channels: Any
    stride: int

    @property
    def has_expansion(self) -> bool | npt.NDArray[np.bool_]:
        """An expansion conv exists when the expanded width differs from the input (torchvision's rule)."""
        return self.expanded_channels != self.in_channels

    @property
    def has_residual(self) -> bool | npt.NDArray[np.bool_]:
        """Identity shortcut when the block keeps both shape and stride."""
        return (self.stride == 1) & (self.in_channels == self.out_channels)


@dataclass(frozen=True)
class MBConv(InvertedResidual, Generic[Size]):
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


@dataclass(frozen=True)
class FusedMBConv(InvertedResidual, Generic[Size]):
    """EfficientNetV2's fused inverted bottleneck: k×k expand conv (with the stride), [squeeze-excite], 1×1 project,
    [residual]; without expansion a single k×k conv with its activation (torchvision's FusedMBConv)."""

    kind: ClassVar[str] = "fused_mbconv"
    in_channels: Size
    expanded_channels: Size
    se_channels: Size
    out_channels: Size
    kernel: int
    stride: int
    expand_ratio: int


@dataclass(frozen=True)
class BasicBlock(Generic[Size]):
    """ResNet's basic block: k×k conv (with the stride), k×k conv, a 1×1 projection shortcut where the shape
    changes, the activation after the sum."""

    kind: ClassVar[str] = "basic"
    in_channels: Size
    out_channels: Size
    kernel: int
    stride: int

    @property
    def has_projection(self) -> bool | npt.NDArray[np.bool_]:
        """A 1×1 conv (with the stride) and batch norm on the shortcut when stride or width change."""
        return (self.stride != 1) | (self.in_channels != self.out_channels)


@dataclass(frozen=True)
class Bottleneck(Generic[Size]):
    """The residual bottleneck of ResNet, ResNeXt, Wide ResNet and RegNet X/Y: 1×1 reduce, k×k grouped conv (with the
    stride), [squeeze-excite, RegNetY], 1×1 expand, a 1×1 projection shortcut where the shape changes, the
    activation after the sum (torchvision's Bottleneck and ResBottleneckBlock)."""

    kind: ClassVar[str] = "bottleneck"
    in_channels: Size
    inner_channels: Size
    groups: Size
    se_channels: Size
    out_channels: Size
    kernel: int
    stride: int

    @property
    def has_projection(self) -> bool | npt.NDArray[np.bool_]:
        """A 1×1 conv (with the stride) and batch norm on the shortcut when stride or width change."""
        return (self.stride != 1) | (self.in_channels != self.out_channels)


Block: TypeAlias = MBConv | FusedMBConv | BasicBlock | Bottleneck


@dataclass(frozen=True)
class Stage(Generic[Size]):
    """`repeats` blocks: `first` (carries the stride and the width change), then repeats − 1 copies of `rest`."""

    first: Block
    rest: Block
    repeats: Size


@dataclass(frozen=True)
class MaxPool:
    """Max pooling after the stem (ResNet's 3×3, stride 2, padding 1): no MACs, as fvcore counts it."""

    kind: ClassVar[str] = "max_pool"
    kernel: int
    stride: int


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
    head: ConvBNAct[int] | None
    classifier: Classifier[int]
    label: str = field(default="", compare=False)
    # Networks described before other families existed keep their cache keys: the store leaves defaults out.
    stem_pool: MaxPool | None = field(default=None, metadata={"omit_default_from_key": True})
    activation: str = field(default="silu", metadata={"omit_default_from_key": True})

    @property
    def total_blocks(self) -> int:
        """Number of blocks over all stages."""
        return sum(s.repeats for s in self.stages)

    @property
    def stem_stride(self) -> int:
        """The stride of the stem's output (its pool's included)."""
        return self.stem.stride * (self.stem_pool.stride if self.stem_pool else 1)


@dataclass(frozen=True, eq=False)
class ArchArrays:
    """A grid of scaled networks (a sweep) in one description: every rounded size an int64 array over the grid."""

    base_name: str
    policy: RoundingPolicy
    resolution_px: IntArray
    in_channels: int
    stem: ConvBNAct[IntArray]
    stages: tuple[Stage[IntArray], ...]
    head: ConvBNAct[IntArray] | None
    classifier: Classifier[IntArray]
    stem_pool: MaxPool | None = None


@dataclass(frozen=True)
class _Layers(Generic[Size]):
    resolution_px: Size
    stem: ConvBNAct[Size]
    stages: tuple[Stage[Size], ...]
    head: ConvBNAct[Size] | None
    classifier: Classifier[Size]
    stem_pool: MaxPool | None


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
    pool = MaxPool(base.stem.pool_kernel, base.stem.pool_stride) if base.stem.pool_kernel else None
    stages = []
    in_ch = stem.out_channels
    for s in base.stages:
        repeats = as_size(round_repeats(s.repeats, depth, policy.depth_rounding))
        blocks = BLOCK_RULES[s.block](s, in_ch, width, divisor, as_size, se_position)
        stages.append(Stage(blocks[0], blocks[1], repeats))
        in_ch = blocks[0].out_channels
    head = None if base.head_channels is None else ConvBNAct(in_ch, channels(base.head_channels), 1, 1)
    features = in_ch if head is None else head.out_channels
    classifier = Classifier(features, num_classes, base.dropout)
    return _Layers(resolution_px, stem, tuple(stages), head, classifier, pool)


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
        layers.stem_pool,
        base.activation,
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
        layers.stem_pool,
    )


def _int_array(value: Any) -> IntArray:
    return np.asarray(value, dtype=np.int64)


def _mbconv_blocks(stage: BaseStage, in_ch, width, divisor: int, as_size: Callable, se_position: str) -> tuple:
    """MBConv's first and rest blocks: widths by `round_channels`, the expansion and squeeze of each block's input."""
    out_ch = as_size(round_channels(stage.out_channels, width, divisor))

    def block(c_in, stride: int) -> MBConv:
        se = squeeze_channels(c_in, stage.se_ratio) if stage.se_ratio > 0 else 0 * np.asarray(c_in)
        expanded = as_size(expanded_channels(c_in, stage.expand_ratio, divisor))
        return MBConv(c_in, expanded, as_size(se), out_ch, stage.kernel, stride, stage.expand_ratio, se_position)

    return block(in_ch, stage.stride), block(out_ch, 1)


def _fused_blocks(stage: BaseStage, in_ch, width, divisor: int, as_size: Callable, _: str) -> tuple:
    """Fused-MBConv's first and rest blocks, rounded as MBConv's."""
    out_ch = as_size(round_channels(stage.out_channels, width, divisor))

    def block(c_in, stride: int) -> FusedMBConv:
        se = squeeze_channels(c_in, stage.se_ratio) if stage.se_ratio > 0 else 0 * np.asarray(c_in)
        expanded = as_size(expanded_channels(c_in, stage.expand_ratio, divisor))
        return FusedMBConv(c_in, expanded, as_size(se), out_ch, stage.kernel, stride, stage.expand_ratio)

    return block(in_ch, stage.stride), block(out_ch, 1)


def _basic_blocks(stage: BaseStage, in_ch, width, divisor: int, as_size: Callable, _: str) -> tuple:
    """The basic block's first and rest blocks."""
    out_ch = as_size(round_channels(stage.out_channels, width, divisor))
    return BasicBlock(in_ch, out_ch, stage.kernel, stage.stride), BasicBlock(out_ch, out_ch, stage.kernel, 1)


def _bottleneck_blocks(stage: BaseStage, in_ch, width, divisor: int, as_size: Callable, _: str) -> tuple:
    """The bottleneck's first and rest blocks. The group width scales with the width, as in pycls's fast compound
    scaling ("d1_w8_g8_r1", pycls/models/scaler.py), and is rounded as pycls rounds it; the block width is then
    made compatible with it (`group_compatible`). group_width 0 keeps one group at every width (ResNet)."""
    out_ch = round_channels(stage.out_channels, width, divisor)
    inner = np.floor(np.multiply(out_ch, stage.bottleneck_ratio)).astype(np.int64)
    # Rounded only once scaled: a base's own group widths are kept as they are at w = 1.
    group = np.where(np.equal(width, 1.0), stage.group_width, round_group_width(stage.group_width, width))
    group = group if stage.group_width else inner
    out_ch, group = group_compatible(out_ch, stage.bottleneck_ratio, group)
    inner = np.floor(np.multiply(out_ch, stage.bottleneck_ratio)).astype(np.int64)
    out_ch, groups = as_size(out_ch), as_size(inner // group)

    def block(c_in, stride: int) -> Bottleneck:
        # torchvision's RegNet squeezes to round(ratio × the block's input width).
        se = np.round(np.multiply(c_in, stage.se_ratio)).astype(np.int64)
        return Bottleneck(c_in, as_size(inner), groups, as_size(se), out_ch, stage.kernel, stride)

    return block(in_ch, stage.stride), block(out_ch, 1)


BLOCK_RULES: dict[str, Callable[..., tuple]] = {
    MBConv.kind: _mbconv_blocks,
    FusedMBConv.kind: _fused_blocks,
    BasicBlock.kind: _basic_blocks,
    Bottleneck.kind: _bottleneck_blocks,
}


def scale(
    multipliers: Multipliers,
    *,
    base: BaseSpec | str = "efficientnet-b0",
    policy: RoundingPolicy | None = None,
    num_classes: int | None = None,
    label: str = "",
    se_position: str = "after_depthwise",
) -> ScaledArch:
    """The discrete architecture for continuous multipliers (rounded by `policy`, else the base's own rounding);
    ConfigError for out-of-range input."""
    if se_position not in SE_POSITIONS:
        raise ConfigError("se_position", se_position, f"one of {', '.join(SE_POSITIONS)}")
    base = load_base(base) if isinstance(base, str) else base
    policy = policy or base.rounding
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
            [base.stem.out_channels, base.head_channels or 0, *(s.out_channels * s.expand_ratio for s in base.stages)]
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


def applied_multipliers(arch: ScaledArch, reference: ScaledArch) -> Multipliers:
    """The (d, w, r) rounding left of a scaling: blocks, summed stage widths and input side over the reference's."""
    return Multipliers(
        arch.total_blocks / reference.total_blocks,
        sum(int(s.first.out_channels) for s in arch.stages) / sum(int(s.first.out_channels) for s in reference.stages),
        arch.resolution_px / reference.resolution_px,
    )


def scale_recipe(recipe: Recipe, phi: float, **kwargs) -> ScaledArch:
    """The discrete architecture of recipe at φ."""
    phi = require_finite("phi", phi, minimum=0.0)
    kwargs.setdefault("label", f"α={recipe.alpha:g}, β={recipe.beta:g}, γ={recipe.gamma:g}, φ={phi:g}")
    return scale(recipe.multipliers(phi), **kwargs)
