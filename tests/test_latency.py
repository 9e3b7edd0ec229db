"""Measurement, the latency model, the optimiser: real timings on tiny networks, exact maths on synthetic data."""

import numpy as np
import pytest
import torch

from scaling_core import Recipe, count, scale_preset
from scaling_core.core.errors import ConfigError
from scaling_core.hardware.latency_model import (
    FEATURES,
    LinearProfile,
    feature_vector,
    fit_profile,
    noise_floor,
    sample_networks,
    score,
)
from scaling_core.hardware.measure import MeasureOptions, measure, measure_cached, measure_interleaved
from scaling_core.hardware.optimize import largest_phi, network_at, optimize, within_plan
from scaling_core.nn.task_build import build_task_model, task_input
from scaling_core.storage.store import Store
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import scale_detection_preset, scale_task

TINY = scale_task("classification", Recipe(0.5, 0.5, 0.5), 1.0)  # 112 px, 8-channel-minimum widths
FAST = MeasureOptions(threads=1, min_run_time_s=0.05)


def test_measure_reports_spread_runs_and_fingerprint():
    m = measure(TINY, FAST)
    assert 0 < m.best_ms <= m.p10_ms <= m.median_ms <= m.p90_ms
    assert m.runs >= m.blocks >= 1
    assert m.fingerprint.torch_version == torch.__version__ and m.fingerprint.device == "cpu"
    assert len(m.fingerprint.id) == 16


def test_channels_last_and_batch_options_run():
    m = measure(TINY, MeasureOptions(batch_size=2, threads=1, channels_last=True, min_run_time_s=0.05))
    assert m.median_ms > 0 and m.options.memory_format == "channels_last"


@pytest.mark.parametrize(
    "kwargs, parameter", [({"batch_size": 0}, "batch_size"), ({"threads": 0}, "threads"), ({"device": "tpu"}, "device")]
)
def test_bad_options(kwargs, parameter):
    with pytest.raises(ConfigError) as err:
        MeasureOptions(**kwargs)
    assert err.value.parameter == parameter


def test_memory_limit_is_checked_before_building():
    with pytest.raises(ConfigError, match="memory"):
        measure(scale_preset("b7"), FAST, memory_limit_bytes=10 * 2**20)


def test_stored_measurements_are_served_unless_remeasure(tmp_path, monkeypatch):
    import scaling_core.hardware.measure as latency

    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    calls = []
    real = latency.measure
    monkeypatch.setattr(latency, "measure", lambda *a, **k: calls.append(1) or real(*a, **k))
    first, cached_first = measure_cached(TINY, FAST, store)
    second, cached_second = measure_cached(TINY, FAST, store)
    third, cached_third = measure_cached(TINY, FAST, store, remeasure=True)
    assert (cached_first, cached_second, cached_third) == (False, True, False) and len(calls) == 2
    assert second == first and third["key"] == first["key"] and third["measured_at"] > first["measured_at"]
    assert len(store.measurements()) == 1


def test_interleaved_measurement_pools_every_round():
    results = measure_interleaved([TINY, TINY], FAST, rounds=2)
    assert len(results) == 2 and all(r.blocks >= 2 for r in results)


def count_layer_calls(task) -> int:
    model = build_task_model(task)
    calls = []
    for module in model.modules():
        if isinstance(module, (torch.nn.Conv2d, torch.nn.Conv1d, torch.nn.Linear)):
            module.register_forward_hook(lambda *_: calls.append(1))
    with torch.inference_mode():
        model(task_input(task))
    return len(calls)


@pytest.mark.parametrize(
    "task",
    [
        scale_task("classification", Recipe(1.2, 1.1, 1.15), 0.0),
        scale_task("segmentation", Recipe(1.2, 1.1, 0.6), 1.0),
        scale_detection_preset("d0"),
        scale_task("video", Recipe(1.0, 1.0, 0.5, 1.2), 1.0),
    ],
    ids=["b0", "segmentation", "d0", "video"],
)
def test_layer_count_is_the_number_of_conv_and_linear_calls(task):
    assert count_task(task).total.layers == count_layer_calls(task)


def test_b0_has_82_layers_and_depthwise_macs():
    total = count(scale_preset("b0")).total
    assert total.layers == 82  # stem, 4 + 15×5 in the blocks, head conv, linear
    assert 0 < total.depthwise_macs < total.op_macs("conv")


