"""Thermal throttling: the closed form against its own formula and against scipy's ODE solver, the governor, power."""

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from scaling_core.core.errors import ConfigError
from scaling_core.studies.deployment import thermal
from scaling_core.studies.deployment.thermal import (
    ThermalDevice,
    Workload,
    inference_energy_j,
    level_power_w,
    level_throughput,
    simulate,
    steady_state_c,
)

DEVICE = ThermalDevice(
    ambient_c=25.0, resistance_k_per_w=10.0, capacitance_j_per_k=30.0, throttle_c=65.0, hysteresis_k=5.0, static_w=0.5
)
HEAVY = Workload(latency_s=0.02, energy_j=0.1)  # 5 W busy: T_∞ = 80 °C at level 0, 38.2 °C at the lowest
COOL = ThermalDevice(throttle_c=150.0)  # threshold out of reach of HEAVY
TWO_LEVELS = ThermalDevice(throttle_c=65.0, hysteresis_k=5.0, levels=(1.0, 0.6))  # one step down cools it


def _reference(device, workload, duration, start_c):
    """The same ODE through solve_ivp, the governor as terminal events; returns T(t) on any times."""
    steady = [steady_state_c(device, level_power_w(device, workload, i)) for i in range(len(device.levels))]
    tau = device.resistance_k_per_w * device.capacitance_j_per_k
    release = device.throttle_c - device.hysteresis_k

    def heat_up(t, y):
        return y[0] - device.throttle_c

    def cool_down(t, y):
        return y[0] - release

    heat_up.terminal, heat_up.direction = True, 1
    cool_down.terminal, cool_down.direction = True, -1
    time, temperature, level, pieces, switches = 0.0, start_c, 0, [], []
    while time < duration:
        events = [heat_up] if level < len(device.levels) - 1 else []
        events += [cool_down] if level > 0 else []
        solution = solve_ivp(
            lambda t, y, s=steady[level]: (s - y) / tau,
            (time, duration),
            [temperature],
            method="DOP853",
            rtol=1e-11,
            atol=1e-11,
            events=events,
            dense_output=True,
        )
        pieces.append((time, solution.t[-1], solution.sol))
        if solution.status != 1:
            break
        fired = next(i for i, e in enumerate(solution.t_events) if e.size)
        level += 1 if events[fired] is heat_up else -1
        time, temperature = solution.t[-1], solution.y[0, -1]
        switches.append((time, level))

    def at(times):
        out = np.empty(len(times))
        for i, t in enumerate(times):
            piece = next(p for p in pieces if p[0] <= t <= p[1])
            out[i] = piece[2](t)[0]
        return out

    return at, switches


def test_unthrottled_converges_to_steady_state_and_matches_closed_form():
    tau = COOL.resistance_k_per_w * COOL.capacitance_j_per_k
    power = level_power_w(COOL, HEAVY, 0)
    steady = steady_state_c(COOL, power)
    assert steady == pytest.approx(COOL.ambient_c + power * COOL.resistance_k_per_w)
    trace = simulate(COOL, HEAVY, 20 * tau, samples=201)
    assert trace.switches == () and trace.holds_threshold
    assert trace.temperature_c[-1] == pytest.approx(steady, rel=1e-6)
    expected = steady + (COOL.ambient_c - steady) * np.exp(-trace.time_s / tau)
    np.testing.assert_allclose(trace.temperature_c, expected, rtol=0, atol=1e-10)
    assert trace.time_s[0] == 0 and trace.time_s[-1] == 20 * tau and len(trace.time_s) == 201


def test_unthrottled_agrees_with_solve_ivp():
    trace = simulate(COOL, HEAVY, 1500.0, start_c=40.0)
    reference, switches = _reference(COOL, HEAVY, 1500.0, 40.0)
    assert switches == []
    np.testing.assert_allclose(trace.temperature_c, reference(trace.time_s), rtol=0, atol=1e-3)


