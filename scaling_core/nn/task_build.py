"""Torch builder of task networks from a TaskArch (heads from a registry, nothing recomputed)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from scaling_core.core.errors import ConfigError
from scaling_core.core.memory import check_memory
from scaling_core.nn.build import (
    ACTIVATIONS,
    Activation,
    NormLayer,
    build_classifier,
    build_conv,
    build_model,
    build_stages,
    build_stem,
)
from scaling_core.tasks.cost import count_task
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

FUSION_EPSILON = 1e-4


def _conv_bias_norm(c_in: int, c_out: int, norm: NormLayer) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=True), norm(c_out))


class SeparableConv(nn.Module):
    """Depthwise 3×3 without bias, pointwise 1×1 with bias."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(c_in, c_in, 3, padding=1, groups=c_in, bias=False)
        self.pointwise = nn.Conv2d(c_in, c_out, 1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


def _resize(x: torch.Tensor, source_level: int, target_level: int, size: torch.Size) -> torch.Tensor:
    if source_level > target_level:
        return F.interpolate(x, size=size, mode="nearest")
    for _ in range(target_level - source_level):
        x = F.max_pool2d(x, 3, 2, 1)
    return x


class BiFPNLayer(nn.Module):
    """One BiFPN layer: fast normalised fusion, SiLU, separable conv, batch norm at every node."""

    def __init__(self, spec: BiFPN, in_channels: dict[int, int], norm: NormLayer, activation: Activation) -> None:
        super().__init__()
        self.nodes = bifpn_nodes(spec.min_level, spec.max_level)
        self.outputs = bifpn_outputs(spec.min_level, spec.max_level)
        width = spec.width
        self.resample = nn.ModuleDict(
            {
                f"{i}_{ref}": _conv_bias_norm(in_channels[ref], width, norm)
                for i, (_, sources) in enumerate(self.nodes)
                for kind, ref in sources
                if kind == "input" and in_channels[ref] != width
            }
        )
        self.weights = nn.ParameterList([nn.Parameter(torch.ones(len(sources))) for _, sources in self.nodes])
        self.convs = nn.ModuleList([SeparableConv(width, width) for _ in self.nodes])
        self.norms = nn.ModuleList([norm(width) for _ in self.nodes])
        self.act = activation()

    def forward(self, inputs: dict[int, torch.Tensor]) -> dict[int, torch.Tensor]:
        done: list[torch.Tensor] = []
        for i, (level, sources) in enumerate(self.nodes):
            size = inputs[level].shape[-2:]
            gathered = []
            for kind, ref in sources:
                if kind == "input":
                    x = inputs[ref]
                    key = f"{i}_{ref}"
                    if key in self.resample:
                        x = self.resample[key](x)
                    gathered.append(_resize(x, ref, level, size))
                else:
                    gathered.append(_resize(done[ref], self.nodes[ref][0], level, size))
            weights = F.relu(self.weights[i])
            weights = weights / (weights.sum() + FUSION_EPSILON)
            fused = sum(w * x for w, x in zip(weights, gathered))
            done.append(self.norms[i](self.convs[i](self.act(fused))))
        return {level: done[index] for level, index in sorted(self.outputs.items())}


class BiFPNNeck(nn.Module):
    """P6 = max-pool(1×1 conv + BN of P5), P7 = max-pool(P6), then the BiFPN layers."""

    def __init__(self, spec: BiFPN, norm: NormLayer, activation: Activation) -> None:
        super().__init__()
        self.spec = spec
        top = spec.taps[-1]
        self.extra = _conv_bias_norm(top.channels, spec.width, norm)
        channels = {tap.level: tap.channels for tap in spec.taps}
        channels.update(dict.fromkeys(range(top.level + 1, spec.max_level + 1), spec.width))
        layers = []
        for _ in range(spec.repeats):
            layers.append(BiFPNLayer(spec, channels, norm, activation))
            channels = dict.fromkeys(channels, spec.width)
        self.layers = nn.ModuleList(layers)

    def forward(self, features: dict[int, torch.Tensor]) -> dict[int, torch.Tensor]:
        top = self.spec.taps[-1].level
        inputs = {tap.level: features[tap.level] for tap in self.spec.taps}
        extra = self.extra(inputs[top])
        for level in range(top + 1, self.spec.max_level + 1):
            extra = F.max_pool2d(extra, 3, 2, 1)
            inputs[level] = extra
        for layer in self.layers:
            inputs = layer(inputs)
        return inputs


class PredictionHead(nn.Module):
    """EfficientDet box or class net: convs shared over levels, batch norm per level, shared predictor."""

    def __init__(self, spec: PredictionNet, norm: NormLayer, activation: Activation) -> None:
        super().__init__()
        self.levels = spec.levels
        self.convs = nn.ModuleList([SeparableConv(spec.width, spec.width) for _ in range(spec.repeats)])
        self.norms = nn.ModuleList(
            [nn.ModuleList([norm(spec.width) for _ in spec.levels]) for _ in range(spec.repeats)]
        )
        self.act = activation()
        self.predict = SeparableConv(spec.width, spec.outputs)

    def forward(self, features: dict[int, torch.Tensor]) -> torch.Tensor:
        outputs = []
        for index, level in enumerate(self.levels):
            x = features[level]
            for conv, norms in zip(self.convs, self.norms):
                x = self.act(norms[index](conv(x)))
            outputs.append(torch.flatten(self.predict(x), 1))
        return torch.cat(outputs, 1)


class SegmentationDecoder(nn.Module):
    """FPN decoder: lateral 1×1 + BN, top-down sums, 3×3 conv + BN + SiLU, bilinear to the output level, sum, 1×1."""

    def __init__(self, spec: FPNDecoder, norm: NormLayer, activation: Activation) -> None:
        super().__init__()
        self.spec = spec
        self.laterals = nn.ModuleList(
            [nn.Sequential(nn.Conv2d(tap.channels, spec.width, 1, bias=False), norm(spec.width)) for tap in spec.taps]
        )
        self.smooth = nn.ModuleList(
            [
                nn.Sequential(
                    nn.Conv2d(spec.width, spec.width, 3, padding=1, bias=False), norm(spec.width), activation()
                )
                for _ in spec.taps
            ]
        )
        self.classifier = nn.Conv2d(spec.width, spec.num_classes, 1, bias=True)

    def forward(self, features: dict[int, torch.Tensor]) -> torch.Tensor:
        taps = self.spec.taps
        out_size = features[self.spec.output_level].shape[-2:]
        merged: list[torch.Tensor] = [None] * len(taps)
        above = None
        for i in range(len(taps) - 1, -1, -1):
            x = self.laterals[i](features[taps[i].level])
            if above is not None:
                x = x + F.interpolate(above, size=x.shape[-2:], mode="nearest")
            merged[i] = above = x
        total = None
        for i, tap in enumerate(taps):
            y = self.smooth[i](merged[i])
            if tap.level != self.spec.output_level:
                y = F.interpolate(y, size=out_size, mode="bilinear", align_corners=False)
            total = y if total is None else total + y
        return self.classifier(total)


class ClassificationBranch(nn.Module):
    """The backbone's head conv, global pool, dropout and linear classifier on the last feature map."""

    def __init__(self, spec: ClassificationHead, norm: NormLayer, activation: Activation) -> None:
        super().__init__()
        self.head = nn.Identity() if spec.head is None else build_conv(spec.head, norm, activation)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = build_classifier(spec.classifier)

    def forward(self, features: dict[int, torch.Tensor]) -> torch.Tensor:
        return self.classifier(torch.flatten(self.pool(self.head(features[max(features)])), 1))


class TemporalBranch(nn.Module):
    """Per-frame head conv and pool; a temporal conv + BN + SiLU over the clip; mean over time; linear."""

    def __init__(self, spec: TemporalHead, norm: NormLayer, activation: Activation) -> None:
        super().__init__()
        channels = spec.head.out_channels
        self.head = build_conv(spec.head, norm, activation)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.temporal = nn.Sequential(
            nn.Conv1d(channels, channels, spec.kernel, padding=spec.kernel // 2, bias=False),
            nn.BatchNorm1d(channels),
            activation(),
        )
        self.classifier = nn.Linear(channels, spec.num_classes)

    def forward(self, features: dict[int, torch.Tensor]) -> torch.Tensor:
        per_frame = torch.flatten(self.pool(self.head(features[max(features)])), 1)
        clip = self.temporal(per_frame.transpose(0, 1).unsqueeze(0))
        return self.classifier(clip.mean(dim=2))


HEADS: dict[str, Callable[..., nn.Module]] = {
    BiFPN.kind: BiFPNNeck,
    PredictionNet.kind: PredictionHead,
    FPNDecoder.kind: SegmentationDecoder,
    ClassificationHead.kind: ClassificationBranch,
    TemporalHead.kind: TemporalBranch,
}


class TaskNet(nn.Module):
    """Backbone stem and stages, then the heads in order; a neck's output replaces the features."""

    def __init__(self, task: TaskArch, norm: NormLayer, activation: Activation) -> None:
        super().__init__()
        arch = task.backbone
        self.stem = build_stem(arch, norm, activation)
        self.stages = build_stages(arch, norm, activation)
        levels, stride = [], arch.stem_stride
        for stage in arch.stages:
            stride *= stage.first.stride
            levels.append(stride.bit_length() - 1)
        self.levels = levels
        self.neck_kinds = [spec.kind == BiFPN.kind for spec in task.heads]
        heads = []
        for spec in task.heads:
            constructor = HEADS.get(spec.kind)
            if constructor is None:
                raise ConfigError("head kind", spec.kind, f"one of {', '.join(HEADS)} (no builder)")
            heads.append(constructor(spec, norm, activation))
        self.heads = nn.ModuleList(heads)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x = self.stem(x)
        features: dict[int, torch.Tensor] = {}
        for level, stage in zip(self.levels, self.stages):
            x = stage(x)
            features[level] = x
        outputs = []
        for is_neck, head in zip(self.neck_kinds, self.heads):
            if is_neck:
                features = head(features)
            else:
                outputs.append(head(features))
        return tuple(outputs)


def build_task_model(
    task: TaskArch,
    *,
    norm: NormLayer = nn.BatchNorm2d,
    activation: Activation | None = None,
    memory_limit_bytes: int | None = None,
) -> nn.Module:
    """The torch model of a task network in eval mode (activation: the family's unless given); refuses one whose
    modelled memory exceeds the limit."""
    activation = activation or ACTIVATIONS[task.backbone.activation]
    if not task.heads:
        return build_model(task.backbone, norm=norm, activation=activation, memory_limit_bytes=memory_limit_bytes)
    check_memory(count_task(task), memory_limit_bytes)
    return TaskNet(task, norm, activation).eval()


def task_input(task: TaskArch) -> torch.Tensor:
    """A zero input: one image, or one clip as a batch of `frames` images."""
    side = task.resolution_px
    return torch.zeros(task.frames, task.backbone.in_channels, side, side)