def test_nnls_recovers_an_exact_nonnegative_model():
    rng = np.random.default_rng(0)
    x = np.column_stack([np.ones(40), rng.uniform(0, 5, (40, len(FEATURES) - 1))])
    weights = np.array([2.0, 30.0, 5.0, 0.0, 1.5, 0.0, 8.0, 3.0, 0.5])
    profile = fit_profile(x, x @ weights, FEATURES)
    assert np.allclose(profile.weights, weights, atol=1e-8)


def test_scores_by_hand():
    s = score([10.0, 11.5, 20.0, 9.0], [10.0, 10.0, 21.0, 10.0])
    assert s.within_10pct == 0.75  # 11.5 vs 10 is 15% off
    assert s.mape == pytest.approx((0 + 0.15 + 1 / 21 + 0.1) / 4)
    assert s.kendall_tau == pytest.approx(1 / np.sqrt(2))  # τ-b: 4 concordant, 0 discordant, one tie in measured
    assert noise_floor([10, 10, 10], [10.5, 12, 9.5]) == pytest.approx(2 / 3)


def test_sampling_plan_is_reproducible_and_spans_the_heads():
    a, b = sample_networks(12, seed=3), sample_networks(12, seed=3)
    assert a == b and {t.task for t in a} == {"classification", "segmentation", "detection"}
    assert sample_networks(12, seed=4) != a


SYNTHETIC = LinearProfile(FEATURES, (1.0, 30.0, 30.0, 0.0, 1.5, 0.1, 10.0, 6.0, 1.3))


def test_largest_phi_meets_the_budget_and_is_the_largest():
    recipe = Recipe(1.2, 1.1, 1.15)
    phi = largest_phi(SYNTHETIC, recipe, 60.0)

    def predict(p):
        return SYNTHETIC.predict(feature_vector(count_task(network_at("classification", recipe, p))))

    assert predict(phi) <= 60.0 < predict(phi + 0.01)
    assert within_plan(network_at("classification", recipe, phi))


def test_the_optimizer_does_not_extrapolate_beyond_the_fitted_region():
    recipe = Recipe(1.0, 1.3, 1.0)  # width alone: leaves the plan's width range at φ = log 1.6 / log 1.3
    phi = largest_phi(SYNTHETIC, recipe, 1e6)
    assert network_at("classification", recipe, phi).multipliers.width <= 1.6 + 1e-9
    assert not within_plan(network_at("classification", recipe, phi + 0.01))


def test_optimizer_picks_the_best_objective_within_the_budget():
    recipes = [Recipe(1.2, 1.1, 1.15), Recipe(1.0, 1.2, 1.0), Recipe(1.3, 1.0, 1.05)]
    choice = optimize(SYNTHETIC, 50.0, recipes=recipes)
    assert choice.predicted_ms <= 50.0
    others = [count_task(network_at("classification", r, largest_phi(SYNTHETIC, r, 50.0))).macs for r in recipes]
    assert choice.objective == max(others)
    assert choice.network.resolution_px % 8 == 0


def test_a_budget_nothing_meets_is_a_clear_error():
    with pytest.raises(ConfigError, match="budget_ms"):
        optimize(SYNTHETIC, 0.5, recipes=[Recipe(1.2, 1.1, 1.15)])


def test_fit_latency_takes_the_quick_plan_from_the_command_line(monkeypatch, tmp_path):
    """`fit-latency --plan quick` measures the quick plan (fewer timings) and says which plan it fitted."""
    from scaling_core.cli.main import main
    from scaling_core.hardware import latency_model

    fitted = []

    def fake_fit(options, store, plan, progress):
        fitted.append(plan)
        raise SystemExit(0)  # the plan is what this test is about, not the minutes of timing

    monkeypatch.setattr(latency_model, "fit_latency", fake_fit)
    with pytest.raises(SystemExit):
        main(["fit-latency", "--plan", "quick", "--store", f"sqlite:///{tmp_path / 's.sqlite'}"])
    quick, full = fitted[0], latency_model.named_plan("full")
    assert quick["name"] == "quick" and latency_model.plan_timings(quick) < latency_model.plan_timings(full)
