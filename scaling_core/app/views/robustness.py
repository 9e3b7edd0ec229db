"""What the Robustness page and command show: measured curves over seeds, summaries against cost, the model's fit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scaling_core.core.errors import ConfigError
from scaling_core.core.memo import memoized
from scaling_core.lab.runs import code_version
from scaling_core.storage.shipped import Maker, stored_or_shipped
from scaling_core.studies.robustness.evaluation import (
    ATTACKS,
    ROBUSTNESS_VERSION,
    RobustnessSettings,
    robustness_runs,
    robustness_settings,
)
from scaling_core.studies.robustness.margin_model import MarginModel, calibrate, fit_error, from_moments, predict

KEYS = ["alias", "recipe", "phi"]
RUN_COLUMNS = (
    "alias",
    "recipe",
    "phi",
    "seed",
    "macs",
    "depth_multiplier",
    "width_multiplier",
    "resolution_multiplier",
)


def curves_frame(records: Sequence[dict], settings: RobustnessSettings | None = None) -> pd.DataFrame:
    """Long form: one row per run, perturbation and level, with the accuracy measured there.

    An attack's level is ε; a corruption's is its distance from the setting that changes nothing (for
    contrast, 1 − factor), and its curve starts at level 0 with the clean accuracy.
    """
    settings = settings or robustness_settings()
    rows = []
    for record in records:
        run = {k: record[k] for k in RUN_COLUMNS}
        for attack, values in record["curves"].items():
            if attack in ATTACKS:
                pairs = list(zip(settings.eps, values))
            else:
                neutral = settings.neutral[attack]
                pairs = [
                    (0.0, record["clean"]),
                    *((abs(s - neutral), v) for s, v in zip(settings.corruptions[attack], values)),
                ]
            if len(pairs) != len(values) + (attack not in ATTACKS):
                raise ConfigError(f"{attack} curve", len(values), "one accuracy per level of the settings")
            rows += [
                run | {"attack": attack, "level": float(level), "accuracy": float(value)} for level, value in pairs
            ]
    return pd.DataFrame(rows)


def moments_frame(records: Sequence[dict]) -> pd.DataFrame:
    """Per run: clean accuracy, the margin's mean and standard deviation, the mean input-gradient norm."""
    return pd.DataFrame(
        [
            {k: r[k] for k in RUN_COLUMNS}
            | {
                "clean": r["clean"],
                "margin_mean": float(np.mean(r["margins"])),
                "margin_std": float(np.std(r["margins"], ddof=1)),
                "gradient_norm_mean": float(np.mean(r["gradient_norms"])),
            }
            for r in records
        ]
    )


def records_for(dataset: str, aliases, phis, seeds: int, store, budget=None) -> tuple[list[dict], str]:
    """The store's evaluations of the grid where it holds any, else the shipped ones; and where they come from."""
    stored = robustness_runs(dataset, aliases, phis, seeds, store, budget) if store is not None else []
    phis = set(map(float, phis))
    command = f"python -m scaling_core robustness --dataset {dataset} --save-to data/robustness/{dataset}.json"
    return stored_or_shipped(
        stored,
        "robustness",
        dataset,
        lambda r: r["alias"] in aliases and r["phi"] in phis and r["seed"] < seeds,
        Maker("robustness", ROBUSTNESS_VERSION, command, code_version(dataset)),
    )


@memoized(maxsize=32)
def seed_summary(curves: pd.DataFrame) -> pd.DataFrame:
    """Accuracy per recipe, φ, perturbation and level: mean, min and max over seeds (in %)."""
    grouped = curves.groupby([*KEYS, "macs", "attack", "level"], sort=False)["accuracy"]
    frame = grouped.agg(["mean", "min", "max", "count"]).reset_index()
    frame[["mean", "min", "max"]] *= 100
    return frame.rename(
        columns={"mean": "accuracy_mean", "min": "accuracy_min", "max": "accuracy_max", "count": "seeds"}
    )


