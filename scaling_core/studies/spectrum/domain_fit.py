"""Domain fit: how much of a domain's spectral power a recipe's input resolution carries, and a recipe that fits.

Measured on the images: each image's radially averaged spectrum (scaling_core.studies.spectrum.power), its slope,
and the input size whose Nyquist frequency keeps a target share (95% by default) of its power, in all and within a
detail band in cycles per image. Resampling assumes the shorter side is scaled to the input size and
centred (the usual evaluation crop), so an input of r px carries r/2 cycles per image.

Modelled, the recommendation rule. Its assumptions: the domain's typical image (the median over its
images of the size needed) is what the network must see; an input that carries the target share of the
criterion's power is enough, and more resolution past it buys nothing that width or depth could not buy
better. The rule, at the user's largest φ and per-step cost c = α·β²·γ² (2 by default):

    γ = clip((R / r₀)^(1/φ), 1, √c)

with R the size the criterion needs and r₀ the base's input size, so r(φ) = r₀·γ^φ just reaches R (or
gets as close as the budget allows); the rest of the budget, c / γ², goes to depth and width in
EfficientNet's proportion (log α : 2·log β = log 1.2 : 2·log 1.1), so α·β²·γ² = c exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scaling_core.core.errors import ConfigError, require_finite
from scaling_core.core.memo import memoized
from scaling_core.core.recipe import Recipe
from scaling_core.core.rounding import round_resolution
from scaling_core.studies.spectrum.images import NamedImage
from scaling_core.studies.spectrum.motion_blur import Motion
from scaling_core.studies.spectrum.power import (
    SlopeFit,
    SlopeSpread,
    Spectrum,
    band_mask,
    captured_share,
    fit_slope,
    grayscale,
    mean_spectrum,
    radial_psd,
    resolution_for_share,
    slope_spread,
)

CRITERIA = {"power": "all spectral power", "detail": "the detail band's power"}
REFERENCE = Recipe(1.2, 1.1, 1.15)


@dataclass(frozen=True)
class ImageAnalysis:
    """One image's spectrum, its slope and the input sizes that keep the target share of its power."""

    domain: str
    name: str
    citation: str
    spectrum: Spectrum
    fit: SlopeFit
    power_px: int
    detail_px: int | None


@dataclass(frozen=True)
class DomainSummary:
    """A domain's images together: mean spectrum, slope spread, the sizes its median image needs."""

    domain: str
    images: tuple[ImageAnalysis, ...]
    mean: Spectrum
    mean_fit: SlopeFit
    slopes: SlopeSpread
    power_px: float
    detail_px: float | None

    def required_px(self, criterion: str) -> float | None:
        """The input size the criterion needs for this domain (None if no image holds the detail band)."""
        return {"power": self.power_px, "detail": self.detail_px}[criterion]


def _holds_band(spectrum: Spectrum, band: tuple[float, float]) -> bool:
    return bool(np.any(band_mask(spectrum.cycles_per_image, band)))


def analyse_image(
    image: NamedImage, domain: str, slope_band: tuple[float, float], detail_band: tuple[float, float], target: float
) -> ImageAnalysis:
    """Spectrum, slope and needed input sizes of one image (ConfigError naming the image if it has no structure)."""
    if np.ptp(grayscale(image.pixels)) == 0:
        raise ConfigError(f"image {image.name}", "uniform", "an image whose pixels vary")
    spectrum = radial_psd(image.pixels)
    detail = resolution_for_share(spectrum, target, detail_band) if _holds_band(spectrum, detail_band) else None
    return ImageAnalysis(
        domain,
        image.name,
        image.citation,
        spectrum,
        fit_slope(spectrum, slope_band),
        resolution_for_share(spectrum, target),
        detail,
    )


def summarise(domain: str, analyses: Sequence[ImageAnalysis], slope_band: tuple[float, float]) -> DomainSummary:
    """The domain's ensemble: geometric-mean spectrum, spread of slopes, median needed sizes."""
    if not analyses:
        raise ConfigError(f"domain {domain} images", 0, "at least one image")
    mean = mean_spectrum([a.spectrum for a in analyses])
    details = [a.detail_px for a in analyses if a.detail_px is not None]
    return DomainSummary(
        domain,
        tuple(analyses),
        mean,
        fit_slope(mean, slope_band),
        slope_spread([a.fit for a in analyses]),
        float(np.median([a.power_px for a in analyses])),
        float(np.median(details)) if details else None,
    )


