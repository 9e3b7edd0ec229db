"""Everything the Explorer page shows, computed from its state (the page only renders it)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from scaling_core.accuracy.families import as_specified, family_bases, family_rows
from scaling_core.accuracy.model import AccuracyEstimate, estimate
from scaling_core.app.state import CUSTOM, AppState
from scaling_core.app.views.families import base_top1
from scaling_core.core.arch import ScaledArch, applied_multipliers, scale, scale_recipe
from scaling_core.core.base import base_rounding
from scaling_core.core.cost import CostReport, count
from scaling_core.core.errors import ConfigError
from scaling_core.core.memory import estimate_memory_bytes
from scaling_core.core.presets import fitted_phi, get_preset, preset_table, scale_preset
from scaling_core.core.recipe import Multipliers, Recipe
from scaling_core.core.rounding import RoundingPolicy
from scaling_core.core.rules import ScalingRule, compared_rule, dwr_rule
from scaling_core.core.sweep import sweep
from scaling_core.tasks.summary import part_rows

CURVE_POINTS = 81


@dataclass(frozen=True)
class ExplorerView:
    """The computed view: the shown architecture, its cost, and its context."""

    recipe: Recipe
    arch: ScaledArch
    report: CostReport
    parts: pd.DataFrame
    base: ScaledArch  # the network before scaling, under the same rounding and head (base_network)
    memory_bytes: int
    preset_comparison: pd.DataFrame | None
    fitted_phi: float | None

    @property
    def base_macs(self) -> int:
        """MACs of the network before scaling."""
        return int(count(self.base).macs)

    @property
    def macs_ratio_to_base(self) -> float:
        """Achieved MACs (after rounding) relative to the unscaled base."""
        return int(self.report.macs) / self.base_macs

    def law_ratio(self, phi: float) -> float:
        """The law's ideal cost growth (α·β²·γ²)^φ; 2^φ when the recipe satisfies the constraint."""
        return self.recipe.cost_factor**phi


def policy_of(state: AppState) -> RoundingPolicy:
    """The rounding policy the state selects."""
    return base_rounding(state.base, state.res_multiple)


@lru_cache(maxsize=256)
def explore(state: AppState) -> ExplorerView:
    """The view of a state; ConfigError for input outside the allowed ranges."""
    recipe = Recipe(state.alpha, state.beta, state.gamma)
    policy = policy_of(state)
    if state.preset != CUSTOM:
        arch = scale_preset(state.preset, num_classes=state.num_classes)
    elif state.ex_rule != "compound":
        rule = explorer_rule(state)
        s = 2.0**state.phi
        arch = scale(
            rule.multipliers(s),
            base=state.base,
            policy=policy,
            num_classes=state.num_classes,
            label=f"{rule.description} at s = 2^φ = {s:.3g}",
        )
    else:
        arch = scale_recipe(recipe, state.phi, base=state.base, policy=policy, num_classes=state.num_classes)
    report = count(arch)
    comparison, phi_fit = (
        (None, None)
        if state.preset == CUSTOM
        else (preset_comparison(state, recipe), fitted_phi(get_preset(state.preset)))
    )
    return ExplorerView(
        recipe,
        arch,
        report,
        pd.DataFrame(part_rows(arch, report)),
        base_network(state),
        estimate_memory_bytes(report),
        comparison,
        phi_fit,
    )


RULE_NAMES = {
    "compound": "compound (α, β, γ at φ)",
    "dwr": "dWr (fast compound, at s = 2^φ)",
    "depth": "depth only (s = 2^φ)",
    "width": "width only (s = 2^φ)",
    "resolution": "resolution only (s = 2^φ)",
}


def explorer_rule(state: AppState) -> ScalingRule:
    """The Explorer's rule other than compound: dWr at the state's α, or one dimension."""
    return dwr_rule(state.ex_dwr_alpha) if state.ex_rule == "dwr" else compared_rule(state.ex_rule)


