"""ResNet, ResNeXt and Wide ResNet: the presets equal torchvision's models; scaled members count as fvcore does."""

import pytest
from family_checks import assert_counts_equal_fvcore, assert_equals_torchvision

from scaling_core.core.arch import scale
from scaling_core.core.rules import dwr_rule, single_rule

PRESETS = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50-32x4d", "wide-resnet50-2"]


@pytest.mark.parametrize("name", PRESETS)
def test_preset_equals_torchvision(name):
    arch = assert_equals_torchvision(name)
    assert arch.resolution_px == 224 and arch.head is None and arch.stem_stride == 4


@pytest.mark.parametrize(
    "name, rule, s",
    [
        ("resnet18", dwr_rule(), 2.5),
        ("resnet50", single_rule("depth"), 1.7),
        ("resnext50-32x4d", single_rule("width"), 2.2),
    ],
)
def test_scaled_members_equal_fvcore(name, rule, s):
    arch = scale(rule.multipliers(s), base=name, num_classes=10)
    assert_counts_equal_fvcore(arch)


def test_a_grouped_bottleneck_keeps_its_groups_compatible_when_scaled():
    """ResNeXt's group width grows with the width (pycls's fast compound scaling) and every inner width stays a
    multiple of it; ResNet keeps one group at any width."""
    for s in (1.3, 2.0, 3.7):
        for stage in scale(single_rule("width").multipliers(s), base="resnext50-32x4d").stages:
            block = stage.first
            assert block.inner_channels % block.groups == 0
            assert block.inner_channels // block.groups >= 4
        assert {st.first.groups for st in scale(single_rule("width").multipliers(s), base="resnet50").stages} == {1}
