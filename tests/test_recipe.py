import math

import pytest

from scaling_core import ConfigError, Recipe


def test_multipliers_are_powers_of_the_coefficients_for_fractional_phi():
    recipe = Recipe(1.2, 1.1, 1.15)
    for phi in (0.0, 0.37, 1.0, 2.5, 7.0):
        m = recipe.multipliers(phi)
        assert m.depth == pytest.approx(1.2**phi, rel=1e-15)
        assert m.width == pytest.approx(1.1**phi, rel=1e-15)
        assert m.resolution == pytest.approx(1.15**phi, rel=1e-15)
        assert m.cost_factor == pytest.approx(recipe.cost_factor**phi, rel=1e-12)


def test_cost_factor_is_alpha_beta_squared_gamma_squared():
    assert Recipe(1.2, 1.1, 1.15).cost_factor == pytest.approx(1.2 * 1.1**2 * 1.15**2)


@pytest.mark.parametrize("target", [2.0, 3.0, 1.5])
def test_rescaled_hits_the_target_and_keeps_the_log_ratios(target):
    recipe = Recipe(1.2, 1.1, 1.15)
    new = recipe.rescaled(target)
    assert new.cost_factor == pytest.approx(target, rel=1e-12)
    assert math.log(new.alpha) / math.log(new.beta) == pytest.approx(math.log(1.2) / math.log(1.1), rel=1e-12)
    assert math.log(new.gamma) / math.log(new.beta) == pytest.approx(math.log(1.15) / math.log(1.1), rel=1e-12)


def test_rescaling_a_recipe_that_does_not_grow_is_refused():
    with pytest.raises(ConfigError, match="cost factor"):
        Recipe(1.0, 1.0, 1.0).rescaled()


def test_with_fixed_moves_one_coefficient_and_rescales_the_others():
    new = Recipe(1.2, 1.1, 1.15).with_fixed("alpha", 1.5)
    assert new.alpha == 1.5
    assert new.cost_factor == pytest.approx(2.0, rel=1e-12)
    assert math.log(new.gamma) / math.log(new.beta) == pytest.approx(math.log(1.15) / math.log(1.1), rel=1e-12)


@pytest.mark.parametrize(
    "kwargs, parameter",
    [
        ({"alpha": 0.0, "beta": 1.1, "gamma": 1.15}, "alpha"),
        ({"alpha": 1.2, "beta": -1.0, "gamma": 1.15}, "beta"),
        ({"alpha": 1.2, "beta": 1.1, "gamma": float("nan")}, "gamma"),
        ({"alpha": float("inf"), "beta": 1.1, "gamma": 1.15}, "alpha"),
    ],
)
def test_bad_coefficients_name_the_parameter_and_range(kwargs, parameter):
    with pytest.raises(ConfigError) as err:
        Recipe(**kwargs)
    assert err.value.parameter == parameter
    assert "(0, inf)" in str(err.value)


@pytest.mark.parametrize("phi", [-0.1, float("nan"), float("inf")])
def test_bad_phi_is_refused(phi):
    with pytest.raises(ConfigError, match=r"phi .*\[0, inf\)"):
        Recipe(1.2, 1.1, 1.15).multipliers(phi)


def test_tau_scales_frames_and_enters_the_cost_factor():
    recipe = Recipe(1.2, 1.1, 1.15, tau=1.3)
    assert recipe.multipliers(2.0).frames == pytest.approx(1.69)
    assert recipe.cost_factor == pytest.approx(1.2 * 1.1**2 * 1.15**2 * 1.3)
    rescaled = recipe.rescaled(2.0)
    assert rescaled.cost_factor == pytest.approx(2.0)
    assert math.log(rescaled.tau) / math.log(rescaled.alpha) == pytest.approx(math.log(1.3) / math.log(1.2))
