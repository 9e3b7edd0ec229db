"""ImageNet top-1 of scaled networks: the published table, and a model calibrated on it with its error.

Published (data/accuracy/published.json): EfficientNet B0–B7 (Tan & Le 2019, Table 2), the paper's
single-dimension and compound scaling of MobileNetV1/V2 and ResNet-50 (Table 3) and of
EfficientNet-B0 (Table 7), and the B0 scaling curves of Figure 3 (read from the figure).

Modelled: top-1 error falls from the base's error with diminishing returns in each dimension,
    err(d, w, r) = err_base · exp(−s_family · Σ_i a_i · (1 − x_i^(−k_i))),   x = (d, w, r),
    top-1 = 100 − err.
Each dimension's term rises from 0 at x = 1 towards its ceiling a_i, ever more slowly (its slope
a_i·k_i·x^(−k_i−1) falls), so doubling one dimension again buys less each time — the paper's
observation 1 — while spreading one budget over the three keeps every term on its steep part,
which is why compound scaling wins at equal cost (observation 2). Working on the error rather
than the accuracy keeps estimates below 100% and makes a stronger base gain fewer points.
Assumptions: the three terms add in log error (no interaction between dimensions beyond that);
every family shares the shape (a_i, k_i) and differs only by a gain factor s_family (1 for
EfficientNet-B0, fitted for MobileNetV1, MobileNetV2, ResNet-50); d, w, r are the continuous
coefficients before rounding; each series is measured against its own baseline, whose published
top-1 is the input err_base (training setups differ between series, e.g. B0 at 76.1% in Figure 3
and 77.3% in Table 7).
Fit: least squares in top-1 points (scipy.optimize.least_squares) over every non-baseline row.
Error: leave-one-out — each row is left out in turn, the model refitted without it and asked to
predict it; the root-mean-square of those errors is shown beside every estimate. Estimates
outside the convex hull of the calibration rows in log(d, w, r) are marked as extrapolation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.spatial import ConvexHull

from scaling_core.core.errors import ConfigError, require_finite
from scaling_core.core.paths import DATA_DIR
from scaling_core.core.presets import get_preset, official_multipliers

PUBLISHED_FILE = DATA_DIR / "accuracy" / "published.json"
REFERENCE_FAMILY = "EfficientNet-B0"
DIMENSIONS = ("d", "w", "r")
HULL_TOLERANCE = 1e-6
BASE_TOP1_RANGE = (1.0, 99.9)


@dataclass(frozen=True)
class PublishedPoint:
    """One published row: a scaled network's (d, w, r), its top-1 and where the number comes from."""

    series: str
    family: str
    label: str
    d: float
    w: float
    r: float
    top1: float
    base_top1: float
    gmacs: float | None
    params_m: float | None
    citation: str
    where: str
    kind: str
    preset: str | None = None

    @property
    def is_baseline(self) -> bool:
        """The series' anchor (d = w = r = 1)."""
        return self.d == self.w == self.r == 1.0


def _coordinates(row: dict) -> tuple[float, float, float, float | None, float | None]:
    """(d, w, r, GMACs, params in millions) of a row: a preset's official multipliers and figures, or the row's own."""
    if "preset" in row:
        preset = get_preset(row["preset"])
        m = official_multipliers(preset)
        return m.depth, m.width, m.resolution, preset.paper_gmacs, preset.paper_params_m
    return float(row["d"]), float(row["w"]), float(row["r"]), row.get("gmacs"), row.get("params_m")


@lru_cache(maxsize=1)
def published_points() -> tuple[PublishedPoint, ...]:
    """Every published row, each with its series' baseline top-1."""
    raw = json.loads(PUBLISHED_FILE.read_text())
    points = []
    for series in raw["series"]:
        coordinates = [_coordinates(row) for row in series["rows"]]
        baselines = [row["top1"] for row, c in zip(series["rows"], coordinates) if c[:3] == (1.0, 1.0, 1.0)]
        if len(baselines) != 1:
            raise ConfigError(
                f"{PUBLISHED_FILE.name}: series {series['id']}",
                len(baselines),
                "exactly one baseline row (d = w = r = 1)",
            )
        points += [
            PublishedPoint(
                series["id"],
                series["family"],
                row["label"],
                *c[:3],
                float(row["top1"]),
                float(baselines[0]),
                *c[3:],
                raw["citations"][series["citation"]],
                series["where"],
                series["kind"],
                row.get("preset"),
            )
            for row, c in zip(series["rows"], coordinates)
        ]
    return tuple(points)


def published_frame() -> pd.DataFrame:
    """The published table as a DataFrame (one row per network)."""
    return pd.DataFrame([{**p.__dict__, "baseline": p.is_baseline} for p in published_points()])


