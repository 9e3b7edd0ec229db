import json
from pathlib import Path

import pytest

from scaling_core import (
    ConfigError,
    Multipliers,
    Recipe,
    count,
    get_preset,
    preset_names,
    scale,
    scale_preset,
    scale_recipe,
)
from scaling_core.core.arch import ConvBNAct, MBConv
from scaling_core.core.cost import count_conv_bn_act, count_layer, count_mbconv
from scaling_core.core.rounding import RoundingPolicy

GOLDEN = Path(__file__).parent / "golden" / "efficientnet_recipe.json"


def test_single_conv_by_hand():
    counts, out = count_conv_bn_act(ConvBNAct(3, 32, 3, 2), 224)
    assert out == 112
    assert counts.macs_by_op == {"conv": 32 * 3 * 9 * 112 * 112, "batch_norm": 2 * 32 * 112 * 112}
    assert counts.params == 32 * 3 * 9 + 2 * 32
    assert counts.activations == 32 * 112 * 112


def test_mbconv_by_hand():
    spec = MBConv(
        in_channels=16, expanded_channels=96, se_channels=4, out_channels=24, kernel=3, stride=2, expand_ratio=6
    )
    counts, out = count_mbconv(spec, 112)
    assert out == 56
    expand = 16 * 96 * 112 * 112
    depthwise = 96 * 9 * 56 * 56
    se = 96 * 4 + 4 * 96
    project = 96 * 24 * 56 * 56
    assert counts.macs_by_op["conv"] == expand + depthwise + se + project
    assert counts.macs_by_op["batch_norm"] == 2 * (96 * 112 * 112 + 96 * 56 * 56 + 24 * 56 * 56)
    assert counts.macs_by_op["adaptive_avg_pool2d"] == 96 * 56 * 56
    assert counts.params == (16 * 96 + 2 * 96) + (96 * 9 + 2 * 96) + (96 * 4 + 4 + 4 * 96 + 96) + (96 * 24 + 2 * 24)
    assert counts.activations == 96 * 112 * 112 + 96 * 56 * 56 + 4 + 96 + 24 * 56 * 56


def test_unknown_layer_kind_is_reported_not_counted_as_zero():
    class Attention:
        kind = "attention"

    with pytest.raises(ConfigError, match="no cost handler"):
        count_layer(Attention(), 7)


def test_reference_efficientnet_b0_and_b7():
    b0, b7 = count(scale_preset("b0")), count(scale_preset("b7"))
    assert (b0.params, b0.total.conv_linear_macs) == (5_288_548, 385_814_752)
    assert (b7.params, b7.total.conv_linear_macs) == (66_347_960, 37_745_884_192)


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_matches_the_published_reference(name):
    """torchvision's EfficientNet: exact parameters, GFLOPS (conv+linear MACs) to the published two decimals."""
    preset = get_preset(name)
    assert count(scale_preset(name)).params == preset.reference_params
    at_reference = scale(
        Multipliers(preset.depth, preset.width, preset.reference_resolution_px / 224),
        policy=RoundingPolicy(resolution_multiple=1),
    )
    assert at_reference.resolution_px == preset.reference_resolution_px
    assert round(count(at_reference).total.conv_linear_macs / 1e9, 2) == preset.reference_gmacs


def golden_rows():
    rows = []
    for phi in (0.0, 0.5, 1.0, 2.5, 4.0, 7.3):
        for multiple in (1, 8, 32):
            arch = scale_recipe(Recipe(1.2, 1.1, 1.15), phi, policy=RoundingPolicy(resolution_multiple=multiple))
            report = count(arch)
            rows.append(
                {
                    "phi": phi,
                    "resolution_multiple": multiple,
                    "resolution_px": arch.resolution_px,
                    "params": report.params,
                    "macs_by_op": report.macs_by_op,
                    "activations": report.activations,
                }
            )
    return rows


def test_golden_snapshot_over_phi():
    """Counts of the paper's recipe over φ, frozen when they were checked against fvcore."""
    assert golden_rows() == json.loads(GOLDEN.read_text())
