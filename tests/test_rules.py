"""Scaling rules as exponents of a FLOP scale, and `cost --base NAME [--rule ... --flops-scale S]`."""

import json
import math

import numpy as np
import pytest

from scaling_core.cli.main import main
from scaling_core.core.arch import scale, scale_recipe
from scaling_core.core.base import load_base
from scaling_core.core.cost import count
from scaling_core.core.errors import ConfigError
from scaling_core.core.recipe import Recipe
from scaling_core.core.rules import ScalingRule, compound_rule, dwr_rule, single_rule
from scaling_core.core.sweep import sweep
from scaling_core.storage.keys import describe


def run_json(capsys, *argv):
    assert main(["cost", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_compound_scaling_is_a_rule_of_the_flop_scale():
    """(α, β, γ) at φ and the compound rule at s = (α·β²·γ²)^φ give the same multipliers and the same network."""
    recipe = Recipe(1.2, 1.1, 1.15)
    rule = compound_rule(recipe)
    assert rule.depth + 2 * rule.width + 2 * rule.resolution == pytest.approx(1.0)
    for phi in (0.0, 0.7, 3.0):
        s = recipe.cost_factor**phi
        m, expected = rule.multipliers(s), recipe.multipliers(phi)
        assert (m.depth, m.width, m.resolution) == pytest.approx((expected.depth, expected.width, expected.resolution))
        assert describe(scale(m)) == describe(scale_recipe(recipe, phi))  # the same discrete network


def test_dwr_and_single_rules_have_the_papers_exponents():
    assert (dwr_rule().depth, dwr_rule().width, dwr_rule().resolution) == pytest.approx((0.1, 0.4, 0.05))
    assert (dwr_rule(0.5).depth, dwr_rule(0.5).width, dwr_rule(0.5).resolution) == pytest.approx((0.25, 0.25, 0.125))
    for name, dimension in (("depth", "depth"), ("width", "width"), ("resolution", "resolution")):
        m = single_rule(name).multipliers(4.0)
        grown = {"depth": m.depth, "width": m.width**2, "resolution": m.resolution**2}
        assert grown[dimension] == pytest.approx(4.0) and m.cost_factor == pytest.approx(4.0)


def test_bad_exponents_name_the_rule_and_the_constraint():
    with pytest.raises(ConfigError, match=r"exponents.*e_d \+ 2·e_w \+ 2·e_r = 1"):
        ScalingRule("exponents", 0.5, 0.5, 0.5)
    with pytest.raises(ConfigError, match="dwr alpha"):
        dwr_rule(1.5)
    with pytest.raises(ConfigError, match="flops scale"):
        dwr_rule().multipliers(0.5)


def test_cost_of_a_base_with_no_rule_prints_it_as_specified(capsys):
    """resnet50 as torchvision builds it (25,557,032 parameters, torchvision's documentation), today's fields."""
    summary = run_json(capsys, "--base", "resnet50")
    assert summary["params"] == 25_557_032 and summary["resolution_px"] == 224
    assert {"macs", "macs_by_op", "activations", "stages", "conv_linear_macs"} <= set(summary)
    assert summary["label"] == "resnet50 as specified" and len(summary["stages"]) == 4
    v2 = run_json(capsys, "--base", "efficientnetv2-m")
    assert v2["resolution_px"] == 480 and v2["stages"][0]["block"] == "FusedMBConv1"


def test_dwr_on_regnety_reaches_four_times_the_flops_within_rounding(capsys):
    """`cost --base regnety-400mf --rule dwr --flops-scale 4`: nominal multipliers are 4^0.1, 4^0.4 and 4^0.05; the
    applied ones differ only by the base's rounding (stage depths rounded, widths to multiples of 8 and group
    widths, the side to a multiple of 4); the MACs are about four times the base's."""
    summary = run_json(capsys, "--base", "regnety-400mf", "--rule", "dwr", "--flops-scale", "4")
    nominal = summary["nominal_multipliers"]
    assert (nominal["depth"], nominal["width"], nominal["resolution"]) == pytest.approx((4**0.1, 4**0.4, 4**0.05))
    base = load_base("regnety-400mf")
    blocks = sum(s.repeats for s in base.stages)
    # Each stage's depth moves at most half a block; each width at most half of its rounding step (8) or one group.
    assert abs(summary["depth_multiplier"] - nominal["depth"]) <= 0.5 * len(base.stages) / blocks
    assert abs(summary["width_multiplier"] - nominal["width"]) < 0.05
    assert summary["resolution_px"] == 4 * round(224 * 4**0.05 / 4)
    assert 3.6 < summary["macs_ratio_to_base"] < 4.4
    assert summary["rule"]["exponents"] == pytest.approx({"depth": 0.1, "width": 0.4, "resolution": 0.05})


@pytest.mark.parametrize(
    "argv, parameter",
    [
        (["--rule", "dwr"], "--flops-scale"),
        (["--rule", "exponents", "--flops-scale", "2", "--exponents", "0.5", "0.5", "0.5"], "exponents"),
        (["--rule", "compound", "--flops-scale", "2"], "--alpha"),
        (["--rule", "dwr", "--flops-scale", "2", "--phi", "1"], "--phi"),
        (["--rule", "width", "--flops-scale", "2", "--head", "segmentation"], "--head"),
        (["--rule", "dwr", "--flops-scale", "1e9"], "--flops-scale"),
    ],
)
def test_bad_rule_arguments_exit_2_with_one_line(capsys, argv, parameter):
    assert main(["cost", "--base", "resnet18", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and parameter in err


@pytest.mark.parametrize("name", ["resnet50", "regnety-400mf", "resnext50-32x4d", "efficientnetv2-s"])
def test_a_sweep_equals_the_single_counts_for_every_family(name):
    """The numpy sweep runs the same rounding and handlers on arrays: each row equals the network counted alone."""
    recipes = [Recipe(1.2, 1.1, 1.15), Recipe(1.0, 1.3, 1.0)]
    phis = [0.0, 0.6, 1.9]
    frame = sweep(recipes, phis, base=name)
    for row, (recipe, phi) in zip(frame.itertuples(), [(r, p) for r in recipes for p in phis]):
        arch = scale_recipe(recipe, phi, base=name)
        report = count(arch)
        assert (row.macs, row.params, row.activations) == (report.macs, report.params, report.activations)
        assert row.resolution_px == arch.resolution_px and not math.isnan(row.macs_ratio_to_base)
    assert np.all(np.diff(frame["macs"].to_numpy()[:3]) > 0)
