"""The device fleet: `bench --fleet` and `fit-latency --fleet` on a real Dask cluster, and what the pages read.

The module's cluster is a `dask scheduler` and two `dask worker` processes started with --nthreads 1 and 2: the
same host, so the two are told apart by their threads, as two devices. SCALING_LAB_TEST_SCHEDULER, when set, names
CI's cluster, measured too. The networks are tiny and timed for a few milliseconds: the test is of who measures
and where it lands, not of the figures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict

import pytest
from deployment_helpers import small_plan

from scaling_core.app.state import AppState, canonical_device
from scaling_core.app.views.hardware import device_measurements, device_profile, device_setup, devices
from scaling_core.app.views.pareto import stored_latency
from scaling_core.cli.main import main
from scaling_core.core.errors import ConfigError
from scaling_core.hardware.fingerprint import Fingerprint, fingerprint
from scaling_core.hardware.fleet import FleetWorker, distinct_devices
from scaling_core.hardware.measure import MeasureOptions
from scaling_core.storage.store import Store

NETWORKS = ["--base", "lab-tiny", "--alpha", "1.2", "--beta", "1.1", "--gamma", "1.15", "--phi", "0", "1"]
FAST = ["--min-run-time", "0.02"]


def _dask(*args: str, log) -> subprocess.Popen:
    command = [sys.executable, "-m", "distributed.cli.dask_" + args[0], *args[1:]]
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """The address of a scheduler with two workers, --nthreads 1 and --nthreads 2, as separate processes."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("cluster")
    scheduler_file = str(folder / "scheduler.json")
    common = ["--no-dashboard", "--host", "127.0.0.1"]
    with open(folder / "log.txt", "wb") as log:
        processes = [_dask("scheduler", "--port", "0", "--scheduler-file", scheduler_file, *common, log=log)]
        try:
            deadline = time.monotonic() + 60
            while not os.path.exists(scheduler_file) and time.monotonic() < deadline:
                time.sleep(0.1)
            for threads in ("1", "2"):
                processes.append(
                    _dask("worker", "--scheduler-file", scheduler_file, "--nthreads", threads, *common, log=log)
                )
            with Client(scheduler_file=scheduler_file, timeout=30) as client:
                client.wait_for_workers(2, timeout=60)
                yield client.scheduler.address
        finally:
            for process in reversed(processes):
                process.kill()  # nothing of theirs to keep: the results are in the client's store
            for process in processes:
                process.wait(timeout=30)


@pytest.fixture(scope="module")
def fleet_store(tmp_path_factory):
    return Store(f"sqlite:///{tmp_path_factory.mktemp('fleet') / 'store.sqlite'}")


def stored_sets(store: Store) -> dict[str, list[dict]]:
    """The store's measurements by device fingerprint, this machine's left out."""
    sets = defaultdict(list)
    for row in store.measurements():
        if row["fingerprint_id"] != fingerprint("cpu").id:
            sets[row["fingerprint_id"]].append(row)
    return dict(sets)


def test_bench_fleet_stores_one_measurement_set_per_device(cluster, fleet_store, capsys):
    assert main(["bench", "--fleet", "--scheduler", cluster, *NETWORKS, *FAST, "--store", fleet_store.url]) == 0
    out = capsys.readouterr().out
    sets = stored_sets(fleet_store)
    assert len(sets) == 2  # the two workers differ only in their threads: two devices, two fingerprints
    threads = {}
    for fingerprint_id, rows in sets.items():
        machine = Fingerprint.from_dict(json.loads(rows[0]["fingerprint"]))
        assert machine.id == fingerprint_id and machine.device == "cpu"
        assert len(rows) == 2 and {r["threads"] for r in rows} == {machine.threads}
        threads[machine.threads] = fingerprint_id
        assert fingerprint_id in out and machine.label in out  # a row of the device × network table
    assert set(threads) == {1, 2}
    assert "median ms per call" in out and "2 of 2 device(s) measured" in out


