"""What the Hardware page shows: the measured network, the fitted profile's evidence, throughput."""

from __future__ import annotations

import os
from functools import lru_cache

import pandas as pd

from scaling_core.app.state import CUSTOM, AppState
from scaling_core.core.arch import ScaledArch, scale_recipe
from scaling_core.core.errors import ConfigError
from scaling_core.core.presets import scale_preset
from scaling_core.core.recipe import Recipe
from scaling_core.core.rounding import RoundingPolicy
from scaling_core.hardware.latency_model import FitReport, LinearProfile, named_plan, plan_timings
from scaling_core.hardware.measure import MeasureOptions
from scaling_core.hardware.optimize import Choice, optimize


def options_of(state: AppState, min_run_time_s: float = 0.5) -> MeasureOptions:
    """The measuring setup the state selects; ConfigError for more threads than this machine has cores."""
    cores = os.cpu_count() or 1
    if state.hw_threads > cores:
        raise ConfigError("hw_threads", state.hw_threads, f"an integer in [1, {cores}] (this machine's logical cores)")
    return MeasureOptions(state.hw_batch, state.hw_threads, state.hw_channels_last, "cpu", min_run_time_s)


def explorer_network(state: AppState) -> ScaledArch:
    """The network the Explorer shows for this state (a preset, or the recipe at φ)."""
    if state.preset != CUSTOM:
        return scale_preset(state.preset, num_classes=state.num_classes)
    return scale_recipe(
        Recipe(state.alpha, state.beta, state.gamma),
        state.phi,
        base=state.base,
        policy=RoundingPolicy(resolution_multiple=state.res_multiple),
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


FIT_USES = (
    "The fitted model predicts any network's latency from its exact counts in microseconds: the Pareto page's "
    "predicted-latency axis and budget, the Deployment page's drone, and the optimiser below use it."
)


def plan_text(plan: dict) -> str:
    """What a fit measures, in the units its progress counts: timings of training and held-out networks."""
    return (
        f"{plan_timings(plan):,} timings of {plan['train']} + {plan['test']} networks in "
        + (f"{plan['rounds']} interleaved rounds" if plan["rounds"] > 1 else "one round")
        + f" (the {plan['test']} held out timed twice, for the noise floor)"
    )


def fit_choices() -> dict[str, str]:
    """The fits offered, by plan name: what each measures and how long it took on the reference 2-core machine."""
    choices = {}
    for name in ("quick", "full"):
        plan = named_plan(name)
        choices[name] = f"{name.capitalize()} fit: {plan_text(plan)}, about {plan['seconds_here']:,} s on 2 cores here"
    return choices


def profile_label(report: FitReport) -> str:
    """How a profile is named wherever it is shown: a quick one says so."""
    if report.plan == "quick":
        return f"quick profile ({report.train_size} + {len(report.test_measured_ms)} networks: a first estimate)"
    return f"full profile ({report.train_size} + {len(report.test_measured_ms)} networks)"
