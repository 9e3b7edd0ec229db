"""What the Deployment page and the drone, thermal and quantize commands show, as DataFrames."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scaling_core.core.errors import ConfigError
from scaling_core.core.memo import memoized
from scaling_core.core.recipe import Recipe
from scaling_core.hardware.latency_model import LinearProfile, predict_ms
from scaling_core.hardware.optimize import network_at, within_plan
from scaling_core.lab.runs import code_version
from scaling_core.storage.shipped import Maker, stored_or_shipped
from scaling_core.studies.deployment.measurements import DEPLOYMENT_VERSION, deployment_defaults, deployment_records
from scaling_core.studies.deployment.noise_model import calibrate_gain, model_output_sqnr_db
from scaling_core.studies.deployment.runtime_int8 import RUNTIME_INT8_VERSION, int8_records
from scaling_core.studies.deployment.thermal import (
    ThermalDevice,
    Workload,
    inference_energy_j,
    level_power_w,
    simulate,
    steady_state_c,
)
from scaling_core.tasks.cost import count_task


@dataclass(frozen=True)
class EnergyModel:
    """Energy per inference: pJ per multiply-add and per byte moved, and the bytes per stored value."""

    pj_per_mac: float
    pj_per_byte: float
    bytes_per_value: int

    def bytes_moved(self, params: int, activations: int) -> int:
        """Every weight read once, every activation written once and read once."""
        return self.bytes_per_value * (int(params) + 2 * int(activations))


PHI_STEP = 0.25
PHI_MIN = -1.0  # a negative φ scales the base down by the same recipe, for budgets the base itself misses


def phi_grid(phi_max: float) -> list[float]:
    """The φ tabulated by the drone and thermal sections: from PHI_MIN to phi_max in steps of PHI_STEP."""
    if not 0 <= phi_max <= 8:
        raise ConfigError("largest φ", phi_max, "a number in [0, 8]")
    return [round(PHI_MIN + PHI_STEP * i, 2) for i in range(int((phi_max - PHI_MIN) / PHI_STEP + 1e-9) + 1)]


def default_device() -> ThermalDevice:
    """The thermal device of data/deployment/settings.json."""
    raw = deployment_defaults()["thermal"]
    return ThermalDevice(
        raw["ambient_c"],
        raw["resistance_k_per_w"],
        raw["capacitance_j_per_k"],
        raw["throttle_c"],
        raw["hysteresis_k"],
        raw["static_w"],
        tuple(raw["levels"]),
    )


def default_energy() -> EnergyModel:
    """The energy model of data/deployment/settings.json (Horowitz 2014's 45 nm figures)."""
    raw = deployment_defaults()["thermal"]
    return EnergyModel(raw["pj_per_mac"], raw["pj_per_byte"], raw["bytes_per_value"])


SUSTAINED_SHARE = 1 / 3  # sustained throughput: the mean over the last third of the run


def thermal_frame(
    model: LinearProfile,
    recipe: Recipe,
    phis: Sequence[float],
    device: ThermalDevice,
    energy: EnergyModel,
    target_fps: float,
    duration_s: float,
) -> pd.DataFrame:
    """Per φ: the network's costs, energy per inference, latency (modelled), cold and sustained throughput."""
    rows = []
    for phi in phis:
        try:
            network = network_at("classification", recipe, float(phi))
        except ConfigError:
            continue
        if not within_plan(network):
            continue
        report = count_task(network)
        moved = energy.bytes_moved(report.params, report.activations)
        joules = inference_energy_j(int(report.macs), moved, energy.pj_per_mac, energy.pj_per_byte)
        latency_ms = predict_ms(model, network)
        workload = Workload(latency_ms / 1000, joules, target_fps)
        trace = simulate(device, workload, duration_s)
        cold, sustained = trace.cold_throughput, trace.sustained_throughput(SUSTAINED_SHARE * duration_s)
        rows.append(
            {
                "phi": float(phi),
                "resolution_px": network.backbone.resolution_px,
                "macs": int(report.macs),
                "bytes_moved": moved,
                "energy_mj": joules * 1000,
                "latency_ms": latency_ms,
                "power_w": level_power_w(device, workload, 0),
                "unthrottled_steady_c": steady_state_c(device, level_power_w(device, workload, 0)),
                "max_c": trace.max_temperature_c,
                "cold_fps": cold,
                "sustained_fps": sustained,
                "sustained_over_cold": sustained / cold if cold > 0 else None,
                "switches": len(trace.switches),
                "holds_threshold": trace.holds_threshold,
            }
        )
    return pd.DataFrame(rows)


@memoized(maxsize=32)
def energy_frame(recipe: Recipe, phis: Sequence[float], device: ThermalDevice, energy: EnergyModel) -> pd.DataFrame:
    """Per φ, without a latency model: energy per inference and the thermal ceiling on the rate (modelled).

    At the top frequency the device draws P = P_static + rate · E per second on average (whatever the latency),
    so it stays below the throttle threshold while rate ≤ ((T_th − T_amb)/R − P_static) / E: the highest rate
    it can sustain unthrottled, an upper bound the latency may lower further.
    """
    budget_w = (device.throttle_c - device.ambient_c) / device.resistance_k_per_w - device.static_w
    rows = []
    for phi in phis:
        try:
            network = network_at("classification", recipe, float(phi))
        except ConfigError:
            continue
        if not within_plan(network):
            continue
        report = count_task(network)
        moved = energy.bytes_moved(report.params, report.activations)
        joules = inference_energy_j(int(report.macs), moved, energy.pj_per_mac, energy.pj_per_byte)
        rows.append(
            {
                "phi": float(phi),
                "resolution_px": network.backbone.resolution_px,
                "macs": int(report.macs),
                "bytes_moved": moved,
                "energy_mj": joules * 1000,
                "ceiling_fps": max(budget_w, 0.0) / joules if joules > 0 else float("inf"),
            }
        )
    return pd.DataFrame(rows)


@memoized(maxsize=32)
def blur_frame(recipe: Recipe, phis: Sequence[float], motion) -> pd.DataFrame:
    """Per φ, without a latency model: the network's input size and the motion's blur length there (modelled)."""
    rows = []
    for phi in phis:
        try:
            network = network_at("classification", recipe, float(phi))
        except ConfigError:
            continue
        px = network.backbone.resolution_px
        rows.append({"phi": float(phi), "resolution_px": px, "blur_px": float(motion.blur_px(px))})
    return pd.DataFrame(rows)


def nearest_sweep(sweeps: Sequence[float], sweep: float) -> float:
    """The measured sweep nearest the motion's (the blur panel shows that one)."""
    return min(sweeps, key=lambda s: abs(s - sweep))


def thermal_trace(
    model: LinearProfile,
    recipe: Recipe,
    phi: float,
    device: ThermalDevice,
    energy: EnergyModel,
    target_fps: float,
    duration_s: float,
) -> pd.DataFrame:
    """The temperature, level and throughput over a sustained run of the recipe at φ."""
    network = network_at("classification", recipe, phi)
    report = count_task(network)
    joules = inference_energy_j(
        int(report.macs), energy.bytes_moved(report.params, report.activations), energy.pj_per_mac, energy.pj_per_byte
    )
    trace = simulate(device, Workload(predict_ms(model, network) / 1000, joules, target_fps), duration_s)
    return pd.DataFrame(
        {
            "time_s": trace.time_s,
            "temperature_c": trace.temperature_c,
            "level": trace.level,
            "frequency": np.asarray(device.levels)[trace.level],
            "throughput": trace.throughput,
        }
    )


def thermal_choice(frame: pd.DataFrame, required_fps: float) -> pd.Series | None:
    """The largest φ whose sustained throughput meets the required rate (None if none does)."""
    meets = frame[frame["sustained_fps"] >= required_fps]
    return None if meets.empty else meets.loc[meets["phi"].idxmax()]


def records_for(dataset: str, phis: Sequence[float], seeds: int, store, budget=None) -> tuple[list[dict], str]:
    """The store's evaluations of the measured grids where it holds any, else the shipped ones; and their source."""
    stored = deployment_records(dataset, phis, seeds, store, budget) if store is not None else []
    return _grid_records(stored, dataset, "", phis, seeds, Maker("deployment", DEPLOYMENT_VERSION, "quantize"))


def int8_records_for(dataset: str, phis: Sequence[float], seeds: int, store, budget=None) -> tuple[list[dict], str]:
    """The store's ONNX Runtime int8 evaluations of the measured grids where it holds any, else the shipped ones."""
    stored = int8_records(dataset, phis, seeds, store, budget) if store is not None else []
    maker = Maker("int8 deployment", RUNTIME_INT8_VERSION, "quantize-int8")
    return _grid_records(stored, dataset, "-int8", phis, seeds, maker)


def _grid_records(
    stored: list[dict], dataset: str, suffix: str, phis: Sequence[float], seeds: int, maker: Maker
) -> tuple[list[dict], str]:
    """stored_or_shipped for the measured grids' φ and seeds; `maker.command` names the command that re-makes
    data/deployment/<dataset><suffix>.json."""
    phis = set(map(float, phis))
    command = (
        f"python -m scaling_core {maker.command} --dataset {dataset} --save-to data/deployment/{dataset}{suffix}.json"
    )
    return stored_or_shipped(
        stored,
        "deployment",
        f"{dataset}{suffix}",
        lambda r: r["phi"] in phis and r["seed"] < seeds,
        Maker(maker.computation, maker.version, command, code_version(dataset)),
    )


def quantization_curves(records: Sequence[dict]) -> pd.DataFrame:
    """Long form: one row per run, scheme and bit width, with the output SQNR (dB), accuracy and its drop."""
    rows = []
    for r in records:
        run = {k: r[k] for k in ("alias", "recipe", "phi", "seed", "se_position", "blocks", "macs", "quantizers")}
        for scheme, points in r["quantization"].items():
            rows += [
                run
                | {
                    "scheme": scheme,
                    "bits": p["bits"],
                    "sqnr_db": p["sqnr_db"],
                    "accuracy": p["accuracy"],
                    "clean": r["clean"],
                    "drop_points": (r["clean"] - p["accuracy"]) * 100,
                }
                for p in points
            ]
    return pd.DataFrame(rows)


@memoized(maxsize=32)
def quantization_summary(curves: pd.DataFrame) -> pd.DataFrame:
    """Means over seeds per recipe, φ, SE position, scheme and bit width (SQNR in dB, accuracy drop in points)."""
    keys = ["alias", "recipe", "phi", "se_position", "blocks", "quantizers", "scheme", "bits"]
    return (
        curves.groupby(keys, sort=False)
        .agg(
            sqnr_db=("sqnr_db", "mean"),
            sqnr_db_std=("sqnr_db", "std"),
            drop_points=("drop_points", "mean"),
            seeds=("seed", "count"),
        )
        .reset_index()
    )


@dataclass(frozen=True)
class QuantFit:
    """The noise model's gain K as given and as calibrated per SE position and scheme, with RMS errors in dB."""

    gain: float
    rms_db: float
    calibrated: dict[tuple[str, str], float]
    calibrated_rms_db: float


def quantization_fit(summary: pd.DataFrame, gain: float, min_bits: int = 4) -> QuantFit:
    """The model against the measured mean SQNR at ≥ min_bits (below, clipping and dead zones dominate)."""
    used = summary[(summary["bits"] >= min_bits) & np.isfinite(summary["sqnr_db"])]
    if used.empty:
        raise ConfigError("quantization measurements", 0, f"finite SQNR at {min_bits} bits or more")

    def modelled(frame: pd.DataFrame, k: float) -> np.ndarray:
        return np.array([model_output_sqnr_db(int(b), int(q), k) for b, q in zip(frame["bits"], frame["quantizers"])])

    errors, calibrated = [], {}
    for (position, scheme), group in used.groupby(["se_position", "scheme"], sort=False):
        k = calibrate_gain(
            group["bits"].astype(int).tolist(), group["quantizers"].astype(int).tolist(), group["sqnr_db"].tolist()
        )
        calibrated[(position, scheme)] = k
        errors.append(modelled(group, k) - group["sqnr_db"].to_numpy())
    given = modelled(used, gain) - used["sqnr_db"].to_numpy()
    return QuantFit(
        gain, float(np.sqrt(np.mean(given**2))), calibrated, float(np.sqrt(np.mean(np.concatenate(errors) ** 2)))
    )


@memoized(maxsize=32)
def se_comparison(summary: pd.DataFrame, bits: int) -> pd.DataFrame:
    """At one bit width: mean SQNR (dB) per recipe, φ and scheme with SE after and before the depthwise conv."""
    chosen = summary[summary["bits"] == bits]
    table = chosen.pivot_table(
        index=["recipe", "scheme", "phi"], columns="se_position", values="sqnr_db", sort=False
    ).reset_index()
    if {"after_depthwise", "before_depthwise"} <= set(table.columns):
        table["before_minus_after_db"] = table["before_depthwise"] - table["after_depthwise"]
    return table


@memoized(maxsize=32)
def modelled_sqnr(summary: pd.DataFrame, gain: float) -> pd.DataFrame:
    """The noise model's output SQNR (dB) at every measured configuration, from its quantizer count and bits."""
    frame = summary[["recipe", "phi", "se_position", "scheme", "bits", "quantizers"]].copy()
    frame["sqnr_modelled_db"] = [
        model_output_sqnr_db(int(b), int(q), gain) for b, q in zip(frame["bits"], frame["quantizers"])
    ]
    return frame


def runtime_models(store, options) -> dict[str, tuple[LinearProfile, str]]:
    """The latency models a runtime comparison can use: this machine's stored one for each runtime (with the
    options' threads and batch), else the shipped comparison's; name → (model, where it comes from)."""
    from dataclasses import replace

    from scaling_core.hardware.latency_model import stored_profile
    from scaling_core.hardware.runtime_comparison import runtime_name, shipped_runtimes
    from scaling_core.hardware.runtimes import RUNTIME_CHOICES, runtime_choice

    shipped = shipped_runtimes()
    found: dict[str, tuple[LinearProfile, str]] = {}
    for choice in RUNTIME_CHOICES:
        runtime, precision = runtime_choice(choice)
        name = runtime_name(runtime, precision)
        try:
            report = stored_profile(store, replace(options, runtime=runtime, precision=precision)) if store else None
        except ConfigError:  # a runtime not installed here
            report = None
        if report is not None:
            found[name] = (report.model, "this machine (results store)")
        elif shipped is not None and name in shipped.models:
            found[name] = (shipped.models[name], f"shipped: {shipped.machine}")
    return found


def drone_per_runtime(
    models: dict[str, tuple[LinearProfile, str]], recipe: Recipe, budget_ms: float, motion
) -> pd.DataFrame:
    """Per runtime: the recipe's largest φ within the budget by that runtime's latency model, its input, MACs,
    predicted latency and blur (no row's φ where nothing fits)."""
    from scaling_core.studies.deployment.drone import drone_choice

    rows = []
    for name, (model, source) in models.items():
        try:
            choice = drone_choice(model, recipe, budget_ms, motion)
        except ConfigError:
            rows.append({"runtime": name, "phi": None, "source": source})
            continue
        rows.append(
            {
                "runtime": name,
                "phi": choice.phi,
                "resolution_px": choice.resolution_px,
                "macs": choice.macs,
                "predicted_ms": choice.predicted_ms,
                "blur_px": choice.blur_px,
                "source": source,
            }
        )
    return pd.DataFrame(rows)


def int8_claims_table(claims) -> pd.DataFrame:
    """The int8 claims as the page lists them: source, difference, interval written out, seeds, verdict."""
    return pd.DataFrame(
        [
            {
                "source": c.source,
                "difference": c.difference,
                "interval": "—" if c.interval is None else f"[{c.interval[0]:+.2f}, {c.interval[1]:+.2f}]",
                "seeds": c.seeds,
                "verdict": c.verdict,
            }
            for c in claims
        ]
    )
