"""The one study protocol (scaling_core.executor.study) with a fake store and trivial jobs, no training: it runs only
what the store lacks, puts each result once as it lands, counts progress over what runs, prepares only the jobs that
run, and reports failures as one ConfigError after the others are stored. Then the lab studies' use of it
(scaling_core.studies.protocol): checkpoints read for the runs evaluated only, results stored under their run."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import pytest

from scaling_core.core.errors import ConfigError
from scaling_core.executor.jobs import Job
from scaling_core.executor.study import StudyJobs, run_missing
from scaling_core.lab.evaluations import grid_runs
from scaling_core.lab.runs import lab_settings
from scaling_core.studies.protocol import Evaluation, evaluate_runs, stored_results


class FakeStore:
    """What the protocol asks of a store: which of these keys it holds, and put one result (each call recorded)."""

    def __init__(self, held: dict[str, float] | None = None) -> None:
        self.results = dict(held or {})
        self.asked: list[list[str]] = []
        self.put_keys: list[str] = []

    def stored(self, keys: list[str]) -> set[str]:
        self.asked.append(list(keys))
        return set(keys) & set(self.results)

    def put(self, job: Job, value: float) -> None:
        self.put_keys.append(job.key)
        self.results[job.key] = value


def roots(*values: float) -> list[Job]:
    """A job per value: its square root, keyed by the value (a negative one fails)."""
    return [Job(f"k{v:g}", f"square root of {v:g}", math.sqrt, (v,)) for v in values]


def run(store: FakeStore, jobs: list[Job], **options) -> int:
    """run_missing on one local worker, its progress recorded in options' `ticks` when given."""
    ticks = options.pop("ticks", None)
    return run_missing(
        StudyJobs(tuple(jobs), "square roots", "roots that exist"),
        stored=store.stored,
        put=store.put,
        scheduler=None,
        workers=1,
        progress=None if ticks is None else lambda done, total: ticks.append((done, total)),
        **options,
    )


def test_only_what_the_store_lacks_runs_and_each_result_is_put_once_with_progress():
    store, ticks = FakeStore({"k-16": 4.0}), []
    held = Job("k-16", "held: would fail if it ran", math.sqrt, (-16.0,))
    again = Job("k9", "the same key again", math.sqrt, (81.0,))  # a key runs and is put once: the first job's
    assert run(store, [*roots(4.0, 9.0), held, again], ticks=ticks) == 2
    assert store.asked == [["k4", "k9", "k-16"]]  # one question, each key once
    assert sorted(store.put_keys) == ["k4", "k9"]
    assert store.results == {"k-16": 4.0, "k4": 2.0, "k9": 3.0}
    assert ticks[0] == (0, 2) and ticks[-1] == (2, 2) and len(ticks) == 3  # over the jobs that run


def test_a_grid_the_store_holds_runs_nothing_and_an_empty_grid_asks_nothing():
    store, ticks = FakeStore({"k4": 2.0}), []
    assert run(store, roots(4.0), ticks=ticks) == 0
    assert store.put_keys == [] and ticks == [(0, 0)]
    empty = FakeStore()
    assert run(empty, []) == 0 and empty.asked == []


def test_failures_are_one_config_error_after_the_others_are_stored():
    store = FakeStore()
    with pytest.raises(ConfigError) as caught:
        run(store, roots(4.0, -1.0, 9.0, -4.0))
    error = caught.value
    assert error.parameter == "square roots" and error.value == "2 of 4 failed"
    assert re.fullmatch(r"roots that exist \(square root of -[14]: ValueError: math domain error\)", error.allowed)
    assert store.results == {"k4": 2.0, "k9": 3.0}  # the jobs that finished are stored, once each


def test_only_the_jobs_that_run_are_prepared_and_the_prepared_job_is_what_runs():
    prepared = []

    def prepare(job: Job) -> Job:
        prepared.append(job.key)
        return replace(job, arguments=(16.0,))  # what only this process could read

    store = FakeStore({"held": 1.0})
    jobs = [Job("missing", "prepared here", math.sqrt, ()), Job("held", "never prepared", math.sqrt, ())]
    assert run(store, jobs, prepare=prepare) == 1
    assert prepared == ["missing"] and store.results == {"held": 1.0, "missing": 4.0}


def fake_evaluate(dataset: str, run, checkpoint: bytes, settings: dict) -> dict:
    """An evaluation's job without a network: what it was sent (module-level, so a worker process can import it)."""
    if settings.get("fail"):
        raise RuntimeError("planted")
    return {"dataset": dataset, "phi": run.phi, "checkpoint": checkpoint.decode(), "settings": settings}


class FakeLabStore:
    """The store's evaluations of one kind and the lab's checkpoints, as studies.protocol uses them."""

    def __init__(self, held: dict[str, dict]) -> None:
        self.held = dict(held)
        self.checkpoints_read: list[str] = []
        self.put_rows: list[tuple[str, str, str]] = []

    def evaluations(self, kind: str, keys: list[str]) -> dict[str, dict]:
        return {k: self.held[k] for k in keys if k in self.held}

    def lab_checkpoint(self, run_key: str) -> bytes:
        self.checkpoints_read.append(run_key)
        return f"weights of {run_key[:8]}".encode()

    def put_evaluation(self, kind: str, key: str, run_key: str, result: dict) -> None:
        self.put_rows.append((kind, key, run_key))
        self.held[key] = result


@pytest.mark.parametrize("fail", [False, True])
def test_a_lab_study_reads_checkpoints_only_for_the_runs_it_evaluates(fail):
    settings = {"fail": fail}
    runs = grid_runs("digits", ["efficientnet"], [0, 1], 1, lab_settings().budget, settings, "test-version")
    done, missing = runs
    store = FakeLabStore({done.key: {"phi": 0.0}})
    evaluation = Evaluation("robustness", "digits", tuple(runs), fake_evaluate, settings)
    if fail:
        with pytest.raises(ConfigError, match=r"robustness evaluations = '1 of 1 failed'.*RuntimeError: planted"):
            evaluate_runs(evaluation, store, workers=1)
    else:
        assert evaluate_runs(evaluation, store, workers=1) == 1
    assert store.checkpoints_read == [missing.run_key]  # the evaluated run's checkpoint was never read
    if not fail:
        assert store.put_rows == [("robustness", missing.key, missing.run_key)]
        result = {
            "dataset": "digits",
            "phi": 1.0,
            "checkpoint": f"weights of {missing.run_key[:8]}",
            "settings": settings,
        }
        assert stored_results("robustness", runs, store) == [(done, {"phi": 0.0}), (missing, result)]