@lru_cache(maxsize=64)
def rule_cost_curve(state: AppState, phi_max: float = 8.0) -> pd.DataFrame:
    """MACs over φ of the Explorer's rule at s = 2^φ (rounded, achieved) beside 2^φ, as `cost_curve` gives for a
    recipe; a φ whose network cannot be built (below the smallest input) is left out and counted."""
    rule, policy = explorer_rule(state), policy_of(state)
    base_macs = count(scale(Multipliers(1.0, 1.0, 1.0), base=state.base, policy=policy)).macs
    rows, dropped = [], 0
    for phi in np.linspace(0.0, phi_max, CURVE_POINTS):
        try:
            arch = scale(rule.multipliers(2.0**phi), base=state.base, policy=policy, num_classes=state.num_classes)
        except ConfigError:
            dropped += 1
            continue
        rows.append({"phi": phi, "macs_ratio_to_base": int(count(arch).macs) / int(base_macs), "law_2_phi": 2.0**phi})
    frame = pd.DataFrame(rows).assign(ideal_cost_ratio=lambda f: f["law_2_phi"])
    frame.attrs["dropped"] = dropped
    return frame


def preset_comparison(state: AppState, recipe: Recipe) -> pd.DataFrame:
    """Official variant vs the formula variant (recipe at φ) vs published figures, one row each."""
    preset = get_preset(state.preset)
    official = scale_preset(state.preset, num_classes=state.num_classes)
    formula = scale_recipe(
        recipe, state.phi, base=preset_table().base, policy=policy_of(state), num_classes=state.num_classes
    )
    columns = {}
    for name, arch in (
        (f"official {preset.name.upper()} (modelled count)", official),
        (f"formula α^φ, β^φ, γ^φ at φ={state.phi:g} (modelled count)", formula),
    ):
        report = count(arch)
        m = arch.multipliers
        columns[name] = {
            "depth d": m.depth,
            "width w": m.width,
            "resolution r": m.resolution,
            "resolution (px)": arch.resolution_px,
            "params": int(report.params),
            "MACs (multiply-adds)": int(report.macs),
            "conv+linear MACs": int(report.total.conv_linear_macs),
        }
    columns["published (torchvision docs)"] = {
        "resolution (px)": preset.reference_resolution_px,
        "params": preset.reference_params,
        "conv+linear MACs": round(preset.reference_gmacs * 1e9),
    }
    columns["published (Tan & Le 2019, Table 2)"] = {
        "resolution (px)": preset.resolution_px,
        "params": round(preset.paper_params_m * 1e6),
        "conv+linear MACs": round(preset.paper_gmacs * 1e9),
    }
    return pd.DataFrame.from_dict(columns, orient="index")


@lru_cache(maxsize=64)
def cost_curve(recipe: Recipe, base: str, res_multiple: int, num_classes: int, phi_max: float = 8.0) -> pd.DataFrame:
    """MACs over φ for the recipe (rounded, achieved) beside the law's (α·β²·γ²)^φ and 2^φ; invalid φ left out."""
    phis = np.linspace(0.0, phi_max, CURVE_POINTS)
    frame = sweep(
        [recipe],
        phis,
        base=base,
        policies=[base_rounding(base, res_multiple)],
        num_classes=num_classes,
        drop_invalid=True,
    )
    frame["law_2_phi"] = 2.0 ** frame["phi"]
    return frame


IMAGENET_CLASSES = 1000


FAMILY_MODEL = (
    "the accuracy model fitted across families (scaling_core/accuracy/families.py) from the preset's published "
    "top-1; ± is the family's leave-one-out RMS error"
)