def test_devices_and_the_pages_read_the_chosen_device(cluster, fleet_store):
    if not stored_sets(fleet_store):
        main(["bench", "--fleet", "--scheduler", cluster, *NETWORKS, *FAST, "--store", fleet_store.url])
    listed = devices(fleet_store)
    assert listed[0].this_machine and listed[0].measurements == 0
    fleet = {d.fingerprint_id: d for d in listed[1:]}
    assert set(fleet) == set(stored_sets(fleet_store))
    assert {d.label.split(" · ")[1] for d in fleet.values()} == {"1 thread", "2 threads"}
    assert all(d.measurements == 2 for d in fleet.values())
    page_options = MeasureOptions(threads=1)  # what the page's own threads say: a fleet device keeps its own
    for fingerprint_id in fleet:
        rows = device_measurements(fleet_store, fingerprint_id)
        assert len(rows) == 2 and {r["fingerprint_id"] for r in rows} == {fingerprint_id}
        setup = device_setup(page_options, fleet_store, fingerprint_id)
        assert setup.threads == rows[0]["threads"]
        lookup = stored_latency(fleet_store, page_options, fingerprint_id)
        assert sorted(lookup(n) for n in bench_networks()) == sorted(r["best_ms"] for r in rows)
    assert device_measurements(fleet_store) == []  # this machine: nothing measured here
    with pytest.raises(ConfigError, match="hw_device"):
        device_setup(page_options, fleet_store, "0123456789abcdef")


def test_the_hardware_and_pareto_pages_show_the_chosen_device(cluster, fleet_store, monkeypatch):
    from apptest import open_app

    if not stored_sets(fleet_store):
        main(["bench", "--fleet", "--scheduler", cluster, *NETWORKS, *FAST, "--store", fleet_store.url])
    monkeypatch.setenv("SCALING_LAB_STORE_URL", fleet_store.url)
    fleet = {d.fingerprint_id: d for d in devices(fleet_store)[1:]}
    at = open_app("app_pages/hardware.py")
    picker = at.selectbox(key="w_hw_device")
    assert len(picker.options) == 3 and picker.options[0].startswith("this machine")  # this machine, then both
    assert all(any(o.startswith(d.label) for o in picker.options[1:]) for d in fleet.values())
    for fingerprint_id, device in fleet.items():
        picker.set_value(fingerprint_id).run()
        assert not at.exception, [e.value for e in at.exception]
        assert f"Achieved throughput on {device.label}" in [s.value for s in at.subheader]
        assert any(fingerprint_id in i.value for i in at.info)  # said where it was measured
        assert at.query_params.get("hw_device") == fingerprint_id  # and the link carries it
        assert not [b for b in at.button if b.key in ("measure", "fit_quick", "fit")]  # not measurable from here
        picker = at.selectbox(key="w_hw_device")
    pareto = open_app("app_pages/pareto.py", {"hw_device": next(iter(fleet)), "pareto_cost": "latency_measured"})
    assert not pareto.exception, [e.value for e in pareto.exception]
    assert pareto.selectbox(key="w_hw_device").value == next(iter(fleet))
    assert not [b for b in pareto.button if b.key == "measure_missing"]  # the fleet's latencies, not this machine's


def bench_networks():
    """The networks NETWORKS names, built as bench builds them."""
    from scaling_core.core.arch import scale_recipe
    from scaling_core.core.recipe import Recipe
    from scaling_core.tasks.heads import as_task

    return [as_task(scale_recipe(Recipe(1.2, 1.1, 1.15), phi, base="lab-tiny")) for phi in (0.0, 1.0)]


@pytest.mark.slow  # 8 s on a quiet machine, a minute when other test runs share its two cores
def test_fit_latency_fleet_fits_one_model_per_device(cluster, fleet_store, monkeypatch, capsys):
    small_plan(monkeypatch, train=9)
    argv = ["fit-latency", "--fleet", "--scheduler", cluster, "--store", fleet_store.url, "--json"]
    assert main(argv) == 0
    fitted = json.loads(capsys.readouterr().out)["devices"]
    assert len(fitted) == 2 and all(d["model"] is not None and d["error"] is None for d in fitted)
    assert len({d["fingerprint_id"] for d in fitted}) == 2
    options = MeasureOptions(min_run_time_s=0.02)
    for device in fitted:
        report = device_profile(fleet_store, options, device["fingerprint_id"])
        assert report is not None and report.plan == "quick" and report.train_size == 9
    assert device_profile(fleet_store, options) is None  # this machine has no profile: it measured nothing
    modelled = {d.fingerprint_id for d in devices(fleet_store) if d.has_model}
    assert modelled == {d["fingerprint_id"] for d in fitted}


