"""The dense lab's commands: `lab run --task …` on scenes or a segmentation folder, `lab study` (the default study
of every task, the multi-task comparison and budget split) and `lab verdict` (each claim with its interval)."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace

from scaling_core.cli.study import SavedAs, StudyWords, measured_records
from scaling_core.core.errors import ConfigError


def dense_budget(args: argparse.Namespace):
    """The default or quick budget, with --epochs applied."""
    from scaling_core.lab.dense_settings import dense_settings

    settings = dense_settings()
    budget = settings.quick_budget if args.quick else settings.budget
    return budget if args.epochs is None else replace(budget, epochs=args.epochs)


def on_families(args: argparse.Namespace) -> bool:
    """Whether the command is on the families on scenes (--families, or --bases naming some of their bases)."""
    return bool(getattr(args, "families", False) or getattr(args, "bases", None))


def study_grid(args: argparse.Namespace):
    """The grid whose defaults the command takes: the families' (--families or --bases; --quick shrinks only their
    budget), the quick or the default study's."""
    from scaling_core.lab.dense_settings import dense_settings

    settings = dense_settings()
    if on_families(args):
        return settings.families
    return settings.quick_study if args.quick else settings.study


def dense_grid(args: argparse.Namespace, tasks: tuple[str, ...], split: bool):
    """The study points of the command's bases, tasks, recipes and φ (the grid's defaults where not given), and its
    seeds."""
    from scaling_core.lab.dense_data import load_dense
    from scaling_core.lab.dense_families import points_of_bases

    grid = study_grid(args)
    recipes = args.recipes or list(grid.recipes)
    phis = args.phis or [float(p) for p in grid.phis]
    bases = getattr(args, "bases", None) or getattr(grid, "bases", (None,))
    classes = load_dense(args.dataset).object_classes
    return points_of_bases(bases, tasks, recipes, phis, classes, split), (args.seeds or grid.seeds)


def shipped_file(args: argparse.Namespace) -> tuple[str, str] | None:
    """The shipped study the command's runs are filled from: the families' with --families or --bases, else the
    default study's (None)."""
    from scaling_core.lab.dense_families import shipped_as

    return shipped_as(args.dataset) if on_families(args) else None


DENSE_WORDS = StudyWords(
    "training",
    "trained {} runs",
    "dense runs",
    "runs of this grid in the store or shipped",
    "lab run --task … trains them",
)


def run_dense_command(args: argparse.Namespace) -> int:
    """`lab run --task …`, `lab report --task …` and `lab study` on dense data, through the studies' steps
    (cli/study.measured_records): train what the store lacks, read the runs, save them with `lab study --save-to`."""
    from scaling_core.lab.dense_runs import dataset_digest, dense_runs, dense_version, run_dense, shipped_records
    from scaling_core.storage.store import Store

    study = args.lab_command == "study"
    tasks = tuple(study_grid(args).tasks) if study else (args.task,)
    points, seeds = dense_grid(args, tasks, split=study and not on_families(args))
    budget = dense_budget(args)
    store = Store(args.store)
    args.no_run = args.lab_command == "report"
    args.save_to = getattr(args, "save_to", None)
    read: dict = {}

    def records() -> tuple[list[dict], str]:
        read["runs"], source = dense_runs(args.dataset, points, store, budget, seeds, shipped_file(args))
        return shipped_records(read["runs"]), source

    version = dense_version(dataset_digest(args.dataset))
    command = " ".join(
        [
            "python -m scaling_core lab study",
            *(["--families"] if getattr(args, "families", False) else []),
            *([f"--bases {','.join(args.bases)}"] if getattr(args, "bases", None) else []),
            f"--dataset {args.dataset}",
            *(["--quick"] if args.quick else []),
        ]
    )
    _, source = measured_records(
        args,
        DENSE_WORDS,
        lambda progress, scheduler: run_dense(
            args.dataset, points, seeds, store, budget, args.workers, progress, scheduler=scheduler
        ),
        records,
        SavedAs(args.dataset, {"budget": asdict(budget), "command": command}, version, version),
    )
    runs = read["runs"]
    print(f"source: {source}", file=sys.stderr)
    if args.json:
        print(json.dumps(run_records(runs), indent=1))
    else:
        columns = ["task", "recipe", "phi", "role", "resolution", "macs", "seed", "primary", "latency_ms"]
        print(runs[(["family"] if on_families(args) else []) + columns].to_string(index=False))
    return 0


