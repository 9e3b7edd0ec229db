"""The `accuracy` command: the published table, the calibrated model's report, or one network's estimate."""

from __future__ import annotations

import argparse
import json

from scaling_core.accuracy.model import (
    BASE_TOP1_RANGE,
    calibration,
    estimate,
    published_frame,
    reference_base_top1,
)
from scaling_core.cli.arguments import bounded_float
from scaling_core.cli.network import add_network_arguments, resolve_arch


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


ACCURACY_COMMANDS = {"accuracy": run_accuracy}
