"""Thermal throttling of a mobile device running one network back to back or at a target frame rate.

Modelled: the device is one lumped thermal mass (Newton's law of cooling),
    C · dT/dt = P − (T − T_amb) / R,
with thermal resistance R (K/W) to the ambient T_amb and heat capacity C (J/K), time constant τ = R·C.
A DVFS governor picks one of a descending set of frequency levels f/f_max (the first is 1.0): it
steps down one level when T reaches the throttle threshold T_th and up one level when T falls to
T_th − hysteresis. It acts on where the temperature is heading: at T_th it steps down unless the
temperature is already falling there, and it keeps stepping (at the same instant) while the new level
would still heat past T_th — the limit of a governor polling ever faster. Symmetrically for stepping up.
Power at a level: P = P_static + u · P_busy · (f/f_max)³, with P_busy = E₀ / t₀ the dynamic power
while inferring at f_max (E₀ joules per inference, t₀ seconds per inference at f_max). Dynamic power
goes as f·V² and the voltage as f, hence f³; latency is t(f) = t₀ · f_max / f, so the dynamic energy
per inference is E₀ · (f/f_max)². Utilisation u = min(1, fps_target · t(f)); fps_target = 0 means
back to back (u = 1). Throughput = u / t(f) inferences per second.
Solution: between switches P is constant, so exactly T(t) = T_∞ + (T₀ − T_∞) · exp(−t/τ) with
T_∞ = T_amb + P·R, and a switch to target T* happens after t* = τ · ln((T₀ − T_∞)/(T* − T_∞)) when T*
lies between T₀ and T_∞. No numerical integration.
Assumptions: one temperature for die and case; R, C and the ambient are constant; static power does
not depend on temperature or frequency; the network is compute-bound (latency scales with 1/f);
switching is instantaneous and costs nothing. If even the lowest level's T_∞ exceeds T_th, the
governor cannot hold the threshold and the temperature rises past it (`holds_threshold` is False).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scaling_core.core.errors import ConfigError, require_finite

DEFAULT_LEVELS = (1.0, 0.85, 0.7, 0.55, 0.4)
# Bounds the event loop: a realistic governor switches far less often; more means the hysteresis is
# too small for the time step it implies (it would switch ever faster as hysteresis → 0).
MAX_SWITCHES = 100_000
MAX_SAMPLES = 100_000


@dataclass(frozen=True)
class ThermalDevice:
    """A device's lumped thermal model (ambient, R, C), throttle threshold, static power and DVFS levels."""

    ambient_c: float = 25.0
    resistance_k_per_w: float = 10.0
    capacitance_j_per_k: float = 30.0
    throttle_c: float = 65.0
    hysteresis_k: float = 5.0
    static_w: float = 0.5
    levels: tuple[float, ...] = DEFAULT_LEVELS

    def __post_init__(self) -> None:
        ambient = require_finite("ambient temperature (°C)", self.ambient_c, minimum=-50.0, maximum=100.0)
        require_finite("thermal resistance (K/W)", self.resistance_k_per_w, minimum=0.0, exclusive=True, maximum=1000.0)
        require_finite("thermal capacitance (J/K)", self.capacitance_j_per_k, minimum=0.0, exclusive=True, maximum=1e5)
        require_finite("throttle temperature (°C)", self.throttle_c, minimum=ambient, exclusive=True, maximum=150.0)
        require_finite("hysteresis (K)", self.hysteresis_k, minimum=0.0, exclusive=True, maximum=50.0)
        require_finite("static power (W)", self.static_w, minimum=0.0, maximum=100.0)
        object.__setattr__(self, "levels", _checked_levels(self.levels))

    @property
    def time_constant_s(self) -> float:
        """τ = R·C, the time the temperature takes to close 63% of the gap to its steady state."""
        return self.resistance_k_per_w * self.capacitance_j_per_k


def _checked_levels(levels: object) -> tuple[float, ...]:
    """Levels as a tuple of floats, or ConfigError unless strictly descending from 1.0 within (0, 1]."""
    allowed = "a strictly descending sequence of fractions of f_max starting at 1.0, all in (0, 1]"
    try:
        values = tuple(float(level) for level in levels)
    except (TypeError, ValueError):
        raise ConfigError("frequency levels", levels, allowed) from None
    valid = (
        bool(values)
        and values[0] == 1.0
        and all(math.isfinite(v) and 0.0 < v <= 1.0 for v in values)
        and all(a > b for a, b in zip(values, values[1:]))
    )
    if not valid:
        raise ConfigError("frequency levels", levels, allowed)
    return values


