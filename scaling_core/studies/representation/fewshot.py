"""Prototype (nearest-class-mean) few-shot classification: a Gaussian model of it, and its measurement on features.

Model (modelled numbers). Each of N classes has embeddings x ~ N(μ_k, σ²·I_d) in d dimensions; the class
means sit on a regular simplex, every pair at distance Δ (so d ≥ N − 1). An episode draws K support
samples per class, whose mean is the prototype p_k ~ N(μ_k, σ²/K·I_d), and assigns each query to the
nearest prototype (Euclidean). Scaling x changes nothing, so only s = Δ/σ (the `snr`), d, K and N matter.
Assumptions: isotropic, equal within-class scatter; equidistant means; the embedding is fixed while the
support set varies (no fine-tuning); queries are independent of the supports.

Exact 2-way accuracy. Given the prototypes, with v = p1 − p2 and midpoint m, a query x = μ1 + σz is right
when (x − m)·v > 0, so P(correct | p) = Φ((μ1 − m)·v / (σ‖v‖)). Write p1 = μ1 + σa/√K, p2 = μ2 + σb/√K;
a + b and a − b are independent, v depends only on a − b, and (μ1 − m)·v = Δ(e·v)/2 − σ(a + b)·v/(2√K),
e = (μ1 − μ2)/Δ. Averaging Φ over (a + b)·v/‖v‖ ~ N(0, 2) (E Φ(A + BZ) = Φ(A/√(1 + B²))) gives
    P(correct | v) = Φ(c · e·v/‖v‖),   c = s / (2·√(1 + 1/(2K))).
Now v/σ = s·e + √(2/K)·g with g ~ N(0, I_d), so w = v/(σ√(2/K)) ~ N(λe, I_d) with λ = s·√(K/2).
The accuracy is E Φ(c·cos θ), θ the angle between w and e. For d = 1, cos θ = ±1 and
    accuracy = Φ(λ)·Φ(c) + Φ(−λ)·Φ(−c).
For d ≥ 2, in the plane of (w·e, ‖w_⊥‖) = ρ(cos θ, sin θ), with ‖w_⊥‖ ~ χ_{d−1}, the angle has density
    f(θ) = sin^{d−2}θ · e^{−λ²/2} · ∫₀^∞ ρ^{d−1} e^{−ρ²/2 + λρ cos θ} dρ / (√(2π) · 2^{(d−3)/2} · Γ((d−1)/2)),
and the accuracy is ∫₀^π Φ(c·cos θ) f(θ) dθ: an adaptive quadrature over θ around a fixed Gauss–Legendre
rule over ρ, in logs so that d in the thousands does not overflow. The polar form is used rather than
the (e·v, ‖v_⊥‖²) integral because Φ(c·cos θ) is smooth, whereas in those coordinates the integrand jumps
where e·v changes sign for small d. It agrees with a nested-quad evaluation of that integral to ~1e-10.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate, special, stats

from scaling_core.core.errors import ConfigError, require_count, require_finite

CONFIDENCE_Z = 1.96  # two-sided 95% normal interval
MODELLED_SEED = 0
MODELLED_EPISODES = 4000
MODELLED_QUERIES = 20
# Array elements per batch of episodes: bounds memory; results do not depend on it.
_BATCH_ELEMENTS = 2_000_000
# Gauss–Legendre over the radial window: the radial integrand is unimodal and ±20 widths cover it.
_RADIAL_NODES, _RADIAL_WEIGHTS = np.polynomial.legendre.leggauss(96)
_RADIAL_WIDTHS = 20.0


@dataclass(frozen=True)
class Estimate:
    """A mean accuracy over episodes with its 95% interval (mean ± 1.96·sd/√episodes)."""

    mean: float
    ci_low: float
    ci_high: float
    episodes: int


@dataclass(frozen=True)
class EmbeddingStatistics:
    """The model's inputs measured on labelled features (see `embedding_statistics` for definitions)."""

    classes: tuple[object, ...]
    counts: tuple[int, ...]
    class_means: np.ndarray
    sigma: float
    delta: float
    snr: float
    effective_dim: float
    effective_snr: float
    dims: int


def _log_radial(b: float, nu: int) -> float:
    """log ∫₀^∞ ρ^ν exp(−ρ²/2 + bρ) dρ by Gauss–Legendre over a window around the integrand's peak."""
    peak = (b + math.sqrt(b * b + 4 * nu)) / 2
    width = 1 / math.sqrt(1 + nu / peak**2)
    low = max(0.0, peak - _RADIAL_WIDTHS * width)
    half = (peak + _RADIAL_WIDTHS * width - low) / 2
    rho = low + half * (_RADIAL_NODES + 1)
    log_peak = nu * math.log(peak) - peak**2 / 2 + b * peak
    terms = np.exp(nu * np.log(rho) - rho**2 / 2 + b * rho - log_peak)
    return log_peak + math.log(half * float(_RADIAL_WEIGHTS @ terms))


