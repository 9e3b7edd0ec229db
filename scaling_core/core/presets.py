"""The published EfficientNet variants B0–B7 (official multipliers, not exactly α^φ)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from functools import lru_cache

from scaling_core.core.arch import ScaledArch, scale
from scaling_core.core.base import load_base
from scaling_core.core.errors import ConfigError
from scaling_core.core.paths import PRESETS_FILE
from scaling_core.core.recipe import Multipliers, Recipe
from scaling_core.core.rounding import RoundingPolicy


@dataclass(frozen=True)
class Preset:
    """One published variant with its official multipliers and published reference figures."""

    name: str
    phi: int
    width: float
    depth: float
    resolution_px: int
    dropout: float
    reference_params: int
    reference_resolution_px: int
    reference_gmacs: float
    paper_params_m: float
    paper_gmacs: float


@dataclass(frozen=True)
class PresetTable:
    """The variants, the recipe they nominally follow, and where each number comes from."""

    base: str
    recipe: Recipe
    variants: tuple[Preset, ...]
    citation: str
    reference_citation: str
    paper_citation: str


@lru_cache(maxsize=1)
def preset_table() -> PresetTable:
    """The shipped table of published variants (data/presets/efficientnet.json)."""
    raw = json.loads(PRESETS_FILE.read_text())
    return PresetTable(
        raw["base"],
        Recipe(**raw["coefficients"]),
        tuple(Preset(**v) for v in raw["variants"]),
        raw["citation"],
        raw["reference_citation"],
        raw["paper_citation"],
    )


def preset_names() -> tuple[str, ...]:
    """b0 … b7."""
    return tuple(p.name for p in preset_table().variants)


def get_preset(name: str) -> Preset:
    """A variant by name (case-insensitive)."""
    for p in preset_table().variants:
        if p.name == str(name).lower():
            return p
    raise ConfigError("preset", name, f"one of {', '.join(preset_names())}")


def official_multipliers(preset: Preset) -> Multipliers:
    """The variant's official (d, w, r), r relative to the base resolution."""
    base_px = load_base(preset_table().base).resolution_px
    return Multipliers(preset.depth, preset.width, preset.resolution_px / base_px)


def fitted_phi(preset: Preset) -> float:
    """φ that best explains the official multipliers under the recipe (least squares in log space)."""
    recipe = preset_table().recipe
    m = official_multipliers(preset)
    pairs = [
        (math.log(m.depth), math.log(recipe.alpha)),
        (math.log(m.width), math.log(recipe.beta)),
        (math.log(m.resolution), math.log(recipe.gamma)),
    ]
    return sum(a * b for a, b in pairs) / sum(b * b for _, b in pairs)


def scale_preset(name: str, *, num_classes: int | None = None) -> ScaledArch:
    """The official variant: published width and depth, published resolution exactly (multiple of 1)."""
    preset = get_preset(name)
    arch = scale(
        official_multipliers(preset),
        base=preset_table().base,
        policy=RoundingPolicy(resolution_multiple=1),
        num_classes=num_classes,
        label=f"EfficientNet-{preset.name.upper()} (official)",
    )
    return replace(arch, classifier=replace(arch.classifier, dropout=preset.dropout))