def test_throttled_run_agrees_with_solve_ivp_segment_by_segment():
    trace = simulate(TWO_LEVELS, HEAVY, 3000.0)
    reference, switches = _reference(TWO_LEVELS, HEAVY, 3000.0, TWO_LEVELS.ambient_c)
    assert len(trace.switches) == len(switches) >= 4
    for (t, level), (t_ref, level_ref) in zip(trace.switches, switches):
        assert level == level_ref and t == pytest.approx(t_ref, abs=1e-4)
    np.testing.assert_allclose(trace.temperature_c, reference(trace.time_s), rtol=0, atol=1e-3)


def test_throttling_holds_threshold_and_costs_throughput():
    trace = simulate(DEVICE, HEAVY, 3000.0)
    assert trace.holds_threshold and trace.switches
    assert trace.max_temperature_c <= DEVICE.throttle_c + 1e-9
    assert trace.max_temperature_c == pytest.approx(DEVICE.throttle_c, abs=1e-9)
    assert trace.sustained_throughput(600.0) < trace.cold_throughput == level_throughput(DEVICE, HEAVY, 0)
    first_time, first_level = trace.switches[0]
    assert first_level == 1
    after = np.flatnonzero((trace.time_s == first_time) & (trace.level == first_level))
    before = np.flatnonzero((trace.time_s == first_time) & (trace.level == 0))
    assert after.size == 1 and before.size == 1 and before[0] < after[0]
    assert trace.throughput[after[0]] == level_throughput(DEVICE, HEAVY, first_level)
    # The first crossing in closed form: τ·ln((T₀ − T_∞)/(T_th − T_∞)).
    steady = steady_state_c(DEVICE, level_power_w(DEVICE, HEAVY, 0))
    tau = DEVICE.resistance_k_per_w * DEVICE.capacitance_j_per_k
    assert first_time == pytest.approx(tau * math.log((25.0 - steady) / (65.0 - steady)), rel=1e-12)


def test_every_switch_is_sampled_on_both_sides():
    trace = simulate(DEVICE, HEAVY, 3000.0, samples=50)
    for time, level in trace.switches:
        at = trace.level[trace.time_s == time]
        assert level in at and at.size >= 2
    assert np.all(np.diff(trace.time_s) >= 0)
    # The level only ever changes between two samples at the same instant, so a step plot is exact.
    changes = np.flatnonzero(np.diff(trace.level))
    np.testing.assert_array_equal(trace.time_s[changes], trace.time_s[changes + 1])


def test_sustained_throughput_is_the_exact_time_average():
    duration = 3000.0
    trace = simulate(DEVICE, HEAVY, duration)
    edges = [0.0] + [t for t, _ in trace.switches] + [duration]
    levels = [0] + [level for _, level in trace.switches]
    for window in (duration, 700.0, 1.0):
        start = duration - window
        total = sum(
            level_throughput(DEVICE, HEAVY, level) * max(0.0, min(b, duration) - max(a, start))
            for a, b, level in zip(edges, edges[1:], levels)
            if b > start
        )
        assert trace.sustained_throughput(window) == pytest.approx(total / window, rel=1e-12)
    with pytest.raises(ConfigError):
        trace.sustained_throughput(duration + 1)


def test_lowest_level_too_hot_rises_past_threshold():
    scorching = Workload(latency_s=0.01, energy_j=1.0)  # 100 W busy: even 0.4³ of it is far too much
    trace = simulate(DEVICE, scorching, 2000.0)
    assert not trace.holds_threshold
    assert trace.level[-1] == len(DEVICE.levels) - 1
    assert trace.max_temperature_c > DEVICE.throttle_c + 1
    # Every level would still heat past the threshold, so the governor passes through them at one instant.
    assert [level for _, level in trace.switches] == [1, 2, 3, 4]
    assert len({time for time, _ in trace.switches}) == 1


def test_hot_start_steps_down_at_once_then_recovers():
    trace = simulate(DEVICE, HEAVY, 3000.0, start_c=90.0)
    # At 90 °C every level still sits above the threshold, so the governor goes straight to the bottom.
    assert trace.switches[:4] == ((0.0, 1), (0.0, 2), (0.0, 3), (0.0, 4))
    assert trace.level[0] == 0 and trace.temperature_c[0] == 90.0
    assert trace.switches[4][0] > 0 and trace.switches[4][1] == 3
    assert trace.temperature_c[-1] <= DEVICE.throttle_c + 1e-9


