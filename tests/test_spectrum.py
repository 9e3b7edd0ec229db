"""Power spectra: the fitted slope recovers a known 1/f^α, and the captured share behaves as Nyquist says."""

import numpy as np
import pytest

from scaling_core.core.errors import ConfigError
from scaling_core.studies.spectrum.power import (
    Spectrum,
    captured_share,
    fit_slope,
    grayscale,
    mean_spectrum,
    radial_psd,
    resolution_for_share,
    slope_spread,
    synthetic_image,
)


@pytest.mark.parametrize("alpha", [1.0, 1.5, 2.0, 2.5, 3.0, 4.0])
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
    shares = captured_share(spectrum, [32, 64, 128, 256, 512])
    assert np.all(np.diff(shares[:4]) > 0) and shares[3:] == pytest.approx([1.0, 1.0])
    detail = captured_share(spectrum, 128, band=(50, 128))
    assert detail < captured_share(spectrum, 128)  # the detail band is what a smaller input loses first
    steep = radial_psd(synthetic_image(256, 3.0, 1))
    assert captured_share(steep, 64) > captured_share(spectrum, 64)  # steep spectra lose less


def test_captured_share_is_the_ring_weighted_power_below_the_new_nyquist():
    # A flat spectrum on rings at 1, 2, …, 64 cycles per image: each ring holds power ∝ its radius.
    cycles = np.arange(1, 65, dtype=float)
    flat = Spectrum(cycles / 128, np.ones(64), 128)
    assert captured_share(flat, 32) == pytest.approx(cycles[:16].sum() / cycles.sum())
    assert captured_share(flat, 32, band=(9, 24)) == pytest.approx(cycles[8:16].sum() / cycles[8:24].sum())
    halved = captured_share(flat, 128, gain=lambda c: np.where(c > 32, 0.5, 1.0))
    assert halved == pytest.approx((cycles[:32].sum() + 0.5 * cycles[32:].sum()) / cycles.sum())


def test_the_resolution_for_a_share_is_the_smallest_that_keeps_it():
    spectrum = radial_psd(synthetic_image(256, 2.0, 3))
    for target in (0.5, 0.9, 0.95):
        px = resolution_for_share(spectrum, target)
        assert captured_share(spectrum, px) >= target > captured_share(spectrum, px - 2)
    assert captured_share(spectrum, resolution_for_share(spectrum, 1.0)) == pytest.approx(1.0)
    flatter = radial_psd(synthetic_image(256, 1.0, 3))
    assert resolution_for_share(flatter, 0.95) > resolution_for_share(spectrum, 0.95)
    with pytest.raises(ConfigError, match="target share"):
        resolution_for_share(spectrum, 1.5)
    with pytest.raises(ConfigError, match="detail band"):
        captured_share(spectrum, 64, band=(300, 400))  # beyond the image's 128 cycles


def test_the_mean_spectrum_of_images_of_different_sizes_keeps_their_common_slope():
    spectra = [radial_psd(synthetic_image(side, 2.0, seed)) for side, seed in ((128, 0), (256, 1), (192, 2))]
    mean = mean_spectrum(spectra)
    assert mean.side == 128 and mean.cycles_per_image[-1] == pytest.approx(64)
    assert fit_slope(mean).alpha == pytest.approx(2.0, abs=0.15)
    # Contrast does not weigh: scaling one image's power leaves the mean's shape alone.
    louder = Spectrum(spectra[1].frequency, 1000 * spectra[1].power, spectra[1].side)
    assert np.allclose(mean_spectrum([spectra[0], louder, spectra[2]]).power, mean.power)


def test_the_spread_of_slopes():
    fits = [fit_slope(radial_psd(synthetic_image(128, alpha, 0))) for alpha in (1.0, 2.0, 3.0)]
    spread = slope_spread(fits)
    assert spread.count == 3 and spread.low < spread.mean < spread.high
    assert spread.std == pytest.approx(np.std([f.alpha for f in fits], ddof=1))
    assert np.isnan(slope_spread(fits[:1]).std)  # a spread over one image is undefined, not zero
    with pytest.raises(ConfigError, match="images"):
        slope_spread([])


def test_colour_images_use_luma_and_bad_input_names_the_parameter():
    rgb = np.zeros((16, 16, 3))
    rgb[..., 1] = 1.0
    assert grayscale(rgb)[0, 0] == pytest.approx(0.587)
    with pytest.raises(ConfigError, match="image shape"):
        grayscale(np.zeros((4, 4)))
    with pytest.raises(ConfigError, match="band"):
        fit_slope(radial_psd(np.random.default_rng(0).normal(size=(32, 32))), band=(0.3, 0.2))


def test_a_non_square_image_counts_cycles_per_image_on_its_shorter_side():
    spectrum = radial_psd(synthetic_image(128, 2.0, 0)[:64, :])
    assert spectrum.side == 64 and spectrum.cycles_per_image[-1] == pytest.approx(32, abs=1)
    assert captured_share(spectrum, 64) == pytest.approx(1.0)
