"""Power spectra: the fitted slope recovers a known 1/f^α, and the captured share behaves as Nyquist says."""

import numpy as np
import pytest

from scaling_core.errors import ConfigError
from scaling_core.spectrum import captured_share, fit_slope, grayscale, radial_psd, synthetic_image


@pytest.mark.parametrize("alpha", [1.0, 1.5, 2.0, 3.0, 4.0])
def test_the_fitted_slope_recovers_a_known_power_law_within_a_tenth(alpha):
    fits = [fit_slope(radial_psd(synthetic_image(256, alpha, seed))) for seed in range(3)]
    for fit in fits:
        assert fit.alpha == pytest.approx(alpha, abs=0.1)
        assert fit.low < fit.alpha < fit.high and fit.r_squared > 0.9


def test_white_noise_is_flat_and_a_smooth_image_is_steep():
    rng = np.random.default_rng(0)
    assert fit_slope(radial_psd(rng.normal(size=(128, 128)))).alpha == pytest.approx(0.0, abs=0.15)
    assert fit_slope(radial_psd(synthetic_image(128, 3.0))).alpha > 2.5


def test_captured_share_grows_with_resolution_and_is_whole_at_native_size():
    spectrum = radial_psd(synthetic_image(256, 1.0, 1))
    shares = [captured_share(spectrum, 256, px) for px in (32, 64, 128, 256, 512)]
    assert all(a < b for a, b in zip(shares, shares[1:4])) and shares[3] == shares[4] == 1.0
    detail = captured_share(spectrum, 256, 128, band=(0.2, 0.5))
    assert detail < captured_share(spectrum, 256, 128)  # the detail band is what a smaller input loses first
    steep = radial_psd(synthetic_image(256, 3.0, 1))
    assert captured_share(steep, 256, 64) > captured_share(spectrum, 256, 64)  # natural images lose less


def test_colour_images_use_luma_and_bad_input_names_the_parameter():
    rgb = np.zeros((16, 16, 3))
    rgb[..., 1] = 1.0
    assert grayscale(rgb)[0, 0] == pytest.approx(0.587)
    with pytest.raises(ConfigError, match="image shape"):
        grayscale(np.zeros((4, 4)))
    with pytest.raises(ConfigError, match="band"):
        fit_slope(radial_psd(np.random.default_rng(0).normal(size=(32, 32))), band=(0.3, 0.2))
