"""One study protocol: run what a study's grid lacks in the store, store each result as it lands, report failures once.

A study declares its grid as `StudyJobs`: its jobs (`executor.jobs.Job`: the key its result is stored under, a name
for people, a module-level function and its arguments, in the order they should start: largest first, so the
workers finish together) and the words a report of failures names them by. It hands over its store's two
operations as callables, so this layer imports no store: which of these keys the store holds, and put one job's
result (the row the study stores, as the job function returned it). `run_missing` does the rest, the same for
every study:

1. asks the store which of the grid's keys it holds, and keeps each other key's first job, in the grid's order;
2. prepares each job that will run, where the study says how (`prepare`: what only this process may read, such as a
   trained run's checkpoint, added to the job's arguments: workers never open the store);
3. runs them with `run_jobs` (the local process pool, or the Dask scheduler, whose dashboard link is announced),
   progress counted as (done, total) over the jobs that run;
4. puts each result in the store as it lands, in this process (an error there stops the run; what was put stays);
5. once every job has finished, raises one ConfigError if any failed: how many, and the first one's name and error.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from scaling_core.core.errors import ConfigError
from scaling_core.executor.jobs import Job, JobFailure, announce_dashboard, run_jobs, unique_jobs

# (done, total) as the jobs that run finish
Progress = Callable[[int, int], None]
# the store's "which of these keys do you hold" (a set of them, or a mapping keyed by them)
StoredKeys = Callable[[list[str]], Collection[str]]
# the store's "put this job's result"
PutResult = Callable[[Job, Any], None]


@dataclass(frozen=True)
class StudyJobs:
    """A study's grid: its jobs, and how a report of failures names them (all of them, and what each should do)."""

    jobs: tuple[Job, ...]
    subject: str  # the jobs together: "lab runs", "robustness evaluations"
    aim: str  # what each should do: "runs that train", "evaluations that finish"


def missing_jobs(jobs: Iterable[Job], stored: StoredKeys) -> list[Job]:
    """The jobs whose keys the store lacks, the first job of each key only, in their order."""
    jobs = unique_jobs(jobs)
    if not jobs:
        return []
    held = stored([job.key for job in jobs])
    return [job for job in jobs if job.key not in held]


def failure_error(study: StudyJobs, failures: Sequence[JobFailure], ran: int) -> ConfigError:
    """The one error of a run in which some jobs failed: how many of those that ran, the first one's name and error."""
    first = failures[0]
    return ConfigError(study.subject, f"{len(failures)} of {ran} failed", f"{study.aim} ({first.name}: {first.error})")


def run_missing(
    study: StudyJobs,
    *,
    stored: StoredKeys,
    put: PutResult,
    scheduler: str | None,
    workers: int,
    progress: Progress | None = None,
    on_dashboard: Callable[[str], None] = announce_dashboard,
    prepare: Callable[[Job], Job] | None = None,
) -> int:
    """Run every job of the study whose key the store lacks and put each result as it lands; the number run.

    In `workers` local processes with no scheduler, else on the Dask cluster at `scheduler` (`local:N` or
    tcp://HOST:PORT; its dashboard link goes to `on_dashboard`). `prepare`, where given, makes each job that will run
    into the job sent (read here only for those, so the store's large inputs of finished jobs are never read).
    A job that fails costs no other: the others are stored, then one ConfigError names the failures.
    """
    todo = missing_jobs(study.jobs, stored)
    if prepare is not None:
        todo = [prepare(job) for job in todo]
    failures = run_jobs(
        todo, scheduler=scheduler, workers=workers, on_result=put, progress=progress, on_dashboard=on_dashboard
    )
    if failures:
        raise failure_error(study, failures, len(todo))
    return len(todo)