def top1_of(state: AppState, arch: ScaledArch) -> AccuracyEstimate | None:
    """The network's ImageNet top-1: for EfficientNet-B0's scalings published for an official variant with its
    1000-class head, else modelled; for a family preset published at the preset, modelled from it when scaled; None
    where no published row or model describes the base (or its head has other classes)."""
    m = arch.multipliers
    if state.base == preset_table().base:
        preset = state.preset if state.preset != CUSTOM and state.num_classes == IMAGENET_CLASSES else None
        return estimate(m.depth, m.width, m.resolution, state.base_top1, preset)
    if state.base not in family_bases() or state.num_classes != IMAGENET_CLASSES:
        return None
    applied = applied_multipliers(arch, as_specified(state.base))
    top1 = base_top1(state.base, applied.depth, applied.width, applied.resolution)
    if top1.value is None:
        return None
    published = top1.source == "published"
    citation = next(r.point.citation for r in family_rows() if r.base == state.base) if published else FAMILY_MODEL
    return AccuracyEstimate(
        top1.value,
        top1.source,
        citation,
        top1.error,
        bool(top1.extrapolated),
        None if published else base_top1(state.base, 1.0, 1.0, 1.0).value,
    )


@dataclass(frozen=True)
class StartingPoint:
    """A first step offered on the landing page: a button that opens a page in a meaningful state."""

    key: str
    label: str
    page: str
    changes: tuple[tuple[str, object], ...]
    help: str


INTRODUCTION = (
    "**What this answers:** what a network becomes when compound scaling grows its depth, width and resolution "
    "(α^φ, β^φ, γ^φ), and what that costs.  \n"
    "**How:** exact MACs, parameters and activations (modelled), latency timed on this machine (measured), "
    "ImageNet accuracy (published, or modelled from it).  \n"
    "**Start here** with your own settings below, or with one of these:"
)
STARTING_POINTS = (
    StartingPoint(
        "budget",
        "Scale EfficientNet to a budget",
        "pareto",
        (("pareto_macs_budget_g", 1.0),),
        "The Pareto page with a budget of 1 G multiply-adds: the most accurate network of each recipe within it.",
    ),
    StartingPoint(
        "latency",
        "Fit latency to this machine",
        "hardware",
        (),
        "The Hardware page: time this network, fit a latency model here (a quick fit takes a minute or two), "
        "then the best recipe under a latency budget.",
    ),
    StartingPoint(
        "pareto",
        "Compare recipes on a Pareto front",
        "pareto",
        (),
        "The Pareto page: accuracy against cost for EfficientNet's recipe and the alternatives, and the front.",
    ),
)


NETWORK_ROWS = ("base", "scaled")


def base_network(state: AppState) -> ScaledArch:
    """The network before scaling: the view's base (the published variants' for a preset) at φ = 0, every multiplier
    1, under the same rounding and head: the network "MACs vs base" divides by."""
    return scale_recipe(
        Recipe(state.alpha, state.beta, state.gamma),
        0.0,
        base=state.base if state.preset == CUSTOM else preset_table().base,
        policy=policy_of(state),
        num_classes=state.num_classes,
    )


def network_blocks(base: ScaledArch, scaled: ScaledArch) -> pd.DataFrame:
    """The two networks as rows of blocks to draw, base first: one row per part (stem, stages, head) with its output
    channels, repeats (stem and head: 1), output resolution and where it starts along its network (in blocks).

    `title` names each network with its input size and depth; `label` is the part's output resolution as drawn.
    """
    rows = []
    for network, arch in zip(NETWORK_ROWS, (base, scaled)):
        name = arch.base_name if network == "base" else arch.label or arch.base_name
        title = f"{network}, {name}: {arch.resolution_px:,} px input, {arch.total_blocks:,} blocks"
        start = 0
        for part in part_rows(arch, count(arch))[:-1]:  # the classifier is a pooled vector, not a stage
            rows.append(
                {
                    "network": network,
                    "title": title,
                    "part": part["part"],
                    "channels": int(part["out_channels"]),
                    "repeats": int(part["repeats"]),
                    "output_px": int(part["output_px"]),
                    "start": start,
                    "label": f"{int(part['output_px']):,} px",
                }
            )
            start += int(part["repeats"])
    return pd.DataFrame(rows)
