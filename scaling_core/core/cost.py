"""Analytic cost of a ScaledArch: MACs per operator, parameters, activations — no torch model built.

Counting rules (chosen to equal fvcore 0.1.5's defaults on the built model, operator by operator):
- One MAC is one multiply-add. ``flops = 2 × macs``.
- conv: C_out × (C_in / groups) × k² × H_out × W_out; the bias is not counted.
- linear: in_features × out_features; the bias is not counted.
- batch_norm (eval, affine): 2 per element of its input.
- adaptive_avg_pool2d (global pooling, also inside squeeze-excite): 1 per input element.
- upsample_nearest2d: 1 per output element; upsample_bilinear2d: 4 per output element.
- Elementwise ops (SiLU, sigmoid, the excite multiply, the residual add, dropout, weighted feature
  fusion, a mean over time) and max pooling count 0, as in fvcore.
- params: every trainable weight and bias, batch-norm γ and β included (running statistics are buffers).
- activations: output elements of every conv and linear layer (Dollár et al., "Fast and Accurate
  Model Scaling", CVPR 2021; fvcore's ActivationCountAnalysis).
All figures are for a batch of one. Every handler is written with +, ×, // only, so the same
function counts one architecture (Python ints, exact) or a whole sweep (numpy int64 arrays).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

from scaling_core.core.arch import (
    ArchArrays,
    BasicBlock,
    Bottleneck,
    Classifier,
    ConvBNAct,
    FusedMBConv,
    MaxPool,
    MBConv,
    ScaledArch,
    Stage,
)
from scaling_core.core.errors import ConfigError

OPERATORS = ("conv", "batch_norm", "adaptive_avg_pool2d", "linear", "upsample_nearest2d", "upsample_bilinear2d")


@dataclass(frozen=True)
class Counts:
    """Additive cost of a part of a network; values are ints or numpy arrays, absent operators are zero.

    Besides fvcore's three figures it keeps two that latency models use: `layers`, the number of
    conv/linear calls (a shared conv applied at five levels is five calls), and `depthwise_macs`,
    the part of the conv MACs done by depthwise convs (memory-bound on most hardware).
    """

    macs_by_op: dict[str, Any] = field(default_factory=dict)
    params: Any = 0
    activations: Any = 0
    layers: Any = 0
    depthwise_macs: Any = 0

    def __add__(self, other: Counts) -> Counts:
        merged = dict(self.macs_by_op)
        for op, macs in other.macs_by_op.items():
            merged[op] = merged[op] + macs if op in merged else macs
        return Counts(
            merged,
            self.params + other.params,
            self.activations + other.activations,
            self.layers + other.layers,
            self.depthwise_macs + other.depthwise_macs,
        )

    def __mul__(self, k) -> Counts:
        return Counts(
            {op: v * k for op, v in self.macs_by_op.items()},
            self.params * k,
            self.activations * k,
            self.layers * k,
            self.depthwise_macs * k,
        )

    def applied(self, times) -> Counts:
        """The same layers on a batch of `times` inputs (the frames of a clip): work scales, parameters and
        layer calls do not."""
        return replace(self * times, params=self.params, layers=self.layers)

    def op_macs(self, op: str):
        """Multiply-adds of one operator (0 if absent)."""
        return self.macs_by_op.get(op, 0)

    @property
    def macs(self):
        """All multiply-adds."""
        return sum(self.macs_by_op.values())

    @property
    def conv_linear_macs(self):
        """Multiply-adds of conv and linear layers only (the figure papers usually publish)."""
        return self.op_macs("conv") + self.op_macs("linear")


def conv_output_size(size, kernel: int, stride: int):
    """Output side of a 'same'-padded conv (padding (k − 1) // 2, as the builder uses; kernels are odd)."""
    if stride == 1:
        return size
    return (size + 2 * ((kernel - 1) // 2) - kernel) // stride + 1


def _where(mask, counts: Counts) -> Counts:
    """counts where mask holds, else zero; skips the arithmetic when the mask is uniform (most sweeps)."""
    if np.all(mask):
        return counts
    if not np.any(mask):
        return Counts()
    return counts * mask


def conv_counts(
    c_in,
    c_out,
    kernel: int,
    stride: int,
    size,
    depthwise: bool = False,
    bias: bool = False,
    batch_norm: bool = True,
    groups=1,
):
    """A conv layer (groups = channels when depthwise, else `groups`), optionally with bias and batch norm."""
    out = conv_output_size(size, kernel, stride)
    area = out * out
    weights = c_out * (kernel * kernel) if depthwise else c_out * (c_in // groups) * (kernel * kernel)
    elements = c_out * area
    macs = {"conv": weights * area}
    params = weights + c_out if bias else weights
    if batch_norm:
        macs["batch_norm"] = 2 * elements
        params = params + 2 * c_out
    return Counts(macs, params, elements, 1, macs["conv"] if depthwise else 0), out


def count_conv_bn_act(spec: ConvBNAct, size):
    """conv (no bias) → batch norm → SiLU."""
    return conv_counts(spec.in_channels, spec.out_channels, spec.kernel, spec.stride, size)


def count_mbconv(spec: MBConv, size):
    """[1×1 expand + BN + SiLU] → depthwise k×k + BN + SiLU → [SE: pool, 1×1+bias, SiLU, 1×1+bias, sigmoid] → 1×1 + BN.

    With se_position "before_depthwise" the SE pools the expanded map before the depthwise stride.
    """
    expand, _ = conv_counts(spec.in_channels, spec.expanded_channels, 1, 1, size)
    total = _where(spec.has_expansion, expand)
    depthwise, out_size = conv_counts(
        spec.expanded_channels, spec.expanded_channels, spec.kernel, spec.stride, size, depthwise=True
    )
    total = total + depthwise
    se_size = size if spec.se_position == "before_depthwise" else out_size
    size = out_size
    total = total + _squeeze_excite(spec.expanded_channels, spec.se_channels, se_size)
    project, size = conv_counts(spec.expanded_channels, spec.out_channels, 1, 1, size)
    return total + project, size


def _squeeze_excite(channels, squeeze, size) -> Counts:
    """Pool, 1×1 conv with bias to `squeeze`, activation, 1×1 conv with bias back, sigmoid; none where squeeze is 0."""
    reduce, _ = conv_counts(channels, squeeze, 1, 1, 1, bias=True, batch_norm=False)
    expand, _ = conv_counts(squeeze, channels, 1, 1, 1, bias=True, batch_norm=False)
    pool = Counts({"adaptive_avg_pool2d": channels * size * size})
    return _where(squeeze > 0, pool + reduce + expand)


def count_fused_mbconv(spec: FusedMBConv, size):
    """k×k expand (stride) + BN + act → [SE] → 1×1 project + BN; without expansion one k×k conv + BN + act."""
    fused, out_size = conv_counts(spec.in_channels, spec.expanded_channels, spec.kernel, spec.stride, size)
    project, _ = conv_counts(spec.expanded_channels, spec.out_channels, 1, 1, out_size)
    single, _ = conv_counts(spec.in_channels, spec.out_channels, spec.kernel, spec.stride, size)
    excite = _squeeze_excite(spec.expanded_channels, spec.se_channels, out_size)
    expanded = fused + excite + project
    mask = spec.has_expansion
    return _where(mask, expanded) + _where(np.logical_not(mask), single), out_size


def _projection(spec: BasicBlock | Bottleneck, size) -> Counts:
    """The shortcut's 1×1 conv with the stride and its batch norm, where the shape changes."""
    projection, _ = conv_counts(spec.in_channels, spec.out_channels, 1, spec.stride, size)
    return _where(spec.has_projection, projection)


def count_basic(spec: BasicBlock, size):
    """k×k conv (stride) + BN + act → k×k conv + BN, [projection shortcut], act after the sum."""
    first, out_size = conv_counts(spec.in_channels, spec.out_channels, spec.kernel, spec.stride, size)
    second, _ = conv_counts(spec.out_channels, spec.out_channels, spec.kernel, 1, out_size)
    return first + second + _projection(spec, size), out_size


def count_bottleneck(spec: Bottleneck, size):
    """1×1 + BN + act → k×k grouped conv (stride) + BN + act → [SE] → 1×1 + BN, [projection shortcut], act."""
    reduce, _ = conv_counts(spec.in_channels, spec.inner_channels, 1, 1, size)
    grouped, out_size = conv_counts(
        spec.inner_channels, spec.inner_channels, spec.kernel, spec.stride, size, groups=spec.groups
    )
    excite = _squeeze_excite(spec.inner_channels, spec.se_channels, out_size)
    expand, _ = conv_counts(spec.inner_channels, spec.out_channels, 1, 1, out_size)
    return reduce + grouped + excite + expand + _projection(spec, size), out_size


def count_max_pool(spec: MaxPool, size):
    """No MACs (fvcore leaves max pooling out); the side after the pool (padding (k − 1) // 2)."""
    return Counts(), conv_output_size(size, spec.kernel, spec.stride)


def count_classifier(spec: Classifier, size):
    """Global average pool → dropout → linear with bias."""
    macs = {"adaptive_avg_pool2d": spec.in_features * size * size, "linear": spec.in_features * spec.num_classes}
    return Counts(macs, spec.in_features * spec.num_classes + spec.num_classes, spec.num_classes, 1), 1


HANDLERS: dict[str, Callable] = {
    ConvBNAct.kind: count_conv_bn_act,
    MBConv.kind: count_mbconv,
    FusedMBConv.kind: count_fused_mbconv,
    BasicBlock.kind: count_basic,
    Bottleneck.kind: count_bottleneck,
    MaxPool.kind: count_max_pool,
    Classifier.kind: count_classifier,
}


def count_layer(spec, size):
    """Dispatch on the layer kind; an unknown kind is an error, never a silent zero."""
    handler = HANDLERS.get(spec.kind)
    if handler is None:
        raise ConfigError("layer kind", spec.kind, f"one of {', '.join(HANDLERS)} (no cost handler)")
    return handler(spec, size)


@dataclass(frozen=True)
class PartCost:
    """Cost of one named part (stem, stage i, head, classifier), the side of its output, its component."""

    name: str
    counts: Counts
    output_px: Any
    component: str = "backbone"


@dataclass(frozen=True)
class CostReport:
    """Totals and the per-part breakdown of a ScaledArch."""

    parts: tuple[PartCost, ...]

    @cached_property
    def total(self) -> Counts:
        """Sum over all parts (computed once: sweeps read it for every column)."""
        total = Counts()
        for part in self.parts:
            total = total + part.counts
        return total

    @property
    def macs(self):
        """All multiply-adds (what fvcore calls its total)."""
        return self.total.macs

    @property
    def flops(self):
        """2 × MACs."""
        return 2 * self.macs

    @property
    def params(self):
        """Trainable parameters."""
        return self.total.params

    @property
    def activations(self):
        """Conv and linear output elements."""
        return self.total.activations

    @property
    def macs_by_op(self) -> dict[str, Any]:
        """MACs keyed by fvcore's operator names, for the operators the network uses."""
        total = self.total
        return {op: total.macs_by_op[op] for op in OPERATORS if op in total.macs_by_op}

    def by_component(self) -> dict[str, Counts]:
        """Totals per component (backbone, neck, head), in order of first appearance."""
        components: dict[str, Counts] = {}
        for part in self.parts:
            components[part.component] = components.get(part.component, Counts()) + part.counts
        return components


def count(arch: ScaledArch | ArchArrays) -> CostReport:
    """Exact analytic cost (batch of one) of one network, or of every network of a sweep at once."""
    return count_network(arch) if isinstance(arch, ScaledArch) else count_layers(arch)


@lru_cache(maxsize=4096)
def count_network(arch: ScaledArch) -> CostReport:
    """The count of one network, kept: a page, a budget search and a sweep's baseline ask for the same network's
    count many times in one run (a ScaledArch is hashable; a sweep's arrays are not, and are counted each time)."""
    return count_layers(arch)


def count_layers(arch: ScaledArch | ArchArrays) -> CostReport:
    """The count itself, layer by layer (`count` is the entry point)."""
    size = arch.resolution_px
    parts = []
    counts, size = count_layer(arch.stem, size)
    if arch.stem_pool is not None:
        _, size = count_layer(arch.stem_pool, size)
    parts.append(PartCost("stem", counts, size))
    stages: tuple[Stage[Any], ...] = arch.stages
    for i, stage in enumerate(stages, start=1):
        first, size = count_layer(stage.first, size)
        rest, size = count_layer(stage.rest, size)
        parts.append(PartCost(f"stage {i}", first + rest * (stage.repeats - 1), size))
    if arch.head is not None:
        counts, size = count_layer(arch.head, size)
        parts.append(PartCost("head", counts, size, "head"))
    counts, size = count_layer(arch.classifier, size)
    parts.append(PartCost("classifier", counts, size, "head"))
    return CostReport(tuple(parts))
