"""The `lab` commands: `lab run` trains a recipes × φ × seeds grid (cached), `lab report` prints what was measured;
with `--task` other than classification, or on scenes or a segmentation folder, the dense lab's (cli/dense.py),
which also has `lab study` and `lab verdict`."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from scaling_core.cli.arguments import (
    EPOCHS,
    LAB_PHIS,
    SEEDS,
    WORKERS,
    DatasetName,
    OutputFile,
    add_scheduler_argument,
    add_store_argument,
    add_training_device_arguments,
    name_list,
)
from scaling_core.cli.progress import with_progress
from scaling_core.cli.study import lab_budget
from scaling_core.core.errors import ConfigError


def add_lab_commands(commands) -> None:
    """Register `lab run` and `lab report`."""
    from scaling_core.lab.data import dataset_names
    from scaling_core.lab.dense_networks import DENSE_TASKS
    from scaling_core.lab.runs import lab_settings

    grid = lab_settings().default_grid
    lab = commands.add_parser("lab", help="train scaled networks on a real dataset (measured accuracy)")
    verbs = lab.add_subparsers(dest="lab_command", required=True, parser_class=type(lab))
    for verb, text in (
        ("run", "train the grid's missing runs (cached in the store), then report"),
        ("report", "the measured accuracy of the grid, from the store or a shipped file"),
        ("study", "the dense tasks' default study: every task, the multi-task comparison and budget split"),
        ("verdict", "the dense study's claims for a task: difference, seed interval and verdict"),
    ):
        parser = verbs.add_parser(verb, help=text)
        parser.add_argument(
            "--dataset",
            default="scenes" if verb in ("study", "verdict") else grid["dataset"],
            type=DatasetName(dataset_names(), "dataset"),
            help=f"{', '.join(dataset_names())}, scenes (generated, with exact masks and boxes), or folder:PATH: "
            "your own images, one subfolder per class, or images/ and masks/ for the dense tasks "
            "(stored under folder:<digest of its files>; see README)",
        )
        if verb != "study":
            parser.add_argument(
                "--task",
                choices=DENSE_TASKS,
                default="segmentation" if verb == "verdict" else "classification",
                help="what the networks learn (dense tasks train on scenes or a segmentation folder)",
            )
        add_grid_arguments(parser)
        parser.add_argument(
            "--quick", action="store_true", help="the dense lab's quick setting (fewer images and epochs)"
        )
        add_store_argument(parser, "SQLAlchemy URL of the results store (default: SCALING_LAB_STORE_URL)")
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    verbs.choices[
        "report"
    ].description = "The store's runs; where it holds none, the shipped results (data/lab/<dataset>.json)."
    for verb in ("run", "study"):
        run = verbs.choices[verb]
        run.add_argument("--workers", type=WORKERS, help="training processes (default: data/lab/settings.json)")
        add_scheduler_argument(run)
        run.add_argument(
            "--save-to",
            type=OutputFile(),
            help="also write the report, the runs and their provenance to this JSON file "
            "(how data/lab/<dataset>.json is made)",
        )
    add_training_device_arguments(verbs.choices["run"])
    bases, dense = lab_bases(), dense_bases()
    for verb in ("run", "report", "study", "verdict"):
        verbs.choices[verb].add_argument(
            "--bases",
            type=name_list(tuple(dict.fromkeys(bases + dense)), "base"),
            help=f"comma-separated lab bases, one family each: for classification {', '.join(bases)} (default: "
            f"{lab_settings().base}; the families' study is --bases {','.join(lab_settings().families.bases)} "
            f"with its recipes and phis), for the dense tasks {', '.join(dense)} (data/lab/settings.json)",
        )
    for verb in ("study", "verdict"):
        verbs.choices[verb].add_argument(
            "--families",
            action="store_true",
            help="the families on scenes: a dense base of each family × the families' recipes, φ and seeds "
            "(data/lab/settings.json; `lab study --families --save-to data/lab/dense-families-scenes.json` makes "
            "the shipped file)",
        )


def lab_bases() -> tuple[str, ...]:
    """The bases the classification lab trains: its own and the families' tiny ones."""
    from scaling_core.lab.runs import lab_settings

    settings = lab_settings()
    return tuple(dict.fromkeys((settings.base, *settings.families.bases)))


