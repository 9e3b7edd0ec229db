"""Analytic cost of a TaskArch: the backbone's parts plus each head's, by component (backbone, neck, head).

The counting rules are those of `scaling_core.core.cost` (fvcore's defaults). Here also: a weight shared
across pyramid levels (EfficientDet's box and class nets) counts its parameters once and its
multiply-adds at every level; max pooling, the weighted fusion and the temporal mean count 0, as in fvcore.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from scaling_core.core.cost import CostReport, Counts, PartCost, conv_counts, conv_output_size, count, count_layer
from scaling_core.core.errors import ConfigError
from scaling_core.tasks.heads import (
    BiFPN,
    ClassificationHead,
    FPNDecoder,
    PredictionNet,
    TaskArch,
    TemporalHead,
    bifpn_nodes,
    bifpn_outputs,
)


@dataclass(frozen=True)
class Feature:
    """A feature map flowing into a head: channels and side in pixels."""

    channels: int
    size: int


def _upsample(op: str, channels: int, size: int) -> Counts:
    per_element = {"upsample_nearest2d": 1, "upsample_bilinear2d": 4}[op]
    return Counts({op: per_element * channels * size * size})


def _shared(counts_per_level: list[Counts]) -> Counts:
    """One conv applied at several levels: MACs and activations at each, parameters once."""
    total = Counts(params=counts_per_level[0].params)
    for counts in counts_per_level:
        total = total + replace(counts, params=0)
    return total


def _separable(c_in: int, c_out: int, size: int, batch_norm: bool) -> Counts:
    """Depthwise 3×3 (no bias) then pointwise 1×1 with bias, optionally batch norm."""
    depthwise, _ = conv_counts(c_in, c_in, 3, 1, size, depthwise=True, batch_norm=False)
    pointwise, _ = conv_counts(c_in, c_out, 1, 1, size, bias=True, batch_norm=batch_norm)
    return depthwise + pointwise


def count_bifpn(spec: BiFPN, features: dict[int, Feature], _: CostReport) -> tuple[list[PartCost], dict]:
    """P6 = max-pool(1×1 conv + BN of P5), P7 = max-pool(P6), then the BiFPN layers."""
    width = spec.width
    top_tap = spec.taps[-1]
    extra, _ = conv_counts(top_tap.channels, width, 1, 1, features[top_tap.level].size, bias=True)
    inputs = {tap.level: features[tap.level] for tap in spec.taps}
    for level in range(top_tap.level + 1, spec.max_level + 1):
        inputs[level] = Feature(width, conv_output_size(inputs[level - 1].size, 3, 2))
    parts = [PartCost("P6/P7 from P5", extra, inputs[spec.max_level].size, spec.component)]
    nodes = bifpn_nodes(spec.min_level, spec.max_level)
    for repeat in range(spec.repeats):
        layer = Counts()
        for level, sources in nodes:
            size = inputs[level].size
            for kind, ref in sources:
                source_level = ref if kind == "input" else nodes[ref][0]
                if kind == "input" and inputs[ref].channels != width:
                    resample, _ = conv_counts(inputs[ref].channels, width, 1, 1, inputs[ref].size, bias=True)
                    layer = layer + resample
                if source_level > level:
                    layer = layer + _upsample("upsample_nearest2d", width, size)
            fusion_weights = Counts(params=len(sources))
            layer = layer + fusion_weights + _separable(width, width, size, batch_norm=True)
        parts.append(PartCost(f"BiFPN layer {repeat + 1}", layer, inputs[spec.min_level].size, spec.component))
        inputs = {level: Feature(width, inputs[level].size) for level in inputs}
    outputs = bifpn_outputs(spec.min_level, spec.max_level)
    return parts, {level: inputs[level] for level in sorted(outputs)}


def count_prediction_net(spec: PredictionNet, features: dict[int, Feature], _: CostReport):
    """Separable convs shared over levels with batch norm per level, then the shared predictor."""
    sizes = [features[level].size for level in spec.levels]
    counts = Counts()
    for _repeat in range(spec.repeats):
        counts = counts + _shared([_separable(spec.width, spec.width, s, batch_norm=False) for s in sizes])
        for s in sizes:
            counts = counts + Counts({"batch_norm": 2 * spec.width * s * s}, 2 * spec.width)
    counts = counts + _shared([_separable(spec.width, spec.outputs, s, batch_norm=False) for s in sizes])
    return [PartCost(spec.name, counts, sizes[0], spec.component)], features


def count_fpn_decoder(spec: FPNDecoder, features: dict[int, Feature], _: CostReport):
    """Lateral 1×1 + BN, top-down nearest upsampling and sums, 3×3 conv + BN + SiLU per level,
    bilinear upsampling to the output level, sum, 1×1 classifier with bias."""
    width, out_size = spec.width, features[spec.output_level].size
    counts = Counts()
    for tap in spec.taps:
        size = features[tap.level].size
        lateral, _ = conv_counts(tap.channels, width, 1, 1, size)
        smooth, _ = conv_counts(width, width, 3, 1, size)
        counts = counts + lateral + smooth
        if tap.level != spec.taps[-1].level:
            counts = counts + _upsample("upsample_nearest2d", width, size)
        if tap.level != spec.output_level:
            counts = counts + _upsample("upsample_bilinear2d", width, out_size)
    classifier, _ = conv_counts(width, spec.num_classes, 1, 1, out_size, bias=True, batch_norm=False)
    return [PartCost("segmentation decoder", counts + classifier, out_size, spec.component)], features


def count_classification_head(spec: ClassificationHead, features: dict[int, Feature], _: CostReport):
    """The backbone's own head conv, pool and classifier."""
    size = features[max(features)].size
    head = Counts()
    if spec.head is not None:
        head, size = count_layer(spec.head, size)
    classifier, size = count_layer(spec.classifier, size)
    return [PartCost("classification head", head + classifier, size, spec.component)], features


