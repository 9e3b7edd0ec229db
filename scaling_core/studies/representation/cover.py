"""Cover's function-counting theorem: how many labellings of N points a linear classifier can realise.

Modelled (Cover 1965, "Geometrical and statistical properties of systems of linear inequalities with
applications in pattern recognition", IEEE Trans. Electronic Computers EC-14(3), Theorem 1):
N points in R^d in general position (every d of them linearly independent) admit exactly
    C(N, d) = 2 · Σ_{k=0}^{d−1} binom(N − 1, k)
of their 2^N ±1 labellings (dichotomies) separable by a homogeneous hyperplane through the origin,
{x : w·x = 0}. A hyperplane with a bias term, w·x + b = 0, is the homogeneous case for the points
(x, 1) in R^(d+1), so with a bias use d + 1 (and general position in the affine sense).
For uniformly random labels the probability of separability is
    P(N, d) = C(N, d) / 2^N = Pr[Binomial(N − 1, ½) ≤ d − 1],
which is 1 for N ≤ d, exactly ½ at N = 2d (the capacity of a d-input perceptron: two points per
weight), and as d grows drops ever more steeply from 1 to 0 around N/d = 2.
Measured: an exact linear-programming test of separability (`is_linearly_separable`), a Monte Carlo
check of the theorem on Gaussian points, and the same experiment on a model's measured features.
Assumptions of the comparison: Cover counts only points in general position; measured features may
lie in a lower-dimensional subspace (hence the prediction at the features' numerical rank) or contain
duplicate rows (a duplicate pair with opposite labels is never separable), both of which lower the
measured fraction below the prediction at the full width.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.stats import binomtest

from scaling_core.core.errors import ConfigError, require_count

CONFIDENCE = 0.95
_LP_OPTIMAL = 0
_LP_INFEASIBLE = 2
# The max-margin fallback's optimum above which a sample counts as separable (HiGHS's feasibility
# tolerance is 1e-7; a margin this far above it is not rounding).
MARGIN_TOLERANCE = 1e-6


def cover_count(n: int, d: int) -> int:
    """Number of the 2^n dichotomies of n points in general position in R^d separable through the origin."""
    n = require_count("n", n)
    d = require_count("d", d)
    # binom(n−1, k+1) = binom(n−1, k)·(n−1−k)/(k+1), exactly: one small multiply per term, not a
    # fresh math.comb, keeps n in the thousands fast. Terms with k ≥ n are zero.
    term = total = 1
    for k in range(min(d, n) - 1):
        term = term * (n - 1 - k) // (k + 1)
        total += term
    return 2 * total


def separable_probability(n: int, d: int) -> Fraction:
    """Exact probability C(n, d) / 2^n that a random labelling of n points in R^d is separable."""
    return Fraction(cover_count(n, d), 2**n)


def separable_probability_float(n: int, d: int) -> float:
    """C(n, d) / 2^n as the nearest float; underflows to 0.0 rather than overflowing for large n."""
    # int / int true division is correctly rounded for integers of any size.
    return cover_count(n, d) / 2**n


def capacity_curve(d: int, n_max: int) -> tuple[np.ndarray, np.ndarray]:
    """Points n = 1 … n_max and the separable probability P(n, d) of each, for plotting."""
    d = require_count("d", d)
    n_max = require_count("n_max", n_max)
    probability = np.empty(n_max)
    # S(n) = Σ_{k<d} binom(n−1, k) obeys S(n+1) = 2·S(n) − binom(n−1, d−1) (Pascal's rule), so the
    # whole curve costs one binomial per point instead of d, and that binomial is updated from the last
    # one: binom(m+1, d−1) = binom(m, d−1)·(m+1)/(m+2−d), exactly.
    partial_sum, binomial = 1, 1 if d == 1 else 0
    for n in range(1, n_max + 1):
        probability[n - 1] = partial_sum / 2 ** (n - 1)
        partial_sum = 2 * partial_sum - binomial
        m = n - 1
        binomial = 1 if m + 1 == d - 1 else binomial * (m + 1) // (m + 2 - d) if m + 1 > d - 1 else 0
    return np.arange(1, n_max + 1), probability


def capacity_curve_by_ratio(d: int, ratio_max: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """Load α = n/d for n = 1 … ⌈ratio_max·d⌉ and P(n, d): curves for several d share the step at α = 2."""
    if (
        isinstance(ratio_max, bool)
        or not isinstance(ratio_max, (int, float))
        or not (math.isfinite(ratio_max) and ratio_max > 0)
    ):
        raise ConfigError("ratio_max", ratio_max, "a finite number > 0")
    d = require_count("d", d)
    n, probability = capacity_curve(d, max(1, math.ceil(ratio_max * d)))
    return n / d, probability


def _as_signs(labels: np.ndarray, count: int) -> np.ndarray:
    """Labels (±1 or 0/1, one per point) as a float array of ±1."""
    labels = np.asarray(labels)
    if labels.shape != (count,):
        raise ConfigError("labels", labels.shape, f"a 1-D array of {count} labels, one per point")
    values = set(np.unique(labels).tolist())
    if values <= {-1, 1}:
        return labels.astype(float)
    if values <= {0, 1}:
        return 2.0 * labels - 1.0
    raise ConfigError("labels", sorted(values), "±1 or 0/1")


def is_linearly_separable(points: np.ndarray, labels: np.ndarray, bias: bool) -> bool:
    """True iff some w (and b, with bias) has y_i·(w·x_i + b) ≥ 1 for every point: an exact LP test."""
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[0] < 1 or points.shape[1] < 1:
        raise ConfigError("points", points.shape, "a 2-D array with at least one row and one column")
    if not np.all(np.isfinite(points)):
        raise ConfigError("points", "non-finite values", "finite numbers only")
    signs = _as_signs(labels, points.shape[0])
    if bias:
        points = np.hstack([points, np.ones((points.shape[0], 1))])
    # Any strictly separating (w, b) can be scaled until every margin is ≥ 1, so feasibility of this
    # LP (zero objective, free variables) is exactly strict separability.
    result = linprog(
        np.zeros(points.shape[1]),
        A_ub=-signs[:, None] * points,
        b_ub=-np.ones(points.shape[0]),
        bounds=(None, None),
        method="highs",
    )
    if result.status == _LP_OPTIMAL:
        return True
    if result.status == _LP_INFEASIBLE:
        return False
    return _max_margin(points, signs) > MARGIN_TOLERANCE


def _max_margin(points: np.ndarray, signs: np.ndarray) -> float:
    """The largest t with y_i·(v·x_i) ≥ t for all i over |v|∞ ≤ 1: bounded, so HiGHS always solves it.

    The feasibility LP above has no objective and free variables; on nearly degenerate samples
    (random labels near Cover's threshold) HiGHS's simplex can stop without classifying it. This
    normalised form decides the same question: separable iff the optimum is positive.
    """
    rows, columns = points.shape
    objective = np.zeros(columns + 1)
    objective[-1] = -1.0
    constraints = np.hstack([-signs[:, None] * points, np.ones((rows, 1))])
    result = linprog(
        objective, A_ub=constraints, b_ub=np.zeros(rows), bounds=[(-1.0, 1.0)] * columns + [(None, 1.0)], method="highs"
    )
    if result.status != _LP_OPTIMAL:
        raise RuntimeError(f"max-margin LP ended with status {result.status}: {result.message}")
    return float(-result.fun)


def _proportion_interval(successes: int, trials: int) -> tuple[float, float]:
    """Clopper-Pearson (exact, conservative) interval for a binomial proportion at CONFIDENCE."""
    interval = binomtest(successes, trials).proportion_ci(confidence_level=CONFIDENCE, method="exact")
    return float(interval.low), float(interval.high)


def _random_signs(rng: np.random.Generator, count: int) -> np.ndarray:
    """Uniformly random ±1 labels."""
    return 2.0 * rng.integers(0, 2, size=count) - 1.0


@dataclass(frozen=True)
class SeparabilityEstimate:
    """Measured fraction of random dichotomies of n Gaussian points in R^d that were separable."""

    n: int
    d: int
    bias: bool
    trials: int
    separable: int
    fraction: float
    ci_low: float
    ci_high: float
    predicted: float  # Cover's P(n, d), or P(n, d + 1) with a bias


def monte_carlo_separability(n: int, d: int, trials: int, seed: int, bias: bool = False) -> SeparabilityEstimate:
    """Draw n standard Gaussian points in R^d and ±1 labels per trial; count LP-separable dichotomies."""
    n = require_count("n", n)
    d = require_count("d", d)
    trials = require_count("trials", trials)
    rng = np.random.default_rng(require_count("seed", seed, 0))
    separable = 0
    for _ in range(trials):
        # Gaussian points are in general position with probability 1, as the theorem needs.
        points = rng.standard_normal((n, d))
        separable += is_linearly_separable(points, _random_signs(rng, n), bias)
    low, high = _proportion_interval(separable, trials)
    return SeparabilityEstimate(
        n=n,
        d=d,
        bias=bias,
        trials=trials,
        separable=separable,
        fraction=separable / trials,
        ci_low=low,
        ci_high=high,
        predicted=separable_probability_float(n, d + int(bias)),
    )


def _as_features(features: np.ndarray) -> np.ndarray:
    """A finite 2-D float array of at least two rows (samples) and one column (feature dimension)."""
    features = np.asarray(features, dtype=float)
    if features.ndim != 2 or features.shape[0] < 2 or features.shape[1] < 1:
        raise ConfigError("features", features.shape, "a 2-D array (samples × dims) with ≥ 2 rows and ≥ 1 column")
    if not np.all(np.isfinite(features)):
        raise ConfigError("features", "non-finite values", "finite numbers only")
    return features


def whiten(features: np.ndarray) -> np.ndarray:
    """The centred rows in the principal axes of their span, each axis scaled to unit variance.

    An invertible affine map of the points' affine hull keeps every separability with a bias, and
    the LP is far better conditioned on these coordinates than on raw network features, whose
    variances span many orders of magnitude. The span's dimension is the numerical rank.
    """
    features = _as_features(features)
    centred = features - features.mean(axis=0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    rank = int(np.linalg.matrix_rank(centred))
    if rank == 0:
        raise ConfigError("features", "identical rows", "rows that vary (some nonzero variance)")
    return centred @ axes[:rank].T / (singular[:rank] / np.sqrt(features.shape[0]))


def dichotomy_separability(features: np.ndarray, ns: Sequence[int], trials: int, seed: int) -> pd.DataFrame:
    """Fraction of random dichotomies of n measured feature rows separable with a bias, beside Cover's prediction.

    For each n: `trials` times draw n distinct row indices and random ±1 labels and run the LP test
    with a bias. `cover_rank` is P(n, rank + 1) with rank the numerical rank of the centred features
    (the dimension of the affine hull the points actually span).
    """
    features = _as_features(features)
    trials = require_count("trials", trials)
    rows, dims = features.shape
    counts = [require_count("ns", n) for n in ns]
    if not counts:
        raise ConfigError("ns", list(ns), "at least one number of points")
    too_many = [n for n in counts if n > rows]
    if too_many:
        raise ConfigError("ns", too_many, f"at most the number of feature rows ({rows})")
    whitened = whiten(features)
    rank = whitened.shape[1]
    rng = np.random.default_rng(require_count("seed", seed, 0))
    records = []
    for n in counts:
        separable = sum(
            is_linearly_separable(whitened[rng.choice(rows, size=n, replace=False)], _random_signs(rng, n), True)
            for _ in range(trials)
        )
        low, high = _proportion_interval(separable, trials)
        records.append(
            {
                "n": n,
                "separable": separable / trials,
                "ci_low": low,
                "ci_high": high,
                "trials": trials,
                "cover_rank": separable_probability_float(n, rank + 1),
                "rank": rank,
                "dims": dims,
            }
        )
    return pd.DataFrame.from_records(
        records, columns=["n", "separable", "ci_low", "ci_high", "trials", "cover_rank", "rank", "dims"]
    )