@dataclass(frozen=True)
class AccuracyModel:
    """Fitted parameters of the modelled top-1 (see the module docstring)."""

    ceilings: tuple[float, float, float]
    exponents: tuple[float, float, float]
    family_gain: dict[str, float]

    def predict(self, d, w, r, base_top1, family: str = REFERENCE_FAMILY) -> np.ndarray:
        """Modelled top-1 (%) for arrays (or scalars) of d, w, r and the base's top-1."""
        if family not in self.family_gain:
            raise ConfigError("family", family, f"one of {', '.join(self.family_gain)}")
        return self._predict(d, w, r, base_top1, self.family_gain[family])

    def _predict(self, d, w, r, base_top1, gain) -> np.ndarray:
        x = np.stack(np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (d, w, r))), axis=-1)
        total = np.sum(np.asarray(self.ceilings) * (1.0 - x ** -np.asarray(self.exponents)), axis=-1)
        return 100.0 - (100.0 - np.asarray(base_top1, dtype=float)) * np.exp(-np.asarray(gain) * total)

    def as_dict(self) -> dict:
        """JSON-ready parameters."""
        return {
            "ceilings": dict(zip(DIMENSIONS, self.ceilings)),
            "exponents": dict(zip(DIMENSIONS, self.exponents)),
            "family_gain": dict(self.family_gain),
        }


def _unpack(p: np.ndarray, families: list[str]) -> AccuracyModel:
    gains = dict(zip(families, np.exp(np.concatenate([[0.0], p[6:]])).tolist()))
    return AccuracyModel(tuple(np.exp(p[:3]).tolist()), tuple(np.exp(p[3:6]).tolist()), gains)


def _fit_parameters(points: list[PublishedPoint], families: list[str], starts: list[np.ndarray]) -> np.ndarray:
    """Least squares in top-1 points from each start (log parameters keep them positive); the best."""
    x = np.array([[p.d, p.w, p.r] for p in points]).T
    top1 = np.array([p.top1 for p in points])
    base = np.array([p.base_top1 for p in points])
    family = np.array([families.index(p.family) for p in points])

    def residuals(p: np.ndarray) -> np.ndarray:
        model = _unpack(p, families)
        gains = np.array([model.family_gain[f] for f in families])[family]
        return model._predict(*x, base, gains) - top1

    fits = [optimize.least_squares(residuals, start) for start in starts]
    return min(fits, key=lambda fit: fit.cost).x


def _families(points: list[PublishedPoint]) -> list[str]:
    """The reference family first (its gain is fixed at 1), then the others in a fixed order."""
    return [REFERENCE_FAMILY] + sorted({p.family for p in points} - {REFERENCE_FAMILY})


def fit_accuracy_model(points: list[PublishedPoint], restarts: int = 8, seed: int = 0) -> AccuracyModel:
    """Fit the model on published rows (baselines are inputs, not targets), from several seeded starts."""
    targets = [p for p in points if not p.is_baseline]
    families = _families(list(points))
    rng = np.random.default_rng(seed)
    starts = [rng.normal(0.0, 0.5, 6 + len(families) - 1) for _ in range(restarts)]
    return _unpack(_fit_parameters(targets, families, starts), families)


@dataclass(frozen=True)
class Calibration:
    """The model fitted on every published row, its leave-one-out errors and the calibrated region."""

    model: AccuracyModel
    rows: int
    in_sample_rmse: float
    loo_errors: tuple[float, ...]
    loo_labels: tuple[str, ...]
    hull_equations: tuple[tuple[float, ...], ...]

    @property
    def loo_rmse(self) -> float:
        """Root-mean-square leave-one-out error in top-1 points: the error shown beside every estimate."""
        return float(np.sqrt(np.mean(np.square(self.loo_errors))))

    @property
    def loo_mae(self) -> float:
        """Mean absolute leave-one-out error (points)."""
        return float(np.mean(np.abs(self.loo_errors)))

    @property
    def loo_max(self) -> float:
        """Largest absolute leave-one-out error (points)."""
        return float(np.max(np.abs(self.loo_errors)))

    def within(self, d, w, r) -> np.ndarray:
        """Whether (d, w, r) lies inside the calibration rows' convex hull in log space."""
        x = np.log(np.stack(np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (d, w, r))), axis=-1))
        equations = np.asarray(self.hull_equations)
        return np.all(x @ equations[:, :3].T + equations[:, 3] <= HULL_TOLERANCE, axis=-1)

    def report(self) -> dict:
        """JSON-ready summary (the CLI's `accuracy --report --json`)."""
        return {
            "source": "modelled",
            "formula": "err = err_base · exp(−s_family · Σ a_i (1 − x_i^(−k_i))), x = (d, w, r), top-1 = 100 − err",
            "parameters": self.model.as_dict(),
            "calibration_rows": self.rows,
            "in_sample_rmse_points": self.in_sample_rmse,
            "leave_one_out": {
                "rmse_points": self.loo_rmse,
                "mae_points": self.loo_mae,
                "max_points": self.loo_max,
                "errors": [
                    {"row": label, "error_points": error} for label, error in zip(self.loo_labels, self.loo_errors)
                ],
            },
            "citations": sorted({p.citation for p in published_points()}),
        }


