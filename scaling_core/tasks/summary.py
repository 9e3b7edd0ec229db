"""Plain-data views of an architecture and its cost, shared by the CLI's JSON and the pages' tables."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from scaling_core.core.arch import ScaledArch
from scaling_core.core.cost import CostReport, PartCost, count
from scaling_core.tasks.heads import TaskArch

COST_SOURCE = (
    "modelled: exact analytic count of the discrete architecture "
    "(equal to fvcore's count of the built torch model, as the tests check)"
)


def _part_row(part: PartCost, total_macs: int, **layout: Any) -> dict[str, Any]:
    counts = part.counts
    return {
        "part": part.name,
        **layout,
        "output_px": int(part.output_px),
        "macs": int(counts.macs),
        "params": int(counts.params),
        "activations": int(counts.activations),
        "macs_share": float(counts.macs) / float(total_macs),
    }


def _mbconv_layout(b) -> dict[str, Any]:
    name = "MBConv" if b.kind == "mbconv" else "FusedMBConv"
    return {
        "block": f"{name}{b.expand_ratio}",
        "expand_ratio": b.expand_ratio,
        "expanded_channels": b.expanded_channels,
        "se_channels": b.se_channels,
        "groups": None,
    }


def _basic_layout(_) -> dict[str, Any]:
    return {"block": "Basic", "expand_ratio": None, "expanded_channels": None, "se_channels": None, "groups": 1}


def _bottleneck_layout(b) -> dict[str, Any]:
    # The inner (bottleneck) width fills the expanded column: the width of the block's k×k conv.
    return {
        "block": "Bottleneck",
        "expand_ratio": None,
        "expanded_channels": b.inner_channels,
        "se_channels": b.se_channels,
        "groups": b.groups,
    }


BLOCK_LAYOUTS = {
    "mbconv": _mbconv_layout,
    "fused_mbconv": _mbconv_layout,
    "basic": _basic_layout,
    "bottleneck": _bottleneck_layout,
}
NO_BLOCK = {"expand_ratio": None, "expanded_channels": None, "se_channels": None, "groups": None, "repeats": 1}


def part_rows(arch: ScaledArch, report: CostReport) -> list[dict[str, Any]]:
    """One row per part (stem, stages, [head], classifier): layout (of a stage's first block) and cost."""
    total = int(report.macs)
    parts = iter(report.parts)
    pool = f" + maxpool{arch.stem_pool.kernel}x{arch.stem_pool.kernel}" if arch.stem_pool else ""
    rows = [
        _part_row(
            next(parts),
            total,
            block=f"conv{arch.stem.kernel}x{arch.stem.kernel}{pool}",
            kernel=arch.stem.kernel,
            stride=arch.stem_stride,
            in_channels=arch.stem.in_channels,
            out_channels=arch.stem.out_channels,
            **NO_BLOCK,
        )
    ]
    for stage in arch.stages:
        b = stage.first
        rows.append(
            _part_row(
                next(parts),
                total,
                kernel=b.kernel,
                stride=b.stride,
                in_channels=b.in_channels,
                out_channels=b.out_channels,
                repeats=stage.repeats,
                **BLOCK_LAYOUTS[b.kind](b),
            )
        )
    if arch.head is not None:
        rows.append(
            _part_row(
                next(parts),
                total,
                block="conv1x1",
                kernel=1,
                stride=1,
                in_channels=arch.head.in_channels,
                out_channels=arch.head.out_channels,
                **NO_BLOCK,
            )
        )
    rows.append(
        _part_row(
            next(parts),
            total,
            block="pool+linear",
            kernel=None,
            stride=None,
            in_channels=arch.classifier.in_features,
            out_channels=arch.classifier.num_classes,
            **NO_BLOCK,
        )
    )
    return rows


def summary_dict(arch: ScaledArch, report: CostReport) -> dict[str, Any]:
    """Everything the CLI's --json prints: totals, per-operator MACs, multipliers, the stage list."""
    rows = part_rows(arch, report)
    m = arch.multipliers
    return {
        "label": arch.label,
        "base": arch.base_name,
        "source": COST_SOURCE,
        "params": int(report.params),
        "macs": int(report.macs),
        "flops": int(report.flops),
        "conv_linear_macs": int(report.total.conv_linear_macs),
        "macs_by_op": {op: int(v) for op, v in report.macs_by_op.items()},
        "activations": int(report.activations),
        "resolution_px": int(arch.resolution_px),
        "depth_multiplier": m.depth,
        "width_multiplier": m.width,
        "resolution_multiplier": m.resolution,
        "rounding": {
            "width_divisor": arch.policy.width_divisor,
            "depth_rounding": arch.policy.depth_rounding,
            "resolution_multiple": arch.policy.resolution_multiple,
        },
        "num_classes": arch.classifier.num_classes,
        "stages": [
            {k: v for k, v in row.items() if k != "part"} | {"stage": i}
            for i, row in enumerate(rows[1 : 1 + len(arch.stages)], start=1)
        ],
        "parts": rows,
    }


def task_summary_dict(task: TaskArch, report: CostReport) -> dict[str, Any]:
    """The CLI's --json for any head: totals, per-operator MACs, components, parts, stages, head layout."""
    backbone = task.backbone
    stage_rows = part_rows(backbone, count(backbone))[1 : 1 + len(backbone.stages)]
    total = int(report.macs)
    m = task.multipliers
    return {
        "label": task.label,
        "head": task.task,
        "base": backbone.base_name,
        "source": COST_SOURCE,
        "params": int(report.params),
        "macs": total,
        "flops": 2 * total,
        "conv_linear_macs": int(report.total.conv_linear_macs),
        "macs_by_op": {op: int(v) for op, v in report.macs_by_op.items()},
        "activations": int(report.activations),
        "resolution_px": int(task.resolution_px),
        "frames": task.frames,
        "depth_multiplier": m.depth,
        "width_multiplier": m.width,
        "resolution_multiplier": m.resolution,
        "frames_multiplier": m.frames,
        "components": {
            name: {"macs": int(c.macs), "params": int(c.params), "activations": int(c.activations)}
            for name, c in report.by_component().items()
        },
        "parts": [
            {
                "part": p.name,
                "component": p.component,
                "output_px": int(p.output_px),
                "macs": int(p.counts.macs),
                "params": int(p.counts.params),
                "activations": int(p.counts.activations),
                "macs_share": float(p.counts.macs) / float(total),
            }
            for p in report.parts
        ],
        "stages": [
            {k: v for k, v in row.items() if k not in ("part", "macs", "params", "activations", "macs_share")}
            | {"stage": i}
            for i, row in enumerate(stage_rows, start=1)
        ],
        "heads": [{"kind": spec.kind, **_plain(spec)} for spec in task.heads],
    }


def _plain(spec) -> dict[str, Any]:
    """A head spec's fields as JSON-ready values."""
    return json.loads(json.dumps(asdict(spec), default=str))
