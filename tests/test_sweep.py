import numpy as np
import pytest

from scaling_core import ConfigError, Recipe, RoundingPolicy, count, scale_recipe, sweep


def test_sweep_rows_equal_single_counts_exactly():
    rng = np.random.default_rng(5)
    recipes = [Recipe(*c) for c in rng.uniform([0.9, 0.8, 0.9], [1.5, 1.4, 1.3], (6, 3))]
    phis = [0.0, 0.3, 1.0, 2.25, 4.7]
    policies = [RoundingPolicy(), RoundingPolicy(8, "round", 32), RoundingPolicy(4, "ceil", 1)]
    frame = sweep(recipes, phis, policies=policies, num_classes=37)
    assert len(frame) == len(recipes) * len(phis) * len(policies)
    for row in frame.itertuples():
        policy = RoundingPolicy(row.width_divisor, row.depth_rounding, row.resolution_multiple)
        arch = scale_recipe(Recipe(row.alpha, row.beta, row.gamma), row.phi, policy=policy, num_classes=37)
        report = count(arch)
        assert row.resolution_px == arch.resolution_px
        assert row.total_blocks == arch.total_blocks
        assert (row.params, row.macs, row.activations) == (report.params, report.macs, report.activations)
        assert {op: getattr(row, f"macs_{op}") for op in report.macs_by_op} == report.macs_by_op


def test_sweep_reports_the_achieved_and_the_ideal_ratio():
    frame = sweep([Recipe(1.2, 1.1, 1.15)], [0.0, 1.0])
    assert frame["macs_ratio_to_base"].iloc[0] == 1.0
    assert frame["ideal_cost_ratio"].iloc[1] == pytest.approx(1.2 * 1.1**2 * 1.15**2)
    assert frame["flops"].tolist() == (2 * frame["macs"]).tolist()


@pytest.mark.parametrize("phis, parameter", [([-1.0], "phi"), ([float("nan")], "phi"), ([], "phi")])
def test_bad_phi_grid(phis, parameter):
    with pytest.raises(ConfigError) as err:
        sweep([Recipe(1.2, 1.1, 1.15)], phis)
    assert err.value.parameter == parameter


def test_resolution_below_minimum_is_refused_with_the_culprit():
    with pytest.raises(ConfigError, match="gamma=0.5, phi=4") as err:
        sweep([Recipe(1.2, 1.1, 1.15), Recipe(1.0, 1.0, 0.5)], [0.0, 4.0])
    assert err.value.parameter == "resolution" and err.value.value == 16


def test_invalid_rows_can_be_dropped_and_are_counted():
    frame = sweep(
        [Recipe(1.2, 1.1, 1.15), Recipe(1.0, 1.0, 0.5), Recipe(2.5, 2.5, 2.5)], [0.0, 4.0, 30.0], drop_invalid=True
    )
    # dropped: γ=0.5 at φ=4 and 30 (resolution), α=β=γ=2.5 at φ=30 (could overflow int64)
    assert frame.attrs["dropped"] == 3
    assert len(frame) == 6 and (frame["resolution_px"] >= 32).all()
    assert frame.loc[frame["phi"] == 30.0, "alpha"].tolist() == [1.2]


def test_counts_that_could_overflow_int64_are_refused():
    with pytest.raises(ConfigError, match="phi"):
        sweep([Recipe(2.5, 2.5, 2.5)], [0.0, 30.0])
