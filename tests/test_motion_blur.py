"""Motion blur: its length grows linearly with resolution and its transfer is the box kernel's Fourier transform."""

import numpy as np
import pytest

from scaling_core.core.errors import ConfigError
from scaling_core.studies.spectrum.motion_blur import Motion, radial_power_gain, transfer


def test_the_blur_length_is_proportional_to_resolution():
    motion = Motion(60.0, 0.01, 90.0)
    sizes = np.array([100, 200, 400, 800])
    assert np.allclose(motion.blur_px(sizes), sizes * 60 * 0.01 / 90)
    assert motion.blur_px(motion.saturating_px()) == pytest.approx(2.0)
    assert Motion(0.0, 0.01, 90.0).saturating_px() == float("inf")


@pytest.mark.parametrize("length", [3, 8, 15])
def test_the_transfer_matches_the_fft_of_the_box_kernel(length):
    # A box of `length` samples, each 1/length wide, sampled 16 times per pixel so the DFT approaches the
    # continuous transform; frequencies in cycles per pixel.
    oversample, n = 16, 4096
    kernel = np.zeros(n)
    kernel[: length * oversample] = 1.0 / (length * oversample)
    spectrum = np.abs(np.fft.rfft(kernel))
    f = np.fft.rfftfreq(n, d=1.0 / oversample)
    within = f <= 0.5
    assert np.max(np.abs(spectrum[within] - transfer(f[within], length))) < 2e-3
    assert transfer(1.0 / length, length) == pytest.approx(0.0, abs=1e-12)  # the first zero at f = 1/L


def test_the_orientation_average_is_one_at_dc_and_falls_but_never_reaches_zero():
    gains = radial_power_gain(np.array([0.0, 0.5, 1.0, 2.0]))
    assert gains[0] == pytest.approx(1.0)
    assert np.all(np.diff(gains) < 0) and gains[-1] > 0
    # Along the motion the gain is sinc²; across it, 1: the average lies between.
    assert transfer(1.0, 1.0) ** 2 < gains[2] < 1.0


def test_a_motion_out_of_range_names_the_parameter():
    with pytest.raises(ConfigError, match="field of view"):
        Motion(60.0, 0.01, 0.0)
    with pytest.raises(ConfigError, match="exposure"):
        Motion(60.0, -1.0, 90.0)


@pytest.mark.parametrize("length", [0.5, 1.0, 2.5, 4.0, 7.3])
def test_the_image_blur_kernel_has_the_sinc_transfer(length):
    from scaling_core.studies.spectrum.motion_blur import blur_kernel

    kernel = blur_kernel(length)
    assert kernel.sum() == pytest.approx(1.0) and len(kernel) % 2 == 1
    spectrum = np.abs(np.fft.rfft(kernel, 8192))
    f = np.fft.rfftfreq(8192)
    assert np.max(np.abs(spectrum - transfer(f, length))) < 0.02
    # The first zero along the motion falls at f = 1/L when it lies below Nyquist.
    if length > 2:
        assert spectrum[np.argmin(np.abs(f - 1.0 / length))] < 0.02
    assert np.array_equal(blur_kernel(0.0), [1.0])
