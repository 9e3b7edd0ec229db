"""Few-sample calibration of a new (device, runtime) pair, and the runtimes' comparison, on synthetic devices whose
true latency law is known: calibration from ten measurements recovers a device that differs from the stored ones
in speed and in what depthwise convolutions cost, where a model from scratch on the same ten cannot."""

from __future__ import annotations

import json

import numpy as np
import pytest
from deployment_helpers import small_plan

from scaling_core.cli.main import main
from scaling_core.core.errors import ConfigError
from scaling_core.hardware import runtime_comparison
from scaling_core.hardware.calibration import calibrate, calibration_study, stored_pairs
from scaling_core.hardware.latency_model import (
    FEATURES,
    LinearProfile,
    feature_vector,
    fit_profile,
    named_plan,
    plan_networks,
    save_fit,
    score,
)
from scaling_core.hardware.measure import Measurement, MeasureOptions, machine_of
from scaling_core.hardware.settings import ComparedRuntime, RuntimesFile
from scaling_core.storage.store import Store
from scaling_core.tasks.cost import count_task

PLAN = named_plan("full")
NETWORKS = plan_networks(PLAN)
X = np.array([feature_vector(count_task(n)) for n in NETWORKS])
# True laws (ms per feature unit): eager-like; a runtime 2.5× faster that makes depthwise convs relatively dear.
EAGER = np.array([0.3, 30.0, 400.0, 80.0, 0.9, 0.5, 0.6, 1.2, 1.5])
FAST = np.array([0.1, 8.0, 260.0, 30.0, 0.4, 0.2, 0.2, 0.5, 0.6])


def _measured(weights: np.ndarray, options: MeasureOptions, seed: int) -> list[Measurement]:
    """The plan's measurements of a device whose latency is X @ weights, with 3% multiplicative noise."""
    rng = np.random.default_rng(seed)
    ms = X @ weights * np.exp(rng.normal(0.0, 0.03, len(X)))
    machine = machine_of(options)
    return [Measurement(m, m, m, m, 1, 1, machine, options, 0.0) for m in ms]


@pytest.fixture
def synthetic_store(tmp_path):
    """A store holding two fitted pairs of this machine: PyTorch eager and ONNX Runtime fp32 (synthetic timings)."""
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    for weights, runtime, seed in ((EAGER, "eager", 0), (FAST, "onnxruntime", 1)):
        options = MeasureOptions(runtime=runtime)
        save_fit({**PLAN, "name": "full"}, _measured(weights, options, seed), store)
    return store


def _noisy(weights: np.ndarray, seed: int = 0) -> np.ndarray:
    return X @ weights * np.exp(np.random.default_rng(seed).normal(0.0, 0.03, len(X)))  # 3% noise, as measured


TRAIN, TEST = slice(0, PLAN["train"]), slice(PLAN["train"], PLAN["train"] + PLAN["test"])


def _mape(model: LinearProfile, truth: np.ndarray) -> float:
    return score(model.predict(X[TEST]), truth[TEST]).mape


def test_a_device_that_differs_in_speed_is_recovered_from_five_measurements():
    """A device 2.5× faster than the stored one in every operator: five measurements give the speed factor and a
    held-out error near the noise, where NNLS on the same five (nine features) cannot."""
    truth = _noisy(0.4 * EAGER)
    five = calibrate([LinearProfile(FEATURES, tuple(FAST)), LinearProfile(FEATURES, tuple(EAGER))], X[:5], truth[:5])
    assert five.prior == 1 and five.factor == pytest.approx(0.4, rel=0.05)  # the right stored model, rescaled
    scratch = fit_profile(X[:5], truth[:5], FEATURES, underdetermined=True)
    assert _mape(five.model, truth) < 0.04 < _mape(scratch, truth)


def test_with_more_measurements_calibration_follows_the_data():
    """A device that also differs in shape (depthwise convolutions dearer): with twenty measurements the chosen ridge
    lets the data move the model, as good as a fit from scratch and better than the rescaled prior alone."""
    truth = _noisy(FAST)
    twenty = calibrate([LinearProfile(FEATURES, tuple(EAGER))], X[:20], truth[:20])
    prior_only = LinearProfile(FEATURES, tuple(twenty.factor * EAGER))
    scratch = fit_profile(X[:20], truth[:20], FEATURES)
    assert _mape(twenty.model, truth) < min(1.2 * _mape(scratch, truth), _mape(prior_only, truth))
    with pytest.raises(ConfigError, match="priors"):
        calibrate([], X[:10], truth[:10])