def dense_bases() -> tuple[str, ...]:
    """The bases the dense lab trains: its own and the families' dense ones."""
    from scaling_core.lab.dense_settings import dense_settings

    settings = dense_settings()
    return tuple(dict.fromkeys((settings.base, *settings.families.bases)))


def add_grid_arguments(
    parser: argparse.ArgumentParser,
    recipes: list[str] | None = None,
    phis: list[float] | None = None,
    seeds: int | None = None,
) -> None:
    """The options of a lab grid: --recipes, --phis, --seeds and --epochs, each bounded as the lab allows (defaults
    None: the command's own grid, the classification lab's or the dense study's)."""
    from scaling_core.lab.runs import lab_settings

    parser.add_argument(
        "--recipes",
        type=name_list(tuple(lab_settings().recipes), "recipe"),
        default=recipes,
        help=f"comma-separated: {', '.join(lab_settings().recipes)}",
    )
    parser.add_argument("--phis", type=LAB_PHIS, default=phis, help="comma-separated φ values in [0, 8]")
    parser.add_argument("--seeds", type=SEEDS, default=seeds, help="seeds per configuration, 1 to 20 (0, 1, …)")
    parser.add_argument(
        "--epochs", type=EPOCHS, help="override the lab budget's epochs (default: data/lab/settings.json)"
    )


def run_lab(args: argparse.Namespace) -> int:
    """`lab run` and `lab report` (the dense lab's for a dense task or dense data), `lab study`, `lab verdict`."""
    from scaling_core.cli.dense import run_dense_command, verdict_command
    from scaling_core.executor.cluster import scheduler_address
    from scaling_core.lab.data import folder_summary, load_dataset
    from scaling_core.lab.dense_data import dense_dataset_name, is_dense_name, is_mask_layout, load_dense
    from scaling_core.lab.folders import PREFIX, is_folder
    from scaling_core.lab.runs import lab_report, lab_settings, run_grid
    from scaling_core.storage.store import Store

    if is_folder(args.dataset) and is_mask_layout(args.dataset.removeprefix(PREFIX)):
        # A segmentation folder, which DatasetName leaves to the command: every file checked, each bad one named.
        args.dataset = load_dense(dense_dataset_name(args.dataset)).name
    dense = args.lab_command in ("study", "verdict") or args.task != "classification" or is_dense_name(args.dataset)
    if dense and not is_dense_name(args.dataset):
        raise ConfigError("--dataset", args.dataset, "scenes or folder:PATH with images/ and masks/ for a dense task")
    for base in getattr(args, "bases", None) or ():
        allowed = dense_bases() if dense else lab_bases()
        if base not in allowed:
            lab = "the dense tasks" if dense else "classification"
            raise ConfigError("--bases", base, f"one of {', '.join(allowed)} for {lab}")
    if args.lab_command == "verdict":
        return verdict_command(args)
    if dense:
        if getattr(args, "device", "cpu") != "cpu" or getattr(args, "amp", False):
            raise ConfigError("--device", args.device, "cpu for the dense tasks (they train on the CPU)")
        if args.lab_command == "run" and args.save_to:
            raise ConfigError("--save-to", str(args.save_to)[:40], "with `lab study` for the dense tasks")
        return run_dense_command(args)
    if args.quick:
        raise ConfigError(
            "--quick with --dataset", args.dataset, "a dense task or dense data (scenes, or images/ and masks/)"
        )
    grid = lab_settings().default_grid
    args.recipes, args.phis = args.recipes or grid["recipes"], args.phis or grid["phis"]
    args.seeds = args.seeds or grid["seeds"]
    budget = lab_budget(args.epochs)
    if is_folder(args.dataset):  # its classes and the files left out, before any work (checked while parsing)
        print(folder_summary(load_dataset(args.dataset)), file=sys.stderr)
    bases = args.bases or (None,)
    store = Store(args.store)
    if args.lab_command == "run":
        scheduler = scheduler_address(args.scheduler)
        trained, elapsed = with_progress(
            "training",
            "trained {} runs",
            lambda progress: run_grid(
                args.dataset,
                args.recipes,
                args.phis,
                args.seeds,
                store,
                budget,
                args.workers,
                progress,
                scheduler=scheduler,
                device=args.device,
                amp=args.amp,
                bases=bases,
            ),
        )
    device, amp = getattr(args, "device", "cpu"), getattr(args, "amp", False)  # `lab report` reads CPU runs
    report = pd.concat(
        [lab_report(args.dataset, args.recipes, args.phis, store, budget, args.seeds, device, amp, b) for b in bases],
        ignore_index=True,
    )
    if args.lab_command == "report" and not report["seeds"].any():
        report = shipped_report(args.dataset, args.recipes, args.phis, args.bases)
    if args.lab_command == "run" and args.save_to:
        save_shipped(args.save_to, args, budget, report, trained, elapsed)
    if args.json:
        print(report.to_json(orient="records", indent=2))
    else:
        hidden = ["curves", "run_accuracy", "network_key", "code_version", "dataset", "alias"]
        hidden += [] if args.bases else ["base", "family"]
        print(report.drop(columns=hidden).to_string(index=False))
    return 0


