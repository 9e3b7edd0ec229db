"""The best recipe and φ under a latency budget, by the fitted latency model; the winner is then measured."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from scaling_core.core.cost import CostReport
from scaling_core.core.errors import ConfigError, require_finite
from scaling_core.core.paths import DATA_DIR
from scaling_core.core.recipe import Recipe
from scaling_core.core.rounding import RoundingPolicy
from scaling_core.core.search import largest_feasible
from scaling_core.hardware.latency_model import LinearProfile, default_plan, predict_ms
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import TaskArch, scale_task

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
    return [
        Recipe(a, b, g)
        for a, b, g in itertools.product(grid["alpha"], grid["beta"], grid["gamma"])
        if a * b * b * g * g > 1.0
    ]


@lru_cache(maxsize=1024, typed=True)
def network_at(head: str, recipe: Recipe, phi: float) -> TaskArch:
    """The hardware-friendly network of recipe at φ; a negative φ scales the base down (d = α^φ < 1). Kept (an
    immutable network): the Deployment page's tables and the optimiser ask for the same φ on every run."""
    scaled = Recipe(recipe.alpha**phi, recipe.beta**phi, recipe.gamma**phi)
    return scale_task(head, scaled, 1.0, policy=HARDWARE_FRIENDLY, neck_scaling="recipe")


def within_plan(network: TaskArch) -> bool:
    """Whether the network's head was sampled and its (d, w, r) lie in the region the latency model was fitted on."""
    plan, m = default_plan(), network.multipliers
    if network.task not in plan["heads"]:
        return False
    scale = plan["head_resolution_scale"][network.task]
    return (
        plan["depth"][0] <= m.depth <= plan["depth"][1]
        and plan["width"][0] <= m.width <= plan["width"][1]
        and plan["resolution"][0] * scale <= m.resolution <= plan["resolution"][1] * scale
    )


def _predicted(model: LinearProfile, head: str, recipe: Recipe, phi: float) -> float:
    """Predicted latency, or infinity outside the fitted region (no extrapolation) or below the smallest input."""
    try:
        network = network_at(head, recipe, phi)
    except ConfigError:
        return float("inf")
    return predict_ms(model, network) if within_plan(network) else float("inf")


def largest_phi(model: LinearProfile, recipe: Recipe, budget_ms: float, head: str = "classification") -> float | None:
    """The largest φ in the grid's range whose predicted latency meets the budget (None if none does).

    The feasible φ form one interval (prediction grows with φ; the fitted region is an interval of φ).
    """
    budget_ms = require_finite("budget_ms", budget_ms, minimum=0.0, exclusive=True)
    grid = optimizer_grid()
    return largest_feasible(
        lambda phi: _predicted(model, head, recipe, phi) <= budget_ms,
        grid["phi_min"],
        grid["phi_max"],
        grid["phi_scan_step"],
        PHI_TOLERANCE,
    )


@dataclass(frozen=True)
class Choice:
    """The optimiser's pick: recipe, φ, the discrete network, its objective and predicted latency."""

    recipe: Recipe
    phi: float
    network: TaskArch
    objective: float
    predicted_ms: float


def optimize(
    model: LinearProfile,
    budget_ms: float,
    head: str = "classification",
    objective: str = "macs",
    recipes: list[Recipe] | None = None,
) -> Choice:
    """Among the grid's recipes at their largest affordable φ, the one with the best objective.

    Every candidate is already hardware-friendly: integer repeats, channels multiples of 8,
    resolution a multiple of 8 (the rounding of HARDWARE_FRIENDLY), so what is predicted is what is built.
    Candidates outside the (d, w, r) region of the fitting plan are not considered: a maximiser
    over an extrapolating model picks exactly the networks it under-predicts most.
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
        raise ConfigError(
            "budget_ms",
            budget_ms,
            "at least the predicted latency of the smallest network in the "
            "latency model's fitted region (data/hardware/latency_plan.json)",
        )
    return best


@dataclass(frozen=True)
class MeasuredChoice:
    """The optimiser's pick under a freshly rescaled profile, with the winner's fresh measurement."""

    choice: Choice
    measured: dict
    recalibration_factor: float


def optimize_measured(
    model: LinearProfile, budget_ms: float, options, store, head: str = "classification", objective: str = "macs"
) -> MeasuredChoice:
    """Rescale the profile to a fresh measurement of the unscaled network, optimise, measure the winner."""
    from dataclasses import replace

    from scaling_core.hardware.latency_model import recalibrated
    from scaling_core.hardware.measure import measure, measure_cached

    reference = network_at(head, Recipe(1.2, 1.1, 1.15), 0.0)
    reference_ms = measure(reference, replace(options, min_run_time_s=max(1.0, options.min_run_time_s))).best_ms
    calibrated, factor = recalibrated(model, reference, reference_ms)
    choice = optimize(calibrated, budget_ms, head, objective)
    row, _ = measure_cached(choice.network, options, store, remeasure=True)
    return MeasuredChoice(choice, row, factor)
