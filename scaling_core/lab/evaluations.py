"""Deterministic evaluations of trained lab runs, run in worker processes and cached in the store by kind.

An evaluation loads a run's checkpoint from the store and returns a JSON-ready dict; it is keyed by the run,
the settings it depends on and its computation's version, so re-running fills only what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass
from typing import Any

from scaling_core.core.arch import ScaledArch
from scaling_core.core.cost import count
from scaling_core.lab.runs import grid_points, lab_settings, run_key
from scaling_core.lab.train import Budget
from scaling_core.lab.workers import worker_pool
from scaling_core.storage.keys import digest


@dataclass(frozen=True)
class RunRef:
    """One trained run of a grid point: its recipe, φ, seed, network, lab run key and evaluation key."""

    alias: str
    phi: float
    seed: int
    network: ScaledArch
    run_key: str
    key: str


# evaluate(dataset, run, the checkpoint of run.run_key, settings) -> a JSON-ready dict
Evaluate = Callable[[str, RunRef, bytes, Any], dict]


def evaluation_key(lab_run_key: str, settings: dict, version: str) -> str:
    """The cache key of one run's evaluation: the run, the settings (JSON-ready) and the code's version."""
    return digest([lab_run_key, settings, version])


def grid_runs(
    dataset: str,
    aliases: Sequence[str],
    phis: Sequence[float],
    seeds: int,
    budget: Budget,
    settings: dict,
    version: str,
    se_position: str = "after_depthwise",
) -> list[RunRef]:
    """Every (recipe, φ, seed) of a grid with its lab run key and evaluation key."""
    runs = []
    for point in grid_points(dataset, aliases, phis, se_position):
        for seed in range(seeds):
            lab_key = run_key(dataset, point.network, seed, budget)
            runs.append(
                RunRef(point.alias, point.phi, seed, point.network, lab_key, evaluation_key(lab_key, settings, version))
            )
    return runs


def trained_classifier(dataset: str, network: ScaledArch, checkpoint: bytes):
    """A run's trained model taking pixels in [0, 1] (standardised inside as its training did), and the dataset."""
    from scaling_core.lab.data import load_dataset, resample
    from scaling_core.nn.build import build_model
    from scaling_core.nn.checkpoint import load_state_dict
    from scaling_core.nn.pixel_input import Normalised

    data = load_dataset(dataset)
    train_x = resample(data.train_x, network.resolution_px)  # the training's standardisation, recomputed as it was
    model = build_model(network)
    model.load_state_dict(load_state_dict(checkpoint))
    return Normalised(model.eval(), train_x.mean(), train_x.std()).eval(), data


def _job(job: dict) -> tuple[str, str, dict]:
    from scaling_core.storage.store import Store

    checkpoint = Store(job["store_url"]).lab_checkpoint(job["run_key"])
    return job["key"], job["run_key"], job["evaluate"](job["dataset"], job["run"], checkpoint, job["settings"])


def evaluate_missing(
    kind: str,
    dataset: str,
    runs: Sequence[RunRef],
    evaluate: Evaluate,
    settings: Any,
    store,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Evaluate every run whose key the store lacks (largest networks first, in worker processes); the number done.

    `evaluate` must be a module-level function (it is sent to the workers).
    """
    runs = {r.key: r for r in runs}
    done = store.evaluations(kind, list(runs))
    jobs = [
        {
            "key": r.key,
            "run_key": r.run_key,
            "dataset": dataset,
            "run": r,
            "settings": settings,
            "evaluate": evaluate,
            "store_url": store.url,
        }
        for k, r in runs.items()
        if k not in done
    ]
    if progress:
        progress(0, len(jobs))
    jobs.sort(key=lambda j: -count(j["run"].network).macs)
    workers = max(1, min(workers or lab_settings().workers, len(jobs) or 1))
    with worker_pool(workers) as pool:
        futures = [pool.submit(_job, job) for job in jobs]
        for finished, future in enumerate(as_completed(futures), start=1):
            store.put_evaluation(kind, *future.result())
            if progress:
                progress(finished, len(jobs))
    return len(jobs)


def embed(classifier, pixels, batch_size: int = 512):
    """Frozen features of a trained_classifier: the head conv's output, globally pooled (what the classifier reads)."""
    import torch

    net = classifier.model
    with torch.no_grad():
        parts = [
            torch.flatten(net.pool(net.head(net.stages(net.stem((batch - classifier.mean) / classifier.std)))), 1)
            for batch in torch.split(torch.as_tensor(pixels), batch_size)
        ]
    return torch.cat(parts).numpy().astype("float64")