def test_pathological_switching_is_capped(monkeypatch):
    monkeypatch.setattr(thermal, "MAX_SWITCHES", 50)
    with pytest.raises(ConfigError) as err:
        simulate(ThermalDevice(hysteresis_k=1e-6), HEAVY, 3000.0)
    assert err.value.parameter == "hysteresis (K)"


def test_target_fps_power_and_throughput():
    light = Workload(latency_s=0.01, energy_j=0.05, target_fps=30.0)  # 30% busy at f_max
    busy_w = light.energy_j / light.latency_s
    assert level_throughput(DEVICE, light, 0) == pytest.approx(30.0)
    assert level_power_w(DEVICE, light, 0) == pytest.approx(DEVICE.static_w + 0.3 * busy_w)
    low = DEVICE.levels.index(0.7)
    assert level_throughput(DEVICE, light, low) == pytest.approx(30.0)
    dynamic_per_inference = (level_power_w(DEVICE, light, low) - DEVICE.static_w) / 30.0
    assert dynamic_per_inference == pytest.approx(light.energy_j * 0.7**2)
    trace = simulate(COOL, light, 100.0)
    np.testing.assert_allclose(trace.throughput, 30.0)


def test_target_fps_out_of_reach_runs_back_to_back():
    demanding = Workload(latency_s=0.02, energy_j=0.1, target_fps=60.0)
    back_to_back = Workload(latency_s=0.02, energy_j=0.1)
    for level in range(len(DEVICE.levels)):
        assert level_throughput(DEVICE, demanding, level) == level_throughput(DEVICE, back_to_back, level)
        assert level_power_w(DEVICE, demanding, level) == level_power_w(DEVICE, back_to_back, level)
    f = DEVICE.levels[2]
    assert level_throughput(DEVICE, back_to_back, 2) == pytest.approx(f / 0.02)
    per_inference = (level_power_w(DEVICE, back_to_back, 2) - DEVICE.static_w) / level_throughput(
        DEVICE, back_to_back, 2
    )
    assert per_inference == pytest.approx(0.1 * f**2)


def test_inference_energy():
    assert inference_energy_j(4e8, 2e7, 1.0, 50.0) == pytest.approx(4e8 * 1e-12 + 2e7 * 50e-12)
    assert inference_energy_j(0, 0, 3.0, 3.0) == 0.0
    with pytest.raises(ConfigError, match="MACs"):
        inference_energy_j(-1, 0, 1, 1)


@pytest.mark.parametrize(
    "make, field",
    [
        (lambda: ThermalDevice(resistance_k_per_w=-1.0), "thermal resistance (K/W)"),
        (lambda: ThermalDevice(capacitance_j_per_k=float("nan")), "thermal capacitance (J/K)"),
        (lambda: ThermalDevice(hysteresis_k=0.0), "hysteresis (K)"),
        (lambda: ThermalDevice(throttle_c=20.0), "throttle temperature (°C)"),
        (lambda: ThermalDevice(levels=(1.0, 0.7, 0.85)), "frequency levels"),
        (lambda: ThermalDevice(levels=(0.9, 0.5)), "frequency levels"),
        (lambda: ThermalDevice(levels=(1.0, 0.0)), "frequency levels"),
        (lambda: ThermalDevice(levels=()), "frequency levels"),
        (lambda: Workload(latency_s=float("nan"), energy_j=1.0), "latency (s)"),
        (lambda: Workload(latency_s=0.01, energy_j=1.0, target_fps=-1.0), "target frame rate (fps)"),
        (lambda: simulate(DEVICE, HEAVY, 0.0), "duration (s)"),
        (lambda: simulate(DEVICE, HEAVY, 10.0, samples=1), "samples"),
        (lambda: level_power_w(DEVICE, HEAVY, 5), "level"),
    ],
)
def test_bad_input_names_the_field(make, field):
    with pytest.raises(ConfigError) as err:
        make()
    assert err.value.parameter == field and field in str(err.value)


def test_levels_are_stored_as_a_tuple():
    assert ThermalDevice(levels=[1.0, 0.5]).levels == (1.0, 0.5)