def test_families_fleet_decides_the_claim_per_device(cluster, fleet_store, capsys):
    """The families × rules timed on each device of the fleet: one verdict on Dollár et al.'s claim per device."""
    argv = ["families", "--fleet", "--scheduler", cluster, "--bases", "resnet18", "regnetx-400mf"]
    argv += ["--rules", "depth", "width", "--scales", "1", "2", "--min-run-time", "0.02", "--store", fleet_store.url]
    assert main([*argv, "--json"]) == 0
    found = json.loads(capsys.readouterr().out)["devices"]
    assert len(found) == 2 and len({d["fingerprint_id"] for d in found}) == 2
    for device in found:
        verdict = device["verdict"]
        assert verdict["networks"] == 6 and set(verdict["spearman"]) >= {"macs", "activations"}
        assert verdict["verdict"].split(":")[0] in ("holds", "does not hold", "inconclusive")


@pytest.mark.skipif(not os.environ.get("SCALING_LAB_TEST_SCHEDULER"), reason="CI's cluster is not running")
def test_bench_fleet_on_the_ci_cluster(tmp_path, capsys, monkeypatch):
    from distributed import Client

    address = os.environ["SCALING_LAB_TEST_SCHEDULER"]
    with Client(address, timeout=10) as client:
        workers = client.scheduler_info(n_workers=-1)["workers"].values()
        kinds = {(w["host"], w["nthreads"]) for w in workers}
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    assert main(["bench", "--fleet", "--scheduler", address, *NETWORKS, *FAST, "--store", store.url]) == 0
    sets = stored_sets(store)
    # One measurement set per distinct device: workers alike on one host are one; different threads, two.
    assert len(sets) == len({threads for _, threads in kinds}) and all(len(rows) == 2 for rows in sets.values())
    assert len({Fingerprint.from_dict(json.loads(r[0]["fingerprint"])).threads for r in sets.values()}) == len(sets)
    if os.environ.get("CI"):  # .ci/run starts its two workers with 1 and 2 threads: two devices
        assert len(sets) == 2
    from apptest import open_app

    monkeypatch.setenv("SCALING_LAB_STORE_URL", store.url)
    picker = open_app("app_pages/hardware.py").selectbox(key="w_hw_device")
    assert len(picker.options) == 1 + len(sets)  # this machine and every device of the cluster


def test_fleet_needs_a_scheduler(store, monkeypatch, capsys):
    monkeypatch.delenv("SCALING_LAB_SCHEDULER", raising=False)
    assert main(["bench", "--fleet", *NETWORKS, "--store", store.url]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--scheduler" in err and "--fleet" in err


def test_workers_alike_on_one_host_are_one_device():
    workers = [
        FleetWorker("tcp://a:1", "a", 1),
        FleetWorker("tcp://a:2", "a", 1),
        FleetWorker("tcp://a:3", "a", 2),
        FleetWorker("tcp://b:1", "b", 1),
    ]
    assert [w.address for w in distinct_devices(workers)] == ["tcp://a:1", "tcp://a:3", "tcp://b:1"]


def test_threads_make_a_device_and_leave_old_fingerprints_alone():
    import hashlib

    old = {"cpu_model": "c", "logical_cores": 2, "machine": "x86_64", "torch_version": "2", "device": "cpu"}
    old["device_name"] = "c"
    plain = Fingerprint(**old)
    # The id as it was before threads existed: stored measurements and shipped provenance keep theirs.
    assert plain.id == hashlib.sha256(json.dumps(old, sort_keys=True).encode()).hexdigest()[:16]
    assert "threads" not in plain.as_dict()
    two = Fingerprint(**old, threads=2)
    assert two.id != plain.id and Fingerprint.from_dict(two.as_dict()) == two
    assert two.label == "cpu · 2 threads · c" and Fingerprint(**old, threads=1).label == "cpu · 1 thread · c"


def test_the_device_link_field():
    assert AppState().hw_device == ""
    assert canonical_device(" 0123456789ABCDEF ") == "0123456789abcdef"
    for bad in ("xyz", "0123456789abcdeg", "0" * 17):
        with pytest.raises(ConfigError, match="hw_device"):
            canonical_device(bad)
