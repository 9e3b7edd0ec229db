"""The runtimes compared on one machine: each runtime's latency model and its held-out accuracy, the few-sample
calibration study across them, and where the best recipe under a budget differs between runtimes.

`runtimes --save-to data/hardware/runtimes-latency.json` measures what the `runtimes` section of
data/hardware/settings.json names (fit-latency's plan per runtime and precision, with the store keeping every
measurement), and the Hardware page shows the file where the store holds no such comparison.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from scaling_core.core.errors import ConfigError
from scaling_core.core.paths import DATA_DIR
from scaling_core.hardware.latency_model import FitReport, LinearProfile
from scaling_core.hardware.runtimes import RUNTIME_TABLE
from scaling_core.hardware.settings import RuntimesFile, hardware_settings

SHIPPED_FILE = "hardware/runtimes-latency.json"


def runtime_settings() -> RuntimesFile:
    """The shipped `runtimes` section."""
    return hardware_settings().runtimes


def runtime_name(runtime: str, precision: str) -> str:
    """How a page names a runtime and precision ("ONNX Runtime int8")."""
    return f"{RUNTIME_TABLE[runtime].words} {precision}"


@dataclass(frozen=True)
class RuntimeModel:
    """A runtime's fitted latency model on this machine, with its held-out scores."""

    runtime: str
    precision: str
    version: str
    fingerprint_id: str
    report: FitReport

    @property
    def name(self) -> str:
        """The runtime and precision in words."""
        return runtime_name(self.runtime, self.precision)


def accuracy_frame(models: list[RuntimeModel]) -> pd.DataFrame:
    """Per runtime: the latency model's and the FLOPs-only line's held-out accuracy, and the re-measurement floor."""
    rows = []
    for model in models:
        m, b = model.report.model_scores, model.report.baseline_scores
        rows.append(
            {
                "runtime": model.name,
                "version": model.version,
                "held_out": len(model.report.test_measured_ms),
                "model_within_10pct": 100.0 * m.within_10pct,
                "model_mape": 100.0 * m.mape,
                "model_kendall_tau": m.kendall_tau,
                "flops_within_10pct": 100.0 * b.within_10pct,
                "flops_mape": 100.0 * b.mape,
                "flops_kendall_tau": b.kendall_tau,
                "noise_floor": 100.0 * model.report.noise_floor,
            }
        )
    return pd.DataFrame(rows)


def best_recipes(models: list[RuntimeModel], budgets_ms, head: str = "classification") -> pd.DataFrame:
    """For each budget and runtime: the optimiser's pick by that runtime's model (recipe, φ, input, MACs, predicted
    latency), and whether it differs from PyTorch eager's pick (None where eager has no model or no pick)."""
    from scaling_core.hardware.optimize import optimize

    rows = []
    for budget in budgets_ms:
        picks = {}
        for model in models:
            try:
                choice = optimize(model.report.model, float(budget), head)
            except ConfigError:
                picks[model.name] = None
                rows.append({"budget_ms": float(budget), "runtime": model.name, "recipe": "none fits", "phi": None})
                continue
            recipe = f"α {choice.recipe.alpha:g}, β {choice.recipe.beta:g}, γ {choice.recipe.gamma:g}"
            picks[model.name] = (recipe, round(choice.phi, 2))
            rows.append(
                {
                    "budget_ms": float(budget),
                    "runtime": model.name,
                    "recipe": recipe,
                    "phi": choice.phi,
                    "resolution_px": choice.network.resolution_px,
                    "macs": int(choice.objective),
                    "predicted_ms": choice.predicted_ms,
                }
            )
        eager = picks.get(runtime_name("eager", "fp32"))
        for row in rows[-len(models) :]:
            pick = picks[row["runtime"]]
            row["differs_from_eager"] = None if eager is None or pick is None else pick != eager
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ShippedRuntimes:
    """The comparison as shipped: per-runtime accuracy, the calibration study, the best recipes, the machine."""

    accuracy: pd.DataFrame
    calibration: pd.DataFrame
    best: pd.DataFrame
    models: dict[str, LinearProfile]
    machine: str
    command: str


@lru_cache(maxsize=1)
def shipped_runtimes() -> ShippedRuntimes | None:
    """The shipped runtime comparison (None where none ships)."""
    path = DATA_DIR / SHIPPED_FILE
    if not path.is_file():
        return None
    document = json.loads(path.read_text())
    hardware = document["provenance"]["hardware"]
    return ShippedRuntimes(
        pd.DataFrame(document["accuracy"]),
        pd.DataFrame(document["calibration"]),
        pd.DataFrame(document["best_recipes"]),
        {name: LinearProfile(tuple(m["features"]), tuple(m["weights"])) for name, m in document["models"].items()},
        f"{hardware['cpu_model']}, {document['threads']} thread(s)",
        document["command"],
    )
