"""Measured latency of a scaled network on this machine, with torch.utils.benchmark.

Protocol: the model is built in eval mode (after the memory check), moved to the device and
memory format, and run under torch.inference_mode (or exported and run by another runtime:
hardware/runtimes.py, whose one call per batch is timed the same way). torch.utils.benchmark's blocked_autorange
warms up, picks how many calls make one block, and times blocks for at least `min_run_time`;
CUDA is synchronised by the Timer. The figures are over blocks (each block's mean call time):
the fastest block, the median, 10th and 90th percentiles, and the number of calls. Threads are
set for the measurement and restored after it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from scaling_core.core.arch import ScaledArch
from scaling_core.core.errors import ConfigError, require_finite
from scaling_core.hardware.fingerprint import Fingerprint, fingerprint
from scaling_core.hardware.runtimes import check_runtime, prepared_call, runtime_stamp
from scaling_core.storage.keys import describe, measurement_key
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import TaskArch, as_task

DEVICES = ("cpu", "cuda")


@dataclass(frozen=True)
class MeasureOptions:
    """How to measure: batch, threads, memory format, device, the minimum timed run, and the runtime and precision
    (hardware/runtimes.py)."""

    batch_size: int = 1
    threads: int = 1
    channels_last: bool = False
    device: str = "cpu"
    min_run_time_s: float = 0.5
    runtime: str = "eager"
    precision: str = "fp32"

    def __post_init__(self) -> None:
        if not isinstance(self.batch_size, int) or not 1 <= self.batch_size <= 1024:
            raise ConfigError("batch_size", self.batch_size, "an integer in [1, 1024]")
        if not isinstance(self.threads, int) or not 1 <= self.threads <= 256:
            raise ConfigError("threads", self.threads, "an integer in [1, 256]")
        if self.device not in DEVICES:
            raise ConfigError("device", self.device, f"one of {', '.join(DEVICES)}")
        require_finite("min_run_time_s", self.min_run_time_s, minimum=0.01, maximum=600.0)
        check_runtime(self.runtime, self.precision, self.device)

    @property
    def memory_format(self) -> str:
        """The torch memory format name."""
        return "channels_last" if self.channels_last else "contiguous"


@dataclass(frozen=True)
class Measurement:
    """A measured latency with its spread, the work behind it, and where it was measured.

    `best_ms` (the fastest block) is what the latency model fits: interference on a shared machine
    only ever adds time, so the minimum is the repeatable statistic. Measured here (fit-latency, 1
    thread, 3 interleaved rounds of 0.25 s): an independent re-measurement landed within ±10% of the
    first for 96% of held-out networks with the minimum against 71% with the median.
    """

    best_ms: float
    median_ms: float
    p10_ms: float
    p90_ms: float
    runs: int
    blocks: int
    fingerprint: Fingerprint
    options: MeasureOptions
    measured_at: float

    def as_dict(self) -> dict:
        """JSON-ready fields."""
        return {
            "best_ms": self.best_ms,
            "median_ms": self.median_ms,
            "p10_ms": self.p10_ms,
            "p90_ms": self.p90_ms,
            "runs": self.runs,
            "blocks": self.blocks,
            "fingerprint": self.fingerprint.as_dict(),
            "options": asdict(self.options),
            "measured_at": self.measured_at,
        }


def machine_of(options: MeasureOptions, threads: int = 0) -> Fingerprint:
    """The device a measurement with these options is stored under: this machine's fingerprint for the options'
    device (and a fleet worker's `threads`), with the runtime where it is not PyTorch eager."""
    return fingerprint(options.device, threads, runtime_stamp(options.runtime, options.precision, options.device))


def _time_blocks(call: Callable[[], object], options: MeasureOptions) -> tuple[np.ndarray, int]:
    """Per-block mean call times (ms) from one adaptive run, and the number of calls."""
    import torch
    from torch.utils import benchmark

    previous_threads = torch.get_num_threads()
    torch.set_num_threads(options.threads)
    try:
        with torch.inference_mode():
            call()
            timer = benchmark.Timer(stmt="call()", globals={"call": call}, num_threads=options.threads)
            result = timer.blocked_autorange(min_run_time=options.min_run_time_s)
    finally:
        torch.set_num_threads(previous_threads)
    return np.asarray(result.times) * 1e3, int(result.number_per_run * len(result.times))


def _summary(
    block_ms: np.ndarray, runs: int, options: MeasureOptions, machine: Fingerprint | None = None
) -> Measurement:
    return Measurement(
        float(np.min(block_ms)),
        float(np.median(block_ms)),
        float(np.percentile(block_ms, 10)),
        float(np.percentile(block_ms, 90)),
        runs,
        len(block_ms),
        machine or machine_of(options),
        options,
        time.time(),
    )


def measure(
    network: ScaledArch | TaskArch, options: MeasureOptions = MeasureOptions(), memory_limit_bytes: int | None = None
) -> Measurement:
    """Build (after the memory check), warm up and time one network; figures per batch, in milliseconds."""
    machine = machine_of(options)  # refuses a device this machine lacks, or a runtime it has not installed
    return _summary(
        *_time_blocks(prepared_call(as_task(network), options, memory_limit_bytes), options), options, machine
    )


def measure_interleaved(
    networks: list[TaskArch],
    options: MeasureOptions,
    rounds: int = 3,
    progress: Callable[[int, int], None] | None = None,
    memory_limit_bytes: int | None = None,
    machine: Fingerprint | None = None,
) -> list[Measurement]:
    """Measure several networks in `rounds` interleaved passes and pool each one's blocks.

    Interleaving spreads a slow spell of a shared machine over all networks instead of
    landing on a few; pooling the blocks of all passes makes the median robust to one bad pass.
    `machine` is the device recorded (default: this machine's fingerprint for the options' device).
    """
    machine = machine or machine_of(options)
    calls = [prepared_call(task, options, memory_limit_bytes) for task in networks]
    blocks: list[list[np.ndarray]] = [[] for _ in networks]
    runs = [0] * len(networks)
    for r in range(rounds):
        for i, call in enumerate(calls):
            times, count = _time_blocks(call, options)
            blocks[i].append(times)
            runs[i] += count
            if progress is not None:
                progress(r * len(networks) + i + 1, rounds * len(networks))
    return [_summary(np.concatenate(b), n, options, machine) for b, n in zip(blocks, runs)]


def measurement_row(network: ScaledArch | TaskArch, measurement: Measurement) -> dict:
    """The store's row for a measurement of a network."""
    task = as_task(network)
    report = count_task(task)
    options = measurement.options
    description = describe(task)
    key = measurement_key(
        description,
        measurement.fingerprint.id,
        options.batch_size,
        options.threads,
        options.memory_format,
        options.device,
    )
    return {
        "key": key,
        "network": json.dumps(description),
        "label": task.label,
        "head": task.task,
        "fingerprint_id": measurement.fingerprint.id,
        "fingerprint": json.dumps(measurement.fingerprint.as_dict()),
        "batch_size": options.batch_size,
        "threads": options.threads,
        "memory_format": options.memory_format,
        "device": options.device,
        "best_ms": measurement.best_ms,
        "median_ms": measurement.median_ms,
        "p10_ms": measurement.p10_ms,
        "p90_ms": measurement.p90_ms,
        "runs": measurement.runs,
        "blocks": measurement.blocks,
        "macs": int(report.macs),
        "params": int(report.params),
        "activations": int(report.activations),
        "measured_at": measurement.measured_at,
    }


def measure_cached(
    network: ScaledArch | TaskArch,
    options: MeasureOptions,
    store,
    remeasure: bool = False,
    memory_limit_bytes: int | None = None,
) -> tuple[dict, bool]:
    """The stored row for this network, machine and setup if there is one (and remeasure is false), else a
    fresh measurement, stored; the flag says whether the row came from the store."""
    if not remeasure:
        row = stored_measurement(network, options, store)
        if row is not None:
            return row, True
    row = measurement_row(as_task(network), measure(as_task(network), options, memory_limit_bytes))
    store.put_measurement(row, replace=True)
    return store.get_measurement(row["key"]), False


def measure_missing(
    networks: list,
    options: MeasureOptions,
    store,
    rounds: int = 3,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Time the networks the store has no measurement of (this machine, these options) in `rounds` interleaved
    passes (so no one network pays the warm-up or a slow spell of the machine alone), store each; how many."""
    missing = [as_task(n) for n in networks if stored_measurement(n, options, store) is None]
    if missing:
        for network, measurement in zip(missing, measure_interleaved(missing, options, rounds, progress)):
            store.put_measurement(measurement_row(network, measurement), replace=True)
    return len(missing)


def stored_measurement(
    network: ScaledArch | TaskArch, options: MeasureOptions, store, fingerprint_id: str | None = None
) -> dict | None:
    """The store's row for this network on this machine (or the device `fingerprint_id`) with these options."""
    key = measurement_key(
        describe(as_task(network)),
        fingerprint_id or machine_of(options).id,
        options.batch_size,
        options.threads,
        options.memory_format,
        options.device,
    )
    return store.get_measurement(key)
