import math

import numpy as np
import pytest
from scipy import special

from scaling_core.core.errors import ConfigError
from scaling_core.studies.representation.fewshot import (
    _distinct_draws,
    embedding_statistics,
    episode_accuracy,
    fit_log_linear,
    modelled_accuracy,
    simulate_accuracy,
    snr_law,
    two_way_accuracy,
)


def gaussian_features(snr, dim, classes, per_class, seed, scatter_axis=None):
    """Features from the model: class means pairwise snr apart (scaled basis vectors), unit noise.

    With scatter_axis, all within-class noise lies on that one axis (same total variance, dim).
    """
    rng = np.random.default_rng(seed)
    means = np.eye(classes, dim) * (snr / math.sqrt(2))
    labels = np.repeat(np.arange(classes), per_class)
    if scatter_axis is None:
        noise = rng.standard_normal((labels.size, dim))
    else:
        noise = np.zeros((labels.size, dim))
        noise[:, scatter_axis] = rng.standard_normal(labels.size) * math.sqrt(dim)
    return means[labels] + noise, labels


@pytest.mark.parametrize(
    "snr, dim, shots", [(1.0, 1, 1), (2.0, 2, 1), (2.0, 16, 1), (2.0, 16, 5), (3.0, 64, 10), (1.5, 128, 5)]
)
def test_two_way_quadrature_is_inside_the_simulation_interval(snr, dim, shots):
    exact = two_way_accuracy(snr, dim, shots)
    sim = simulate_accuracy(snr, dim, shots, ways=2, queries=50, episodes=20_000, seed=1)
    assert sim.ci_high - sim.ci_low < 0.005  # tight enough to catch a wrong variance term
    assert sim.ci_low <= exact <= sim.ci_high


def test_one_dimension_has_the_closed_form():
    # d = 1: the prototype order is right with probability Φ(s√(K/2)), then Φ(c) of queries are.
    s, k = 1.3, 3
    lam, c = s * math.sqrt(k / 2), s / (2 * math.sqrt(1 + 1 / (2 * k)))
    expected = special.ndtr(lam) * special.ndtr(c) + special.ndtr(-lam) * special.ndtr(-c)
    assert two_way_accuracy(s, 1, k) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("dim", [1, 2, 16, 64])
def test_many_shots_approach_the_known_means_accuracy(dim):
    bayes = special.ndtr(2.0 / 2)
    accuracy = two_way_accuracy(2.0, dim, 10_000)
    assert accuracy < bayes
    assert accuracy == pytest.approx(bayes, abs=1e-3)


def test_no_signal_is_chance():
    assert two_way_accuracy(0.0, 32, 5) == pytest.approx(0.5, abs=1e-9)
    five_way = simulate_accuracy(0.0, 32, 5, ways=5, queries=15, episodes=4000, seed=0)
    assert five_way.ci_low <= 0.2 <= five_way.ci_high


def test_accuracy_increases_with_shots_and_snr():
    by_shots = [two_way_accuracy(1.5, 32, k) for k in (1, 2, 5, 10, 50)]
    by_snr = [two_way_accuracy(s, 32, 5) for s in (0.5, 1.0, 2.0, 4.0)]
    assert np.all(np.diff(by_shots) > 0)
    assert np.all(np.diff(by_snr) > 0)
    # More dimensions of prototype noise hurt at fixed snr.
    assert two_way_accuracy(2.0, 256, 5) < two_way_accuracy(2.0, 16, 5)


def _brute_force_accuracy(snr, dim, shots, ways, queries, episodes, seed):
    """The model drawn in full: every mean, support and query in all dim coordinates."""
    rng = np.random.default_rng(seed)
    means = np.eye(ways, dim) * snr / math.sqrt(2)  # basis vectors: every pair snr apart
    per_episode = []
    for _ in range(episodes):
        prototypes = means + rng.standard_normal((ways, dim)) / math.sqrt(shots)
        x = means[:, None, :] + rng.standard_normal((ways, queries, dim))
        nearest = np.argmin(((x[:, :, None, :] - prototypes) ** 2).sum(-1), axis=-1)
        per_episode.append(np.mean(nearest == np.arange(ways)[:, None]))
    per_episode = np.array(per_episode)
    return per_episode.mean(), per_episode.std(ddof=1) / math.sqrt(episodes)


def test_simulation_in_the_noise_span_matches_drawing_every_dimension():
    # dim − (ways − 1) = 36 > ways: the prototype noise outside the means is drawn through Bartlett's
    # decomposition, not coordinate by coordinate.
    brute, brute_se = _brute_force_accuracy(2.5, 40, 5, ways=5, queries=15, episodes=3000, seed=2)
    sim = simulate_accuracy(2.5, 40, 5, ways=5, queries=15, episodes=20_000, seed=7)
    assert abs(sim.mean - brute) <= 1.96 * math.hypot(brute_se, (sim.ci_high - sim.mean) / 1.96)


def test_simulation_cost_does_not_grow_with_the_dimension():
    # 10^10 dimensions would need tens of GB if any vector were drawn in full; the prototype noise
    # then swamps a separation of 2, so the classifier is at chance.
    huge = simulate_accuracy(2.0, 10**10, 5, ways=5, queries=15, episodes=2000, seed=0)
    assert huge.ci_low <= 0.2 <= huge.ci_high


def test_simulation_is_deterministic_per_seed():
    first = simulate_accuracy(2.0, 64, 5, ways=5, queries=15, episodes=500, seed=3)
    assert simulate_accuracy(2.0, 64, 5, ways=5, queries=15, episodes=500, seed=3) == first
    assert simulate_accuracy(2.0, 64, 5, ways=5, queries=15, episodes=500, seed=4) != first