def count_temporal_head(spec: TemporalHead, features: dict[int, Feature], _: CostReport):
    """Per frame: head conv and global pool; then over time: conv1d + BN, mean (0), linear."""
    size = features[max(features)].size
    head, _ = count_layer(spec.head, size)
    channels = spec.head.out_channels
    pool = Counts({"adaptive_avg_pool2d": channels * size * size})
    temporal = Counts(
        {"conv": channels * channels * spec.kernel * spec.frames, "batch_norm": 2 * channels * spec.frames},
        channels * channels * spec.kernel + 2 * channels,
        channels * spec.frames,
        1,
    )
    linear = Counts(
        {"linear": channels * spec.num_classes}, channels * spec.num_classes + spec.num_classes, spec.num_classes, 1
    )
    return [
        PartCost("per-frame head conv and pool", (head + pool).applied(spec.frames), 1, "backbone"),
        PartCost("temporal head", temporal + linear, 1, spec.component),
    ], features


TASK_HANDLERS: dict[str, Callable] = {
    BiFPN.kind: count_bifpn,
    PredictionNet.kind: count_prediction_net,
    FPNDecoder.kind: count_fpn_decoder,
    ClassificationHead.kind: count_classification_head,
    TemporalHead.kind: count_temporal_head,
}


def backbone_features(report: CostReport, task: TaskArch) -> dict[int, Feature]:
    """Output of every stage, keyed by log2 of its stride (the last stage at each stride)."""
    arch = task.backbone
    features, stride = {}, arch.stem_stride
    for stage, part in zip(arch.stages, report.parts[1:]):
        stride *= stage.first.stride
        features[stride.bit_length() - 1] = Feature(stage.first.out_channels, part.output_px)
    return features


@lru_cache(maxsize=2048)
def count_task(task: TaskArch) -> CostReport:
    """Exact analytic cost of a task network (batch of one clip or image); kept, as a budget search and the page
    ask for the same network's count more than once."""
    backbone = count(task.backbone)
    if not task.heads:
        return backbone
    stem_and_stages = [
        PartCost(p.name, p.counts.applied(task.frames), p.output_px, "backbone")
        for p in backbone.parts[: 1 + len(task.backbone.stages)]
    ]
    parts = list(stem_and_stages)
    features = backbone_features(backbone, task)
    for spec in task.heads:
        handler = TASK_HANDLERS.get(spec.kind)
        if handler is None:
            raise ConfigError("head kind", spec.kind, f"one of {', '.join(TASK_HANDLERS)} (no cost handler)")
        new_parts, produced = handler(spec, features, backbone)
        parts += new_parts
        if spec.kind == BiFPN.kind:
            features = produced
    return CostReport(tuple(parts))
