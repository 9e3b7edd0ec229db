"""Speed-up of a lab grid on a Dask cluster of two workers over one worker, both measured in this run.

The same grid (default: digits, EfficientNet at φ 0, 0.5, 1, 1.5, six seeds, one epoch: 24 runs, about two
minutes of one core's time) trains on a LocalCluster of 1 and then of 2 single-threaded worker processes, each time into
a fresh throwaway SQLite store. Each store starts as a copy of one that already holds the networks' latencies
(timed once, before anything else), so what is timed is the training through the executor: submitting, training
on the workers, and storing each result in this process. The clusters are started, and their workers have
imported torch and the lab, before the clock starts. Wall-clock time; the machine may be busy with other work,
which this cannot see: run it on a quiet machine, and compare the two figures of one run, not across runs.

    python benchmarks/grid_workers.py [--dataset digits] [--phis 0,0.5,1,1.5] [--seeds 3] [--epochs 1]
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scaling_core.lab.runs import lab_network, lab_settings, measure_latency, run_grid  # noqa: E402
from scaling_core.storage.store import Store  # noqa: E402

RECIPE = "efficientnet"


def grid_time(workers: int, template: Path, folder: Path, args: argparse.Namespace) -> tuple[float, dict]:
    """Seconds to train the grid on a warm LocalCluster of `workers`, and the stored accuracies by key."""
    from distributed import Client, LocalCluster

    url_path = folder / f"workers-{workers}.sqlite"
    shutil.copy(template, url_path)
    store = Store(f"sqlite:///{url_path}")
    budget = replace(lab_settings().budget, epochs=args.epochs)
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        for module in ("torch", "scaling_core.lab.runs"):  # start-up costs off the clock
            client.run(importlib.import_module, module)
        start = time.perf_counter()
        address, quiet = cluster.scheduler_address, lambda link: None
        trained = run_grid(
            args.dataset, [RECIPE], args.phis, args.seeds, store, budget, scheduler=address, on_dashboard=quiet
        )
        elapsed = time.perf_counter() - start
    assert trained == len(args.phis) * args.seeds, f"{trained} runs trained: the store was not fresh"
    with store.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT key, accuracy FROM lab_runs").all()
    return elapsed, dict(rows)


def main() -> None:
    """Time the grid on one worker, then on two, and print both and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--phis", type=lambda t: [float(p) for p in t.split(",")], default=[0.0, 0.5, 1.0, 1.5])
    parser.add_argument(
        "--seeds",
        type=int,
        default=6,
        help="seeds per network (6: 24 runs, enough that the last large run does not leave a worker idle for long)",
    )
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        template = folder / "latencies.sqlite"
        measure_latency([lab_network(args.dataset, RECIPE, phi) for phi in args.phis], Store(f"sqlite:///{template}"))
        phis = ",".join(f"{p:g}" for p in args.phis)
        grid = f"{args.dataset}, {RECIPE} at φ {phis}, {args.seeds} seeds, {args.epochs} epochs"
        print(f"{len(args.phis) * args.seeds} runs: {grid}", flush=True)
        one, runs_one = grid_time(1, template, folder, args)
        print(f"1 worker:  {one:6.1f} s", flush=True)
        two, runs_two = grid_time(2, template, folder, args)
        print(f"2 workers: {two:6.1f} s", flush=True)
    assert runs_one == runs_two, "the two clusters stored different runs"
    print(f"speed-up:  {one / two:6.2f}x (the same runs stored by both)")


if __name__ == "__main__":
    main()