def analyse_domains(
    groups: dict[str, Sequence[NamedImage]],
    slope_band: tuple[float, float],
    detail_band: tuple[float, float],
    target: float,
) -> list[DomainSummary]:
    """Every group of images (a packaged domain, or the user's files) analysed and summarised."""
    band_mask(np.zeros(1), detail_band)
    return [
        summarise(name, [analyse_image(i, name, slope_band, detail_band, target) for i in images], slope_band)
        for name, images in groups.items()
    ]


def images_frame(summaries: Sequence[DomainSummary], target: float) -> pd.DataFrame:
    """One row per image: size, slope with its interval, R², the input sizes that keep the target share."""
    rows = [
        {
            "domain": a.domain,
            "image": a.name,
            "side_px": a.spectrum.side,
            "alpha": a.fit.alpha,
            "alpha_low": a.fit.low,
            "alpha_high": a.fit.high,
            "r_squared": a.fit.r_squared,
            f"px_for_{target:.0%}_power": a.power_px,
            f"px_for_{target:.0%}_detail": a.detail_px,
            "power_px_of_side": a.power_px / a.spectrum.side,
            "source": a.citation,
        }
        for s in summaries
        for a in s.images
    ]
    return pd.DataFrame(rows)


def domains_frame(summaries: Sequence[DomainSummary], target: float) -> pd.DataFrame:
    """One row per domain: slope spread, the mean spectrum's slope, median needed input sizes."""
    return pd.DataFrame(
        [
            {
                "domain": s.domain,
                "images": s.slopes.count,
                "alpha_mean": s.slopes.mean,
                "alpha_std": s.slopes.std,
                "alpha_min": s.slopes.low,
                "alpha_max": s.slopes.high,
                "alpha_of_mean_spectrum": s.mean_fit.alpha,
                f"median_px_for_{target:.0%}_power": s.power_px,
                f"median_px_for_{target:.0%}_detail": s.detail_px,
                "median_side_px": float(np.median([a.spectrum.side for a in s.images])),
                "median_power_px_of_side": float(np.median([a.power_px / a.spectrum.side for a in s.images])),
            }
            for s in summaries
        ]
    )


def recipe_resolutions(recipe: Recipe, phis: Sequence[float], base_px: int, multiple: int = 8) -> np.ndarray:
    """r(φ) in pixels: the base's input × γ^φ, rounded to the multiple as the builder rounds it."""
    return round_resolution(base_px, np.power(recipe.gamma, np.asarray(phis, dtype=np.float64)), multiple)


def capture_frame(
    summaries: Sequence[DomainSummary],
    resolutions: Sequence[int],
    detail_band: tuple[float, float],
    motion: Motion | None = None,
) -> pd.DataFrame:
    """Per image and input size: the share of all power, of the detail band, and of the detail band after blur."""
    return _capture(_images(summaries), np.asarray(resolutions), detail_band, motion)


def _images(summaries: Sequence[DomainSummary]) -> tuple[tuple[str, str, Spectrum], ...]:
    """What the capture tables read of the summaries: each image's domain, name and spectrum (not the sizes it needs,
    which the share to keep changes)."""
    return tuple((s.domain, a.name, a.spectrum) for s in summaries for a in s.images)


@memoized(maxsize=64)
def _capture(
    images: tuple[tuple[str, str, Spectrum], ...],
    sizes: np.ndarray,
    detail_band: tuple[float, float],
    motion: Motion | None,
) -> pd.DataFrame:
    """capture_frame's table, kept per content of what it reads (each image's domain, name and spectrum): the
    Spectrum page draws it three times a run, and its share needed (what a link's session and a rerun change)
    leaves it as it is."""
    frames = []
    for domain, name, spectrum in images:
        holds = _holds_band(spectrum, detail_band)
        nan = np.full(len(sizes), np.nan)
        frame = pd.DataFrame(
            {
                "domain": domain,
                "image": name,
                "resolution_px": sizes,
                "power_share": captured_share(spectrum, sizes),
                "detail_share": captured_share(spectrum, sizes, detail_band) if holds else nan,
            }
        )
        if motion is not None:
            gain = motion.power_gain(spectrum.cycles_per_image)  # once per image: both blurred shares use it
            frame["power_share_blurred"] = captured_share(spectrum, sizes, gain=lambda _, g=gain: g)
            frame["detail_share_blurred"] = (
                captured_share(spectrum, sizes, detail_band, lambda _, g=gain: g) if holds else nan
            )
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class Recommendation:
    """The recipe the rule gives for a domain, and what its largest network's input carries."""

    domain: str
    criterion: str
    required_px: float
    phi: float
    recipe: Recipe
    resolution_px: int
    limited: str | None