def two_way_accuracy(snr: float, dim: int, shots: int) -> float:
    """Exact 2-way K-shot prototype accuracy of the Gaussian model, by quadrature (derivation in the module doc)."""
    s = require_finite("snr", snr, minimum=0.0)
    d = require_count("dim", dim)
    k = require_count("shots", shots)
    c = s / (2 * math.sqrt(1 + 1 / (2 * k)))
    lam = s * math.sqrt(k / 2)
    if d == 1:
        return float(special.ndtr(lam) * special.ndtr(c) + special.ndtr(-lam) * special.ndtr(-c))
    log_norm = 0.5 * math.log(2 * math.pi) + (d - 3) / 2 * math.log(2) + special.gammaln((d - 1) / 2)

    def integrand(theta: float) -> float:
        log_density = (
            special.xlogy(d - 2, math.sin(theta)) - lam**2 / 2 + _log_radial(lam * math.cos(theta), d - 1) - log_norm
        )
        return float(special.ndtr(c * math.cos(theta))) * math.exp(log_density)

    # The angle concentrates near its mode (width ~1/√(λ² + d)) for many shots; tell quad where.
    mode = math.atan2(math.sqrt(d - 2), lam)
    width = 1 / math.sqrt(lam**2 + d)
    points = sorted({min(max(t, 1e-9), math.pi - 1e-9) for t in (mode - 5 * width, mode, mode + 5 * width)})
    value, _ = integrate.quad(integrand, 0.0, math.pi, points=points, epsabs=1e-11, epsrel=1e-10, limit=200)
    return min(value, 1.0)  # quadrature error can land ~1e-14 above 1 when the accuracy is 1


def _simplex(ways: int, distance: float) -> np.ndarray:
    """ways points in ways − 1 dimensions, centred, every pair at the given distance."""
    centred = np.eye(ways) - 1.0 / ways  # rows pairwise √2 apart, spanning ways − 1 dimensions
    basis = np.linalg.svd(centred)[2][: ways - 1]
    return centred @ basis.T * (distance / math.sqrt(2))


def _estimate(per_episode: np.ndarray) -> Estimate:
    """Mean and 95% normal interval of per-episode accuracies."""
    mean = float(per_episode.mean())
    half = CONFIDENCE_Z * float(per_episode.std(ddof=1)) / math.sqrt(per_episode.size)
    return Estimate(mean, mean - half, mean + half, int(per_episode.size))


def _nearest_prototype_accuracy(queries: np.ndarray, prototypes: np.ndarray) -> np.ndarray:
    """Per-episode accuracy; queries (E, N, Q, d) of class n, prototypes (E, N, d)."""
    # ‖x − p‖² = ‖x‖² − 2x·p + ‖p‖²; ‖x‖² is the same for every prototype, so it is dropped.
    scores = np.einsum("enqd,emd->enqm", queries, prototypes) - 0.5 * np.sum(prototypes**2, axis=-1)[:, None, None, :]
    truth = np.arange(prototypes.shape[1])[None, :, None]
    return (scores.argmax(axis=-1) == truth).mean(axis=(1, 2))


def _span_noise(rng: np.random.Generator, size: int, count: int, dim: int) -> np.ndarray:
    """`count` independent N(0, I_dim) vectors per episode, in an orthonormal basis of their own span.

    Distances and inner products among them, which are all the classifier sees of them, depend only on
    their Gram matrix, and for dim > count that is Wishart: L·Lᵀ with L lower triangular,
    L_ii² ~ χ²(dim − i) and N(0, 1) below the diagonal (Bartlett's decomposition). L's rows are the
    vectors in count dimensions, so the cost does not grow with dim.
    """
    if dim <= count:
        return rng.standard_normal((size, count, dim))
    lower = np.tril(rng.standard_normal((size, count, count)), -1)
    diagonal = np.arange(count)
    lower[:, diagonal, diagonal] = np.sqrt(rng.chisquare(dim - diagonal, size=(size, count)))
    return lower