@lru_cache(maxsize=1)
def calibration() -> Calibration:
    """The model calibrated on the shipped table (about a second; cached for the process)."""
    return calibrate(list(published_points()))


def calibrate(points: list[PublishedPoint]) -> Calibration:
    """Fit on the rows, score the fit leave-one-out, and take the rows' hull as the calibrated region."""
    families = _families(points)
    model = fit_accuracy_model(points)
    full = np.concatenate(
        [np.log(model.ceilings), np.log(model.exponents), np.log([model.family_gain[f] for f in families[1:]])]
    )
    targets = [p for p in points if not p.is_baseline]
    predicted = [float(model.predict(p.d, p.w, p.r, p.base_top1, p.family)) for p in targets]
    errors = []
    for i, left_out in enumerate(targets):
        # Warm-started from the full fit: the left-out row moves the optimum only a little.
        refit = _unpack(_fit_parameters(targets[:i] + targets[i + 1 :], families, [full]), families)
        errors.append(
            float(refit.predict(left_out.d, left_out.w, left_out.r, left_out.base_top1, left_out.family))
            - left_out.top1
        )
    hull = ConvexHull(np.log([[p.d, p.w, p.r] for p in points]))
    return Calibration(
        model,
        len(targets),
        float(np.sqrt(np.mean(np.square(np.subtract(predicted, [p.top1 for p in targets]))))),
        tuple(errors),
        tuple(f"{p.series}: {p.label}" for p in targets),
        tuple(tuple(float(v) for v in row) for row in hull.equations),
    )


def reference_base_top1() -> float:
    """Published top-1 of EfficientNet-B0 (Table 2), the default base accuracy."""
    return next(p.top1 for p in published_points() if p.series == "efficientnet-b0-b7" and p.is_baseline)


def modelled_accuracy(frame: pd.DataFrame, base_top1: float) -> pd.DataFrame:
    """Columns accuracy, accuracy_error, accuracy_source, extrapolated for rows with d, w, r multipliers."""
    base_top1 = require_finite("base_top1", base_top1, minimum=BASE_TOP1_RANGE[0], maximum=BASE_TOP1_RANGE[1])
    cal = calibration()
    d, w, r = (frame[f"{n}_multiplier"].to_numpy(float) for n in ("depth", "width", "resolution"))
    return pd.DataFrame(
        {
            "accuracy": cal.model.predict(d, w, r, base_top1),
            "accuracy_error": cal.loo_rmse,
            "accuracy_source": "modelled",
            "extrapolated": ~cal.within(d, w, r),
        },
        index=frame.index,
    )


@dataclass(frozen=True)
class AccuracyEstimate:
    """One network's top-1 with its source: published (a preset's table row) or modelled (with its error)."""

    top1: float
    source: str
    citation: str
    error_points: float | None = None
    extrapolated: bool = False
    base_top1: float | None = None

    def label(self) -> str:
        """How the page shows it, e.g. "81.2% ± 0.66 (modelled, extrapolated)"."""
        if self.source == "published":
            return f"{self.top1:.1f}% (published)"
        note = ", extrapolated" if self.extrapolated else ""
        return f"{self.top1:.2f}% ± {self.error_points:.2f} ({self.source}{note})"


def estimate(d: float, w: float, r: float, base_top1: float, preset: str | None = None) -> AccuracyEstimate:
    """A preset's published top-1 when there is one, else the modelled estimate for (d, w, r)."""
    if preset is not None:
        for point in published_points():
            if point.preset == preset:
                return AccuracyEstimate(point.top1, "published", f"{point.citation}, {point.where}")
    base_top1 = require_finite("base_top1", base_top1, minimum=BASE_TOP1_RANGE[0], maximum=BASE_TOP1_RANGE[1])
    cal = calibration()
    return AccuracyEstimate(
        float(cal.model.predict(d, w, r, base_top1)),
        "modelled",
        f"error model calibrated on {cal.rows} published rows (scaling_core/accuracy/model.py); "
        f"± is the leave-one-out RMS error",
        cal.loo_rmse,
        not bool(cal.within(d, w, r)),
        base_top1,
    )