def recommend(
    required_px: float,
    base_px: int,
    phi: float,
    domain: str = "",
    criterion: str = "detail",
    cost: float = 2.0,
    multiple: int = 8,
) -> Recommendation:
    """The rule of the module docstring: γ just reaches the needed size at φ, the rest to depth and width."""
    required_px = require_finite("required input size (px)", required_px, minimum=0.0, exclusive=True)
    phi = require_finite("phi", phi, minimum=0.0, exclusive=True, maximum=8.0)
    cost = require_finite("alpha·beta²·gamma²", cost, minimum=1.0, exclusive=True, maximum=8.0)
    wanted = (required_px / base_px) ** (1.0 / phi)
    gamma = min(max(wanted, 1.0), math.sqrt(cost))
    limited = None
    if wanted < 1.0:
        limited = f"the base's {base_px} px already carries it: γ = 1, all of the budget to depth and width"
    elif wanted > gamma:
        limited = (
            f"all of the budget goes to resolution (γ = √{cost:g}) and r(φ = {phi:g}) still falls short of "
            f"{required_px:.0f} px"
        )
    rest = cost / gamma**2
    depth_share = math.log(REFERENCE.alpha) / (math.log(REFERENCE.alpha) + 2 * math.log(REFERENCE.beta))
    recipe = Recipe(rest**depth_share, rest ** ((1 - depth_share) / 2), gamma)
    resolution = int(recipe_resolutions(recipe, [phi], base_px, multiple)[0])
    if limited is None and resolution < required_px:
        limited = f"rounding to a multiple of {multiple} px leaves r(φ = {phi:g}) at {resolution} px"
    return Recommendation(domain, criterion, required_px, phi, recipe, resolution, limited)


SHARE_COLUMNS = ("power_share", "detail_share", "power_share_blurred", "detail_share_blurred")


def recipe_frame(
    summaries: Sequence[DomainSummary],
    recipe: Recipe,
    phis: Sequence[float],
    base_px: int,
    detail_band: tuple[float, float],
    motion: Motion,
    multiple: int = 8,
) -> pd.DataFrame:
    """Per domain and φ: the recipe's input size r(φ) and the shares it keeps (means over the domain's images)."""
    return _recipe_table(_images(summaries), recipe, phis, base_px, detail_band, motion, multiple)


@memoized(maxsize=64)
def _recipe_table(
    images: tuple[tuple[str, str, Spectrum], ...],
    recipe: Recipe,
    phis: Sequence[float],
    base_px: int,
    detail_band: tuple[float, float],
    motion: Motion,
    multiple: int,
) -> pd.DataFrame:
    """recipe_frame's table, kept per content of what it reads (as _capture)."""
    sizes = recipe_resolutions(recipe, phis, base_px, multiple)
    capture = _capture(images, np.asarray(sorted(set(sizes.tolist()))), detail_band, motion)
    means = capture.groupby(["domain", "resolution_px"], sort=False)[list(SHARE_COLUMNS)].mean().reset_index()
    steps = pd.DataFrame({"phi": np.asarray(phis, dtype=np.float64), "resolution_px": sizes})
    return steps.merge(means, on="resolution_px").sort_values(["domain", "phi"], kind="stable").reset_index(drop=True)


def blur_plateau(summaries: Sequence[DomainSummary], detail_band: tuple[float, float], motion: Motion) -> pd.DataFrame:
    """Per domain: the shares kept, sharp and blurred, where the blur reaches 2 px and at twice that size."""
    at = motion.saturating_px()
    if not np.isfinite(at):
        return pd.DataFrame()
    return _plateau(_images(summaries), detail_band, motion)


@memoized(maxsize=64)
def _plateau(
    images: tuple[tuple[str, str, Spectrum], ...], detail_band: tuple[float, float], motion: Motion
) -> pd.DataFrame:
    """blur_plateau's table where the blur saturates, kept per content of what it reads (as _capture)."""
    at = motion.saturating_px()
    sizes = [int(round(at)), int(round(2 * at))]
    capture = _capture(images, np.asarray(sizes), detail_band, motion)
    means = capture.groupby(["domain", "resolution_px"], sort=False)[list(SHARE_COLUMNS)].mean().reset_index()
    return means
