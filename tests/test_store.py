"""The results store against SQLite and, where a server is given, a real PostgreSQL."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from store_helpers import fresh_database

from scaling_core.core.errors import ConfigError
from scaling_core.storage.keys import describe, measurement_key
from scaling_core.storage.store import Store

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """An empty store: a new SQLite file, or a new PostgreSQL database dropped after the test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    with fresh_database("scaling_lab_store") as url:
        yield url


def row(key: str, median: float = 10.0) -> dict:
    return {
        "key": key,
        "network": json.dumps({"type": "test"}),
        "label": key,
        "head": "classification",
        "fingerprint_id": "f" * 16,
        "fingerprint": "{}",
        "batch_size": 1,
        "threads": 1,
        "memory_format": "contiguous",
        "device": "cpu",
        "best_ms": median * 0.9,
        "median_ms": median,
        "p10_ms": median * 0.95,
        "p90_ms": median * 1.1,
        "runs": 10,
        "blocks": 10,
        "macs": 400_000_000_000,
        "params": 5_000_000,
        "activations": 7_000_000,
        "measured_at": 1.0,
    }


def test_put_get_and_keep_or_replace(store_url):
    store = Store(store_url)
    store.put_measurement(row("a", 10.0))
    store.put_measurement(row("a", 99.0))  # same key, not replaced
    assert store.get_measurement("a")["median_ms"] == 10.0
    store.put_measurement(row("a", 12.0), replace=True)
    stored = store.get_measurement("a")
    assert stored["median_ms"] == 12.0 and stored["macs"] == 400_000_000_000
    assert store.get_measurement("missing") is None
    assert [r["key"] for r in store.measurements("f" * 16)] == ["a"]


def test_profiles_are_kept_per_machine_and_setup(store_url):
    store = Store(store_url)
    identity = {
        "fingerprint_id": "x" * 16,
        "batch_size": 1,
        "threads": 2,
        "memory_format": "contiguous",
        "device": "cpu",
    }
    store.put_profile(identity, {"weights": [1, 2]})
    store.put_profile(identity, {"weights": [3, 4]})
    assert store.get_profile(identity) == {"weights": [3, 4]}
    assert store.get_profile(identity | {"threads": 1}) is None


WRITER = """
import sys
sys.path.insert(0, {root!r})
from scaling_core.storage.store import Store
sys.path.insert(0, {tests!r})
from test_store import row
store = Store({url!r})
for i in range({n}):
    store.put_measurement(row(f"{{sys.argv[1]}}-{{i}}"))
"""


def test_two_processes_writing_at_once_lose_nothing(store_url, tmp_path):
    Store(store_url)  # create the tables before the race
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(root=str(ROOT), tests=str(ROOT / "tests"), url=store_url, n=60))
    writers = [subprocess.Popen([sys.executable, str(script), name]) for name in ("left", "right")]
    assert [w.wait(timeout=240) for w in writers] == [0, 0]
    keys = {r["key"] for r in Store(store_url).measurements()}
    assert keys == {f"{name}-{i}" for name in ("left", "right") for i in range(60)}


def test_keys_depend_on_the_discrete_network_and_the_setup_only():
    from scaling_core import Recipe, scale_recipe

    a = describe(scale_recipe(Recipe(1.2, 1.1, 1.15), 1.0))
    b = describe(scale_recipe(Recipe(1.2, 1.1, 1.15), 1.0, label="other label"))
    assert measurement_key(a, "f", 1, 1, "contiguous", "cpu") == measurement_key(b, "f", 1, 1, "contiguous", "cpu")
    assert measurement_key(a, "f", 1, 2, "contiguous", "cpu") != measurement_key(a, "f", 1, 1, "contiguous", "cpu")


