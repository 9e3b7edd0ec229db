"""Run a list of independent jobs in the local process pool or on a Dask cluster; results come back to the caller.

A job is a module-level function and its arguments (both travel to a worker process by pickle, so the function's
module must be importable there), with the key its result is stored under. Whatever runs it, `on_result` is called
in this process, once per key, as each result arrives: the caller writes the store, workers never open it.

Faults: a job that raises is a `JobFailure` (its name and error) and the others go on. On Dask, a job whose worker
dies is rescheduled on another worker by the scheduler, up to its `distributed.scheduler.allowed-failures` (3 by
default) before it is a failure too (KilledWorker). An interrupt (Ctrl-C) cancels what is queued and re-raises;
results already handed to `on_result` stay where the caller put them.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass
from typing import Any

from scaling_core.executor.cluster import connect, dashboard_link
from scaling_core.executor.workers import worker_pool


@dataclass(frozen=True)
class Job:
    """One independent job: its store key, a name for people, a module-level function and its arguments."""

    key: str
    name: str
    function: Callable[..., Any]
    arguments: tuple


@dataclass(frozen=True)
class JobFailure:
    """A job that did not give a result: its name and the error (type and message)."""

    name: str
    error: str


def describe_error(exc: BaseException) -> str:
    """An error as a failure reports it: its type and message."""
    return f"{type(exc).__name__}: {exc}"


def announce_dashboard(link: str) -> None:
    """Say where the Dask dashboard is (on stderr, so output that is piped stays clean)."""
    print(f"Dask dashboard: {link}", file=sys.stderr, flush=True)


def unique_jobs(jobs: Iterable[Job]) -> list[Job]:
    """The jobs, the first of each key only (a key is stored once, so it need run only once)."""
    seen: dict[str, Job] = {}
    for job in jobs:
        seen.setdefault(job.key, job)
    return list(seen.values())


def run_jobs(
    jobs: Sequence[Job],
    *,
    scheduler: str | None,
    workers: int,
    on_result: Callable[[Job, Any], None],
    progress: Callable[[int, int], None] | None = None,
    on_dashboard: Callable[[str], None] = announce_dashboard,
) -> list[JobFailure]:
    """Run every job (in order of submission where workers are free) and hand each result to `on_result`; the
    failures.

    With no scheduler they run in `workers` local processes that die with this one; with one (`local:N` or
    tcp://HOST:PORT) on that Dask cluster, whose dashboard link goes to `on_dashboard` when it serves one. An error
    raised by `on_result` (the store is full, say) stops the run: the next results could not be stored either.
    """
    jobs = unique_jobs(jobs)
    if progress:
        progress(0, len(jobs))
    if not jobs:
        return []
    delivered = Delivery(jobs, on_result, progress)
    if scheduler is None:
        run_local(jobs, max(1, min(workers, len(jobs))), delivered)
    else:
        run_on_dask(jobs, scheduler, delivered, on_dashboard)
    return delivered.failures


class Delivery:
    """Hands each job's outcome to the caller once per key, counting progress and collecting failures."""

    def __init__(
        self, jobs: list[Job], on_result: Callable[[Job, Any], None], progress: Callable[[int, int], None] | None
    ) -> None:
        self.total = len(jobs)
        self.on_result = on_result
        self.progress = progress
        self.finished: set[str] = set()
        self.failures: list[JobFailure] = []

    def result(self, job: Job, value: Any) -> None:
        """A job's result: to the caller, unless its key already landed (a retried job never stores twice)."""
        if self._settle(job):
            self.on_result(job, value)
            self._tick()

    def failure(self, job: Job, exc: BaseException) -> None:
        """A job that raised (or whose workers kept dying): recorded by name, the others go on."""
        if self._settle(job):
            self.failures.append(JobFailure(job.name, describe_error(exc)))
            self._tick()

    def _settle(self, job: Job) -> bool:
        if job.key in self.finished:
            return False
        self.finished.add(job.key)
        return True

    def _tick(self) -> None:
        if self.progress:
            self.progress(len(self.finished), self.total)


def run_local(jobs: list[Job], workers: int, delivery: Delivery) -> None:
    """The jobs in a pool of local worker processes that die with this process (a killed command leaves none)."""
    with worker_pool(workers) as pool:
        futures = {pool.submit(job.function, *job.arguments): job for job in jobs}
        try:
            for future in as_completed(futures):
                try:
                    value = future.result()
                except Exception as exc:  # one failed job must not cost the others
                    delivery.failure(futures[future], exc)
                else:
                    delivery.result(futures[future], value)
        except BaseException:
            pool.shutdown(cancel_futures=True)  # an interrupt stops queued jobs; finished ones are stored
            raise


# A job owns its process's torch state while it runs (the global seed its initialisation draws from, the thread count
# it sets): two jobs in the threads of one worker would draw from one generator and differ from a local run, and a
# fleet measurement setting the worker's thread count would change a training's arithmetic under it. Both take it.
PROCESS_LOCK = threading.Lock()


def one_at_a_time(function: Callable[..., Any], *arguments: Any) -> Any:
    """In a worker: run the job while no other job of this process runs (a worker with more threads still keeps
    them for what a job itself starts; start more single-threaded workers to run more jobs at once)."""
    with PROCESS_LOCK:
        return function(*arguments)


def dask_key(job: Job) -> str:
    """The job's task key on the cluster: its store key, so a job submitted twice (by two clients, say) runs once."""
    return f"scaling-lab-{job.key}"


def run_on_dask(jobs: list[Job], scheduler: str, delivery: Delivery, on_dashboard: Callable[[str], None]) -> None:
    """The jobs on the Dask cluster at `scheduler`, results gathered here as they finish."""
    from distributed import as_completed as dask_completed

    with connect(scheduler) as client:
        link = dashboard_link(client)
        if link:
            on_dashboard(link)
        futures = {client.submit(one_at_a_time, job.function, *job.arguments, key=dask_key(job)): job for job in jobs}
        pending = set(futures)
        try:
            for future in dask_completed(futures, loop=client.loop):
                pending.discard(future)
                job = futures[future]
                if future.status == "finished":
                    delivery.result(job, future.result())
                elif future.status == "error":
                    delivery.failure(job, future.exception())
                else:  # cancelled by someone else on a shared cluster
                    delivery.failure(job, RuntimeError(f"the job was {future.status} on the cluster"))
                future.release()  # its result (a checkpoint, say) need not stay in the cluster's memory
        except BaseException:
            client.cancel(list(pending))  # an interrupt stops queued jobs; finished ones are stored
            raise
