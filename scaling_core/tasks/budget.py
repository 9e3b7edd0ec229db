"""Task-specific recipes compared at one MACs budget: the largest φ each recipe can afford."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from scaling_core.core.errors import ConfigError, require_finite
from scaling_core.core.recipe import Recipe
from scaling_core.core.search import largest_feasible
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import TASK_DIR, scale_task

PHI_MAX = 12.0
PHI_TOLERANCE = 1e-3
PHI_SCAN_STEP = 0.5


@dataclass(frozen=True)
class NamedRecipe:
    """A recipe with the name it is shown under."""

    name: str
    recipe: Recipe


@lru_cache(maxsize=1)
def task_recipes() -> tuple[NamedRecipe, ...]:
    """The recipes compared on the Tasks page (data/tasks/recipes.json)."""
    raw = json.loads((TASK_DIR / "recipes.json").read_text())
    return tuple(NamedRecipe(r.pop("name"), Recipe(**r)) for r in (dict(x) for x in raw["recipes"]))


def macs_at(head: str, recipe: Recipe, phi: float, neck_scaling: str = "efficientdet") -> int:
    """Exact MACs of the task network of recipe at φ."""
    return int(count_task(scale_task(head, recipe, phi, neck_scaling=neck_scaling)).macs)


def largest_phi_within(head: str, recipe: Recipe, budget_macs: float, neck_scaling: str = "efficientdet") -> float:
    """The largest φ in [0, 12] whose exact MACs fit the budget (scan and bisection; see `search`)."""
    budget_macs = require_finite("budget_macs", budget_macs, minimum=0.0, exclusive=True)
    base = macs_at(head, recipe, 0.0, neck_scaling)
    if base > budget_macs:
        raise ConfigError("budget_macs", budget_macs, f"≥ {base:,} (the unscaled {head} network)")
    phi = largest_feasible(
        lambda p: macs_at(head, recipe, p, neck_scaling) <= budget_macs, 0.0, PHI_MAX, PHI_SCAN_STEP, PHI_TOLERANCE
    )
    return 0.0 if phi is None else phi


@lru_cache(maxsize=64)
def compare_at_budget(
    head: str, budget_macs: float, recipes: tuple[NamedRecipe, ...] | None = None, neck_scaling: str = "efficientdet"
) -> pd.DataFrame:
    """One row per recipe at its largest affordable φ: multipliers, resolution, params, MACs of the backbone,
    the neck and each head."""
    rows = []
    for named in recipes or task_recipes():
        phi = largest_phi_within(head, named.recipe, budget_macs, neck_scaling)
        task = scale_task(head, named.recipe, phi, neck_scaling=neck_scaling)
        report = count_task(task)
        m = task.multipliers
        components = report.by_component()
        neck = {"MACs: neck": int(components["neck"].macs)} if "neck" in components else {}
        heads = {f"MACs: {p.name}": int(p.counts.macs) for p in report.parts if p.component == "head"}
        rows.append(
            {
                "recipe": named.name,
                "alpha": named.recipe.alpha,
                "beta": named.recipe.beta,
                "gamma": named.recipe.gamma,
                "phi": round(phi, 3),
                "depth d": m.depth,
                "width w": m.width,
                "resolution r": m.resolution,
                "resolution (px)": task.resolution_px,
                "params": int(report.params),
                "MACs": int(report.macs),
                "MACs: backbone": int(components["backbone"].macs),
                **neck,
                **heads,
            }
        )
    return pd.DataFrame(rows)
