"""Torch builder: an nn.Module from a ScaledArch, nothing recomputed (the architecture is already rounded)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from scaling_core.core.arch import BasicBlock, Bottleneck, Classifier, ConvBNAct, FusedMBConv, MBConv, ScaledArch
from scaling_core.core.cost import count
from scaling_core.core.errors import ConfigError
from scaling_core.core.memory import check_memory

NormLayer = Callable[[int], nn.Module]
Activation = Callable[[], nn.Module]


def _conv_norm_act(
    c_in: int, c_out: int, kernel: int, stride: int, norm: NormLayer, activation: Activation | None, groups: int = 1
) -> nn.Sequential:
    layers = [nn.Conv2d(c_in, c_out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False), norm(c_out)]
    if activation is not None:
        layers.append(activation())
    return nn.Sequential(*layers)


ACTIVATIONS: dict[str, Activation] = {"silu": nn.SiLU, "relu": nn.ReLU}


class SqueezeExcite(nn.Module):
    """Channel attention: global pool, 1×1 reduce, activation, 1×1 expand, sigmoid gate."""

    def __init__(self, channels: int, reduced: int, activation: Activation) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, reduced, 1)
        self.act = activation()
        self.expand = nn.Conv2d(reduced, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.expand(self.act(self.reduce(self.pool(x)))))


class MBConvBlock(nn.Module):
    """Inverted bottleneck with squeeze-excite, as MBConv in torchvision and the TF reference (SE after the
    depthwise convolution), or with SE before it (spec.se_position)."""

    def __init__(self, spec: MBConv, norm: NormLayer, activation: Activation) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        if spec.has_expansion:
            layers.append(_conv_norm_act(spec.in_channels, spec.expanded_channels, 1, 1, norm, activation))
        depthwise = _conv_norm_act(
            spec.expanded_channels,
            spec.expanded_channels,
            spec.kernel,
            spec.stride,
            norm,
            activation,
            groups=spec.expanded_channels,
        )
        excite = [SqueezeExcite(spec.expanded_channels, spec.se_channels, activation)] if spec.se_channels > 0 else []
        layers += [*excite, depthwise] if spec.se_position == "before_depthwise" else [depthwise, *excite]
        layers.append(_conv_norm_act(spec.expanded_channels, spec.out_channels, 1, 1, norm, None))
        self.block = nn.Sequential(*layers)
        self.residual = bool(spec.has_residual)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        return out + x if self.residual else out


class FusedMBConvBlock(nn.Module):
    """EfficientNetV2's fused block, as torchvision's FusedMBConv: k×k expand conv (with the stride) then 1×1
    project, or one k×k conv where there is no expansion; [squeeze-excite] on the expanded map; [residual]."""

    def __init__(self, spec: FusedMBConv, norm: NormLayer, activation: Activation) -> None:
        super().__init__()
        if spec.has_expansion:
            excite = (
                [SqueezeExcite(spec.expanded_channels, spec.se_channels, activation)] if spec.se_channels > 0 else []
            )
            layers = [
                _conv_norm_act(spec.in_channels, spec.expanded_channels, spec.kernel, spec.stride, norm, activation),
                *excite,
                _conv_norm_act(spec.expanded_channels, spec.out_channels, 1, 1, norm, None),
            ]
        else:
            layers = [_conv_norm_act(spec.in_channels, spec.out_channels, spec.kernel, spec.stride, norm, activation)]
        self.block = nn.Sequential(*layers)
        self.residual = bool(spec.has_residual)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        return out + x if self.residual else out


class ResidualBlock(nn.Module):
    """A residual branch plus a shortcut (identity, or a 1×1 conv with the stride and batch norm where the shape
    changes), then the activation: ResNet's blocks and RegNet's."""

    def __init__(self, branch: nn.Module, spec: BasicBlock | Bottleneck, norm: NormLayer, activation: Activation):
        super().__init__()
        self.branch = branch
        projection = spec.has_projection
        self.shortcut = (
            _conv_norm_act(spec.in_channels, spec.out_channels, 1, spec.stride, norm, None)
            if projection
            else nn.Identity()
        )
        self.act = activation()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.branch(x) + self.shortcut(x))


def basic_block(spec: BasicBlock, norm: NormLayer, activation: Activation) -> nn.Module:
    """ResNet's basic block: k×k conv (stride) + BN + act, k×k conv + BN, the shortcut, act."""
    branch = nn.Sequential(
        _conv_norm_act(spec.in_channels, spec.out_channels, spec.kernel, spec.stride, norm, activation),
        _conv_norm_act(spec.out_channels, spec.out_channels, spec.kernel, 1, norm, None),
    )
    return ResidualBlock(branch, spec, norm, activation)