def run_records(runs) -> list[dict]:
    """`lab run --json`: one object per run with its task, recipe, φ, input, costs, seed and metrics (fractions)."""
    records = []
    for row in runs.to_dict("records"):
        metrics = {k.removeprefix("metric_"): row[k] for k in row if k.startswith("metric_")}
        records.append(
            {
                "base": row["base"],
                "family": row["family"],
                "task": row["task"],
                "recipe": row["recipe"],
                "phi": row["phi"],
                "role": row["role"],
                "resolution": row["resolution"],
                "macs": row["macs"],
                "params": row["params"],
                "latency_ms": row["latency_ms"],
                "seed": row["seed"],
                "metrics": {k: (None if v is None or v != v else v) for k, v in metrics.items()},
            }
        )
    return records


def verdict_command(args: argparse.Namespace) -> int:
    """`lab verdict`: each claim of a task with its measured difference, interval and verdict (with --families, each
    family's rules against compound scaling)."""
    from scaling_core.lab.dense_runs import dense_runs
    from scaling_core.lab.dense_settings import dense_settings
    from scaling_core.lab.dense_verdicts import RESOLUTION, WIDTH, dense_claims
    from scaling_core.storage.store import Store

    if on_families(args):
        return family_verdicts(args)
    if args.recipes is not None and not {RESOLUTION, WIDTH} <= set(args.recipes):
        raise ConfigError(
            "--recipes", ",".join(args.recipes), f"a list holding {RESOLUTION} and {WIDTH} (the claims compare them)"
        )
    settings = dense_settings()
    tasks = tuple((settings.quick_study if args.quick else settings.study).tasks)
    needed = tuple(t for t in tasks if t in (args.task, "classification", "segmentation"))
    points, seeds = dense_grid(args, needed, split=False)
    runs, source = dense_runs(args.dataset, points, Store(args.store), dense_budget(args), seeds)
    claims = dense_claims(runs, args.task)
    print(f"source: {source or 'no runs'}", file=sys.stderr)
    if args.json:
        print(json.dumps({"task": args.task, "claims": [asdict(c) for c in claims]}, indent=1))
    else:
        for c in claims:
            interval = "—" if c.interval is None else f"[{c.interval[0]:+.3f}, {c.interval[1]:+.3f}]"
            difference = "—" if c.difference is None else f"{c.difference:+.3f}"
            print(f"{c.claim}: {difference} {interval} over {c.seeds} seeds: {c.verdict}")
    return 0


def family_verdicts(args: argparse.Namespace) -> int:
    """`lab verdict --families`: per family, each rule against compound scaling at equal MACs on the task's metric."""
    from scaling_core.lab.dense_families import dense_family_claims, shipped_as
    from scaling_core.lab.dense_runs import dense_runs
    from scaling_core.lab.dense_train import PRIMARY
    from scaling_core.lab.dense_verdicts import METRIC_WORDS
    from scaling_core.lab.families import COMPOUND
    from scaling_core.storage.store import Store

    if args.recipes is not None and (COMPOUND not in args.recipes or len(set(args.recipes)) < 2):
        raise ConfigError(
            "--recipes", ",".join(args.recipes), f"a list holding {COMPOUND} and another (the claims compare them)"
        )
    points, seeds = dense_grid(args, (args.task,), split=False)
    runs, source = dense_runs(args.dataset, points, Store(args.store), dense_budget(args), seeds, shipped_file(args))
    claims = dense_family_claims(runs, args.task)
    print(f"source: {source or 'no runs'}", file=sys.stderr)
    if not claims:
        print(
            f"no {args.task} runs of the families on {args.dataset}: `{shipped_as(args.dataset)[1]}` trains them",
            file=sys.stderr,
        )
        return 1
    metric = PRIMARY[args.task]
    if args.json:
        print(json.dumps({"task": args.task, "metric": metric, "claims": [asdict(c) for c in claims]}, indent=1))
        return 0
    for c in claims:
        interval = "—" if c.interval is None else f"[{c.interval[0]:+.1f}, {c.interval[1]:+.1f}]"
        difference = "—" if c.difference is None else f"{c.difference:+.1f}"
        print(
            f"{c.family} ({c.base}): {c.claim}: {difference} points of {METRIC_WORDS[metric]} {interval} "
            f"over {c.seeds} seeds: {c.verdict}"
        )
    return 0
