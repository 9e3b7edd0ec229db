"""Published top-1 of the family presets, and the accuracy model fitted across families with its error per family."""

import json

import numpy as np
import pytest
from torchvision_reference import BUILDERS

from scaling_core.accuracy.families import family_errors, family_estimate, family_frame, family_rows
from scaling_core.accuracy.model import calibration
from scaling_core.cli.main import main
from scaling_core.core.errors import ConfigError


def test_every_preset_has_its_published_top1_with_the_weights_it_belongs_to():
    """Each family preset has torchvision's IMAGENET1K_V1 top-1 (its citation names the weights); V2's, where it
    exists, is kept apart and cited apart."""
    rows = {row.base: row for row in family_rows()}
    assert set(rows) == set(BUILDERS)
    assert all("IMAGENET1K_V1" in row.point.citation and 60 < row.point.top1 < 90 for row in rows.values())
    assert rows["resnet50"].point.top1 == 76.13 and rows["resnet50"].top1_v2 == 80.858
    assert rows["resnet18"].top1_v2 is None and "IMAGENET1K_V2" in rows["resnet50"].citation_v2


def test_members_are_placed_by_their_applied_multipliers():
    """ResNet-101 is ResNet-50 with 33 blocks instead of 16; V2-M is V2-S at 480 px instead of 384."""
    frame = family_frame().set_index("base")
    assert frame.loc["resnet101", ["d", "w", "r"]].tolist() == pytest.approx([33 / 16, 1.0, 1.0])
    assert frame.loc["efficientnetv2-m", "r"] == pytest.approx(480 / 384)
    assert frame.loc["resnext50-32x4d", "role"] == "published only"


def test_the_error_is_reported_per_family_and_the_efficientnet_calibration_is_unchanged():
    errors = family_errors().set_index("family")
    assert {"EfficientNetV2", "ResNet (bottleneck)", "RegNetX", "RegNetY"} <= set(errors.index)
    scored = errors.dropna(subset=["loo_rmse"])
    assert (scored["loo_rmse"] > 0).all() and (scored["loo_rmse"] <= scored["loo_max"] + 1e-12).all()
    assert np.isnan(errors.loc["ResNet (basic block)", "loo_rmse"])  # one fitted row: nothing to leave out
    # The families have their own calibration: the EfficientNet estimates are fitted on Tan & Le's rows alone.
    assert not any(label.startswith("torchvision") for label in calibration().loo_labels)


def test_an_estimate_says_where_it_extrapolates():
    inside = family_estimate("resnet50", 1.5, 1.0, 1.0)
    assert inside.extrapolated == "" and inside.top1 > 76.13
    outside = family_estimate("regnety-400mf", 1.0, 1.0, 1.2)
    assert outside.extrapolated == "r"
    with pytest.raises(ConfigError, match="more than one published member"):
        family_estimate("resnext50-32x4d", 1.0, 1.5, 1.0)


def test_accuracy_command_for_a_family_base(capsys):
    assert main(["accuracy", "--base", "resnet50", "--json"]) == 0
    published = json.loads(capsys.readouterr().out)
    assert published["source"] == "published" and published["top1"] == 76.13 and published["top1_v2"] == 80.858
    assert main(["accuracy", "--base", "regnety-400mf", "--rule", "width", "--flops-scale", "2", "--json"]) == 0
    scaled = json.loads(capsys.readouterr().out)
    assert scaled["top1"] > 74.046 and scaled["w"] == pytest.approx(2**0.5, abs=0.05) and scaled["error_points"] > 0
    assert main(["accuracy", "--families", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert len(document["presets"]) == len(BUILDERS) and {f["family"] for f in document["families"]} >= {"RegNetX"}
