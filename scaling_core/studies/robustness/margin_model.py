"""Modelled robustness: a statistical model of the classification margin, calibrated on the lab's measurements.

Assumptions (each adjustable on the Robustness page):
- An image's logit margin m = z_y − max_{j≠y} z_j is normal, m ~ N(μ, σ²), across the test images.
- An L∞ attack of size ε lowers each margin by ε·g, with g the input-gradient's L1 norm (the first-order
  effect of the worst perturbation in the ε ball), the same for every image.
- So robust accuracy(ε) = P(m > ε·g) = Φ((μ − ε·g) / σ), and clean accuracy is Φ(μ/σ).
- Scaling moves each quantity as a power law of the depth, width and resolution multipliers:
  q(d, w, r) = q₀ · d^a · w^b · r^c for q ∈ {μ, σ, g}. Signal (μ), intrinsic noise (σ) and the attacker's
  lever (g) compete: a bigger network is more robust only if its margin grows faster than ε·g and σ.

Calibration: first from the measured moments (log-linear least squares of the measured mean margin, its
standard deviation and the mean gradient norm on log d, log w, log r); then eleven parameters are
fitted to the measured robust-accuracy curves (scipy.optimize.least_squares, from the moments' values),
except σ's base, held at its measured value: scaling μ, σ and g together changes no accuracy.
The fit error is the root mean square difference, in accuracy points, between model and measurement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scaling_core.core.errors import ConfigError

QUANTITIES = ("mu", "sigma", "g")
TERMS = ("base", "d", "w", "r")
MULTIPLIERS = ("depth_multiplier", "width_multiplier", "resolution_multiplier")
MOMENTS = {"mu": "margin_mean", "sigma": "margin_std", "g": "gradient_norm_mean"}
EXPONENT_RANGE = (-5.0, 5.0)


@dataclass(frozen=True)
class MarginModel:
    """q(d, w, r) = base · d^d · w^w · r^r for q in μ, σ, g: a 3 × 4 table of parameters."""

    parameters: tuple[tuple[float, float, float, float], ...]

    def __post_init__(self) -> None:
        if len(self.parameters) != 3 or any(len(row) != 4 for row in self.parameters):
            raise ConfigError("margin model", self.parameters, "3 rows (mu, sigma, g) of 4 numbers (base, d, w, r)")
        for name, row in zip(QUANTITIES, self.parameters):
            if not (np.isfinite(row[0]) and row[0] > 0):
                raise ConfigError(f"{name} base", row[0], "a positive number")
            for term, value in zip(TERMS[1:], row[1:]):
                if not (np.isfinite(value) and EXPONENT_RANGE[0] <= value <= EXPONENT_RANGE[1]):
                    raise ConfigError(
                        f"{name} exponent of {term}", value, "a number in [{:g}, {:g}]".format(*EXPONENT_RANGE)
                    )

    def quantity(self, name: str, d, w, r) -> np.ndarray:
        """μ, σ or g at multipliers (d, w, r) (numbers or arrays)."""
        base, a, b, c = self.parameters[QUANTITIES.index(name)]
        return base * np.power(d, a) * np.power(w, b) * np.power(r, c)

    def accuracy(self, d, w, r, eps) -> np.ndarray:
        """Modelled robust accuracy Φ((μ − ε·g) / σ)."""
        mu, sigma, g = (self.quantity(q, d, w, r) for q in QUANTITIES)
        from scipy import stats  # loaded when a curve is drawn, not when the app's state is declared

        return stats.norm.cdf((mu - np.asarray(eps) * g) / sigma)

    def as_text(self) -> str:
        """The link form: `mu:base,d,w,r;sigma:…;g:…`."""
        return ";".join(f"{q}:" + ",".join(repr(float(v)) for v in row) for q, row in zip(QUANTITIES, self.parameters))


def parse_model(text: str) -> MarginModel:
    """A model from its link form (ConfigError naming the bad part)."""
    rows = {}
    for part in (p for p in text.split(";") if p.strip()):
        name, _, values = part.partition(":")
        try:
            numbers = tuple(float(v) for v in values.split(","))
        except ValueError:
            numbers = ()
        if name.strip() not in QUANTITIES or len(numbers) != 4:
            raise ConfigError("robust_model", part, "mu:base,d,w,r;sigma:base,d,w,r;g:base,d,w,r")
        rows[name.strip()] = numbers
    if set(rows) != set(QUANTITIES):
        raise ConfigError("robust_model", text, "all three of mu, sigma and g")
    return MarginModel(tuple(rows[q] for q in QUANTITIES))


def canonical_model(text: str) -> str:
    """A model's link text in canonical form ('' means: the calibrated model)."""
    return parse_model(text).as_text() if text.strip() else ""


