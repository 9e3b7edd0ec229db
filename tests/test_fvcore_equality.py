"""The analytic counter against fvcore's count of the built torch model: exact, operator by operator."""

import json
from pathlib import Path

import numpy as np
import pytest

from scaling_core import Recipe, RoundingPolicy, scale_preset, scale_recipe
from scaling_core.core.cost import count
from scaling_core.nn.verify import FvcoreCounts, compare, verify

GOLDEN = Path(__file__).parent / "golden" / "efficientnet_recipe.json"


def random_configs(n, seed):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        recipe = Recipe(*rng.uniform([1.0, 0.8, 0.7], [1.4, 1.3, 1.2]))
        yield (
            recipe,
            float(rng.uniform(0, 2.5)),
            int(rng.integers(1, 2000)),
            RoundingPolicy(resolution_multiple=int(rng.choice([1, 8, 16, 32]))),
        )


def assert_equal_to_fvcore(arch):
    result = verify(arch)
    assert result.ok, result.differences
    assert result.fvcore.macs == result.analytic.macs  # and the totals, which the per-op check implies


@pytest.mark.parametrize("recipe, phi, num_classes, policy", list(random_configs(5, seed=2)))
def test_random_recipes_equal_fvcore(recipe, phi, num_classes, policy):
    assert_equal_to_fvcore(scale_recipe(recipe, phi, num_classes=num_classes, policy=policy))


def test_b0_equals_fvcore():
    assert_equal_to_fvcore(scale_preset("b0"))


@pytest.mark.parametrize("phi", [0.0, 1.3, 3.0])
def test_another_base_spec_equals_fvcore(tiny_base_path, phi):
    assert_equal_to_fvcore(scale_recipe(Recipe(1.3, 1.2, 1.1), phi, base=str(tiny_base_path)))


def test_compare_reports_every_difference():
    report = count(scale_preset("b0"))
    truth = FvcoreCounts(
        {**report.macs_by_op, "conv": report.macs_by_op["conv"] + 1, "upsample": 5},
        int(report.params) - 1,
        int(report.activations),
    )
    differences = compare(report, truth)
    assert len(differences) == 3
    assert any(d.startswith("macs[conv]") for d in differences) and any("upsample" in d for d in differences)
    assert any(d.startswith("params") for d in differences)


@pytest.mark.slow
@pytest.mark.parametrize("recipe, phi, num_classes, policy", list(random_configs(20, seed=3)))
def test_more_random_recipes_equal_fvcore(recipe, phi, num_classes, policy):
    assert_equal_to_fvcore(scale_recipe(recipe, phi, num_classes=num_classes, policy=policy))


@pytest.mark.slow
def test_b7_equals_fvcore():
    assert_equal_to_fvcore(scale_preset("b7"))


@pytest.mark.slow
@pytest.mark.parametrize(
    "row", json.loads(GOLDEN.read_text()), ids=lambda r: f"phi{r['phi']}-m{r['resolution_multiple']}"
)
def test_golden_snapshot_equals_fvcore(row):
    arch = scale_recipe(
        Recipe(1.2, 1.1, 1.15), row["phi"], policy=RoundingPolicy(resolution_multiple=row["resolution_multiple"])
    )
    result = verify(arch)
    assert result.ok, result.differences
    assert (result.fvcore.params, result.fvcore.activations) == (row["params"], row["activations"])
    assert {k: v for k, v in row["macs_by_op"].items() if v} == result.fvcore.macs_by_op


@pytest.mark.parametrize("phi", [0.0, 1.5])
def test_squeeze_excite_before_the_depthwise_conv_equals_fvcore(phi):
    before = scale_recipe(Recipe(1.2, 1.1, 1.15), phi, se_position="before_depthwise")
    after = scale_recipe(Recipe(1.2, 1.1, 1.15), phi)
    assert_equal_to_fvcore(before)
    # Same weights, but the pools of strided blocks see the larger map in front of the depthwise stride.
    assert count(before).params == count(after).params
    assert count(before).macs_by_op["adaptive_avg_pool2d"] > count(after).macs_by_op["adaptive_avg_pool2d"]
