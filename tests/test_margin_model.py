"""The margin model: its formula, its link form, and calibrations that recover known parameters."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from scaling_core.app.views.robustness import _eps_half, robustness_summary
from scaling_core.core.errors import ConfigError
from scaling_core.studies.robustness.margin_model import (
    MarginModel,
    calibrate,
    canonical_model,
    fit_error,
    from_moments,
    parse_model,
    predict,
)

TRUE = MarginModel(((4.0, 0.3, 0.5, 0.1), (2.0, 0.1, -0.2, 0.0), (30.0, 0.4, 0.2, 0.6)))
NETWORKS = [(1, 1, 1), (1.5, 1, 1), (2.2, 1, 1), (1, 1.4, 1), (1, 2.0, 1), (1, 1, 1.3), (1, 1, 1.7), (1.7, 1.3, 1.5)]
EPS = [0.0, 0.02, 0.05, 0.1, 0.2, 0.3]


def synthetic_curves(model: MarginModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [
        {
            "depth_multiplier": d,
            "width_multiplier": w,
            "resolution_multiplier": r,
            "level": e,
            "accuracy": float(model.accuracy(d, w, r, e)),
        }
        for d, w, r in NETWORKS
        for e in EPS
    ]
    moments = pd.DataFrame(
        [
            {
                "depth_multiplier": d,
                "width_multiplier": w,
                "resolution_multiplier": r,
                "margin_mean": model.quantity("mu", d, w, r),
                "margin_std": model.quantity("sigma", d, w, r),
                "gradient_norm_mean": model.quantity("g", d, w, r),
            }
            for d, w, r in NETWORKS
        ]
    )
    return pd.DataFrame(rows), moments


def test_robust_accuracy_is_the_normal_tail_beyond_the_attacks_reach():
    mu, sigma, g = 4.0 * 1.5**0.3, 2.0 * 1.5**0.1, 30.0 * 1.5**0.4
    assert TRUE.accuracy(1.5, 1, 1, 0.05) == pytest.approx(stats.norm.cdf((mu - 0.05 * g) / sigma))
    assert TRUE.accuracy(1, 1, 1, 0.0) == pytest.approx(stats.norm.cdf(2.0))
    assert np.all(np.diff(TRUE.accuracy(1, 1, 1, np.array(EPS))) < 0)


def test_the_moments_give_the_power_laws_back_exactly():
    _, moments = synthetic_curves(TRUE)
    assert np.allclose(from_moments(moments).parameters, TRUE.parameters)


def test_calibration_on_the_curves_recovers_them_from_a_wrong_start():
    curves, moments = synthetic_curves(TRUE)
    wrong = moments.assign(gradient_norm_mean=moments["gradient_norm_mean"] * 3, margin_std=moments["margin_std"] / 2)
    start = from_moments(wrong)
    assert fit_error(start, curves) > 5
    fitted = calibrate(curves, wrong)
    assert fit_error(fitted, curves) < 0.1
    assert np.allclose(predict(fitted, curves), curves["accuracy"], atol=2e-3)


def test_the_link_form_round_trips_and_bad_text_names_the_field():
    assert parse_model(TRUE.as_text()) == TRUE and canonical_model("") == ""
    with pytest.raises(ConfigError, match="robust_model"):
        parse_model("mu:1,2,3;sigma:1,0,0,0")
    with pytest.raises(ConfigError, match="sigma base"):
        parse_model("mu:1,0,0,0;sigma:-1,0,0,0;g:1,0,0,0")
    with pytest.raises(ConfigError, match="exponent of w"):
        parse_model("mu:1,0,9,0;sigma:1,0,0,0;g:1,0,0,0")


def test_the_summary_area_half_point_and_gap():
    levels = np.array([0.0, 0.1, 0.2, 0.3])
    assert _eps_half(levels, np.array([0.9, 0.6, 0.3, 0.1])) == pytest.approx(0.15)
    assert np.isnan(_eps_half(levels, np.array([0.9, 0.8, 0.7, 0.6])))
    curves = pd.DataFrame(
        {
            "alias": "a",
            "recipe": "A",
            "phi": 0.0,
            "macs": 10,
            "attack": "pgd",
            "level": np.tile(levels, 2),
            "accuracy": [0.9, 0.6, 0.3, 0.1, 0.7, 0.6, 0.3, 0.1],
        }
    )
    [row] = robustness_summary(curves, "pgd", 0.1).to_dict(orient="records")
    mean = np.array([0.8, 0.6, 0.3, 0.1])
    assert row["clean"] == pytest.approx(80) and row["gap_at_reference"] == pytest.approx(20)
    assert row["auc"] == pytest.approx(100 * np.trapezoid(mean, levels) / 0.3)
    assert row["level_at_half"] == pytest.approx(_eps_half(levels, mean))
