"""The `accuracy` command: the published table, the calibrated model's report, or one network's estimate."""

from __future__ import annotations

import argparse
import json

from scaling_core.accuracy.families import (
    as_specified,
    family_bases,
    family_errors,
    family_estimate,
    family_frame,
    family_rows,
)
from scaling_core.accuracy.model import (
    BASE_TOP1_RANGE,
    calibration,
    estimate,
    published_frame,
    reference_base_top1,
)
from scaling_core.cli.arguments import bounded_float
from scaling_core.cli.network import add_network_arguments, add_rule_arguments, resolve_arch, resolve_rule_arch
from scaling_core.core.arch import applied_multipliers


def add_accuracy_commands(commands) -> None:
    """Register `accuracy` on the CLI's sub-parsers."""
    parser = commands.add_parser("accuracy", help="ImageNet top-1: published table, model report, or an estimate")
    add_network_arguments(parser, many=False)
    parser.add_argument(
        "--report",
        action="store_true",
        help="the model's formula, parameters and leave-one-out error over the published rows",
    )
    parser.add_argument("--published", action="store_true", help="the published table with citations")
    parser.add_argument(
        "--families",
        action="store_true",
        help="the family presets' published top-1 (torchvision's V1 and V2 weights) beside the model fitted across "
        "families, with its leave-one-out error per family",
    )
    add_rule_arguments(parser)
    parser.add_argument(
        "--base-top1",
        type=bounded_float(*BASE_TOP1_RANGE),
        default=reference_base_top1(),
        help="the base network's top-1 %% the estimate starts from (default: EfficientNet-B0's published %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def run_accuracy(args: argparse.Namespace) -> int:
    """Print what the arguments ask for; an estimate of the named network when neither --report nor --published."""
    if args.report:
        report = calibration().report()
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            loo = report["leave_one_out"]
            print(
                f"modelled top-1: {report['formula']}\nparameters: {json.dumps(report['parameters'])}\n"
                f"{report['calibration_rows']} published rows; in-sample RMS {report['in_sample_rmse_points']:.2f} "
                f"points; leave-one-out RMS {loo['rmse_points']:.2f}, MAE {loo['mae_points']:.2f}, worst "
                f"{loo['max_points']:.2f} points"
            )
            for row in loo["errors"]:
                print(f"  {row['error_points']:+6.2f}  {row['row']}")
        return 0
    if args.published:
        frame = published_frame()
        print(frame.to_json(orient="records", indent=2) if args.json else frame.to_string(index=False))
        return 0
    if args.families:
        return print_families(args.json)
    if args.base in family_bases():
        return print_family_estimate(args)
    network = resolve_arch(args)
    m = network.multipliers
    official = args.preset is not None and network.task == "classification" and args.num_classes in (None, 1000)
    result = estimate(m.depth, m.width, m.resolution, args.base_top1, args.preset if official else None)
    if args.json:
        print(
            json.dumps(
                {"label": network.label, "d": m.depth, "w": m.width, "r": m.resolution, **result.__dict__}, indent=2
            )
        )
    else:
        print(f"{network.label}: ImageNet top-1 {result.label()} — {result.citation}")
    return 0


def print_families(as_json: bool) -> int:
    """The family table and the per-family errors."""
    frame, errors = family_frame(), family_errors()
    if as_json:
        document = {
            "source": "published (torchvision's weights) and modelled (fitted across families)",
            "presets": json.loads(frame.to_json(orient="records")),
            "families": json.loads(errors.to_json(orient="records")),
        }
        print(json.dumps(document, indent=2))
        return 0
    print(frame.round(3).to_string(index=False))
    print("\nleave-one-out error per family (top-1 points; NaN: one fitted row, nothing left to fit its gain on)")
    print(errors.round(3).to_string(index=False))
    return 0


def print_family_estimate(args: argparse.Namespace) -> int:
    """A family preset as specified or scaled (a rule, or a recipe at φ): its modelled top-1 from the preset's."""
    network = resolve_rule_arch(args) if args.rule is not None else resolve_arch(args)
    m = applied_multipliers(network.backbone, as_specified(args.base))
    if (m.depth, m.width, m.resolution) == (1.0, 1.0, 1.0):
        row = next(r for r in family_rows() if r.base == args.base)
        published = {"top1": row.point.top1, "source": "published", "citation": row.point.citation}
        if row.top1_v2 is not None:
            published |= {"top1_v2": row.top1_v2, "citation_v2": row.citation_v2}
        if args.json:
            print(json.dumps({"label": network.label, **published}))
        else:
            v2 = "" if row.top1_v2 is None else f"; {row.top1_v2:.1f}% with IMAGENET1K_V2 ({row.citation_v2})"
            print(f"{network.label}: ImageNet top-1 {row.point.top1:.1f}% (published, {row.point.citation}){v2}")
        return 0
    result = family_estimate(args.base, m.depth, m.width, m.resolution)
    if args.json:
        print(json.dumps({"label": network.label, "d": m.depth, "w": m.width, "r": m.resolution, **result.__dict__}))
        return 0
    error = (
        " (no leave-one-out error: its family has one fitted row)"
        if result.error_points is None
        else f" ± {result.error_points:.2f}"
    )
    family = next(r.point.family for r in family_rows() if r.base == args.base)
    note = (
        f", extrapolated: {result.extrapolated} beyond the {family} members it was fitted on"
        if result.extrapolated
        else ""
    )
    print(
        f"{network.label}: ImageNet top-1 {result.top1:.2f}%{error} (modelled from the preset's published "
        f"{result.base_top1:.1f}%{note})"
    )
    return 0


ACCURACY_COMMANDS = {"accuracy": run_accuracy}