def test_the_study_scores_each_pair_against_scratch_and_all(synthetic_store):
    pairs = stored_pairs(synthetic_store)
    assert len(pairs) == 2 and all(len(p.train_ms) == PLAN["train"] for p in pairs)
    study = calibration_study(synthetic_store, (5, 10, 20))
    assert set(study["n"]) == {5, 10, 20, PLAN["train"]}
    methods = {"calibrated from the stored models", "from scratch on the same N", "FLOPs-only line on the same N"}
    for _, rows in study[study["n"] == 10].groupby("pair"):
        assert set(rows["method"]) == methods and rows["held_out"].eq(PLAN["test"]).all()
        assert rows["mape"].between(0, 1).all()
    calibrated = study[(study["n"] == 20) & (study["method"] == "calibrated from the stored models")]
    assert len(calibrated) == 2 and (calibrated["mape"] < 0.1).all()
    everything = study[study["method"] == "fitted on all training measurements"]
    assert len(everything) == 2 and (everything["mape"] < 0.1).all()


def test_fit_latency_prints_the_calibration_study_from_the_store(synthetic_store, capsys):
    assert main(["fit-latency", "--calibration-study", "--store", synthetic_store.url, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["method"] for r in rows} >= {"calibrated from the stored models", "from scratch on the same N"}
    assert any("onnxruntime" in r["pair"] for r in rows)


def test_a_study_needs_two_pairs(tmp_path, capsys):
    assert main(["fit-latency", "--calibration-study", "--store", f"sqlite:///{tmp_path}/empty.db"]) == 2
    assert "at least 2" in capsys.readouterr().err


def test_the_runtimes_command_compares_the_stored_models(synthetic_store, monkeypatch, tmp_path, capsys):
    """With both models stored, `runtimes` measures nothing: held-out accuracy per runtime beside FLOPs-only and
    the re-measurement floor, the calibration study, and each budget's pick by each runtime's model."""
    compared = RuntimesFile(
        compared=(
            ComparedRuntime(runtime="eager", precision="fp32"),
            ComparedRuntime(runtime="onnxruntime", precision="fp32"),
        ),
        plan="full",
        threads=1,
        budgets_ms=(5, 20),
        calibration_sizes=(10,),
    )
    monkeypatch.setattr(runtime_comparison, "runtime_settings", lambda: compared)
    saved = tmp_path / "runtimes.json"
    assert main(["runtimes", "--store", synthetic_store.url, "--save-to", str(saved)]) == 0
    out = capsys.readouterr().out
    assert "PyTorch eager fp32" in out and "ONNX Runtime fp32" in out and "re-measurement floor" in out
    document = json.loads(saved.read_text())
    assert [a["runtime"] for a in document["accuracy"]] == ["PyTorch eager fp32", "ONNX Runtime fp32"]
    assert {r["budget_ms"] for r in document["best_recipes"]} == {5.0, 20.0}
    assert {r["n"] for r in document["calibration"]} == {10, PLAN["train"]}


def test_fit_latency_calibrates_a_new_pair_from_a_few_measurements(tmp_path, monkeypatch, capsys):
    """`fit-latency --calibrate 4`: four small networks and three held-out ones timed here, the other pair's stored
    model adapted to them; the profile is stored under this pair, labelled as calibrated, with its held-out scores."""
    from scaling_core.app.views.hardware import profile_label
    from scaling_core.hardware.latency_model import profile_identity, stored_profile

    small_plan(monkeypatch, train=6)
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    other = MeasureOptions(runtime="onnxruntime")
    other_fit = save_fit({**PLAN, "name": "full"}, _measured(EAGER * 0.01, other, 0), store)
    assert stored_profile(store, other) == other_fit
    argv = ["fit-latency", "--calibrate", "4", "--store", store.url, "--json", "--min-run-time", "0.02"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["calibration_networks"] == 4 and result["held_out"] == 3 and result["plan"] == "calibrated-4"
    assert 0 <= result["model"]["mape"] < 10 and result["prior_speed_factor"] > 0
    report = stored_profile(store, MeasureOptions())
    assert report is not None and report.train_size == 4 and "calibrated from 4 networks" in profile_label(report)
    assert store.get_profile(profile_identity(MeasureOptions())) is not None
    assert main(["fit-latency", "--calibrate", "4", "--store", f"sqlite:///{tmp_path / 'empty.db'}"]) == 2
    assert "another pair's latency model" in capsys.readouterr().err
