"""Grids on a Dask cluster: the same keys and accuracies as a local run, a worker killed mid-grid costs nothing,
a failing job is named, an unreachable scheduler is one line. The shared cluster is the one .ci/run starts
(SCALING_LAB_TEST_SCHEDULER); the fault test starts its own, since it kills a worker."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace

import pytest
from sqlalchemy import text

import scaling_core.lab.runs as runs
from scaling_core.cli.main import main
from scaling_core.core.errors import ConfigError
from scaling_core.executor.cluster import SCHEDULER_ENV, dashboard_link, scheduler_address
from scaling_core.executor.jobs import Job, JobFailure, run_jobs
from scaling_core.storage.store import Store

TEST_SCHEDULER_ENV = "SCALING_LAB_TEST_SCHEDULER"
GRID = ["--dataset", "digits", "--recipes", "efficientnet", "--phis", "0,0.5", "--seeds", "1", "--epochs", "1"]


@pytest.fixture
def shared_scheduler() -> str:
    """The address of the cluster .ci/run starts; skipped without one, except in CI where it must be there."""
    address = os.environ.get(TEST_SCHEDULER_ENV)
    if not address:
        if os.environ.get("CI"):
            pytest.fail(f"{TEST_SCHEDULER_ENV} is unset: .ci/run starts a Dask scheduler and two workers for this")
        pytest.skip(f"no shared Dask cluster ({TEST_SCHEDULER_ENV} unset)")
    return address


@pytest.fixture
def no_latency(monkeypatch):
    """Grids without their latency timing (not what runs on the cluster, and seconds per network)."""
    monkeypatch.setattr(runs, "measure_latency", lambda networks, store, rounds=3: None)
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)


def stored_runs(url: str) -> dict[str, tuple]:
    """Each stored run's accuracy and curve by key; fails if a key is stored more than once."""
    with Store(url).engine.connect() as connection:
        rows = connection.execute(text("SELECT key, accuracy, curve FROM lab_runs")).all()
    keys = [row.key for row in rows]
    assert len(keys) == len(set(keys)), f"a run stored twice: {keys}"
    return {row.key: (row.accuracy, json.loads(row.curve)) for row in rows}


def test_a_grid_on_the_shared_cluster_equals_a_local_run(shared_scheduler, no_latency, tmp_path, capsys):
    local, remote = (f"sqlite:///{tmp_path / name}" for name in ("local.sqlite", "remote.sqlite"))
    assert main(["lab", "run", *GRID, "--workers", "2", "--store", local, "--json"]) == 0
    assert main(["lab", "run", *GRID, "--scheduler", shared_scheduler, "--store", remote, "--json"]) == 0
    capsys.readouterr()
    here, there = stored_runs(local), stored_runs(remote)
    assert len(here) == 2 and here == there  # same keys, accuracies and per-epoch curves
    # Run again: every key is in the store, so nothing is sent to the cluster.
    assert main(["lab", "run", *GRID, "--scheduler", shared_scheduler, "--store", remote, "--json"]) == 0
    assert "trained 0 runs" in capsys.readouterr().err


def test_the_lab_page_trains_on_the_cluster_its_server_names(shared_scheduler, no_latency, monkeypatch, tmp_path):
    from ui import lab_jobs

    monkeypatch.setenv(SCHEDULER_ENV, shared_scheduler)
    url = f"sqlite:///{tmp_path / 'page.sqlite'}"
    job = lab_jobs.start(("digits", "cluster"), "digits", ["width"], [0.0], 1, url)
    job.thread.join(timeout=120)
    assert job.finished and job.error is None and (job.done, job.total) == (1, 1)
    assert job.scheduler == shared_scheduler and len(stored_runs(url)) == 1


def start_cluster(folder, workers: int) -> tuple[subprocess.Popen, list[subprocess.Popen], str]:
    """A scheduler and `workers` single-threaded workers (no nanny: a killed worker stays dead) on loopback."""
    scheduler_file = folder / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0"]
        + ["--no-dashboard", "--scheduler-file", str(scheduler_file)],
        **quiet,
    )
    deadline = time.monotonic() + 60
    while not scheduler_file.exists():
        assert time.monotonic() < deadline and scheduler.poll() is None, "the Dask scheduler did not start"
        time.sleep(0.1)
    time.sleep(0.2)  # the file is written whole, but give it the moment after creation
    address = json.loads(scheduler_file.read_text())["address"]
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny"]
            + ["--no-dashboard", "--name", f"w{i}"],
            **quiet,
        )
        for i in range(1, workers + 1)
    ]
    return scheduler, started, address


