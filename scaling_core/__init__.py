"""Compound model scaling: recipes, discrete architectures, exact analytic costs, sweeps.

Torch is imported at import time only by the modules that build or run models (`build`, `task_build`,
`verify`); `latency` and `hardware` import it inside the functions that measure.
"""

__version__ = "0.5.0"

from .arch import ScaledArch, scale, scale_recipe
from .base import BaseSpec, available_bases, load_base
from .cost import CostReport, Counts, count
from .errors import ConfigError
from .presets import get_preset, preset_names, scale_preset
from .recipe import Multipliers, Recipe
from .rounding import RoundingPolicy
from .sweep import sweep

__all__ = [
    "BaseSpec", "ConfigError", "CostReport", "Counts", "Multipliers", "Recipe", "RoundingPolicy", "ScaledArch",
    "available_bases", "count", "get_preset", "load_base", "preset_names", "scale", "scale_preset",
    "scale_recipe", "sweep",
]
