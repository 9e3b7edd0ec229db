"""Power spectra of images: how much of a domain's detail survives a given input resolution.

Radially averaged power spectral density: grayscale (ITU-R BT.601 luma), mean removed, a 2-D Hann
window against edge leakage, |FFT|², averaged over annuli of radial frequency f (cycles per pixel,
0 < f ≤ 0.5; cycles per image = f × side). Natural photographs fall as P(f) ∝ 1/f^α with α near 2;
the slope α is fitted by least squares on log P against log f over a band, with the fit's interval
from its standard error (scipy.stats.linregress, Student t). That interval treats the rings as
independent; the window correlates neighbouring rings, so it understates how much α varies between
images of one process (on synthetic 1/f² images a nominal 95% interval covered the true α about 65%
of the time): the spread of slopes over a domain's images is the better measure of uncertainty.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from scaling_core.core.errors import ConfigError, require_finite

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
    """The fitted α of P ∝ 1/f^α over a band, with the fit's interval (rings taken as independent) and R²."""

    alpha: float
    low: float
    high: float
    r_squared: float
    band: tuple[float, float]


def fit_slope(spectrum: Spectrum, band: tuple[float, float] = (0.02, 0.25), confidence: float = 0.95) -> SlopeFit:
    """α from a least-squares line through log P against log f within the band (cycles per pixel)."""
    low, high = band
    if not 0 < low < high <= 0.5:
        raise ConfigError("slope band", band, "0 < low < high ≤ 0.5 cycles per pixel")
    chosen = (spectrum.frequency >= low) & (spectrum.frequency <= high) & (spectrum.power > 0)
    if chosen.sum() < 3:
        raise ConfigError(
            "slope band",
            band,
            f"a band holding at least 3 frequency rings of a {spectrum.side} px "
            f"image (rings are {1 / spectrum.side:.4f} cycles per pixel apart)",
        )
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


def band_mask(cycles: np.ndarray, band: tuple[float, float] | None) -> np.ndarray:
    """Which frequencies (cycles per image) lie in the band (all of them for None); ConfigError for a bad band."""
    if band is None:
        return np.ones_like(cycles, dtype=bool)
    low, high = band
    if not 0 <= low < high:
        raise ConfigError("detail band", band, "0 ≤ low < high, in cycles per image")
    return (cycles >= low) & (cycles <= high)


def captured_share(
    spectrum: Spectrum,
    input_px,
    band: tuple[float, float] | None = None,
    gain: Callable[[np.ndarray], np.ndarray] | None = None,
):
    """Share of the image's spectral power (within a band in cycles per image, if given) an input of input_px carries.

    The image's shorter side is resampled to input_px with an ideal antialiasing filter, so what survives is
    what lies below the new Nyquist frequency, input_px / 2 cycles per image. An optional gain (power transfer
    against cycles per image, e.g. motion blur) multiplies what survives; the share stays relative to the
    unblurred power. Each annulus holds power over a ring of circumference ∝ f: the weight is P(f)·f.
    input_px may be a number or an array (one share per element).
    """
    sizes = np.asarray(input_px, dtype=np.float64)
    if np.any(~np.isfinite(sizes)) or np.any(sizes <= 0):
        raise ConfigError("input resolution", input_px, "positive sizes in pixels")
    cycles = spectrum.cycles_per_image
    chosen = band_mask(cycles, band)
    weight = spectrum.power * cycles
    total = weight[chosen].sum()
    if total <= 0:
        raise ConfigError(
            "detail band",
            band,
            f"a band with spectral power in it (this image: 0 to {cycles[-1]:.0f} cycles per image)",
        )
    kept = np.where(chosen, weight * (1.0 if gain is None else gain(cycles)), 0.0)
    running = np.concatenate([[0.0], np.cumsum(kept)])
    return running[np.searchsorted(cycles, sizes / 2, side="right")] / total


def resolution_for_share(spectrum: Spectrum, target: float, band: tuple[float, float] | None = None) -> int:
    """The smallest input size (px) whose Nyquist frequency keeps `target` of the power (at most the native side)."""
    target = require_finite("target share", target, minimum=0.0, exclusive=True, maximum=1.0)
    cycles = spectrum.cycles_per_image
    shares = captured_share(spectrum, 2 * cycles, band)
    reached = int(np.argmax(shares >= target - 1e-12))
    return min(spectrum.side, int(math.ceil(2 * cycles[reached] - 1e-9)))


@dataclass(frozen=True)
class SlopeSpread:
    """The spread of fitted slopes over a set of images."""

    mean: float
    std: float
    low: float
    high: float
    count: int


def slope_spread(fits: Sequence[SlopeFit]) -> SlopeSpread:
    """Mean, sample standard deviation (NaN for one image: a spread over one sample is undefined, not zero),
    smallest and largest α of a set of fits."""
    if not fits:
        raise ConfigError("images", 0, "at least one image")
    alphas = np.array([f.alpha for f in fits])
    std = float(alphas.std(ddof=1)) if len(alphas) > 1 else float("nan")
    return SlopeSpread(float(alphas.mean()), std, float(alphas.min()), float(alphas.max()), len(alphas))


def mean_spectrum(spectra: Sequence[Spectrum], points: int = 64) -> Spectrum:
    """The geometric mean of spectra normalised to unit total power, on a common grid in cycles per image.

    Images of different sizes share frequencies in cycles per image; the grid runs log-spaced from 1 cycle
    to the smallest image's Nyquist, and the result is expressed on that smallest image's pixel grid.
    Normalising first weighs every image equally, whatever its contrast.
    """
    if not spectra:
        raise ConfigError("images", 0, "at least one image")
    side = min(s.side for s in spectra)
    grid = np.geomspace(1.0, side / 2, points)
    logs = []
    for s in spectra:
        power = s.power / np.sum(s.power * s.frequency)
        logs.append(np.interp(np.log(grid), np.log(s.cycles_per_image), np.log(power)))
    return Spectrum(grid / side, np.exp(np.mean(logs, axis=0)), side)