def simulate_accuracy(snr: float, dim: int, shots: int, ways: int, queries: int, episodes: int, seed: int) -> Estimate:
    """Monte Carlo N-way K-shot accuracy of the Gaussian model (σ = 1, Δ = snr, queries per class); seeded.

    Its cost does not depend on dim: the class means span N − 1 dimensions, the prototype noise outside
    them is drawn in the basis of its own span (`_span_noise`), and only the query noise inside the span
    of means and prototypes (at most 2N − 1 dimensions) changes which prototype is nearest — the rest
    adds the same ‖·‖² to every distance — so queries are drawn there.
    """
    s = require_finite("snr", snr, minimum=0.0)
    n = require_count("ways", ways, 2)
    d = require_count("dim", dim)
    if d < n - 1:
        raise ConfigError("dim", dim, f"an integer ≥ ways − 1 = {n - 1} (the class means form a regular simplex)")
    k = require_count("shots", shots)
    q = require_count("queries", queries)
    e = require_count("episodes", episodes, 2)
    rng = np.random.default_rng(seed)
    simplex = _simplex(n, s)
    batch = max(1, _BATCH_ELEMENTS // (n * (4 * n + q * 2 * n)))
    results = []
    for start in range(0, e, batch):
        size = min(batch, e - start)
        inside = simplex + rng.standard_normal((size, n, n - 1)) / math.sqrt(k)
        outside = _span_noise(rng, size, n, d - (n - 1)) / math.sqrt(k)
        prototypes = np.concatenate([inside, outside], axis=2)
        means = np.zeros_like(prototypes)
        means[:, :, : n - 1] = simplex
        coords = np.linalg.qr(np.swapaxes(np.concatenate([means, prototypes], axis=1), 1, 2), mode="r")
        class_coords = np.swapaxes(coords[:, :, :n], 1, 2)
        proto_coords = np.swapaxes(coords[:, :, n:], 1, 2)
        query = class_coords[:, :, None, :] + rng.standard_normal((size, n, q, coords.shape[1]))
        results.append(_nearest_prototype_accuracy(query, proto_coords))
    return _estimate(np.concatenate(results))


def _labelled_features(features: object, labels: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features as float 2-D, class index per row, distinct labels), or ConfigError."""
    x = np.asarray(features, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1 or not np.isfinite(x).all():
        raise ConfigError("features", getattr(x, "shape", None), "a finite 2-D array (samples × dims), ≥ 2 rows")
    y = np.asarray(labels)
    if y.shape != (x.shape[0],):
        raise ConfigError("labels", y.shape, f"a 1-D array with one label per feature row ({x.shape[0]})")
    classes, index = np.unique(y, return_inverse=True)
    return x, index, classes


def _distinct_draws(rng: np.random.Generator, sizes: np.ndarray, m: int) -> np.ndarray:
    """Per row, m distinct integers in [0, size) in random order (Floyd's algorithm: O(m²), not O(size))."""
    picks = np.empty((sizes.size, m), dtype=np.int64)
    for i in range(m):
        top = sizes - m + i
        draw = rng.integers(0, top + 1)
        picks[:, i] = np.where((picks[:, :i] == draw[:, None]).any(axis=1), top, draw)
    # Floyd's algorithm picks a uniform subset but not a uniform order; the support/query split needs one.
    return np.take_along_axis(picks, np.argsort(rng.random(picks.shape), axis=1), axis=1)


def episode_accuracy(
    features: np.ndarray, labels: np.ndarray, ways: int, shots: int, queries: int, episodes: int, seed: int
) -> Estimate:
    """Measured N-way K-shot nearest-class-mean accuracy over random episodes (queries per class) of the features."""
    x, index, classes = _labelled_features(features, labels)
    n = require_count("ways", ways, 2)
    k = require_count("shots", shots)
    q = require_count("queries", queries)
    e = require_count("episodes", episodes, 2)
    if n > classes.size:
        raise ConfigError("ways", ways, f"an integer in [2, {classes.size}] (the classes present)")
    counts = np.bincount(index)
    smallest = int(counts.min())
    if k >= smallest:
        raise ConfigError(
            "shots",
            shots,
            f"an integer in [1, {smallest - 1}] (the smallest class has {smallest} "
            "samples and each episode needs ≥ 1 query)",
        )
    if k + q > smallest:
        raise ConfigError(
            "queries",
            queries,
            f"an integer in [1, {smallest - k}] (shots + queries ≤ {smallest}, the smallest class's size)",
        )
    rows_by_class = np.argsort(index, kind="stable")  # class c's rows are rows_by_class[start[c]:start[c+1]]
    start = np.cumsum(counts) - counts
    rng = np.random.default_rng(seed)
    batch = max(1, _BATCH_ELEMENTS // (n * (k + q) * x.shape[1]))
    results = []
    for start_episode in range(0, e, batch):
        size = min(batch, e - start_episode)
        chosen = _distinct_draws(rng, np.full(size, classes.size), n)
        positions = _distinct_draws(rng, counts[chosen].ravel(), k + q).reshape(size, n, k + q)
        rows = rows_by_class[start[chosen][:, :, None] + positions]
        prototypes = x[rows[:, :, :k]].mean(axis=2)
        results.append(_nearest_prototype_accuracy(x[rows[:, :, k:]], prototypes))
    return _estimate(np.concatenate(results))


def embedding_statistics(features: np.ndarray, labels: np.ndarray) -> EmbeddingStatistics:
    """Per-class means, σ, Δ, s = Δ/σ and the effective dimension of the within-class scatter.

    σ² = trace(S_w)/dims, the mean per-dimension within-class variance, S_w the pooled within-class
    covariance (deviations from each class's own mean, divided by samples − classes).
    Δ = the mean over class pairs of the distance between true means, estimated per pair as
    √max(0, ‖m̂_i − m̂_j‖² − trace(S_w)·(1/n_i + 1/n_j)): the estimated means' own noise inflates the
    squared distance by that much, which matters when dims is comparable to the class sizes.
    effective_dim = (Σλ)²/Σλ² over S_w's eigenvalues (participation ratio): dims for isotropic scatter, 1
    for scatter on one axis. effective_snr = Δ/√(trace(S_w)/effective_dim), the snr of an isotropic model
    with the same total within-class variance spread over effective_dim dimensions (pair it with that dim).
    """
    x, index, classes = _labelled_features(features, labels)
    if classes.size < 2:
        raise ConfigError("labels", classes.size, "≥ 2 distinct classes")
    counts = np.bincount(index)
    if x.shape[0] <= classes.size:
        raise ConfigError("features", x.shape[0], f"more rows than classes ({classes.size})")
    means = np.zeros((classes.size, x.shape[1]))
    np.add.at(means, index, x)
    means /= counts[:, None]
    centred = (x - means[index]) / math.sqrt(x.shape[0] - classes.size)
    # trace(S_w²) = ‖S_w‖_F²; the Gram matrix of the smaller side has the same nonzero spectrum.
    small = centred.T @ centred if x.shape[1] <= x.shape[0] else centred @ centred.T
    trace = float(np.trace(small))
    if trace <= 0.0:
        raise ConfigError("features", "no within-class variation", "classes whose samples are not all identical")
    effective_dim = trace**2 / float(np.sum(small**2))
    i, j = np.triu_indices(classes.size, 1)
    squared = np.sum((means[i] - means[j]) ** 2, axis=1) - trace * (1 / counts[i] + 1 / counts[j])
    delta = float(np.mean(np.sqrt(np.maximum(squared, 0.0))))
    sigma = math.sqrt(trace / x.shape[1])
    return EmbeddingStatistics(
        classes=tuple(classes.tolist()),
        counts=tuple(int(c) for c in counts),
        class_means=means,
        sigma=sigma,
        delta=delta,
        snr=delta / sigma,
        effective_dim=effective_dim,
        effective_snr=delta / math.sqrt(trace / effective_dim),
        dims=x.shape[1],
    )


def modelled_accuracy(
    snr: float,
    dim: int,
    shots: int,
    ways: int,
    *,
    queries: int = MODELLED_QUERIES,
    episodes: int = MODELLED_EPISODES,
    seed: int = MODELLED_SEED,
) -> float:
    """Model accuracy: exact quadrature for 2 ways, else the mean of a fixed-seed simulation (±~0.002 at 95%)."""
    if ways == 2:
        return two_way_accuracy(snr, dim, shots)
    return simulate_accuracy(snr, dim, shots, ways, queries, episodes, seed).mean


def snr_law(phi: float, s0: float, eta: float) -> float:
    """Assumed snr(φ) = s0·exp(η·φ): scaling multiplies the class separation per unit φ by a constant factor."""
    return require_finite("s0", s0, minimum=0.0, exclusive=True) * math.exp(
        require_finite("eta", eta) * require_finite("phi", phi)
    )


def effective_dim_law(phi: float, d0: float, zeta: float) -> float:
    """Assumed d_eff(φ) = d0·exp(ζ·φ), the same log-linear form; round it to an integer ≥ 1 for the model."""
    return require_finite("d0", d0, minimum=0.0, exclusive=True) * math.exp(
        require_finite("zeta", zeta) * require_finite("phi", phi)
    )


def fit_log_linear(phis: object, values: object) -> tuple[float, float]:
    """Least-squares fit of log(value) = log(v0) + rate·φ; returns (v0, rate), the arguments of the laws above."""
    x = np.asarray(phis, dtype=float)
    y = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.shape != y.shape or np.unique(x).size < 2 or not np.isfinite(x).all():
        raise ConfigError("phis", phis, "finite values, one per value, at least 2 distinct")
    if not (np.isfinite(y).all() and (y > 0).all()):
        raise ConfigError("values", values, "finite positive numbers")
    fit = stats.linregress(x, np.log(y))
    return math.exp(fit.intercept), float(fit.slope)
