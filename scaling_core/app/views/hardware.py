"""What the Hardware page shows: the measured network, the fitted profile's evidence, throughput."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from functools import lru_cache

import pandas as pd

from scaling_core.app.state import CUSTOM, AppState
from scaling_core.app.tables import value_text
from scaling_core.core.arch import ScaledArch, scale_recipe
from scaling_core.core.base import base_rounding
from scaling_core.core.errors import ConfigError
from scaling_core.core.presets import scale_preset
from scaling_core.core.recipe import Recipe
from scaling_core.hardware.fingerprint import Fingerprint
from scaling_core.hardware.latency_model import FitReport, LinearProfile, named_plan, plan_timings, stored_profile
from scaling_core.hardware.measure import MeasureOptions
from scaling_core.hardware.optimize import Choice, optimize
from scaling_core.hardware.runtimes import runtime_choice


def options_of(state: AppState, min_run_time_s: float = 0.5) -> MeasureOptions:
    """The measuring setup the state selects; ConfigError for more threads than this machine has cores."""
    cores = os.cpu_count() or 1
    if state.hw_threads > cores:
        raise ConfigError("hw_threads", state.hw_threads, f"an integer in [1, {cores}] (this machine's logical cores)")
    runtime, precision = runtime_choice(state.hw_runtime)
    return MeasureOptions(
        state.hw_batch, state.hw_threads, state.hw_channels_last, "cpu", min_run_time_s, runtime, precision
    )


def runtime_label(choice: str) -> str:
    """A runtime choice in words ("ONNX Runtime int8")."""
    from scaling_core.hardware.runtime_comparison import runtime_name

    return runtime_name(*runtime_choice(choice))


def calibration_help(priors: int) -> str:
    """What quick calibration does, in one help text."""
    from scaling_core.hardware.calibration import DEFAULT_CALIBRATION

    plan = named_plan("quick")
    return (
        f"For a new device or runtime: times {DEFAULT_CALIBRATION} networks of the quick plan and its "
        f"{plan['test']} held-out ones (twice, for the noise floor), then adapts the closest of the store's "
        f"{priors} other latency model(s) to them (HELP's idea: rescaled, then a ridge pull toward the data); "
        "the held-out error is shown with the result."
    )


def explorer_network(state: AppState) -> ScaledArch:
    """The network the Explorer shows for this state (a preset, or the recipe at φ)."""
    if state.preset != CUSTOM:
        return scale_preset(state.preset, num_classes=state.num_classes)
    return scale_recipe(
        Recipe(state.alpha, state.beta, state.gamma),
        state.phi,
        base=state.base,
        policy=base_rounding(state.base, state.res_multiple),
        num_classes=state.num_classes,
    )


def evidence_table(report: FitReport) -> pd.DataFrame:
    """Held-out scores of our model and the FLOPs-only baseline, beside the noise floor."""
    rows = [
        {
            "predictor": "our model (modelled)",
            "within ±10%": report.model_scores.within_10pct,
            "MAPE": report.model_scores.mape,
            "Kendall τ": report.model_scores.kendall_tau,
        },
        {
            "predictor": "FLOPs-only line (modelled)",
            "within ±10%": report.baseline_scores.within_10pct,
            "MAPE": report.baseline_scores.mape,
            "Kendall τ": report.baseline_scores.kendall_tau,
        },
        {
            "predictor": "noise floor: re-measurement (measured)",
            "within ±10%": report.noise_floor,
            "MAPE": None,
            "Kendall τ": None,
        },
    ]
    return pd.DataFrame(rows)


def held_out_frame(report: FitReport) -> pd.DataFrame:
    """Per held-out network: measured, re-measured, both predictions, MACs."""
    return pd.DataFrame(
        {
            "measured_ms": report.test_measured_ms,
            "remeasured_ms": report.test_remeasured_ms,
            "model_ms": report.test_predicted_ms,
            "flops_only_ms": report.test_baseline_ms,
            "macs": report.test_macs,
        }
    )


def throughput_frame(rows: list[dict]) -> pd.DataFrame:
    """Stored measurements of this machine with achieved GMAC/s (MACs × batch / best time)."""
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["gmacs"] = frame["macs"] / 1e9
    frame["achieved_gmac_per_s"] = frame["macs"] * frame["batch_size"] / (frame["best_ms"] / 1e3) / 1e9
    return frame


@lru_cache(maxsize=32)
def cached_optimize(weights: tuple[float, ...], features: tuple[str, ...], budget_ms: float) -> Choice:
    """The optimiser's choice for a profile and budget (classification), cached."""
    return optimize(LinearProfile(features, weights), budget_ms)


