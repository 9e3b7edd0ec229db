"""Cover's function-counting theorem: the count against brute force, exact values, the LP test, Monte Carlo."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from scaling_core.core.errors import ConfigError
from scaling_core.studies.representation.cover import (
    MARGIN_TOLERANCE,
    _max_margin,
    capacity_curve,
    capacity_curve_by_ratio,
    cover_count,
    dichotomy_separability,
    is_linearly_separable,
    monte_carlo_separability,
    separable_probability,
    separable_probability_float,
    whiten,
)


def _count_separable(points, bias):
    """How many of the 2^N labellings of points the LP finds separable."""
    return sum(
        is_linearly_separable(points, np.array(labels), bias)
        for labels in itertools.product((-1, 1), repeat=len(points))
    )


@pytest.mark.parametrize("d", [1, 2, 3])
def test_count_equals_brute_force_through_the_origin(d):
    rng = np.random.default_rng(100 + d)
    for n in range(1, 7):
        points = rng.standard_normal((n, d))  # general position almost surely
        assert _count_separable(points, bias=False) == cover_count(n, d), (n, d)


@pytest.mark.parametrize("d", [1, 2])
def test_count_with_a_bias_is_the_count_one_dimension_up(d):
    rng = np.random.default_rng(200 + d)
    for n in range(1, 6):
        points = rng.standard_normal((n, d))
        assert _count_separable(points, bias=True) == cover_count(n, d + 1), (n, d)


def test_count_known_values():
    assert [cover_count(n, 1) for n in range(1, 6)] == [2, 2, 2, 2, 2]  # a line through 0: w or −w
    assert [cover_count(n, 2) for n in range(1, 6)] == [2, 4, 6, 8, 10]  # 2N dichotomies in the plane
    assert cover_count(4, 3) == 14  # all but the 2 "XOR-like" labellings in R^3


@pytest.mark.parametrize("d", [1, 2, 3, 10, 64])
def test_every_dichotomy_is_separable_up_to_n_equals_d(d):
    for n in range(1, d + 1):
        assert cover_count(n, d) == 2**n
        assert separable_probability(n, d) == 1
    assert cover_count(d + 1, d) == 2 ** (d + 1) - 2  # only ±(the one labelling that needs d + 1 weights) fail


@pytest.mark.parametrize("d", [1, 2, 5, 17, 100, 500])
def test_probability_is_exactly_half_at_twice_the_dimension(d):
    assert separable_probability(2 * d, d) == Fraction(1, 2)
    assert separable_probability_float(2 * d, d) == 0.5
    assert separable_probability(2 * d + 1, d) < Fraction(1, 2) < separable_probability(2 * d - 1, d)


def test_float_probability_for_thousands_of_points():
    tiny_exact = separable_probability(5000, 100)
    assert 0 < tiny_exact < Fraction(1, 10**1000)
    tiny = separable_probability_float(5000, 100)
    assert math.isfinite(tiny) and tiny >= 0.0
    assert tiny == float(tiny_exact)  # below the smallest float: 0.0, not an OverflowError
    near_one_exact = separable_probability(5000, 2600)
    near_one = separable_probability_float(5000, 2600)
    assert near_one == float(near_one_exact)
    assert 0.99 < near_one < 1.0
    # Binomial(4999, ½) ≤ 2599 by the normal approximation, z ≈ 2.83.
    assert near_one == pytest.approx(0.5 * math.erfc(-(2599.5 - 2499.5) / math.sqrt(4999 / 4) / math.sqrt(2)), abs=2e-4)


def test_capacity_curve_matches_the_exact_probabilities():
    for d in (1, 3, 7):
        n, probability = capacity_curve(d, 40)
        assert n.tolist() == list(range(1, 41))
        assert probability.tolist() == [separable_probability_float(k, d) for k in range(1, 41)]
    n, probability = capacity_curve(100, 3000)
    assert probability[199] == 0.5 and np.all(np.diff(probability) <= 0) and probability[-1] == 0.0
    n, probability = capacity_curve(5001, 10003)  # the page's largest d with a bias: fast, still exact
    assert probability[10001] == 0.5 and probability[10002] == separable_probability_float(10003, 5001)


def test_ratio_curve_sharpens_into_a_step_at_two():
    steepness = []
    for d in (5, 50, 500):
        ratio, probability = capacity_curve_by_ratio(d, 4.0)
        assert ratio[-1] == 4.0 and probability[np.flatnonzero(ratio == 2.0)[0]] == 0.5
        steepness.append(probability[np.flatnonzero(ratio == 1.6)[0]] - probability[np.flatnonzero(ratio == 2.4)[0]])
    assert steepness[0] < steepness[1] < steepness[2] and steepness[2] > 0.99


@pytest.mark.parametrize(("n", "seed"), [(6, 1), (10, 2), (14, 3)])
def test_monte_carlo_agrees_with_the_exact_probability(n, seed):
    estimate = monte_carlo_separability(n, 5, trials=300, seed=seed)
    exact = float(separable_probability(n, 5))
    assert estimate.predicted == exact
    assert estimate.ci_low <= exact <= estimate.ci_high, estimate
    assert estimate.fraction == estimate.separable / 300 and estimate.ci_high - estimate.ci_low < 0.13


def test_monte_carlo_is_deterministic_and_counts_the_bias():
    first = monte_carlo_separability(8, 3, trials=40, seed=7, bias=True)
    assert first == monte_carlo_separability(8, 3, trials=40, seed=7, bias=True)
    assert first.predicted == separable_probability_float(8, 4) == 0.5
    assert first.ci_low <= 0.5 <= first.ci_high


def test_xor_is_not_separable_and_two_clusters_are():
    xor = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    assert not is_linearly_separable(xor, np.array([1, 1, -1, -1]), bias=True)
    assert not is_linearly_separable(xor, np.array([1, 1, 0, 0]), bias=True)  # 0/1 labels
    rng = np.random.default_rng(0)
    clusters = np.vstack([rng.normal(3.0, 0.5, (20, 2)), rng.normal(-3.0, 0.5, (20, 2))])
    assert is_linearly_separable(clusters, np.repeat([1, -1], 20), bias=True)
    assert is_linearly_separable(clusters, np.repeat([1, 0], 20), bias=True)


def test_bias_flag_matters_away_from_the_origin():
    points = np.array([[1.0], [2.0]])  # both on one side of 0: only a threshold splits them
    assert is_linearly_separable(points, np.array([-1, 1]), bias=True)
    assert not is_linearly_separable(points, np.array([-1, 1]), bias=False)


def test_bad_labels_and_points_are_config_errors():
    points = np.zeros((3, 2))
    with pytest.raises(ConfigError) as error:
        is_linearly_separable(points, np.array([1, 2, 1]), bias=True)
    assert error.value.parameter == "labels"
    with pytest.raises(ConfigError):
        is_linearly_separable(points, np.array([1, -1]), bias=True)
    with pytest.raises(ConfigError) as error:
        is_linearly_separable(np.array([[np.nan, 0.0]]), np.array([1]), bias=True)
    assert error.value.parameter == "points"


def test_dichotomies_of_full_rank_features():
    features = np.random.default_rng(5).standard_normal((300, 8))
    table = dichotomy_separability(features, [5, 40], trials=80, seed=11)
    assert list(table.columns) == ["n", "separable", "ci_low", "ci_high", "trials", "cover_rank", "rank", "dims"]
    small, large = table.itertuples()
    assert small.separable == 1.0 and small.cover_rank == 1.0  # 5 points, 9 weights with the bias
    assert large.separable <= 0.05 and large.cover_rank < 0.001
    assert table["rank"].tolist() == [8, 8] and table["dims"].tolist() == [8, 8]


def test_dichotomies_of_low_rank_features_follow_the_rank():
    rng = np.random.default_rng(6)
    features = rng.standard_normal((300, 3)) @ rng.standard_normal((3, 8)) + 4.0  # a 3-D affine subspace of R^8
    row = dichotomy_separability(features, [8], trials=150, seed=12).iloc[0]
    assert row["rank"] == 3 and row["dims"] == 8
    assert row["cover_rank"] == 0.5
    assert row["ci_low"] <= 0.5 <= row["ci_high"] < 1.0


def test_dichotomy_input_checks():
    features = np.random.default_rng(0).standard_normal((10, 3))
    with pytest.raises(ConfigError) as error:
        dichotomy_separability(features, [11], trials=5, seed=0)
    assert error.value.parameter == "ns"
    with pytest.raises(ConfigError) as error:
        dichotomy_separability(features, [4], trials=0, seed=0)
    assert error.value.parameter == "trials"


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda: cover_count(0, 3), "n"),
        (lambda: cover_count(3, 0), "d"),
        (lambda: cover_count(-1, 3), "n"),
        (lambda: cover_count(2.5, 3), "n"),
        (lambda: separable_probability(0, 2), "n"),
        (lambda: separable_probability_float(4, 0), "d"),
        (lambda: capacity_curve(0, 10), "d"),
        (lambda: monte_carlo_separability(0, 2, trials=5, seed=0), "n"),
        (lambda: monte_carlo_separability(3, 0, trials=5, seed=0), "d"),
    ],
)
def test_non_positive_sizes_are_config_errors_naming_the_parameter(call, parameter):
    with pytest.raises(ConfigError) as error:
        call()
    assert error.value.parameter == parameter
    assert f"{parameter} = " in str(error.value)


def test_the_bounded_max_margin_lp_decides_as_the_feasibility_lp_does():
    rng = np.random.default_rng(3)
    for n in (8, 12, 16):
        for _ in range(20):
            points = np.hstack([rng.normal(size=(n, 5)), np.ones((n, 1))])
            signs = 2.0 * rng.integers(0, 2, size=n) - 1.0
            assert (_max_margin(points, signs) > MARGIN_TOLERANCE) == is_linearly_separable(points[:, :5], signs, True)


def test_whitening_keeps_every_separability_and_gives_unit_variance_on_the_span():
    rng = np.random.default_rng(4)
    # Features on a 6-dimensional affine subspace of R^20 with variances from 1e-4 to 1e4.
    features = rng.normal(size=(300, 6)) * np.logspace(-2, 2, 6) @ rng.normal(size=(6, 20)) + 5.0
    whitened = whiten(features)
    assert whitened.shape == (300, 6)
    np.testing.assert_allclose(np.cov(whitened.T, bias=True), np.eye(6), atol=1e-8)
    for n in (7, 14, 21):
        rows = rng.choice(300, size=n, replace=False)
        labels = 2.0 * rng.integers(0, 2, size=n) - 1.0
        # A hyperplane of R^20 cuts the 6-dimensional hull in a hyperplane of the hull, and back.
        assert is_linearly_separable(whitened[rows], labels, True) == is_linearly_separable(
            features[rows], labels, True
        )
