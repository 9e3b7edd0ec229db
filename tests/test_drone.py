"""The drone model: the largest φ within a latency budget, blur against resolution, accuracy under blur."""

import numpy as np
import pandas as pd
import pytest
import torch
from deployment_helpers import synthetic_profile

from scaling_core.core.errors import ConfigError
from scaling_core.core.recipe import Recipe
from scaling_core.hardware.latency_model import predict_ms
from scaling_core.hardware.optimize import network_at
from scaling_core.studies.deployment.drone import (
    best_resolution,
    blur_curves,
    blur_fit,
    dataset_spectrum,
    drone_choice,
    latency_frame,
    modelled_accuracy,
    surviving_share,
)
from scaling_core.studies.deployment.measurements import blur_images
from scaling_core.studies.spectrum.motion_blur import Motion

EFFICIENTNET = Recipe(1.2, 1.1, 1.15)
MOTION = Motion(60.0, 0.01, 90.0)


def test_the_largest_phi_meets_the_budget_and_a_little_more_does_not():
    model = synthetic_profile()
    choice = drone_choice(model, EFFICIENTNET, 60.0, MOTION)
    assert choice.predicted_ms <= 60.0
    assert predict_ms(model, network_at("classification", EFFICIENTNET, choice.phi + 0.01)) > 60.0
    assert choice.blur_px == pytest.approx(MOTION.sweep * choice.resolution_px)
    with pytest.raises(ConfigError, match="latency budget"):
        drone_choice(model, EFFICIENTNET, 0.5, MOTION)


def test_blur_length_grows_linearly_with_the_input_along_phi():
    frame = latency_frame(synthetic_profile(), EFFICIENTNET, [0.0, 0.5, 1.0, 1.5, 3.0], MOTION)
    assert np.allclose(frame["blur_px"] / frame["resolution_px"], MOTION.sweep)
    assert frame["resolution_px"].is_monotonic_increasing
    assert frame["predicted_ms"].iloc[:4].is_monotonic_increasing
    assert np.isnan(frame["predicted_ms"].iloc[4])  # outside the latency model's fitted region: not extrapolated


def test_blurring_images_applies_the_kernel_along_the_width_only():
    image = torch.zeros(1, 1, 9, 31)
    image[0, 0, 4, 15] = 1.0
    blurred = blur_images(image, 5.0)
    assert blurred.shape == image.shape
    assert float(blurred.sum()) == pytest.approx(1.0, abs=1e-3)  # tails beyond the image are cut
    assert torch.count_nonzero(blurred[0, 0, [0, 1, 2, 3, 5, 6, 7, 8]]) == 0  # no vertical spread
    row = blurred[0, 0, 4]
    assert float(row[13:18].sum()) > 0.9  # the energy sits within the 5 px of the box
    assert torch.equal(blur_images(image, 0.0), image)


def test_the_surviving_share_falls_with_the_sweep_and_is_one_without_blur():
    spectrum = dataset_spectrum("digits")
    shares = [float(surviving_share(spectrum, 16, s)) for s in (0.0, 0.05, 0.1, 0.2)]
    assert shares[0] == pytest.approx(1.0)
    assert all(a > b for a, b in zip(shares, shares[1:])) and shares[-1] > 0


def test_the_model_sits_between_chance_and_clean_and_its_calibration_never_does_worse():
    assert modelled_accuracy(0.9, 0.1, 1.0) == pytest.approx(0.9)
    assert modelled_accuracy(0.9, 0.1, 0.0) == pytest.approx(0.1)
    spectrum = dataset_spectrum("digits")
    records = [
        {
            "alias": "efficientnet",
            "recipe": "EfficientNet",
            "phi": phi,
            "seed": 0,
            "resolution_px": px,
            "clean": 0.95,
            "blur": [0.95, 0.8, 0.5],
        }
        for phi, px in ((0.0, 16), (1.0, 18))
    ]
    curves = blur_curves(records, [0.0, 0.1, 0.2])
    assert list(curves["blur_px"]) == pytest.approx([0.0, 1.6, 3.2, 0.0, 1.8, 3.6])
    fit = blur_fit(curves, spectrum, 0.1)
    assert fit.calibrated_rms_points <= fit.rms_points + 1e-9
    with pytest.raises(ConfigError, match="blur curve"):
        blur_curves(records, [0.0, 0.1])


def test_best_resolution_names_the_peak_and_whether_larger_inputs_lose():
    summary = pd.DataFrame(
        {"recipe": ["r"] * 3, "resolution_px": [16, 24, 32], "sweep": [0.1] * 3, "accuracy_mean": [80.0, 85.0, 82.0]}
    )
    [row] = best_resolution(summary, 0.1).to_dict("records")
    assert row["best_px"] == 24 and row["larger_inputs_lose"] and row["loss_at_largest"] == pytest.approx(3.0)
    rising = summary.assign(accuracy_mean=[80.0, 85.0, 90.0])
    assert not best_resolution(rising, 0.1)["larger_inputs_lose"].iloc[0]
