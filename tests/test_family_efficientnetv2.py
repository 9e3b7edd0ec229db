"""EfficientNetV2 (fused-MBConv): the presets equal torchvision's models; scaled members count as fvcore does."""

from dataclasses import replace

import pytest
from family_checks import assert_counts_equal_fvcore, assert_equals_torchvision

from scaling_core.core.arch import scale
from scaling_core.core.base import load_base
from scaling_core.core.recipe import Recipe
from scaling_core.core.rules import compound_rule

PRESETS = ["efficientnetv2-s", "efficientnetv2-m", "efficientnetv2-l"]


@pytest.mark.parametrize("name", PRESETS)
def test_preset_equals_torchvision(name):
    arch = assert_equals_torchvision(name)
    assert {s.first.kind for s in arch.stages} == {"fused_mbconv", "mbconv"}


def test_a_scaled_v2_equals_fvcore():
    """V2-S's blocks under EfficientNet's compound rule at s = 1.8, from a 96 px input (the count's rules do not
    depend on the side; the check is quicker)."""
    rule = compound_rule(Recipe(1.2, 1.1, 1.15))
    base = replace(load_base("efficientnetv2-s"), resolution_px=96)
    arch = scale(rule.multipliers(1.8), base=base, num_classes=10)
    assert_counts_equal_fvcore(arch)
