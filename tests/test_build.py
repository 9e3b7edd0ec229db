"""The builder's block options, read from the architecture description."""

import json

import pytest

from scaling_core import Recipe, scale_recipe
from scaling_core.core.errors import ConfigError
from scaling_core.nn.build import build_model
from scaling_core.storage.keys import describe


def layer_kinds(arch):
    return [type(m).__name__ for m in build_model(arch).stages[1][0].block]


def test_squeeze_excite_position_orders_the_block_and_keeps_old_keys():
    before = scale_recipe(Recipe(1.2, 1.1, 1.15), 0.0, se_position="before_depthwise")
    after = scale_recipe(Recipe(1.2, 1.1, 1.15), 0.0)
    assert layer_kinds(before) == ["Sequential", "SqueezeExcite", "Sequential", "Sequential"]
    assert layer_kinds(after) == ["Sequential", "Sequential", "SqueezeExcite", "Sequential"]
    # The depthwise conv (groups = channels) follows the SE in one order and precedes it in the other.
    assert build_model(before).stages[1][0].block[2][0].groups > 1
    assert build_model(after).stages[1][0].block[1][0].groups > 1
    assert "se_position" not in json.dumps(describe(after)) and "before_depthwise" in json.dumps(describe(before))
    with pytest.raises(ConfigError, match="se_position"):
        scale_recipe(Recipe(1.2, 1.1, 1.15), 0.0, se_position="sideways")
