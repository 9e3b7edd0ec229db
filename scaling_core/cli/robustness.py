"""The `robustness` command: attack and corrupt the lab's trained networks, print curves, summaries and the model."""

from __future__ import annotations

import argparse
import json

from scaling_core.cli.arguments import add_store_argument, bounded_float
from scaling_core.cli.lab import add_grid_arguments
from scaling_core.cli.study import SavedAs, StudyWords, add_run_arguments, grid_records

WORDS = StudyWords("evaluating", "evaluated {} runs", "robustness results", "evaluations of this grid in the store")


def add_robustness_commands(commands) -> None:
    """Register `robustness`."""
    from scaling_core.lab.data import dataset_names
    from scaling_core.lab.runs import lab_settings
    from scaling_core.studies.robustness.evaluation import ATTACKS, robustness_settings

    grid = lab_settings().default_grid
    perturbations = [*ATTACKS, *robustness_settings().corruptions]
    parser = commands.add_parser(
        "robustness",
        help="FGSM/PGD and corruptions on the lab's trained networks "
        "(measured), and the margin model calibrated on them",
    )
    parser.add_argument("--dataset", default=grid["dataset"], choices=dataset_names())
    add_grid_arguments(parser, grid["recipes"], grid["phis"], grid["seeds"])
    parser.add_argument("--attack", default="pgd", choices=perturbations, help="the perturbation to report")
    parser.add_argument(
        "--reference-eps",
        type=bounded_float(0.0, 10.0),  # ε of pixels in [0, 1], or a corruption's severity (blur σ up to a few px)
        default=0.1,
        help="ε (or severity) of the clean-vs-robust gap, in [0, 10]",
    )
    add_store_argument(parser, "SQLAlchemy URL of the results store (default: SCALING_LAB_STORE_URL)")
    add_run_arguments(parser, "robustness/<dataset>.json")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


def run_robustness_command(args: argparse.Namespace) -> int:
    """Evaluate what is missing (unless --no-run), then print the chosen perturbation's curves and the model's fit."""
    from scaling_core.app.views.robustness import (
        curves_frame,
        model_fit,
        moments_frame,
        records_for,
        robustness_summary,
        seed_summary,
    )
    from scaling_core.storage.store import Store
    from scaling_core.studies.robustness.evaluation import (
        ROBUSTNESS_VERSION,
        robustness_evaluation,
        robustness_settings,
    )

    saved = SavedAs(args.dataset, robustness_settings().as_dict(), ROBUSTNESS_VERSION)
    records, source = grid_records(args, Store(args.store), WORDS, robustness_evaluation, records_for, saved)
    curves, moments = curves_frame(records), moments_frame(records)
    summary = robustness_summary(curves, args.attack, args.reference_eps)
    table = seed_summary(curves)
    table = table[table["attack"] == args.attack]
    fit = model_fit(curves, moments, args.attack) if args.attack in ("fgsm", "pgd") else None
    if args.json:
        print(
            json.dumps(
                {
                    "source": source,
                    "attack": args.attack,
                    "settings": robustness_settings().as_dict(),
                    "curves": json.loads(table.to_json(orient="records")),
                    "summary": json.loads(summary.to_json(orient="records")),
                    "moments": json.loads(moments.to_json(orient="records")),
                    "model": None
                    if fit is None
                    else {
                        "from_moments": fit.from_moments.as_text(),
                        "from_moments_rms_points": fit.moments_error,
                        "calibrated": fit.calibrated.as_text(),
                        "calibrated_rms_points": fit.calibrated_error,
                    },
                },
                indent=2,
            )
        )
        return 0
    print(f"{args.attack}: accuracy (%) against level, mean over seeds — {source}\n")
    print(
        table.pivot_table(index=["recipe", "phi"], columns="level", values="accuracy_mean", sort=False).to_string(
            float_format=lambda v: f"{v:.1f}"
        )
    )
    print(
        "\nSummary (means over seeds): area under the curve (%), level at half the clean accuracy, gap at "
        f"{args.reference_eps:g} (points)"
    )
    print(summary.drop(columns="alias").to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if fit is not None:
        print(
            f"\nMargin model (modelled: scaling_core/studies/robustness/margin_model.py), "
            "RMS error against every measured point: "
            f"{fit.moments_error:.1f} points from the measured moments, {fit.calibrated_error:.1f} calibrated"
        )
        print(f"  calibrated: {fit.calibrated.as_text()}")
    return 0


ROBUSTNESS_COMMANDS = {"robustness": run_robustness_command}
