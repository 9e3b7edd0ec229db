"""Latency across a fleet: the same networks measured on every worker of a Dask cluster, each a device of its own.

Each measurement is pinned to its worker (`client.submit(..., workers=[address], allow_other_workers=False)`) and
runs there with the worker's own thread count (`dask worker --nthreads N`) or, with device cuda, on its GPU. The
fingerprint it returns records which, so two workers of one host started with different thread counts are two
devices. Workers of one host with the same thread count are one device, measured once. Workers that share a host
measure in turn, so none is timed while another loads the same cores; different hosts measure at the same time.
What comes back is stored by the client, per fingerprint: workers need no database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from scaling_core.core.errors import ConfigError
from scaling_core.executor.jobs import one_at_a_time
from scaling_core.hardware.fingerprint import Fingerprint
from scaling_core.hardware.measure import (
    Measurement,
    MeasureOptions,
    machine_of,
    measure_interleaved,
    measurement_row,
)
from scaling_core.tasks.heads import TaskArch, as_task


@dataclass(frozen=True)
class FleetWorker:
    """A worker of the cluster: its address, its host and the threads it was started with."""

    address: str
    host: str
    threads: int


@dataclass(frozen=True)
class DeviceMeasurements:
    """What one worker measured: its fingerprint and one measurement per network, in order (or the error)."""

    worker: FleetWorker
    fingerprint: Fingerprint | None
    measurements: tuple[Measurement, ...]
    error: str = ""


def fleet_workers(client: Any) -> list[FleetWorker]:
    """The cluster's workers, by address; ConfigError if it has none."""
    info = client.scheduler_info(n_workers=-1)["workers"]
    workers = [FleetWorker(address, w["host"], int(w["nthreads"])) for address, w in sorted(info.items())]
    if not workers:
        raise ConfigError("--scheduler", client.scheduler.address, "a Dask scheduler with at least one worker")
    return workers


def distinct_devices(workers: Sequence[FleetWorker]) -> list[FleetWorker]:
    """One worker per (host, threads): two workers of one host with the same threads would measure the same device."""
    seen: dict[tuple[str, int], FleetWorker] = {}
    for worker in workers:
        seen.setdefault((worker.host, worker.threads), worker)
    return list(seen.values())


def measure_on_worker(networks: list[TaskArch], options: MeasureOptions, rounds: int) -> tuple[Fingerprint, list]:
    """Run on a worker: its fingerprint (the options' threads are the worker's) and its measurements of the networks."""
    machine = machine_of(options, options.threads)
    return machine, measure_interleaved(networks, options, rounds, machine=machine)


def measure_fleet(
    client: Any,
    networks: Sequence,
    options: MeasureOptions,
    rounds: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[DeviceMeasurements]:
    """Measure the same networks on every distinct device of the cluster (see the module's docstring).

    `options` say the batch, memory format, device and run time; each worker's threads replace its threads. A
    worker that fails (no CUDA there, say) is returned with its error and the others carry on.
    """
    tasks = [as_task(n) for n in networks]
    devices = distinct_devices(fleet_workers(client))
    by_host: dict[str, list[FleetWorker]] = {}
    for worker in devices:
        by_host.setdefault(worker.host, []).append(worker)
    results = []
    if progress:
        progress(0, len(devices))
    for turn in range(max(len(workers) for workers in by_host.values())):
        measuring = [workers[turn] for workers in by_host.values() if turn < len(workers)]
        futures = [
            client.submit(
                one_at_a_time,  # never timed while a lab job of the same worker process trains (or the reverse)
                measure_on_worker,
                tasks,
                replace(options, threads=worker.threads),
                rounds,
                workers=[worker.address],
                allow_other_workers=False,
                pure=False,
            )
            for worker in measuring
        ]
        for worker, future in zip(measuring, futures):
            try:
                machine, measured = future.result()
                results.append(DeviceMeasurements(worker, machine, tuple(measured)))
            except Exception as exc:  # one device's failure must not cost the others' measurements; reported
                results.append(DeviceMeasurements(worker, None, (), f"{type(exc).__name__}: {exc}"))
            if progress:
                progress(len(results), len(devices))
    return results


def store_fleet(networks: Sequence, results: Sequence[DeviceMeasurements], store) -> int:
    """Store every measurement of the fleet under its device's fingerprint; the number of rows written."""
    rows = [
        measurement_row(as_task(network), measurement)
        for result in results
        for network, measurement in zip(networks, result.measurements)
    ]
    for row in rows:
        store.put_measurement(row, replace=True)
    return len(rows)


def fit_fleet(
    client: Any, options: MeasureOptions, store, plan: dict, progress: Callable[[int, int], None] | None = None
) -> list[tuple[DeviceMeasurements, Any]]:
    """Measure a latency plan on every device of the cluster and fit one latency model per device fingerprint
    (each stored as that device's profile, with its measurements); each device with its FitReport (None where it
    failed, or where another worker already gave the same fingerprint)."""
    from scaling_core.hardware.latency_model import plan_networks, save_fit

    fitted: set[str] = set()
    reports = []
    for result in measure_fleet(client, plan_networks(plan), options, plan["rounds"], progress):
        if result.fingerprint is None or result.fingerprint.id in fitted:
            reports.append((result, None))
            continue
        fitted.add(result.fingerprint.id)
        reports.append((result, save_fit(plan, list(result.measurements), store)))
    return reports


def stored_fingerprint(store, fingerprint_id: str) -> Fingerprint | None:
    """The device a fingerprint id names, as its stored measurements recorded it (None if it has none)."""
    import json

    rows = store.measurements(fingerprint_id)
    return Fingerprint.from_dict(json.loads(rows[0]["fingerprint"])) if rows else None


def device_options(options: MeasureOptions, device: Fingerprint | None) -> MeasureOptions:
    """The measuring setup on a device: a fleet worker's own threads and device (and the runtime and precision a
    runtime's device names) replace the options'."""
    if device is None:
        return options
    return replace(
        options,
        device=device.device,
        threads=device.threads or options.threads,
        runtime=device.runtime or "eager",
        precision=device.precision or "fp32",
    )