def test_a_worker_killed_mid_grid_costs_nothing_and_every_run_is_stored_once(no_latency, tmp_path):
    from distributed import Client

    scheduler, workers, address = start_cluster(tmp_path, 2)
    try:
        with Client(address, timeout=30, set_as_default=False) as watcher:
            watcher.wait_for_workers(2, timeout=60)
            process_of = {p.pid: p for p in workers}
            worker_pid = watcher.run(os.getpid)  # worker address → pid
            killed = []

            def kill_a_busy_worker(done: int, total: int) -> None:
                if done == 1 and not killed:  # one run stored, the others in flight or queued
                    busy = [w for w, keys in watcher.processing().items() if keys]
                    victim = process_of[worker_pid[busy[0]]]
                    victim.send_signal(signal.SIGKILL)
                    killed.append((done, total))

            url = f"sqlite:///{tmp_path / 'store.sqlite'}"
            budget = replace(runs.lab_settings().budget, epochs=1)
            trained = runs.run_grid(
                "digits",
                ["efficientnet"],
                [0, 0.5, 1],
                1,
                Store(url),
                budget,
                progress=kill_a_busy_worker,
                scheduler=address,
            )
            assert killed == [(1, 3)] and trained == 3
            expected = {
                runs.run_key("digits", runs.lab_network("digits", "efficientnet", phi), 0, budget)
                for phi in (0, 0.5, 1)
            }
            assert set(stored_runs(url)) == expected
    finally:
        for process in [*workers, scheduler]:
            if process.poll() is None:
                process.terminate()
        for process in [*workers, scheduler]:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


SQUARE_ROOTS = [Job(f"k{x}", f"square root of {x}", math.sqrt, (x,)) for x in (4.0, -1.0, 9.0)]


@pytest.mark.parametrize("scheduler", [None, "local:2"])
def test_a_failing_job_is_named_with_its_error_and_the_others_are_stored(scheduler):
    results, ticks = {}, []
    failures = run_jobs(
        SQUARE_ROOTS + [Job("k4.0", "the same key again", math.sqrt, (4.0,))],  # one key runs and stores once
        scheduler=scheduler,
        workers=2,
        on_result=lambda job, value: results.__setitem__(job.key, value),
        progress=lambda done, total: ticks.append((done, total)),
        on_dashboard=lambda link: None,
    )
    assert failures == [JobFailure("square root of -1.0", "ValueError: math domain error")]
    assert results == {"k4.0": 2.0, "k9.0": 3.0}
    assert ticks[0] == (0, 3) and ticks[-1] == (3, 3)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_scheduler_is_one_line_naming_it(no_latency, tmp_path, capsys):
    address = f"tcp://127.0.0.1:{closed_port()}"
    store = f"sqlite:///{tmp_path / 's.sqlite'}"
    assert main(["lab", "run", *GRID, "--scheduler", address, "--store", store]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and address in err and "Dask scheduler" in err and "Traceback" not in err, err
    assert stored_runs(store) == {}


def test_the_scheduler_comes_from_the_option_then_the_environment(monkeypatch, capsys):
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    assert scheduler_address(None) is None  # the local process pool, as before
    monkeypatch.setenv(SCHEDULER_ENV, "tcp://10.0.0.5:8786")
    assert scheduler_address(None) == "tcp://10.0.0.5:8786"
    assert scheduler_address("local:3") == "local:3"
    monkeypatch.setenv(SCHEDULER_ENV, "somewhere")
    with pytest.raises(ConfigError, match="--scheduler = 'somewhere'"):
        scheduler_address(None)
    for bad in ("local:0", "local:65", "tcp://host", "tcp://host:70000", "http://host:8786"):
        assert main(["lab", "run", "--scheduler", bad]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--scheduler" in err, err


class FakeClient:
    """What dashboard_link asks of a client: the scheduler's services and whether it can import bokeh."""

    dashboard_link = "http://127.0.0.1:8787/status"

    def __init__(self, services: dict, bokeh: bool) -> None:
        self.services, self.bokeh = services, bokeh

    def scheduler_info(self) -> dict:
        return {"services": self.services}

    def run_on_scheduler(self, function, name):
        return object() if self.bokeh else None


def test_the_dashboard_link_is_given_only_where_the_dashboard_serves():
    assert dashboard_link(FakeClient({"dashboard": 8787}, bokeh=True)) == FakeClient.dashboard_link
    assert dashboard_link(FakeClient({"dashboard": 8787}, bokeh=False)) is None  # its pages would ask for bokeh
    assert dashboard_link(FakeClient({}, bokeh=True)) is None


def test_a_dense_grid_on_the_shared_cluster_equals_a_local_run(shared_scheduler, monkeypatch, tmp_path, capsys):
    """The dense lab's runs go through the same protocol: on the cluster, the same keys, metrics and curves as here."""
    import scaling_core.lab.dense_runs as dense_runs

    monkeypatch.setattr(dense_runs, "measure_latency", lambda networks, store, rounds=3: None)
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    grid = ["lab", "run", "--task", "segmentation", "--dataset", "scenes", "--quick", "--recipes", "efficientnet"]
    grid += ["--phis", "0", "--seeds", "2", "--epochs", "1"]
    local, remote = (f"sqlite:///{tmp_path / name}" for name in ("local.sqlite", "remote.sqlite"))
    assert main([*grid, "--workers", "2", "--store", local]) == 0
    assert main([*grid, "--scheduler", shared_scheduler, "--store", remote]) == 0
    capsys.readouterr()
    here, there = stored_runs(local), stored_runs(remote)
    assert len(here) == 2 and here == there
