"""Power spectra of images: how much of a domain's detail survives a given input resolution.

Radially averaged power spectral density: grayscale (ITU-R BT.601 luma), mean removed, a 2-D Hann
window against edge leakage, |FFT|², averaged over annuli of radial frequency f (cycles per pixel,
0 < f ≤ 0.5; cycles per image = f × side). Natural photographs fall as P(f) ∝ 1/f^α with α near 2;
the slope α is fitted by least squares on log P against log f over a band, with its confidence
interval from the fit's standard error (scipy.stats.linregress, Student t).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .errors import ConfigError

LUMA = np.array([0.299, 0.587, 0.114])


def grayscale(image: np.ndarray) -> np.ndarray:
    """A float image (H, W) from (H, W), (H, W, 3) or (H, W, 4) input (alpha dropped)."""
    array = np.asarray(image, dtype=np.float64)
    if array.ndim == 3 and array.shape[2] in (3, 4):
        array = array[..., :3] @ LUMA
    if array.ndim != 2 or min(array.shape) < 8:
        raise ConfigError("image shape", tuple(np.shape(image)), "(H, W) or (H, W, 3|4) with H, W ≥ 8")
    return array


@dataclass(frozen=True)
class Spectrum:
    """Radially averaged power against frequency in cycles per pixel, for an image of `side` pixels."""

    frequency: np.ndarray
    power: np.ndarray
    side: int

    @property
    def cycles_per_image(self) -> np.ndarray:
        """The frequencies in cycles per image (of the shorter side)."""
        return self.frequency * self.side


def radial_psd(image: np.ndarray, bins: int | None = None) -> Spectrum:
    """The radially averaged power spectral density of an image (Hann-windowed, mean removed)."""
    gray = grayscale(image)
    gray = gray - gray.mean()
    window = np.outer(np.hanning(gray.shape[0]), np.hanning(gray.shape[1]))
    power = np.abs(np.fft.fftshift(np.fft.fft2(gray * window))) ** 2
    fy = np.fft.fftshift(np.fft.fftfreq(gray.shape[0]))
    fx = np.fft.fftshift(np.fft.fftfreq(gray.shape[1]))
    radius = np.hypot(*np.meshgrid(fy, fx, indexing="ij"))
    side = min(gray.shape)
    bins = bins or side // 2
    edges = np.linspace(0.0, 0.5, bins + 1)
    index = np.digitize(radius.ravel(), edges) - 1
    inside = (index >= 0) & (index < bins) & (radius.ravel() > 0)
    totals = np.bincount(index[inside], weights=power.ravel()[inside], minlength=bins)
    counts = np.bincount(index[inside], minlength=bins)
    # Each annulus sits at the mean radius of its pixels, not its centre: for a steep spectrum the
    # centre would misplace the narrow low-frequency rings and bias the fitted slope.
    radii = np.bincount(index[inside], weights=radius.ravel()[inside], minlength=bins)
    kept = counts > 0
    return Spectrum(radii[kept] / counts[kept], totals[kept] / counts[kept], side)


@dataclass(frozen=True)
class SlopeFit:
    """The fitted α of P ∝ 1/f^α over a band, with its confidence interval and R²."""

    alpha: float
    low: float
    high: float
    r_squared: float
    band: tuple[float, float]


def fit_slope(spectrum: Spectrum, band: tuple[float, float] = (0.02, 0.25), confidence: float = 0.95) -> SlopeFit:
    """α from a least-squares line through log P against log f within the band (cycles per pixel)."""
    low, high = band
    if not 0 < low < high <= 0.5:
        raise ConfigError("band", band, "0 < low < high ≤ 0.5 cycles per pixel")
    chosen = (spectrum.frequency >= low) & (spectrum.frequency <= high) & (spectrum.power > 0)
    if chosen.sum() < 3:
        raise ConfigError("band", band, "a band holding at least 3 frequency bins of this image")
    fit = stats.linregress(np.log(spectrum.frequency[chosen]), np.log(spectrum.power[chosen]))
    half = stats.t.ppf(0.5 + confidence / 2, chosen.sum() - 2) * fit.stderr
    return SlopeFit(-fit.slope, -fit.slope - half, -fit.slope + half, fit.rvalue**2, band)


def synthetic_image(side: int, alpha: float, seed: int = 0) -> np.ndarray:
    """A random image whose power spectrum is exactly 1/f^α (random phases, amplitude f^(−α/2))."""
    rng = np.random.default_rng(seed)
    fy, fx = np.meshgrid(np.fft.fftfreq(side), np.fft.fftfreq(side), indexing="ij")
    radius = np.hypot(fy, fx)
    radius[0, 0] = np.inf  # no DC
    spectrum = radius ** (-alpha / 2) * np.exp(2j * np.pi * rng.random((side, side)))
    return np.real(np.fft.ifft2(spectrum))


def captured_share(spectrum: Spectrum, native_px: int, input_px: int,
                   band: tuple[float, float] | None = None) -> float:
    """Share of the spectral power (within a band of the native image's frequencies, if given) that survives
    resampling the image from native_px to input_px: what lies below the new Nyquist frequency,
    0.5 × input_px / native_px cycles per native pixel (an ideal antialiasing filter)."""
    if input_px <= 0 or native_px <= 0:
        raise ConfigError("resolution", (native_px, input_px), "positive sizes in pixels")
    f, p = spectrum.frequency, spectrum.power
    # Each annulus holds about 2πf bins' worth of power: weight by the ring's circumference.
    weight = p * f
    chosen = np.ones_like(f, dtype=bool) if band is None else (f >= band[0]) & (f <= band[1])
    total = weight[chosen].sum()
    if total <= 0:
        raise ConfigError("band", band, "a band with spectral power in it")
    cutoff = 0.5 * min(1.0, input_px / native_px)
    return float(weight[chosen & (f <= cutoff)].sum() / total)
