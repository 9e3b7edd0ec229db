"""Pareto fronts of recipes × φ: accuracy against a cost, budgets as constraints, the non-dominated set.

A point dominates another when it is at least as accurate and at most as costly, and strictly
better in one of the two. Points over a budget (MACs, latency, memory) are infeasible: they are
shown grey and take no part in the front, as optuna's constrained Pareto plot does.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from scaling_core.core.base import base_rounding
from scaling_core.core.errors import ConfigError
from scaling_core.core.memo import memoized
from scaling_core.core.memory import BYTES_PER_FLOAT32
from scaling_core.core.paths import DATA_DIR
from scaling_core.core.recipe import Recipe
from scaling_core.core.sweep import sweep

RECIPES_FILE = DATA_DIR / "pareto" / "recipes.json"
COEFFICIENT_RANGE = (0.5, 2.5)
MAX_USER_RECIPES = 12
CSV_RECIPE = "your CSV"  # the group of uploaded rows that match no grid point; no recipe may take its name
NAME_PATTERN = re.compile(r"^[\w .()+\-]{1,40}$")


@dataclass(frozen=True)
class NamedRecipe:
    """A recipe with the name the page shows and where it comes from."""

    name: str
    recipe: Recipe
    citation: str
    builtin: bool = True


def _from_shares(shares: dict, cost: float) -> Recipe:
    total = sum(shares.values())
    s = {k: v / total for k, v in shares.items()}
    return Recipe(cost ** s["d"], cost ** (s["w"] / 2), cost ** (s["r"] / 2))


@lru_cache(maxsize=1)
def builtin_recipes() -> tuple[NamedRecipe, ...]:
    """The shipped recipes (data/pareto/recipes.json), all at the reference recipe's per-step cost."""
    raw = json.loads(RECIPES_FILE.read_text())
    explicit = {r["name"]: Recipe(**r["coefficients"]) for r in raw["recipes"] if "coefficients" in r}
    cost = explicit[raw["reference"]].cost_factor
    return tuple(
        NamedRecipe(r["name"], explicit.get(r["name"]) or _from_shares(r["cost_shares"], cost), r["citation"])
        for r in raw["recipes"]
    )


def reference_cost() -> float:
    """Per-step cost α·β²·γ² every built-in recipe shares."""
    return builtin_recipes()[0].recipe.cost_factor


def parse_user_recipes(text: str) -> tuple[NamedRecipe, ...]:
    """User recipes from their link form `name,α,β,γ;name,α,β,γ` (ConfigError naming the bad part)."""
    recipes: list[NamedRecipe] = []
    for i, part in enumerate(p for p in text.split(";") if p.strip()):
        fields = [f.strip() for f in part.split(",")]
        where = f"user recipe {i + 1}"
        if len(fields) != 4:
            raise ConfigError(where, part, "name,alpha,beta,gamma")
        name = fields[0]
        if not NAME_PATTERN.match(name):
            raise ConfigError(f"{where} name", name, "1–40 letters, digits, spaces or . ( ) + - _")
        if name in {r.name for r in builtin_recipes()} | {r.name for r in recipes} | {CSV_RECIPE}:
            raise ConfigError(f"{where} name", name, "a name not used by another recipe")
        coefficients = []
        for symbol, raw in zip(("alpha", "beta", "gamma"), fields[1:]):
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            if not (math.isfinite(value) and COEFFICIENT_RANGE[0] <= value <= COEFFICIENT_RANGE[1]):
                raise ConfigError(f"{where} {symbol}", raw, "a number in [{:g}, {:g}]".format(*COEFFICIENT_RANGE))
            coefficients.append(value)
        recipe = Recipe(*coefficients)
        if recipe.cost_factor <= 1.0:
            raise ConfigError(
                f"{where} alpha·beta²·gamma²", round(recipe.cost_factor, 4), "> 1 (the network must grow with φ)"
            )
        recipes.append(NamedRecipe(name, recipe, "yours", builtin=False))
    if len(recipes) > MAX_USER_RECIPES:
        raise ConfigError("user recipes", len(recipes), f"at most {MAX_USER_RECIPES}")
    return tuple(recipes)


def format_user_recipes(recipes: Sequence[NamedRecipe]) -> str:
    """The link form of user recipes (coefficients in their shortest exact form)."""
    return ";".join(f"{r.name},{r.recipe.alpha!r},{r.recipe.beta!r},{r.recipe.gamma!r}" for r in recipes)


def canonical_user_recipes(text: str) -> str:
    """Validate user recipes and return their canonical link form."""
    return format_user_recipes(parse_user_recipes(text))


@dataclass(frozen=True)
class CostObjective:
    """One cost a front can be drawn against: its column, label and kind of evidence."""

    column: str
    label: str
    source: str