# The latency budget slider's stops (ms): 1–2–3–5 in each decade of the field's range, so every decade gets the same
# room and the 30 ms default sits mid-track (on a linear 1–1000 ms slider it sat at the far left).
BUDGET_STOPS_MS = tuple(float(f"{m}e{e}") for e in range(3) for m in (1, 2, 3, 5)) + (1000.0,)


def budget_choices(current_ms: float) -> list[float]:
    """The budget slider's stops: BUDGET_STOPS_MS and the current budget among them (a link may carry any budget in
    the field's range, and keeps opening with it)."""
    return sorted({*BUDGET_STOPS_MS, float(current_ms)})


FIT_USES = (
    "The fitted model predicts any network's latency from its exact counts in microseconds: the Pareto page's "
    "predicted-latency axis and budget, the Deployment page's drone, and the best recipe under a latency budget "
    "(shown on this page once a model is fitted) use it."
)


def plan_text(plan: dict) -> str:
    """What a fit measures, in the units its progress counts: timings of training and held-out networks."""
    return (
        f"{plan_timings(plan):,} timings of {plan['train']} + {plan['test']} networks in "
        + (f"{plan['rounds']} interleaved rounds" if plan["rounds"] > 1 else "one round")
        + f" (the {plan['test']} held out timed twice, for the noise floor)"
    )


# What each of the latency model's weights is paid per, in words (FEATURES' order; the weights are ms per unit).
FEATURE_WORDS = {
    "constant": "per call",
    "dense_gmacs": "per GMAC of dense conv and linear",
    "depthwise_gmacs": "per GMAC of depthwise conv",
    "other_gmacs": "per GMAC of other operators",
    "mega_activations": "per million activations",
    "mega_params": "per million parameters",
    "layers_hundreds": "per hundred layers",
    "neck_mega_activations": "per million activations in the neck",
    "head_mega_activations": "per million activations in the head",
    "gmacs": "per GMAC",
}


def weights_text(profile: LinearProfile) -> str:
    """A fitted profile's weights in words: "0.5 ms per call, 30 ms per GMAC of dense conv and linear, …"."""
    return ", ".join(
        f"{value_text(weight)} ms {FEATURE_WORDS.get(name, name.replace('_', ' '))}"
        for name, weight in zip(profile.features, profile.weights)
    )


def fit_choices(last: FitReport | None = None) -> dict[str, str]:
    """The fits offered, by plan name: what each measures, and how long it took when the stored profile `last` was
    fitted with it here (measured; no time is promised for a fit never run on this machine and setup)."""
    choices = {}
    for name in ("quick", "full"):
        text = f"{name.capitalize()} fit: {plan_text(named_plan(name))}"
        if last is not None and last.plan == name and last.fit_seconds is not None:
            text += f"; the last one on this machine took {last.fit_seconds:,.0f} s (measured)"
        choices[name] = text
    return choices


def fit_warning(report: FitReport) -> str | None:
    """What to say of a fit that agrees with held-out networks less often than a re-measurement does (else None)."""
    if not report.below_noise_floor:
        return None
    return (
        f"The model lands within ±10% for {report.model_scores.within_10pct:.0%} of the held-out networks, below the "
        f"re-measurement floor ({report.noise_floor:.0%} of them re-measure within ±10%): the machine was busy or "
        "its speed drifted while the fit ran, so its predictions are no better than noise here. Refit when the "
        "machine is quiet" + (", with the full fit." if report.plan == "quick" else ".")
    )


def profile_label(report: FitReport) -> str:
    """How a profile is named wherever it is shown: a quick one, or one calibrated from a few networks, says so."""
    if report.plan.startswith("calibrated-"):
        return (
            f"profile calibrated from {report.train_size} networks and the store's other models (quick calibration; "
            f"{len(report.test_measured_ms)} held out)"
        )
    if report.plan == "quick":
        return f"quick profile ({report.train_size} + {len(report.test_measured_ms)} networks: a first estimate)"
    return f"full profile ({report.train_size} + {len(report.test_measured_ms)} networks)"


@dataclass(frozen=True)
class Device:
    """A device the store has latencies of (this machine, a fleet worker's CPU with its threads, a GPU)."""

    fingerprint_id: str
    label: str
    measurements: int
    has_model: bool  # a latency model fitted (by this version of the model) for one of its measuring setups
    this_machine: bool