def bottleneck_block(spec: Bottleneck, norm: NormLayer, activation: Activation) -> nn.Module:
    """The residual bottleneck: 1×1, k×k grouped (stride), [squeeze-excite], 1×1 + BN, the shortcut, act."""
    inner = spec.inner_channels
    excite = [SqueezeExcite(inner, spec.se_channels, activation)] if spec.se_channels > 0 else []
    branch = nn.Sequential(
        _conv_norm_act(spec.in_channels, inner, 1, 1, norm, activation),
        _conv_norm_act(inner, inner, spec.kernel, spec.stride, norm, activation, groups=spec.groups),
        *excite,
        _conv_norm_act(inner, spec.out_channels, 1, 1, norm, None),
    )
    return ResidualBlock(branch, spec, norm, activation)


BLOCKS: dict[str, Callable[..., nn.Module]] = {
    MBConv.kind: MBConvBlock,
    FusedMBConv.kind: FusedMBConvBlock,
    BasicBlock.kind: basic_block,
    Bottleneck.kind: bottleneck_block,
}


class ScaledNet(nn.Module):
    """stem → stages → [head conv] → global pool → dropout → linear."""

    def __init__(self, arch: ScaledArch, norm: NormLayer, activation: Activation) -> None:
        super().__init__()
        self.stem = build_stem(arch, norm, activation)
        self.stages = build_stages(arch, norm, activation)
        self.head = nn.Identity() if arch.head is None else build_conv(arch.head, norm, activation)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = build_classifier(arch.classifier)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(self.stages(self.stem(x)))
        return self.classifier(torch.flatten(self.pool(x), 1))


def build_conv(spec: ConvBNAct, norm: NormLayer, activation: Activation) -> nn.Sequential:
    """conv → norm → activation from a ConvBNAct spec."""
    return _conv_norm_act(spec.in_channels, spec.out_channels, spec.kernel, spec.stride, norm, activation)


def build_stem(arch: ScaledArch, norm: NormLayer, activation: Activation) -> nn.Sequential:
    """The stem conv → norm → activation, and its max pool where the family has one."""
    stem = build_conv(arch.stem, norm, activation)
    pool = arch.stem_pool
    if pool is None:
        return stem
    return nn.Sequential(*stem, nn.MaxPool2d(pool.kernel, pool.stride, (pool.kernel - 1) // 2))


def _build_block(spec, norm: NormLayer, activation: Activation) -> nn.Module:
    constructor = BLOCKS.get(spec.kind)
    if constructor is None:
        raise ConfigError("block kind", spec.kind, f"one of {', '.join(BLOCKS)} (no builder)")
    return constructor(spec, norm, activation)


def build_stages(arch: ScaledArch, norm: NormLayer, activation: Activation) -> nn.Sequential:
    """One nn.Sequential per stage: the first block, then repeats − 1 copies of the rest block."""
    return nn.Sequential(
        *(
            nn.Sequential(
                _build_block(stage.first, norm, activation),
                *(_build_block(stage.rest, norm, activation) for _ in range(stage.repeats - 1)),
            )
            for stage in arch.stages
        )
    )


def build_classifier(spec: Classifier) -> nn.Sequential:
    """Dropout and the linear layer."""
    return nn.Sequential(nn.Dropout(spec.dropout), nn.Linear(spec.in_features, spec.num_classes))


def build_model(
    arch: ScaledArch,
    *,
    norm: NormLayer = nn.BatchNorm2d,
    activation: Activation | None = None,
    memory_limit_bytes: int | None = None,
    batch_size: int = 1,
) -> ScaledNet:
    """The torch model of arch, in eval mode (activation: the family's unless given); refuses (ConfigError) if its
    modelled memory exceeds the limit."""
    check_memory(count(arch), memory_limit_bytes, batch_size)
    return ScaledNet(arch, norm, activation or ACTIVATIONS[arch.activation]).eval()


def example_input(arch: ScaledArch, batch_size: int = 1) -> torch.Tensor:
    """A zero image batch of the architecture's input shape."""
    return torch.zeros(batch_size, arch.in_channels, arch.resolution_px, arch.resolution_px)