@pytest.mark.parametrize("shots", [1, 5])
def test_measured_episodes_on_model_features_match_the_model(shots):
    # 6 classes, so episodes also exercise choosing 5 of them; large classes keep the data set's own
    # deviation from the model (fixed across episodes, outside the CIs) well below the CI width.
    features, labels = gaussian_features(2.0, 8, classes=6, per_class=40_000, seed=0)
    measured = episode_accuracy(features, labels, ways=5, shots=shots, queries=15, episodes=3000, seed=5)
    modelled = simulate_accuracy(2.0, 8, shots, ways=5, queries=15, episodes=20_000, seed=6)
    tolerance = math.hypot(measured.ci_high - measured.mean, modelled.ci_high - modelled.mean)
    assert abs(measured.mean - modelled.mean) <= tolerance
    assert measured.episodes == 3000


def test_episode_labels_may_be_any_hashable_values():
    features, labels = gaussian_features(3.0, 8, classes=3, per_class=40, seed=0)
    names = np.array(["cat", "dog", "emu"])[labels]
    by_name = episode_accuracy(features, names, ways=3, shots=2, queries=5, episodes=50, seed=1)
    by_index = episode_accuracy(features, labels, ways=3, shots=2, queries=5, episodes=50, seed=1)
    assert by_name == by_index


def test_statistics_of_isotropic_features():
    features, labels = gaussian_features(3.0, 64, classes=10, per_class=500, seed=2)
    features *= 2.0  # σ = 2, Δ = 6
    stats = embedding_statistics(features, labels)
    assert stats.sigma == pytest.approx(2.0, rel=0.03)
    assert stats.delta == pytest.approx(6.0, rel=0.03)
    assert stats.snr == pytest.approx(3.0, rel=0.03)
    assert stats.effective_dim == pytest.approx(64, rel=0.05)
    assert stats.dims == 64
    assert stats.counts == (500,) * 10
    assert stats.class_means.shape == (10, 64)


def test_statistics_correct_delta_for_noisy_class_means():
    # 50 samples per class in 256 dims: the raw distance between estimated means is ~1.5× the true one.
    features, labels = gaussian_features(3.0, 256, classes=5, per_class=50, seed=3)
    means = np.stack([features[labels == c].mean(axis=0) for c in range(5)])
    raw = np.mean([np.linalg.norm(means[i] - means[j]) for i in range(5) for j in range(i + 1, 5)])
    assert raw > 4.0
    assert embedding_statistics(features, labels).delta == pytest.approx(3.0, rel=0.1)


def test_scatter_on_one_axis_has_effective_dimension_one():
    features, labels = gaussian_features(3.0, 64, classes=10, per_class=500, seed=4, scatter_axis=63)
    stats = embedding_statistics(features, labels)
    assert 1.0 <= stats.effective_dim < 2.0
    assert stats.sigma == pytest.approx(1.0, rel=0.05)  # same total variance spread over 64 columns
    assert stats.effective_snr == pytest.approx(3.0 / 8.0, rel=0.05)


@pytest.mark.parametrize("shots, queries, parameter", [(10, 1, "shots"), (5, 6, "queries")])
def test_too_few_samples_per_class_names_the_parameter(shots, queries, parameter):
    features, labels = gaussian_features(2.0, 4, classes=3, per_class=10, seed=0)
    with pytest.raises(ConfigError) as error:
        episode_accuracy(features, labels, ways=2, shots=shots, queries=queries, episodes=10, seed=0)
    assert error.value.parameter == parameter
    assert "10" in error.value.allowed


def test_bad_episode_and_model_arguments_name_the_parameter():
    features, labels = gaussian_features(2.0, 4, classes=3, per_class=10, seed=0)
    with pytest.raises(ConfigError) as error:
        episode_accuracy(features, labels, ways=4, shots=1, queries=1, episodes=10, seed=0)
    assert error.value.parameter == "ways"
    with pytest.raises(ConfigError) as error:
        simulate_accuracy(2.0, 3, 1, ways=5, queries=1, episodes=10, seed=0)
    assert error.value.parameter == "dim"
    with pytest.raises(ConfigError) as error:
        two_way_accuracy(float("nan"), 3, 1)
    assert error.value.parameter == "snr"
    with pytest.raises(ConfigError) as error:
        two_way_accuracy(1.0, 3, 0)
    assert error.value.parameter == "shots"


def test_modelled_accuracy_uses_quadrature_for_two_ways_and_simulation_otherwise():
    assert modelled_accuracy(2.0, 16, 5, 2) == two_way_accuracy(2.0, 16, 5)
    five_way = modelled_accuracy(2.0, 16, 5, 5)
    reference = simulate_accuracy(2.0, 16, 5, ways=5, queries=15, episodes=20_000, seed=9)
    assert five_way == pytest.approx(reference.mean, abs=0.006)


def test_log_linear_fit_recovers_the_law():
    phis = np.array([0.0, 1.0, 2.0, 3.0])
    s0, eta = fit_log_linear(phis, [snr_law(phi, 1.5, 0.3) for phi in phis])
    assert (s0, eta) == (pytest.approx(1.5), pytest.approx(0.3))
    with pytest.raises(ConfigError) as error:
        fit_log_linear(phis, [1.0, 2.0, 0.0, 3.0])
    assert error.value.parameter == "values"


def test_distinct_draws_are_distinct_and_uniformly_ordered():
    # The first draws become the support set, so every row of a class must be equally likely first.
    draws = _distinct_draws(np.random.default_rng(0), np.full(30_000, 10), 3)
    assert np.all(np.sort(draws, axis=1)[:, 1:] != np.sort(draws, axis=1)[:, :-1])
    first = np.bincount(draws[:, 0], minlength=10)
    assert first.size == 10 and np.all(np.abs(first - 3000) < 250)
