"""Scaling rules as one idea: a rule maps a FLOP scale s to depth, width and resolution multipliers.

A rule is three exponents (e_d, e_w, e_r) with e_d + 2·e_w + 2·e_r = 1, so that d = s^e_d, w = s^e_w, r = s^e_r
multiply the ideal cost d·w²·r² by exactly s (before rounding):
- compound (Tan & Le, EfficientNet, ICML 2019, eq. 3): d = α^φ, w = β^φ, r = γ^φ is s = (α·β²·γ²)^φ with
  e = (ln α, ln β, ln γ) / ln(α·β²·γ²); φ and s name the same network;
- dWr (Dollár, Singh & Girshick, "Fast and Accurate Model Scaling", CVPR 2021, section 4): depth and resolution
  share 1 − α of the FLOP growth, width α: e = ((1 − α)/2, α/2, (1 − α)/4); at α = 0.8, d ∝ s^0.1, w ∝ s^0.4,
  r ∝ s^0.05 (pycls's "d1_w8_g8_r1", pycls/models/scaler.py, which also scales group widths as widths);
- depth-, width- or resolution-only: all of s in one dimension, e = (1, 0, 0), (0, ½, 0) or (0, 0, ½);
- exponents: any (e_d, e_w, e_r) with e_d + 2·e_w + 2·e_r = 1 (a negative one shrinks that dimension).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scaling_core.core.errors import ConfigError, require_finite
from scaling_core.core.recipe import Multipliers, Recipe

RULES = ("compound", "dwr", "depth", "width", "resolution", "exponents")
DWR_ALPHA = 0.8  # the paper's default: 80% of the FLOP growth in width
EXPONENT_TOLERANCE = 1e-6
SINGLE = {"depth": (1.0, 0.0, 0.0), "width": (0.0, 0.5, 0.0), "resolution": (0.0, 0.0, 0.5)}


@dataclass(frozen=True)
class ScalingRule:
    """A rule by name and its exponents of the FLOP scale s (d = s^depth, w = s^width, r = s^resolution)."""

    name: str
    depth: float
    width: float
    resolution: float
    description: str = ""

    def __post_init__(self) -> None:
        for field in ("depth", "width", "resolution"):
            object.__setattr__(self, field, require_finite(f"{field} exponent", getattr(self, field)))
        total = self.depth + 2 * self.width + 2 * self.resolution
        if abs(total - 1.0) > EXPONENT_TOLERANCE:
            raise ConfigError(
                "exponents",
                f"e_d + 2·e_w + 2·e_r = {total:.6g}",
                "exponents of a FLOP scale: e_d + 2·e_w + 2·e_r = 1",
            )

    def multipliers(self, flops_scale: float) -> Multipliers:
        """(d, w, r) at FLOP scale s ≥ 1 (fractional allowed; s = 1 is the base)."""
        s = require_finite("flops scale", flops_scale, minimum=1.0)
        return Multipliers(s**self.depth, s**self.width, s**self.resolution)


def compound_rule(recipe: Recipe) -> ScalingRule:
    """Compound scaling as a rule of s: the exponents of (α, β, γ) normalised by ln(α·β²·γ²)."""
    cost = recipe.alpha * recipe.beta**2 * recipe.gamma**2
    if cost <= 1.0:
        raise ConfigError("alpha·beta²·gamma²", f"{cost:.4g}", "> 1 (the recipe must grow the network)")
    log_cost = math.log(cost)
    logs = [math.log(v) for v in (recipe.alpha, recipe.beta, recipe.gamma)]
    depth, width, resolution = (value / log_cost for value in logs)
    return ScalingRule(
        "compound", depth, width, resolution, f"compound α={recipe.alpha:g}, β={recipe.beta:g}, γ={recipe.gamma:g}"
    )


def dwr_rule(alpha: float = DWR_ALPHA) -> ScalingRule:
    """Dollár et al.'s dWr scaling: width takes α of the FLOP growth, depth and resolution share the rest."""
    a = require_finite("dwr alpha", alpha, minimum=0.0)
    if a > 1.0:
        raise ConfigError("dwr alpha", a, "a number in [0, 1] (the share of the FLOP growth in width)")
    return ScalingRule("dwr", (1 - a) / 2, a / 2, (1 - a) / 4, f"dWr α={a:g}")


def single_rule(dimension: str) -> ScalingRule:
    """All of the FLOP growth in one dimension: depth, width or resolution."""
    if dimension not in SINGLE:
        raise ConfigError("rule", dimension, f"one of {', '.join(SINGLE)}")
    return ScalingRule(dimension, *SINGLE[dimension], f"{dimension} only")


# The rules that families are compared under (the Pareto page, `bench --families`): compound with EfficientNet's
# coefficients, dWr at the paper's α, and each single dimension.
COMPARED_RULES = ("compound", "dwr", "depth", "width", "resolution")
EFFICIENTNET_RECIPE = Recipe(1.2, 1.1, 1.15)


def compared_rule(name: str) -> ScalingRule:
    """A rule of the comparison by name."""
    if name == "compound":
        return compound_rule(EFFICIENTNET_RECIPE)
    if name == "dwr":
        return dwr_rule()
    if name in SINGLE:
        return single_rule(name)
    raise ConfigError("rule", name, f"one of {', '.join(COMPARED_RULES)}")
