"""RegNet's generator: a network's stages from six numbers (depth, w0, wa, wm, group width, bottleneck ratio).

Radosavovic et al., "Designing Network Design Spaces", CVPR 2020, section 3.3: block j has the continuous width
u_j = w0 + wa·j, quantised to w0·wm^round(log(u_j / w0) / log wm) and to a multiple of 8; consecutive blocks of
one width form a stage (stride 2 each). Widths and group widths are then made compatible as torchvision's
`BlockParams.from_init_params` does (`group_compatible`), so every RegNet of torchvision is reproduced exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scaling_core.core.rounding import group_compatible

QUANTUM = 8  # widths are multiples of 8 (the paper's q)
STAGE_STRIDE = 2


@dataclass(frozen=True)
class RegNetParams:
    """A RegNet: depth (blocks), w0 (initial width), wa (slope), wm (width multiplier per stage), the group width,
    the bottleneck ratio (inner width / block width) and the squeeze-excite ratio (0: RegNetX; 0.25: RegNetY)."""

    depth: int
    w0: int
    wa: float
    wm: float
    group_width: int
    bottleneck_ratio: float = 1.0
    se_ratio: float = 0.0


@dataclass(frozen=True)
class RegNetStage:
    """One generated stage: its block width, its number of blocks and its group width (both made compatible)."""

    width: int
    depth: int
    group_width: int


def regnet_stages(params: RegNetParams) -> tuple[RegNetStage, ...]:
    """The stages of a RegNet, widest last."""
    continuous = np.arange(params.depth) * params.wa + params.w0
    steps = np.round(np.log(continuous / params.w0) / np.log(params.wm))
    widths = (np.round(params.w0 * np.power(params.wm, steps) / QUANTUM) * QUANTUM).astype(np.int64)
    stage_widths, depths = np.unique(widths, return_counts=True)
    stages = []
    for width, depth in zip(stage_widths.tolist(), depths.tolist()):
        out, group = group_compatible(width, params.bottleneck_ratio, params.group_width)
        stages.append(RegNetStage(int(out), int(depth), int(group)))
    return tuple(stages)
