"""Linear motion blur from a moving camera: its length in pixels and its low-pass transfer.

Modelled. A camera turning at ω degrees per second during an exposure of t seconds, with a horizontal
field of view of FOV degrees imaged onto r pixels, smears each point over

    L(r) = ω · t · r / FOV   pixels,

so the blur grows linearly with resolution for fixed motion. A box blur of L pixels along the motion
multiplies the amplitude at f cycles per pixel by |sinc(π f L)| = |sin(π f L) / (π f L)|. In cycles per
image c = f · r, the product f · L = c · ω t / FOV does not depend on r: more pixels resolve finer
frequencies, but the blur has already weakened them. Beyond the resolution at which L reaches 2 pixels,
r = 2 · FOV / (ω t), every added frequency lies past the blur's first zero along the motion
(c = FOV / (ω t)); across the motion nothing is blurred, so averaged over directions an added frequency
keeps a falling share of its power (31% at f·L = 1, 16% at 2, 8% at 4): more resolution helps less and less.

Assumptions: a constant angular speed during the exposure (a box kernel), motion along one direction
(a radially averaged spectrum sees the transfer averaged over the motion's orientation relative to each
frequency), the whole image blurred alike (pure rotation, no parallax), and no sensor noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scaling_core.core.errors import require_finite

ORIENTATIONS = 180


@dataclass(frozen=True)
class Motion:
    """A camera's angular speed (degrees per second), exposure (seconds) and field of view (degrees)."""

    angular_speed_dps: float
    exposure_s: float
    fov_deg: float

    def __post_init__(self) -> None:
        require_finite("angular speed (°/s)", self.angular_speed_dps, minimum=0.0, maximum=2000.0)
        require_finite("exposure (s)", self.exposure_s, minimum=0.0, maximum=1.0)
        require_finite("field of view (°)", self.fov_deg, minimum=1.0, maximum=180.0)

    @property
    def sweep(self) -> float:
        """The share of the field of view swept during one exposure, ω·t / FOV."""
        return self.angular_speed_dps * self.exposure_s / self.fov_deg

    def blur_px(self, resolution_px):
        """The blur length in pixels at a resolution (number or array): ω·t·r / FOV."""
        return self.sweep * np.asarray(resolution_px, dtype=np.float64)

    def saturating_px(self) -> float:
        """The resolution at which the blur reaches 2 pixels, beyond which added frequencies lie past its first zero."""
        return float("inf") if self.sweep == 0 else 2.0 / self.sweep

    def power_gain(self, cycles_per_image: np.ndarray) -> np.ndarray:
        """The blur's power transfer at each radial frequency, averaged over the motion's orientation."""
        return radial_power_gain(np.asarray(cycles_per_image, dtype=np.float64) * self.sweep)


def transfer(f_cycles_per_px, length_px):
    """|sinc(π f L)|: the amplitude transfer of a box blur of L pixels along its direction."""
    return np.abs(np.sinc(np.multiply(f_cycles_per_px, length_px)))


def blur_kernel(length_px: float, tail_px: int = 48) -> np.ndarray:
    """The sampled 1-D kernel of a box blur of L pixels on a band-limited image (centred, odd length, sum 1).

    Tap k is (1/L)·∫ sinc(u) du over [k − L/2, k + L/2]: the box convolved with the ideal interpolator, so
    its transform is sinc(f L) for |f| ≤ ½, up to the truncated tails. A blur under a pixel is still a blur:
    no rounding of L.
    """
    from scipy.special import sici

    length = require_finite("blur length (px)", length_px, minimum=0.0, maximum=10_000.0)
    if length == 0:
        return np.ones(1)
    k = np.arange(-int(np.ceil(length / 2)) - tail_px, int(np.ceil(length / 2)) + tail_px + 1, dtype=np.float64)
    taps = (sici(np.pi * (k + length / 2))[0] - sici(np.pi * (k - length / 2))[0]) / (np.pi * length)
    return taps / taps.sum()


def radial_power_gain(f_times_length) -> np.ndarray:
    """sinc²(π f L cos θ) averaged over θ in [0, π): the power transfer a radially averaged spectrum sees."""
    theta = (np.arange(ORIENTATIONS) + 0.5) * np.pi / ORIENTATIONS
    product = np.asarray(f_times_length, dtype=np.float64)
    return np.mean(np.sinc(np.multiply.outer(product, np.cos(theta))) ** 2, axis=-1)
