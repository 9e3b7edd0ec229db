"""The published accuracy table, the calibrated model, its leave-one-out error and its calibrated region."""

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from scaling_core.accuracy.model import (
    _families,
    _fit_parameters,
    _unpack,
    calibrate,
    calibration,
    estimate,
    fit_accuracy_model,
    modelled_accuracy,
    published_points,
    reference_base_top1,
)
from scaling_core.cli.main import main
from scaling_core.core.errors import ConfigError


def test_the_published_table_holds_the_papers_numbers():
    rows = {(p.series, p.label): p for p in published_points()}
    top1 = [rows["efficientnet-b0-b7", f"EfficientNet-B{i}"].top1 for i in range(8)]
    assert top1 == [77.1, 79.1, 80.1, 81.6, 82.9, 83.6, 84.0, 84.3]
    b4 = rows["efficientnet-b0-b7", "EfficientNet-B4"]
    assert (b4.d, b4.w, b4.r) == (1.8, 1.4, 380 / 224) and (b4.params_m, b4.gmacs) == (19, 4.2)
    assert rows["table3-resnet50", "depth (d=4)"].top1 == 78.1 and rows["table3-resnet50", "depth (d=4)"].gmacs == 16.2
    assert rows["table3-mobilenetv2", "compound (d=1.4, w=1.2, r=1.3)"].top1 == 77.4
    assert rows["table7-b0", "compound (d=1.4, w=1.2, r=1.3)"].top1 == 81.1
    assert rows["figure3-resolution", "r=2.5 (560 px)"].kind == "read from figure"
    assert all(p.citation.startswith("Tan & Le") for p in published_points())
    for series in {p.series for p in published_points()}:
        members = [p for p in published_points() if p.series == series]
        assert sum(p.is_baseline for p in members) == 1
        assert all(p.base_top1 == next(m.top1 for m in members if m.is_baseline) for p in members)
    assert reference_base_top1() == 77.1


def test_the_model_starts_at_the_base_and_has_diminishing_returns_in_every_dimension():
    model = calibration().model
    assert model.predict(1, 1, 1, 77.1) == pytest.approx(77.1)
    x = np.array([1.0, 1.5, 2.0, 2.5, 3.0])
    for axis in range(3):
        args = [np.ones_like(x)] * 3
        args[axis] = x
        gains = np.diff(model.predict(*args, 77.1))
        assert np.all(gains > 0) and np.all(np.diff(gains) < 0)
    assert np.all(model.predict(8, 5, 3, np.array([50.0, 77.1, 90.0])) < 100)


def test_compound_beats_any_single_dimension_at_the_same_cost_as_in_table_7():
    model = calibration().model
    compound = model.predict(1.4, 1.2, 1.3, 77.3)
    assert compound > max(model.predict(4, 1, 1, 77.3), model.predict(1, 2, 1, 77.3), model.predict(1, 1, 2, 77.3))


def test_the_leave_one_out_error_is_a_real_refit_without_the_row():
    cal = calibration()
    targets = [p for p in published_points() if not p.is_baseline]
    assert cal.rows == len(targets) == len(cal.loo_errors) == 38
    for i in (0, 9, 20):  # B1, Table 3 MobileNetV1 width, a Figure 3 point: from scratch, cold starts
        rest = [p for p in published_points() if p is not targets[i]]
        refit = fit_accuracy_model(rest)
        left_out = targets[i]
        error = float(refit.predict(left_out.d, left_out.w, left_out.r, left_out.base_top1, left_out.family))
        assert error - left_out.top1 == pytest.approx(cal.loo_errors[i], abs=0.05)
    assert cal.in_sample_rmse < cal.loo_rmse < 1.0
    assert cal.loo_max == pytest.approx(max(abs(e) for e in cal.loo_errors))


def test_leave_one_out_exposes_a_table_with_no_relation_to_scaling():
    """The same LOO routine on a table whose accuracies were shuffled between rows must score far worse."""
    points = list(published_points())
    targets = [i for i, p in enumerate(points) if not p.is_baseline]
    shuffled = np.random.default_rng(0).permutation([points[i].top1 for i in targets])
    for i, top1 in zip(targets, shuffled):
        points[i] = replace(points[i], top1=float(top1))
    assert calibrate(points).loo_rmse > 2 * calibration().loo_rmse


def test_the_calibrated_region_is_the_hull_of_the_published_rows():
    cal = calibration()
    points = published_points()
    assert cal.within([p.d for p in points], [p.w for p in points], [p.r for p in points]).all()
    assert not cal.within(0.9, 1, 1)  # scaled down: no published row
    assert not cal.within(4, 1, 2)  # deep and high-resolution at once: beyond every row
    assert cal.within(1.2, 1.1, 1.15)


def test_modelled_accuracy_of_a_frame_and_an_estimate_carry_their_source_and_error():
    frame = pd.DataFrame(
        {
            "depth_multiplier": [1.0, 1.2, 0.8],
            "width_multiplier": [1.0, 1.1, 1.0],
            "resolution_multiplier": [1.0, 1.15, 1.0],
        }
    )
    result = modelled_accuracy(frame, 77.1)
    assert list(result["accuracy_source"]) == ["modelled"] * 3
    assert list(result["extrapolated"]) == [False, False, True]
    assert result["accuracy"].iloc[0] == pytest.approx(77.1) and result["accuracy"].iloc[1] > 77.1
    assert (result["accuracy_error"] == calibration().loo_rmse).all()
    published = estimate(1.4, 1.2, 300 / 224, 77.1, preset="b3")
    assert (published.top1, published.source) == (81.6, "published") and "Table 2" in published.citation
    modelled = estimate(1.2, 1.1, 1.15, 77.1)
    assert modelled.source == "modelled" and modelled.error_points == calibration().loo_rmse
    assert "±" in modelled.label()
    with pytest.raises(ConfigError, match="base_top1"):
        estimate(1, 1, 1, 100.0)


def test_a_fit_from_one_start_is_deterministic():
    points = [p for p in published_points() if not p.is_baseline]
    families = _families(list(published_points()))
    start = np.zeros(6 + len(families) - 1)
    first = _unpack(_fit_parameters(points, families, [start]), families)
    assert first == _unpack(_fit_parameters(points, families, [start]), families)


def test_cli_report_gives_the_leave_one_out_error(capsys):
    assert main(["accuracy", "--report", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["leave_one_out"]["rmse_points"] == pytest.approx(calibration().loo_rmse)
    assert report["calibration_rows"] == 38 and len(report["leave_one_out"]["errors"]) == 38
    assert main(["accuracy", "--preset", "b7", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["top1"] == 84.3
    assert main(["accuracy", "--alpha", "1.2", "--beta", "1.1", "--gamma", "1.15", "--phi", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["source"] == "modelled"
    assert (
        main(["accuracy", "--alpha", "1.2", "--beta", "1.1", "--gamma", "1.15", "--phi", "1", "--base-top1", "-3"]) == 2
    )
    assert "--base-top1" in capsys.readouterr().err
