"""Compound model scaling: recipes, discrete architectures, exact analytic costs, sweeps.

The subpackages are layers (ARCHITECTURE.md): `core` (this public API), `storage`, `tasks`, `nn`, `hardware`,
`accuracy`, `lab`, `studies`, `app`, `cli`. Torch is imported at import time only where models are built or run
(`nn`, the lab, the studies' measurements); `hardware` imports it inside the functions that measure.
"""

__version__ = "0.5.0"

from scaling_core.core.arch import ScaledArch, scale, scale_recipe
from scaling_core.core.base import BaseSpec, available_bases, load_base
from scaling_core.core.cost import CostReport, Counts, count
from scaling_core.core.errors import ConfigError
from scaling_core.core.presets import get_preset, preset_names, scale_preset
from scaling_core.core.recipe import Multipliers, Recipe
from scaling_core.core.rounding import RoundingPolicy
from scaling_core.core.sweep import sweep

__all__ = [
    "BaseSpec",
    "ConfigError",
    "CostReport",
    "Counts",
    "Multipliers",
    "Recipe",
    "RoundingPolicy",
    "ScaledArch",
    "available_bases",
    "count",
    "get_preset",
    "load_base",
    "preset_names",
    "scale",
    "scale_preset",
    "scale_recipe",
    "sweep",
]
