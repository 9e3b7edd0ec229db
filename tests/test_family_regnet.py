"""RegNet X and Y from the generator: the stages equal torchvision's, the presets its models; scaled members count
as fvcore does."""

import pytest
from family_checks import assert_counts_equal_fvcore, assert_equals_torchvision
from torchvision_reference import BUILDERS, torchvision_model

from scaling_core.core.arch import scale
from scaling_core.core.base import load_base, parse_base
from scaling_core.core.errors import ConfigError
from scaling_core.core.rules import dwr_rule

PRESETS = [name for name in BUILDERS if name.startswith("regnet")]


@pytest.mark.parametrize("name", PRESETS)
def test_preset_equals_torchvision(name):
    arch = assert_equals_torchvision(name)
    model = torchvision_model(name)
    # The generator's stages, stage by stage: width, depth and groups of torchvision's blocks.
    theirs = [
        (len(stage), stage[0].f.c[0].out_channels, stage[0].f.b[0].groups) for stage in model.trunk_output.children()
    ]
    ours = [(s.repeats, s.first.out_channels, s.first.groups) for s in arch.stages]
    assert ours == theirs


@pytest.mark.parametrize("name, s", [("regnetx-400mf", 2.0), ("regnety-400mf", 3.0)])
def test_scaled_members_equal_fvcore(name, s):
    assert_counts_equal_fvcore(scale(dwr_rule().multipliers(s), base=name, num_classes=10))


def test_any_regnet_is_a_spec():
    """A RegNet given only by the generator's numbers builds; a spec with both stages and generator is refused."""
    spec = {
        "name": "my-regnet",
        "resolution_px": 64,
        "in_channels": 3,
        "num_classes": 10,
        "activation": "relu",
        "stem": {"out_channels": 16, "kernel": 3, "stride": 2},
        "regnet": {"depth": 6, "w0": 16, "wa": 12.0, "wm": 2.0, "group_width": 8, "se_ratio": 0.25},
        "head": None,
    }
    base = parse_base(spec)
    assert [s.out_channels for s in base.stages] == [16, 32, 64] and sum(s.repeats for s in base.stages) == 6
    assert_counts_equal_fvcore(scale(dwr_rule().multipliers(1.5), base=base))
    with pytest.raises(ConfigError, match="either stages or regnet"):
        parse_base(spec | {"stages": [{"block": "basic", "kernel": 3, "stride": 2, "out_channels": 8, "repeats": 1}]})
    assert load_base("regnety-400mf").rounding.depth_rounding == "round"
