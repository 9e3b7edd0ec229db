"""The best recipe and φ under a latency budget, by the fitted latency model; the winner is then measured."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from .cost import CostReport
from .errors import ConfigError, require_finite
from .latency_model import LinearProfile, predict_ms
from .paths import DATA_DIR
from .recipe import Recipe
from .rounding import RoundingPolicy
from .task_cost import count_task
from .tasks import TaskArch, scale_task

PHI_TOLERANCE = 1e-3
HARDWARE_FRIENDLY = RoundingPolicy(width_divisor=8, depth_rounding="ceil", resolution_multiple=8)

OBJECTIVES: dict[str, Callable[[TaskArch, CostReport], float]] = {
    # MACs as a capacity proxy until an accuracy estimate plugs in under its own name.
    "macs": lambda task, report: float(report.macs),
}


@lru_cache(maxsize=1)
def optimizer_grid() -> dict:
    """The recipes searched (data/hardware/optimizer_grid.json)."""
    return json.loads((DATA_DIR / "hardware" / "optimizer_grid.json").read_text())


def grid_recipes() -> list[Recipe]:
    """Every recipe of the grid that grows with φ."""
    grid = optimizer_grid()
    return [Recipe(a, b, g) for a, b, g in itertools.product(grid["alpha"], grid["beta"], grid["gamma"])
            if a * b * b * g * g > 1.0]


def network_at(head: str, recipe: Recipe, phi: float) -> TaskArch:
    """The hardware-friendly network of recipe at φ; a negative φ scales the base down (d = α^φ < 1)."""
    scaled = Recipe(recipe.alpha**phi, recipe.beta**phi, recipe.gamma**phi)
    return scale_task(head, scaled, 1.0, policy=HARDWARE_FRIENDLY, neck_scaling="recipe")


def _predicted(model: LinearProfile, head: str, recipe: Recipe, phi: float) -> float:
    try:
        return predict_ms(model, network_at(head, recipe, phi))
    except ConfigError:  # scaled below the minimum resolution: treat as never fitting
        return float("inf")


def largest_phi(model: LinearProfile, recipe: Recipe, budget_ms: float, head: str = "classification") -> float | None:
    """The largest φ in the grid's range whose predicted latency meets the budget (None if none does)."""
    budget_ms = require_finite("budget_ms", budget_ms, minimum=0.0, exclusive=True)
    phi_min, phi_max = optimizer_grid()["phi_min"], optimizer_grid()["phi_max"]
    if _predicted(model, head, recipe, phi_min) > budget_ms:
        return None
    if _predicted(model, head, recipe, phi_max) <= budget_ms:
        return phi_max
    low, high = phi_min, phi_max
    while high - low > PHI_TOLERANCE:
        middle = (low + high) / 2
        low, high = (middle, high) if _predicted(model, head, recipe, middle) <= budget_ms else (low, middle)
    return low


@dataclass(frozen=True)
class Choice:
    """The optimiser's pick: recipe, φ, the discrete network, its objective and predicted latency."""

    recipe: Recipe
    phi: float
    network: TaskArch
    objective: float
    predicted_ms: float


def optimize(model: LinearProfile, budget_ms: float, head: str = "classification", objective: str = "macs",
             recipes: list[Recipe] | None = None) -> Choice:
    """Among the grid's recipes at their largest affordable φ, the one with the best objective.

    Every candidate is already hardware-friendly: integer repeats, channels multiples of 8,
    resolution a multiple of 8 (the rounding of HARDWARE_FRIENDLY), so what is predicted is what is built.
    """
    if objective not in OBJECTIVES:
        raise ConfigError("objective", objective, f"one of {', '.join(OBJECTIVES)}")
    best: Choice | None = None
    for recipe in recipes or grid_recipes():
        phi = largest_phi(model, recipe, budget_ms, head)
        if phi is None:
            continue
        network = network_at(head, recipe, phi)
        value = OBJECTIVES[objective](network, count_task(network))
        if best is None or value > best.objective:
            best = Choice(recipe, phi, network, value, predict_ms(model, network))
    if best is None:
        smallest = min(_predicted(model, head, r, optimizer_grid()["phi_min"]) for r in recipes or grid_recipes())
        raise ConfigError("budget_ms", budget_ms, f"≥ {smallest:.1f} ms, the predicted latency of the smallest "
                          "network in the search range")
    return best