@dataclass(frozen=True)
class Workload:
    """One network's inference at f_max: latency (s), energy (J) per inference, target frame rate (0: back to back)."""

    latency_s: float
    energy_j: float
    target_fps: float = 0.0

    def __post_init__(self) -> None:
        require_finite("latency (s)", self.latency_s, minimum=0.0, exclusive=True, maximum=3600.0)
        require_finite("energy per inference (J)", self.energy_j, minimum=0.0, maximum=1e4)
        require_finite("target frame rate (fps)", self.target_fps, minimum=0.0, maximum=10000.0)


def inference_energy_j(macs: float, bytes_moved: float, pj_per_mac: float, pj_per_byte: float) -> float:
    """Energy per inference: pj_per_mac·MACs + pj_per_byte·bytes, in joules."""
    macs = require_finite("MACs", macs, minimum=0.0)
    bytes_moved = require_finite("bytes moved", bytes_moved, minimum=0.0)
    pj_per_mac = require_finite("energy per MAC (pJ)", pj_per_mac, minimum=0.0)
    pj_per_byte = require_finite("energy per byte (pJ)", pj_per_byte, minimum=0.0)
    return (pj_per_mac * macs + pj_per_byte * bytes_moved) * 1e-12


def _frequency(device: ThermalDevice, level: int) -> float:
    """f/f_max at a level index, or ConfigError if there is no such level."""
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or not 0 <= level < len(device.levels):
        raise ConfigError("level", level, f"an integer in [0, {len(device.levels) - 1}]")
    return device.levels[level]


def _utilisation(workload: Workload, frequency: float) -> float:
    """Busy fraction at f/f_max = frequency: 1 back to back, else the share of time the target rate needs."""
    if workload.target_fps == 0.0:
        return 1.0
    return min(1.0, workload.target_fps * workload.latency_s / frequency)


def level_power_w(device: ThermalDevice, workload: Workload, level: int) -> float:
    """Total power (W) at a DVFS level: static plus utilisation-scaled dynamic power ∝ (f/f_max)³."""
    frequency = _frequency(device, level)
    busy_w = workload.energy_j / workload.latency_s
    return device.static_w + _utilisation(workload, frequency) * busy_w * frequency**3


def level_throughput(device: ThermalDevice, workload: Workload, level: int) -> float:
    """Inferences per second at a DVFS level: utilisation / latency, with latency t₀·f_max/f."""
    frequency = _frequency(device, level)
    return _utilisation(workload, frequency) * frequency / workload.latency_s


def steady_state_c(device: ThermalDevice, power_w: float) -> float:
    """Temperature (°C) the device settles at under constant power: T_amb + P·R."""
    power_w = require_finite("power (W)", power_w, minimum=0.0)
    return device.ambient_c + power_w * device.resistance_k_per_w


@dataclass(frozen=True, eq=False)
class Trace:
    """A simulated run sampled for plotting (every switching instant on both sides) and its governor events.

    holds_threshold: the lowest level's steady state is at or below the threshold, so from a start at or
    below it the governor keeps the temperature there for ever.
    """

    time_s: np.ndarray
    temperature_c: np.ndarray
    level: np.ndarray
    throughput: np.ndarray
    switches: tuple[tuple[float, int], ...]
    holds_threshold: bool

    def sustained_throughput(self, window_s: float) -> float:
        """Time-averaged throughput over the last window_s seconds (exact integral of the piecewise-constant rate)."""
        duration = float(self.time_s[-1])
        window_s = require_finite("window (s)", window_s, minimum=0.0, exclusive=True, maximum=duration)
        start = duration - window_s
        # Throughput is constant between consecutive samples: samples at a switch share one time.
        left = np.maximum(self.time_s[:-1], start)
        right = np.maximum(self.time_s[1:], start)
        return float(np.sum(self.throughput[:-1] * (right - left)) / window_s)

    @property
    def cold_throughput(self) -> float:
        """Throughput at t = 0, at the top level before the governor has acted."""
        return float(self.throughput[0])

    @property
    def max_temperature_c(self) -> float:
        """Highest temperature of the run (exact: each segment is monotone and both its ends are sampled)."""
        return float(np.max(self.temperature_c))


@dataclass(frozen=True)
class _Segment:
    """A stretch at one level: from start_s to end_s, starting at start_c and heading to steady_c."""

    start_s: float
    end_s: float
    start_c: float
    steady_c: float
    level: int


