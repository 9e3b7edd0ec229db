"""What the commands of the measured studies share: their run options, and the steps from running to saved records.

A study's command (robustness, fewshot, distill, drone and quantize) trains and evaluates what the store lacks
(unless --no-run) under a progress bar, reads the records of its grid (the store's, else the shipped file's), refuses
to go on without any, and with --save-to writes them beside their provenance: `measured_records` does these steps
for every one of them, from the study's run, its records and the words it names them by.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from scaling_core.cli.arguments import WORKERS, OutputFile, add_scheduler_argument
from scaling_core.cli.progress import Progress, with_progress
from scaling_core.core.errors import ConfigError

if TYPE_CHECKING:
    from scaling_core.studies.protocol import Evaluation, LabGrid

# run(progress, scheduler) → how many it trained or evaluated
Run = Callable[[Progress, str | None], int]
# the records of the command's grid and where they come from (app.views' records_for)
Records = Callable[[], tuple[list[dict], str]]
# records_for(dataset, recipes, phis, seeds, store, budget) of a study of one lab grid (app.views)
GridRecords = Callable[..., tuple[list[dict], str]]


@dataclass(frozen=True)
class StudyWords:
    """How a study's command speaks of its work: the progress bar, the line after it, and the error when neither the
    store nor the shipped files hold a record of the grid (`results` names what is missing, `expected` what is not)."""

    doing: str  # "evaluating"
    done: str  # "evaluated {} runs"
    results: str  # "robustness results"
    expected: str  # "evaluations of this grid in the store"
    remedy: str = "run without --no-run"  # how to make them


@dataclass(frozen=True)
class SavedAs:
    """What --save-to writes beside the records: the dataset and settings (its header), the study's version and the
    version of the training its runs come from (None: the classification lab's, `lab.runs.code_version`)."""

    dataset: str
    settings: dict
    version: str
    trained_by: str | None = None


def lab_budget(epochs: int | None):
    """The lab's training budget, with its epochs overridden when given (bounded by the --epochs option's type)."""
    from scaling_core.lab.runs import lab_settings

    budget = lab_settings().budget
    return budget if epochs is None else replace(budget, epochs=epochs)


def add_run_arguments(parser: argparse.ArgumentParser, made: str) -> None:
    """--no-run, --workers, --scheduler and --save-to, whose file is how data/`made` is made."""
    parser.add_argument(
        "--no-run",
        action="store_true",
        help="report only what the store (or the shipped file) holds; train and evaluate nothing",
    )
    parser.add_argument("--workers", type=WORKERS, help="processes (default: data/lab/settings.json)")
    add_scheduler_argument(parser)
    parser.add_argument(
        "--save-to",
        type=OutputFile(),
        help=f"also write every evaluation and its provenance to this JSON file (how data/{made} is made)",
    )


def measured_records(
    args: argparse.Namespace, words: StudyWords, run: Run, records: Records, saved: SavedAs
) -> tuple[list[dict], str]:
    """Run what the store lacks (unless --no-run), then the grid's records and their source, saved with --save-to.

    A ConfigError where neither the store nor the shipped files hold any record of the grid."""
    from scaling_core.executor.cluster import scheduler_address
    from scaling_core.hardware.provenance import provenance
    from scaling_core.lab.runs import code_version
    from scaling_core.storage.shipped import save_records

    header: dict = {"dataset": saved.dataset, "settings": saved.settings}
    if not args.no_run:
        scheduler = scheduler_address(args.scheduler)
        done, elapsed = with_progress(words.doing, words.done, lambda progress: run(progress, scheduler))
        header.update(runs_done=done, wall_time_s=round(elapsed, 1))
    found, source = records()
    if not found:
        raise ConfigError(words.results, source or "none", f"{words.expected} ({words.remedy})")
    if args.save_to:
        trained_by = saved.trained_by or code_version(saved.dataset)
        save_records(args.save_to, header, found, provenance(), saved.version, trained_by)
    return found, source


def grid_records(
    args: argparse.Namespace,
    store,
    words: StudyWords,
    evaluation: Callable[[LabGrid], Evaluation],
    records_for: GridRecords,
    saved: SavedAs,
) -> tuple[list[dict], str]:
    """measured_records for a study of the lab grid of the command's --dataset, --recipes, --phis, --seeds and
    --epochs: its runs trained and evaluated (studies.protocol), then `records_for` that grid."""
    from scaling_core.studies.protocol import LabGrid, evaluate_runs

    budget = lab_budget(args.epochs)
    grid = LabGrid(args.dataset, tuple(args.recipes), tuple(args.phis), args.seeds, budget)
    return measured_records(
        args,
        words,
        lambda progress, scheduler: evaluate_runs(
            evaluation(grid), store, args.workers, progress, scheduler, train=[grid]
        ),
        lambda: records_for(args.dataset, args.recipes, args.phis, args.seeds, store, budget),
        saved,
    )