def test_an_unreachable_store_is_a_clear_error():
    with pytest.raises(ConfigError, match="store"):
        Store("postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_saved_results_round_trip_filter_and_delete(store_url):
    store = Store(store_url)
    first = store.save_result(" B3 for the drone ", "ana", "fits 30 ms", "explorer", {"phi": "3.0"}, {"macs": 1})
    second = store.save_result("segmentation front", "Bo", "", "pareto", {"phi": "1.0"}, {"front": [1, 2]})
    assert second > first
    reopened = Store(store_url)  # a new engine: what an app restart sees
    saved = reopened.get_result(first)
    assert (saved["name"], saved["author"], saved["page"]) == ("B3 for the drone", "ana", "explorer")
    assert saved["query"] == {"phi": "3.0"} and saved["payload"] == {"macs": 1}
    assert [r["id"] for r in reopened.list_results()] == [second, first]
    assert [r["id"] for r in reopened.list_results("bo")] == [second]
    assert [r["id"] for r in reopened.list_results("DRONE")] == [first]
    assert reopened.list_results("b_ f") == [] and reopened.list_results("%") == []  # no wildcards
    assert reopened.delete_result(first) and not reopened.delete_result(first)
    assert reopened.get_result(first) is None and [r["id"] for r in reopened.list_results()] == [second]


def test_a_result_needs_a_name_and_bounded_text(store_url):
    store = Store(store_url)
    with pytest.raises(ConfigError, match="name"):
        store.save_result("  ", "ana", "", "explorer", {}, {})
    with pytest.raises(ConfigError, match="notes"):
        store.save_result("x", "ana", "n" * 10_001, "explorer", {}, {})
    assert store.list_results() == []


SAVER = """
import sys
sys.path.insert(0, {root!r})
from scaling_core.storage.store import Store
store = Store({url!r})
for i in range({n}):
    store.save_result(f"{{sys.argv[1]}}-{{i}}", sys.argv[1], "", "explorer", {{}}, {{"i": i}})
"""


def test_two_sessions_saving_at_once_both_land(store_url, tmp_path):
    Store(store_url)
    script = tmp_path / "saver.py"
    script.write_text(SAVER.format(root=str(ROOT), url=store_url, n=40))
    savers = [subprocess.Popen([sys.executable, str(script), name]) for name in ("left", "right")]
    assert [s.wait(timeout=240) for s in savers] == [0, 0]
    names = {r["name"] for r in Store(store_url).list_results()}
    assert names == {f"{name}-{i}" for name in ("left", "right") for i in range(40)}


def test_lab_runs_keep_their_checkpoint_and_are_found_by_network_budget_and_code(store_url):
    from scaling_core.lab.train import Budget

    store = Store(store_url)
    budget = Budget(3, 128, 0.004, 0.0001)
    run = {
        "key": "k" * 64,
        "dataset": "digits",
        "network_key": "n" * 16,
        "seed": 0,
        "budget": json.dumps({"epochs": 3, "batch_size": 128, "learning_rate": 0.004, "weight_decay": 0.0001}),
        "code_version": "c" * 12,
        "fingerprint_id": "f" * 16,
        "accuracy": 0.9,
        "curve": "[]",
        "train_time_s": 1.0,
        "checkpoint": bytes(range(256)) * 4000,
        "created_at": 1.0,
    }
    store.put_lab_run(run)
    store.put_lab_run({**run, "accuracy": 0.1})  # the same key again: kept, not replaced
    assert store.lab_run_keys(["k" * 64, "other"]) == {"k" * 64}
    [found] = store.lab_runs_of("digits", "n" * 16, budget, "c" * 12)
    assert found["accuracy"] == 0.9 and "checkpoint" not in found
    assert store.lab_runs_of("digits", "n" * 16, budget, "other") == []
    assert store.lab_checkpoint("k" * 64) == run["checkpoint"] and store.lab_checkpoint("missing") is None


def test_robustness_evaluations_round_trip_and_are_kept(store_url):
    store = Store(store_url)
    result = {"clean": 0.9, "curves": {"pgd": [0.9, 0.5]}, "margins": [1.5, -0.25], "gradient_norms": [3.0, 4.0]}
    store.put_evaluation("robustness", "e" * 64, "k" * 64, result)
    store.put_evaluation("robustness", "e" * 64, "k" * 64, {**result, "clean": 0.1})  # the same key again: kept
    assert store.evaluations("robustness", ["e" * 64, "missing"]) == {"e" * 64: result}
    assert store.evaluations("deployment", ["e" * 64]) == {}