def _governor_step(device: ThermalDevice, level: int, temperature: float, steady: float) -> int:
    """+1 to step down, −1 to step up, 0 to hold, judged on where the temperature is heading."""
    lowest = len(device.levels) - 1
    release = device.throttle_c - device.hysteresis_k
    at_or_rising_past_threshold = temperature > device.throttle_c or (
        temperature == device.throttle_c and steady >= device.throttle_c
    )
    if level < lowest and at_or_rising_past_threshold:
        return 1
    at_or_falling_past_release = temperature < release or (temperature == release and steady <= release)
    if level > 0 and at_or_falling_past_release:
        return -1
    return 0


def _next_target(device: ThermalDevice, level: int, steady: float) -> float | None:
    """The temperature at which the governor will next act at this level, or None if it never will."""
    if level < len(device.levels) - 1 and steady > device.throttle_c:
        return device.throttle_c
    release = device.throttle_c - device.hysteresis_k
    if level > 0 and steady < release:
        return release
    return None


def _segments(
    device: ThermalDevice, steady: list[float], duration_s: float, start_c: float
) -> tuple[list[_Segment], list[tuple[float, int]]]:
    """The exact run as constant-power segments (zero-length ones where the governor passes through a level)."""
    tau = device.time_constant_s
    time, temperature, level = 0.0, start_c, 0
    segments: list[_Segment] = []
    switches: list[tuple[float, int]] = []
    while True:
        step = _governor_step(device, level, temperature, steady[level])
        if step:
            if len(switches) >= MAX_SWITCHES:
                raise ConfigError(
                    "hysteresis (K)",
                    device.hysteresis_k,
                    f"larger: the governor switched more than {MAX_SWITCHES} times within {duration_s:g} s",
                )
            segments.append(_Segment(time, time, temperature, steady[level], level))
            level += step
            switches.append((time, level))
            continue
        target = _next_target(device, level, steady[level])
        # log1p keeps t* accurate when the start is close to the target.
        wait = math.inf if target is None else tau * math.log1p((temperature - target) / (target - steady[level]))
        end = min(time + wait, duration_s)
        segments.append(_Segment(time, end, temperature, steady[level], level))
        if end >= duration_s:
            return segments, switches
        # Land exactly on the target so the governor's equality tests see it.
        time, temperature = end, target


def _temperature_at(segment: _Segment, times: np.ndarray, tau: float) -> np.ndarray:
    """Closed-form temperature within one segment."""
    return segment.start_c - (segment.steady_c - segment.start_c) * np.expm1(-(times - segment.start_s) / tau)


def simulate(
    device: ThermalDevice, workload: Workload, duration_s: float, start_c: float | None = None, samples: int = 400
) -> Trace:
    """Exact piecewise-exponential solution of the lumped model with the DVFS governor."""
    duration_s = require_finite("duration (s)", duration_s, minimum=0.0, exclusive=True, maximum=1e6)
    start_c = (
        device.ambient_c
        if start_c is None
        else require_finite("start temperature (°C)", start_c, minimum=-50.0, maximum=200.0)
    )
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or not 2 <= samples <= MAX_SAMPLES:
        raise ConfigError("samples", samples, f"an integer in [2, {MAX_SAMPLES}]")
    count = len(device.levels)
    steady = [steady_state_c(device, level_power_w(device, workload, i)) for i in range(count)]
    rates = [level_throughput(device, workload, i) for i in range(count)]
    segments, switches = _segments(device, steady, duration_s, start_c)

    grid = np.linspace(0.0, duration_s, samples)
    tau = device.time_constant_s
    times, temperatures, levels = [], [], []
    for segment in segments:
        inside = grid[(grid > segment.start_s) & (grid < segment.end_s)]
        at = np.concatenate(([segment.start_s], inside, [segment.end_s]))
        temperature = _temperature_at(segment, at, tau)
        temperature[0] = segment.start_c
        times.append(at)
        temperatures.append(temperature)
        levels.append(np.full(at.size, segment.level))
    time = np.concatenate(times)
    level = np.concatenate(levels)
    temperature_c = np.concatenate(temperatures)
    # A zero-length segment (a level the governor passes through) samples one instant twice; keep one.
    keep = np.ones(time.size, dtype=bool)
    keep[1:] = (np.diff(time) > 0) | (np.diff(level) != 0)
    time, level, temperature_c = time[keep], level[keep], temperature_c[keep]
    throughput = np.asarray(rates)[level]
    for array in (time, temperature_c, level, throughput):
        array.flags.writeable = False
    return Trace(
        time_s=time,
        temperature_c=temperature_c,
        level=level,
        throughput=throughput,
        switches=tuple(switches),
        holds_threshold=steady[-1] <= device.throttle_c,
    )