def _log_multipliers(frame: pd.DataFrame) -> np.ndarray:
    return np.log(frame[list(MULTIPLIERS)].to_numpy(dtype=float))


def from_moments(moments: pd.DataFrame) -> MarginModel:
    """Log-linear least squares of the measured μ, σ and g on log d, log w, log r (runs with all three positive)."""
    usable = moments[(moments[list(MOMENTS.values())] > 0).all(axis=1)]
    if usable.empty:
        raise ConfigError(
            "measured mean margin",
            float(moments["margin_mean"].max()),
            "positive for at least one run (a network better than chance)",
        )
    design = np.column_stack([np.ones(len(usable)), _log_multipliers(usable)])
    rows = []
    for q in QUANTITIES:
        values = usable[MOMENTS[q]].to_numpy(dtype=float)
        coefficients, *_ = np.linalg.lstsq(design, np.log(values), rcond=None)
        exponents = np.clip(coefficients[1:], *EXPONENT_RANGE)
        rows.append((float(np.exp(coefficients[0])), *map(float, exponents)))
    return MarginModel(tuple(rows))


def predict(model: MarginModel, curves: pd.DataFrame) -> np.ndarray:
    """Modelled accuracy at each row's multipliers and ε."""
    d, w, r = _log_multipliers(curves).T
    return model.accuracy(np.exp(d), np.exp(w), np.exp(r), curves["level"].to_numpy(dtype=float))


def fit_error(model: MarginModel, curves: pd.DataFrame) -> float:
    """Root mean square of model − measurement, in accuracy points (%)."""
    return float(100 * np.sqrt(np.mean((predict(model, curves) - curves["accuracy"].to_numpy()) ** 2)))


def calibrate(curves: pd.DataFrame, moments: pd.DataFrame) -> MarginModel:
    """All parameters fitted to the measured curves (one attack's rows), started from the moments' model."""
    start = from_moments(moments)
    logs = np.array([[np.log(row[0]), *row[1:]] for row in start.parameters]).ravel()
    measured = curves["accuracy"].to_numpy(dtype=float)
    low = np.tile([-np.inf, EXPONENT_RANGE[0], EXPONENT_RANGE[0], EXPONENT_RANGE[0]], 3)
    high = np.tile([np.inf, EXPONENT_RANGE[1], EXPONENT_RANGE[1], EXPONENT_RANGE[1]], 3)

    # Φ((μ − ε·g)/σ) is unchanged when μ, σ and g grow by one factor: σ's base stays at its measured value.
    fixed = 4

    def model_of(x: np.ndarray) -> MarginModel:
        table = np.insert(x, fixed, logs[fixed]).reshape(3, 4)
        return MarginModel(tuple((float(np.exp(t[0])), *map(float, t[1:])) for t in table))

    free = np.delete(np.clip(logs, low + 1e-9, high - 1e-9), fixed)
    from scipy import optimize

    fit = optimize.least_squares(
        lambda x: predict(model_of(x), curves) - measured, free, bounds=(np.delete(low, fixed), np.delete(high, fixed))
    )
    return model_of(fit.x)