def devices(store) -> list[Device]:
    """This machine (first, even with nothing measured yet) and every other device with measurements in the store."""
    from scaling_core.hardware.fingerprint import fingerprint

    here = fingerprint("cpu")
    rows: dict[str, list[dict]] = {here.id: []}
    for row in store.measurements():
        rows.setdefault(row["fingerprint_id"], []).append(row)
    found = []
    for fingerprint_id, measured in rows.items():
        machine = here if fingerprint_id == here.id else Fingerprint.from_dict(json.loads(measured[0]["fingerprint"]))
        if machine.runtime and machine.without_runtime().id == here.id:
            continue  # this machine in another runtime: the Runtime picker reaches it, not the device picker
        setups = {(r["batch_size"], r["threads"], r["memory_format"], r["device"]) for r in measured}
        runtime, precision = machine.runtime or "eager", machine.precision or "fp32"
        has_model = any(
            stored_profile(
                store,
                MeasureOptions(b, t, f == "channels_last", d, runtime=runtime, precision=precision),
                fingerprint_id,
            )
            is not None
            for b, t, f, d in setups
        )
        label = f"this machine · {machine.label}" if fingerprint_id == here.id else machine.label
        found.append(Device(fingerprint_id, label, len(measured), has_model, fingerprint_id == here.id))
    labels = [d.label for d in found]
    found = [  # two devices alike but for, say, the torch version: told apart by their ids
        replace(d, label=f"{d.label} [{d.fingerprint_id[:6]}]") if labels.count(d.label) > 1 else d for d in found
    ]
    return [found[0], *sorted(found[1:], key=lambda d: d.label)]


def device_fingerprint(store, fingerprint_id: str = "") -> Fingerprint | None:
    """The device a fingerprint id names (None: "" or this machine's id, i.e. this machine); ConfigError if the
    store has no measurement of it."""
    from scaling_core.hardware.fingerprint import fingerprint
    from scaling_core.hardware.fleet import stored_fingerprint

    if not fingerprint_id or fingerprint_id == fingerprint("cpu").id:
        return None
    machine = stored_fingerprint(store, fingerprint_id)
    if machine is None:
        raise ConfigError("hw_device", fingerprint_id, "a device with measurements in the store, or this machine")
    return machine


def device_setup(options: MeasureOptions, store, fingerprint_id: str = "") -> MeasureOptions:
    """The measuring setup on a device: a fleet worker's own threads and a GPU's device replace the options'."""
    from scaling_core.hardware.fleet import device_options

    return device_options(options, device_fingerprint(store, fingerprint_id))


def device_measurements(store, fingerprint_id: str = "", options: MeasureOptions | None = None) -> list[dict]:
    """The stored measurements of a device (default: this machine in the options' runtime), for throughput_frame."""
    from scaling_core.hardware.measure import machine_of

    return store.measurements(fingerprint_id or machine_of(options or MeasureOptions()).id)


def network_in_runtimes(store, network, options: MeasureOptions) -> pd.DataFrame:
    """The stored measurements of one network on this machine in every runtime (the options' threads, batch and
    format): runtime, its version, median, p10 and p90 ms."""
    from scaling_core.hardware.measure import stored_measurement
    from scaling_core.hardware.runtime_comparison import runtime_name
    from scaling_core.hardware.runtimes import RUNTIME_CHOICES

    rows = []
    for choice in RUNTIME_CHOICES:
        runtime, precision = runtime_choice(choice)
        try:
            row = stored_measurement(network, replace(options, runtime=runtime, precision=precision), store)
        except ConfigError:  # a runtime not installed here
            continue
        if row is not None:
            machine = json.loads(row["fingerprint"])
            rows.append(
                {
                    "runtime": runtime_name(runtime, precision),
                    "version": machine.get("runtime_version") or machine["torch_version"],
                    "median_ms": row["median_ms"],
                    "p10_ms": row["p10_ms"],
                    "p90_ms": row["p90_ms"],
                }
            )
    return pd.DataFrame(rows, columns=["runtime", "version", "median_ms", "p10_ms", "p90_ms"])


def device_profile(store, options: MeasureOptions, fingerprint_id: str = "") -> FitReport | None:
    """The latency model fitted on a device (default: this machine) with the measuring setup, if any."""
    return stored_profile(store, device_setup(options, store, fingerprint_id), fingerprint_id or None)
