"""The compound-scaling law checked on whole task networks: does MACs grow as d·w²·r²(·t)?

For a head, every recipe of a grid is scaled over φ and counted exactly. Two views:
- the law's prediction MACs₀ · d·w²·r²·t (MACs₀ = the unscaled network, d…t the continuous
  multipliers), and the relative deviation of the real count from it;
- a least-squares fit log MACs = c + a·log d + b·log w + g·log r (+ k·log t), whose exponents
  say how the real network scales (the law says a = 1, b = 2, g = 2, k = 1), with R².
Each component (backbone, neck, head) is fitted too, which shows where the law breaks.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from scaling_core.core.recipe import Recipe
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import TASK_DIR, scale_task

LAW_EXPONENTS = {"depth": 1.0, "width": 2.0, "resolution": 2.0, "frames": 1.0}


@dataclass(frozen=True)
class Fit:
    """Exponents of a log-linear fit, its intercept and R²."""

    exponents: dict[str, float]
    intercept: float
    r_squared: float


@dataclass(frozen=True)
class LawCheck:
    """The law against exact counts for one head: the fit, the deviations, the grid behind them."""

    head: str
    neck_scaling: str
    fit: Fit
    component_fits: dict[str, Fit]
    max_deviation: float
    worst: dict[str, float]
    table: pd.DataFrame

    def as_dict(self) -> dict:
        """JSON-ready summary (the grid itself left out)."""
        return {
            "head": self.head,
            "neck_scaling": self.neck_scaling,
            "law_exponents": self.law_exponents(),
            "exponents": self.fit.exponents,
            "intercept": self.fit.intercept,
            "r_squared": self.fit.r_squared,
            "max_relative_deviation": self.max_deviation,
            "worst_configuration": self.worst,
            "components": {
                name: {"exponents": f.exponents, "r_squared": f.r_squared} for name, f in self.component_fits.items()
            },
            "configurations": len(self.table),
        }

    def law_exponents(self) -> dict[str, float]:
        """The exponents the law predicts for the fitted multipliers."""
        return {k: LAW_EXPONENTS[k] for k in self.fit.exponents}


@lru_cache(maxsize=1)
def law_grid() -> dict:
    """The recipe grid (data/tasks/law_grid.json)."""
    return json.loads((TASK_DIR / "law_grid.json").read_text())


def fit_log_linear(table: pd.DataFrame, target: str, columns: list[str]) -> Fit:
    """Least squares of log(target) on the logs of the multiplier columns."""
    x = np.column_stack([np.ones(len(table))] + [np.log(table[c].to_numpy(float)) for c in columns])
    y = np.log(table[target].to_numpy(float))
    coefficients, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ coefficients
    r_squared = 1.0 - float(residual @ residual) / float(((y - y.mean()) ** 2).sum())
    return Fit({c: float(v) for c, v in zip(columns, coefficients[1:])}, float(coefficients[0]), r_squared)


@lru_cache(maxsize=16)
def check_law(head: str, neck_scaling: str = "efficientdet") -> LawCheck:
    """Count every configuration of the grid for this head and compare with the law."""
    grid = law_grid()
    taus = grid["tau"] if head == "video" else [1.0]
    rows = []
    for alpha, beta, gamma, tau in itertools.product(grid["alpha"], grid["beta"], grid["gamma"], taus):
        if alpha == beta == gamma == tau == 1.0:
            continue
        recipe = Recipe(alpha, beta, gamma, tau)
        for phi in grid["phi"]:
            task = scale_task(head, recipe, phi, neck_scaling=neck_scaling)
            report = count_task(task)
            m = task.multipliers
            rows.append(
                {
                    "alpha": alpha,
                    "beta": beta,
                    "gamma": gamma,
                    "tau": tau,
                    "phi": phi,
                    "depth": m.depth,
                    "width": m.width,
                    "resolution": m.resolution,
                    "frames": m.frames,
                    "resolution_px": task.resolution_px,
                    "macs": int(report.macs),
                    **{f"macs_{name}": int(c.macs) for name, c in report.by_component().items()},
                }
            )
    table = pd.DataFrame(rows)
    columns = ["depth", "width", "resolution"] + (["frames"] if head == "video" else [])
    law_factor = np.prod([table[c] ** LAW_EXPONENTS[c] for c in columns], axis=0)
    base_macs = table.loc[table["phi"] == 0.0, "macs"].iloc[0]
    table["law_macs"] = base_macs * law_factor
    table["deviation"] = table["macs"] / table["law_macs"] - 1.0
    worst = table.loc[table["deviation"].abs().idxmax()]
    components = [c[len("macs_") :] for c in table.columns if c.startswith("macs_")]
    return LawCheck(
        head,
        neck_scaling,
        fit_log_linear(table, "macs", columns),
        {name: fit_log_linear(table, f"macs_{name}", columns) for name in components},
        float(worst["deviation"]),
        {k: float(worst[k]) for k in ("alpha", "beta", "gamma", "tau", "phi", "deviation")},
        table,
    )
