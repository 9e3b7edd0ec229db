"""Compound-scaling recipes: (α, β, γ) and the continuous multipliers they give at φ.

Tan & Le, "EfficientNet: Rethinking Model Scaling for CNNs", ICML 2019, eq. 3:
depth d = α^φ, width w = β^φ, resolution r = γ^φ, with α·β²·γ² ≈ 2 so that the
cost (MACs ∝ d·w²·r²) grows by about 2^φ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scaling_core.core.errors import ConfigError, require_finite

COEFFICIENT_NAMES = ("alpha", "beta", "gamma", "tau")
COST_EXPONENTS = {"alpha": 1.0, "beta": 2.0, "gamma": 2.0, "tau": 1.0}


@dataclass(frozen=True)
class Multipliers:
    """Continuous scaling multipliers before any rounding (frames only for video)."""

    depth: float
    width: float
    resolution: float
    frames: float = 1.0

    def __post_init__(self) -> None:
        for name in ("depth", "width", "resolution", "frames"):
            require_finite(f"{name} multiplier", getattr(self, name), minimum=0.0, exclusive=True)

    @property
    def cost_factor(self) -> float:
        """Ideal cost growth d·w²·r²·t of these multipliers (no rounding)."""
        return self.depth * self.width**2 * self.resolution**2 * self.frames


def compound_multipliers(alpha, beta, gamma, phi):
    """d = α^φ, w = β^φ, r = γ^φ; scalars or numpy arrays (one code path for both)."""
    return np.power(alpha, phi), np.power(beta, phi), np.power(gamma, phi)


@dataclass(frozen=True)
class Recipe:
    """Per-step coefficients of compound scaling; EfficientNet's are (1.2, 1.1, 1.15); τ scales video frames."""

    alpha: float
    beta: float
    gamma: float
    tau: float = 1.0

    def __post_init__(self) -> None:
        for name in COEFFICIENT_NAMES:
            object.__setattr__(self, name, require_finite(name, getattr(self, name), minimum=0.0, exclusive=True))

    @property
    def cost_factor(self) -> float:
        """Per-step cost factor α·β²·γ²·τ (MACs grow by this for each unit of φ; τ = 1 outside video)."""
        return self.alpha * self.beta**2 * self.gamma**2 * self.tau

    def multipliers(self, phi: float) -> Multipliers:
        """Continuous (d, w, r, t) at compound coefficient φ ≥ 0 (fractional allowed)."""
        phi = require_finite("phi", phi, minimum=0.0)
        d, w, r = compound_multipliers(self.alpha, self.beta, self.gamma, phi)
        return Multipliers(float(d), float(w), float(r), float(np.power(self.tau, phi)))

    def _scaled_names(self) -> list[str]:
        return [n for n in COEFFICIENT_NAMES if n != "tau" or self.tau != 1.0]

    def rescaled(self, target: float = 2.0) -> Recipe:
        """The recipe whose α·β²·γ²(·τ) equals target, keeping the ratios of the coefficients' logs."""
        target = require_finite("target", target, minimum=0.0, exclusive=True)
        names = self._scaled_names()
        new = _rescale_logs(
            [math.log(getattr(self, n)) for n in names],
            [COST_EXPONENTS[n] for n in names],
            math.log(target),
            "·".join(names) + " cost factor",
        )
        return Recipe(**{**self.__dict__, **dict(zip(names, new))})

    def with_fixed(self, name: str, value: float, target: float = 2.0) -> Recipe:
        """Set one coefficient and rescale the others (ratios of their logs kept) so the cost factor = target."""
        if name not in COEFFICIENT_NAMES:
            raise ConfigError("coefficient", name, f"one of {', '.join(COEFFICIENT_NAMES)}")
        value = require_finite(name, value, minimum=0.0, exclusive=True)
        target = require_finite("target", target, minimum=0.0, exclusive=True)
        others = [n for n in self._scaled_names() if n != name]
        remaining = math.log(target) - COST_EXPONENTS[name] * math.log(value)
        new = _rescale_logs(
            [math.log(getattr(self, n)) for n in others],
            [COST_EXPONENTS[n] for n in others],
            remaining,
            "·".join(f"{n}^{COST_EXPONENTS[n]:g}" for n in others),
        )
        return Recipe(**{**self.__dict__, **dict(zip(others, new)), name: value})


def _rescale_logs(logs: list[float], exponents: list[float], log_target: float, what: str) -> list[float]:
    """Scale logs by one factor s so that Σ exponent·s·log = log_target."""
    weighted = sum(e * l for e, l in zip(exponents, logs))
    if abs(weighted) < 1e-12:
        if abs(log_target) < 1e-12:
            return [math.exp(l) for l in logs]
        raise ConfigError(what, 1.0, "≠ 1 to rescale (the coefficients it is made of must not all be 1)")
    s = log_target / weighted
    return [math.exp(s * l) for l in logs]
