"""The protocol of the studies of the lab's trained networks: train what a grid lacks, then evaluate every trained run
the store has not evaluated, through the executor's one study protocol (scaling_core.executor.study).

Such a study (robustness, representation, deployment) declares
- its grids (`LabGrid`: lab recipes × φ × seeds on a dataset under a budget, squeeze-excite at one position), which
  the lab trains (scaling_core.lab.runs.run_grid: a run the store holds is not trained again);
- its `Evaluation`: the store's kind of its results (a table of storage.store.EVALUATIONS), the trained runs keyed
  for it (scaling_core.lab.evaluations.grid_runs: the run, the settings the result depends on and its
  `<NAME>_VERSION`), its job (a module-level function (dataset, run, checkpoint, settings) → a JSON-ready dict,
  stored whole under the run's key) and the settings each job is sent.
- its records: the columns of `RUN_COLUMNS` that describe a run in them, before its result.
`evaluate_runs` sends every run the store lacks, largest network first, with its checkpoint read here (workers never
open the store), to the local worker processes or the Dask cluster; each result is stored as it lands, and the
evaluations that fail are named in one ConfigError once the others are stored (training the grids first where asked);
`stored_results` reads back what the store holds of an evaluation's runs, and `run_records` makes them records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from scaling_core.core.cost import count
from scaling_core.executor.jobs import Job
from scaling_core.executor.study import Progress, StudyJobs, run_missing
from scaling_core.lab.evaluations import Evaluate, RunRef, trained_classifier
from scaling_core.lab.runs import lab_recipe, lab_settings, network_key, run_grid
from scaling_core.lab.train import Budget


@dataclass(frozen=True)
class LabGrid:
    """Lab recipes × φ × seeds on a dataset under a budget, with squeeze-excite at one position: the runs to train."""

    dataset: str
    recipes: tuple[str, ...]
    phis: tuple[float, ...]
    seeds: int
    budget: Budget
    se_position: str = "after_depthwise"


@dataclass(frozen=True)
class Evaluation:
    """A study's evaluation of trained lab runs: the store's kind of its results, the dataset, the runs keyed for it,
    its job (a module-level function: it is sent to the workers) and the settings each job is sent."""

    kind: str
    dataset: str
    runs: tuple[RunRef, ...]
    evaluate: Evaluate
    settings: Any


def train_grids(grids: Iterable[LabGrid], store, workers: int | None = None, scheduler: str | None = None) -> None:
    """Train every run the grids lack, grid by grid (scaling_core.lab.runs.run_grid)."""
    for grid in grids:
        run_grid(
            grid.dataset,
            grid.recipes,
            grid.phis,
            grid.seeds,
            store,
            grid.budget,
            workers,
            se_position=grid.se_position,
            scheduler=scheduler,
        )


def evaluation_jobs(evaluation: Evaluation) -> StudyJobs:
    """The evaluation's jobs, largest network first, each keyed as its result is stored; a job's arguments are
    (dataset, run, settings) until the run's checkpoint joins them, for the runs evaluated only."""
    runs = sorted({r.key: r for r in evaluation.runs}.values(), key=lambda r: -count(r.network).macs)
    jobs = tuple(
        Job(
            r.key,
            f"{evaluation.kind} of {r.alias} φ={r.phi:g} seed {r.seed}",
            evaluation.evaluate,
            (evaluation.dataset, r, evaluation.settings),
        )
        for r in runs
    )
    return StudyJobs(jobs, f"{evaluation.kind} evaluations", "evaluations that finish")


def evaluate_runs(
    evaluation: Evaluation,
    store,
    workers: int | None = None,
    progress: Progress | None = None,
    scheduler: str | None = None,
    train: Iterable[LabGrid] = (),
) -> int:
    """Train what the `train` grids lack (those of the runs), then evaluate every run whose key the store lacks and
    store each result as it lands; the number evaluated.

    Both run in local worker processes (`workers`, by default data/lab/settings.json's) or on the Dask cluster at
    `scheduler`; `progress` counts the evaluations, each sent the checkpoint of its run, read here."""

    def with_checkpoint(job: Job) -> Job:
        dataset, run, settings = job.arguments
        return replace(job, arguments=(dataset, run, store.lab_checkpoint(run.run_key), settings))

    train_grids(train, store, workers, scheduler)
    run_keys = {r.key: r.run_key for r in evaluation.runs}
    return run_missing(
        evaluation_jobs(evaluation),
        stored=lambda keys: store.evaluations(evaluation.kind, keys),
        put=lambda job, result: store.put_evaluation(evaluation.kind, job.key, run_keys[job.key], result),
        scheduler=scheduler,
        workers=workers or lab_settings().workers,
        progress=progress,
        prepare=with_checkpoint,
    )


# The columns of the runs of one lab grid in its study's records (of RUN_COLUMNS, in this order).
GRID_RUN_COLUMNS = ("alias", "recipe", "phi", "seed", "network_key", "macs", "depth_multiplier", "width_multiplier")


def stored_results(kind: str, runs: Iterable[RunRef], store) -> list[tuple[RunRef, dict]]:
    """The runs the store holds an evaluation of, in their order, each with its result (as its job returned it)."""
    runs = list(runs)
    found = store.evaluations(kind, [r.key for r in runs])
    return [(r, found[r.key]) for r in runs if r.key in found]


# What a study's record may say of its run, by column (a record lists the columns its study names, in that order).
RUN_COLUMNS: dict[str, Callable[[RunRef], Any]] = {
    "alias": lambda r: r.alias,
    "recipe": lambda r: lab_recipe(r.alias).name,
    "phi": lambda r: r.phi,
    "seed": lambda r: r.seed,
    "se_position": lambda r: r.network.stages[0].first.se_position,
    "network_key": lambda r: network_key(r.network),
    "macs": lambda r: int(count(r.network).macs),
    "blocks": lambda r: r.network.total_blocks,
    "depth_multiplier": lambda r: r.network.multipliers.depth,
    "width_multiplier": lambda r: r.network.multipliers.width,
    "resolution_multiplier": lambda r: r.network.multipliers.resolution,
    "resolution_px": lambda r: r.network.resolution_px,
}


def run_records(kind: str, runs: Iterable[RunRef], store, columns: Sequence[str]) -> list[dict]:
    """One record per run the store holds an evaluation of, in the runs' order: its `columns` (of RUN_COLUMNS), then
    its result's fields."""
    return [{**{c: RUN_COLUMNS[c](r) for c in columns}, **result} for r, result in stored_results(kind, runs, store)]


def model_and_test_images(dataset: str, run: RunRef, checkpoint: bytes, images: int):
    """In an evaluation's worker (one thread): a trained run's model (taking pixels in [0, 1]), and the first `images`
    of the dataset's fixed test split at the network's own input size, with their labels."""
    import torch

    from scaling_core.lab.data import resample

    torch.set_num_threads(1)
    model, data = trained_classifier(dataset, run.network, checkpoint)
    x = resample(data.test_x[:images], run.network.resolution_px).clamp(0.0, 1.0)
    y = torch.as_tensor(data.test_y[:images])
    return model, x, y