def shipped_report(dataset: str, aliases: list[str], phis: list[float], bases: list[str] | None = None) -> pd.DataFrame:
    """The shipped report's rows for these recipes and φ (and bases: the families' file) when the store holds none;
    ConfigError if none ship."""
    from scaling_core.app.views.lab import shipped, shipped_notice
    from scaling_core.lab.families import families_notice, shipped_families

    if bases:
        document, notice = shipped_families(dataset), families_notice(dataset)
    else:
        document, notice = shipped(dataset), shipped_notice(dataset)
    if document is None:
        raise ConfigError("dataset", dataset, "one with runs in the store (lab run) or shipped results in data/lab/")
    if notice:
        raise ConfigError("dataset", dataset, f"one with runs in the store (lab run); {notice}")
    frame = pd.DataFrame(document["report"])
    chosen = frame["alias"].isin(aliases) & frame["phi"].isin(phis)
    if bases:
        chosen &= frame["base"].isin(bases)
    return frame[chosen].reset_index(drop=True)


def save_shipped(path: Path, args: argparse.Namespace, budget, report, trained: int, elapsed_s: float) -> None:
    """The report with the command, its wall time and the provenance that made it, as JSON (the shipped results)."""
    from scaling_core.hardware.provenance import provenance
    from scaling_core.lab.data import folder_record
    from scaling_core.lab.runs import code_version

    command = (
        f"python -m scaling_core lab run --dataset {args.dataset} --recipes {','.join(args.recipes)} "
        + (f"--bases {','.join(args.bases)} " if args.bases else "")
        + f"--phis {','.join(f'{p:g}' for p in args.phis)} --seeds {args.seeds}"
        + (f" --epochs {args.epochs}" if args.epochs else "")
        + f" --save-to {path}"
    )
    document = {
        "dataset": args.dataset,
        **folder_record(args.dataset),
        "command": command,
        "budget": asdict(budget),
        "code_version": code_version(args.dataset),
        "runs_trained": trained,
        "wall_time_s": round(elapsed_s, 1),
        "provenance": provenance(),
        "report": json.loads(report.to_json(orient="records")),
    }
    path.write_text(json.dumps(document, indent=1))


LAB_COMMANDS = {"lab": run_lab}