def _eps_half(levels: np.ndarray, accuracy: np.ndarray) -> float:
    """The smallest ε at which accuracy falls to half its clean value (linear between grid points; NaN if never)."""
    half = accuracy[0] / 2
    below = np.nonzero(accuracy <= half)[0]
    if len(below) == 0:
        return float("nan")
    i = below[0]
    if i == 0:
        return 0.0
    return float(np.interp(half, [accuracy[i], accuracy[i - 1]], [levels[i], levels[i - 1]]))


@memoized(maxsize=32)
def robustness_summary(curves: pd.DataFrame, attack: str, reference_eps: float) -> pd.DataFrame:
    """Per recipe and φ (means over seeds): clean accuracy, area under the curve, ε at half accuracy, the gap at ε."""
    rows = []
    chosen = curves[curves["attack"] == attack]
    for (alias, recipe, phi, macs), group in chosen.groupby([*KEYS, "macs"], sort=False):
        mean = group.groupby("level")["accuracy"].mean().sort_index()
        levels, accuracy = mean.index.to_numpy(float), mean.to_numpy(float)
        span = levels[-1] - levels[0]
        rows.append(
            {
                "alias": alias,
                "recipe": recipe,
                "phi": phi,
                "macs": macs,
                "clean": 100 * accuracy[0],
                "auc": 100 * float(np.trapezoid(accuracy, levels) / span) if span > 0 else float("nan"),
                "level_at_half": _eps_half(levels, accuracy),
                "gap_at_reference": 100 * (accuracy[0] - float(np.interp(reference_eps, levels, accuracy))),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ModelFit:
    """The margin model from the measured moments and calibrated on the curves, with each one's error."""

    from_moments: MarginModel
    calibrated: MarginModel
    moments_error: float
    calibrated_error: float


def model_fit(curves: pd.DataFrame, moments: pd.DataFrame, attack: str) -> ModelFit:
    """Both calibrations of the margin model against one attack's measured curves (every run, every ε)."""
    chosen = curves[curves["attack"] == attack]
    start = from_moments(moments)
    fitted = calibrate(chosen, moments)
    return ModelFit(start, fitted, fit_error(start, chosen), fit_error(fitted, chosen))


@memoized(maxsize=32)
def modelled_curves(model: MarginModel, curves: pd.DataFrame, attack: str) -> pd.DataFrame:
    """The model's accuracy (%) at every recipe, φ and ε the measurement has."""
    grid = curves[curves["attack"] == attack].drop_duplicates([*KEYS, "level"]).copy()
    grid["accuracy_modelled"] = 100 * predict(model, grid)
    return grid[[*KEYS, "macs", "level", "accuracy_modelled"]]


@memoized(maxsize=32)
def moments_table(moments: pd.DataFrame) -> pd.DataFrame:
    """Per recipe and φ, means over seeds: clean accuracy (%), the margin's mean and sd, the gradient norm's mean."""
    table = (
        moments.groupby(["recipe", "phi"], sort=False)[["clean", "margin_mean", "margin_std", "gradient_norm_mean"]]
        .mean()
        .reset_index()
    )
    table["clean"] = 100 * table["clean"]
    return table


def reference_note(levels, reference: float) -> str:
    """One line when the reference level lies outside the measured levels (the gap is then taken at the edge)."""
    levels = sorted(float(v) for v in levels)
    if not levels or levels[0] <= reference <= levels[-1]:
        return ""
    edge = levels[0] if reference < levels[0] else levels[-1]
    return (
        f"The reference level {reference:g} lies outside the measured levels ({levels[0]:g} to {levels[-1]:g}): "
        f"the gap is taken at {edge:g}."
    )


def is_attack(name: str) -> bool:
    """Whether a perturbation is an adversarial attack (level ε) rather than a corruption (level: severity)."""
    return name in ATTACKS