COST_OBJECTIVES: dict[str, CostObjective] = {
    "macs": CostObjective("macs", "MACs (multiply-adds)", "modelled: exact analytic count"),
    "params": CostObjective("params", "parameters", "modelled: exact analytic count"),
    "activations": CostObjective("activations", "activations (conv/linear outputs)", "modelled: exact analytic count"),
    "latency_predicted": CostObjective(
        "latency_predicted_ms",
        "predicted latency (ms)",
        "modelled: the latency model fitted on this machine (Hardware page)",
    ),
    "latency_measured": CostObjective(
        "latency_measured_ms",
        "measured latency (ms)",
        "measured on this machine (results store), or your CSV's latency_ms",
    ),
}


@memoized(maxsize=32)
def grid_frame(
    recipes: Sequence[NamedRecipe],
    phis: Sequence[float],
    *,
    base: str = "efficientnet-b0",
    res_multiple: int = 8,
    num_classes: int | None = None,
) -> pd.DataFrame:
    """Costs of every recipe at every φ (one vectorised sweep per recipe), with its name and modelled memory.

    Configurations the sweep cannot hold (below the base's smallest input) are left out; attrs["dropped"] counts them.
    """
    if not recipes:
        raise ConfigError("recipes", [], "at least one recipe")
    policy = base_rounding(base, res_multiple)
    frames, dropped = [], 0
    for named in recipes:
        frame = sweep([named.recipe], phis, base=base, num_classes=num_classes, drop_invalid=True, policies=(policy,))
        dropped += frame.attrs["dropped"]
        frames.append(frame.assign(recipe=named.name))
    frame = pd.concat(frames, ignore_index=True)
    frame.attrs["dropped"] = dropped
    frame["memory_mb"] = memory_mb(frame)
    return frame


def memory_mb(frame: pd.DataFrame) -> pd.Series:
    """Modelled memory in MiB: float32 parameters plus every conv/linear output at once (see memory.py)."""
    return BYTES_PER_FLOAT32 * (frame["params"] + frame["activations"]) / 2**20


def non_dominated(cost: np.ndarray, accuracy: np.ndarray) -> np.ndarray:
    """Mask of points no other point dominates (lower or equal cost and higher or equal accuracy, one strict)."""
    cost, accuracy = np.asarray(cost, dtype=float), np.asarray(accuracy, dtype=float)
    no_worse = (cost[None, :] <= cost[:, None]) & (accuracy[None, :] >= accuracy[:, None])
    better = (cost[None, :] < cost[:, None]) | (accuracy[None, :] > accuracy[:, None])
    return ~np.any(no_worse & better, axis=1)


BUDGET_COLUMNS = {
    "macs_budget_g": ("macs", 1e9),
    "latency_budget_ms": (None, 1.0),
    "memory_budget_mb": ("memory_mb", 1.0),
}


@memoized(maxsize=32)
def mark_front(
    frame: pd.DataFrame, cost_column: str, budgets: dict[str, float], latency_column: str | None = None
) -> pd.DataFrame:
    """Add feasible, over_budget (which budgets a point breaks), on_front (global) and on_recipe_front columns.

    budgets: macs_budget_g, latency_budget_ms, memory_budget_mb; 0 or missing means no limit.
    The latency budget applies to latency_column; points without a value for the cost take no part.
    """
    frame = frame.copy()
    broken = pd.Series("", index=frame.index)
    for name, limit in budgets.items():
        if not limit:
            continue
        column, unit = BUDGET_COLUMNS[name]
        column = column or latency_column
        if column is None or column not in frame:
            raise ConfigError(name, limit, "used with a latency objective (predicted or measured), or 0 for none")
        over = frame[column].to_numpy(float) > limit * unit
        broken = broken.where(~over, broken + name.replace("_budget", "").split("_")[0] + " ")
    frame["over_budget"] = broken.str.strip()
    present = frame[cost_column].notna() & frame["accuracy"].notna()
    frame["feasible"] = present & (frame["over_budget"] == "")
    frame["on_front"] = False
    frame["on_recipe_front"] = False
    feasible = frame[frame["feasible"]]
    if not feasible.empty:
        front = feasible[non_dominated(feasible[cost_column], feasible["accuracy"])]
        # The same network reached by several recipes (φ = 0 always is) is one point of the front.
        frame.loc[front.drop_duplicates([cost_column, "accuracy"]).index, "on_front"] = True
        for _, rows in feasible.groupby("recipe", sort=False):
            frame.loc[rows.index, "on_recipe_front"] = non_dominated(rows[cost_column], rows["accuracy"])
    return frame


def phi_grid(phi_max: float, step: float) -> list[float]:
    """0, step, … up to phi_max (inclusive where it lands on the grid)."""
    n = int(math.floor(phi_max / step + 1e-9))
    return [round(i * step, 10) for i in range(n + 1)]
