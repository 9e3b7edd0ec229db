"""What the Spectrum page shows beyond the study's own frames: uploads analysed one by one (a bad file is named
and skipped, never the page), the bands checked, and the recipe's input sizes with what cannot be drawn said in
one line each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scaling_core.core.errors import ConfigError
from scaling_core.core.recipe import Recipe
from scaling_core.studies.spectrum.domain_fit import (
    DomainSummary,
    analyse_image,
    blur_plateau,
    capture_frame,
    recipe_frame,
    recipe_resolutions,
    summarise,
)
from scaling_core.studies.spectrum.images import UploadLimits, decode_upload, shortened, spectrum_settings
from scaling_core.studies.spectrum.motion_blur import Motion

UPLOADS = "yours"
# The smallest input size drawn: the capture grid starts here.
SMALLEST_PX = 8


def problem(exc: ConfigError) -> str:
    """A ConfigError as one readable line: the parameter, the offending value (40 characters at most), the range."""
    value = shortened(str(exc.value))
    return f"{exc.parameter} = {value} is invalid: allowed {exc.allowed}"


@dataclass(frozen=True)
class UploadResult:
    """The user's images that could be analysed (one domain, or none) and one line per file that could not."""

    summaries: list[DomainSummary] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    analysed: int = 0


def analyse_uploads(
    files: Sequence[tuple[str, bytes]],
    slope_band: tuple[float, float],
    detail_band: tuple[float, float],
    target: float,
    limits: UploadLimits | None = None,
) -> UploadResult:
    """Every upload decoded and analysed on its own: a bad one is named in one line and the others go on.

    More files than the limit allows are cut to the limit (and said so); a file that cannot be decoded or has
    no structure is skipped with its name, what is wrong and what it must be.
    """
    limits = limits or spectrum_settings().upload
    messages = []
    if len(files) > limits.max_files:
        messages.append(
            f"{len(files)} files uploaded: at most {limits.max_files} are analysed, so the first "
            f"{limits.max_files} are used and the rest skipped."
        )
    analyses = []
    for name, data in files[: limits.max_files]:
        try:
            analyses.append(analyse_image(decode_upload(name, data, limits), UPLOADS, slope_band, detail_band, target))
        except ConfigError as exc:
            message = problem(exc)
            if not exc.parameter.startswith("image "):
                message = f"image {shortened(name)}: {message}"
            messages.append(f"{message} — the file is skipped.")
    if not analyses:
        return UploadResult([], messages, 0)
    try:
        summary = summarise(UPLOADS, analyses, slope_band)
    except ConfigError as exc:
        messages.append(f"Your images together cannot be summarised, so they are not shown: {problem(exc)}.")
        return UploadResult([], messages, 0)
    return UploadResult([summary], messages, len(analyses))


def band_problems(slope_band: tuple[float, float], detail_band: tuple[float, float]) -> list[str]:
    """One line per band whose low end is not below its high end (a link can carry any pair)."""
    found = []
    if not slope_band[0] < slope_band[1]:
        found.append(
            f"slope band = {slope_band[0]:g}–{slope_band[1]:g} cycles per pixel is invalid: allowed low < high. "
            "Nothing can be fitted: lower 'Slope fit from' or raise its upper end."
        )
    if not detail_band[0] < detail_band[1]:
        found.append(
            f"detail band = {detail_band[0]:g}–{detail_band[1]:g} cycles per image is invalid: allowed low < high. "
            "Nothing can be measured: lower 'Detail band from' or raise its upper end."
        )
    return found


@dataclass(frozen=True)
class InputView:
    """The recipe's input sizes r(φ), what each input keeps (per image and size), and what cannot be drawn."""

    phis: list[float]
    resolutions: list[int]
    marks: list[tuple[str, float]]
    capture: pd.DataFrame
    steps: pd.DataFrame
    notes: list[str]


def input_view(
    summaries: Sequence[DomainSummary],
    recipe: Recipe,
    phi_max: float,
    base_px: int,
    multiple: int,
    detail_band: tuple[float, float],
    motion: Motion,
) -> InputView:
    """r(φ) for φ = 0, 1, … φ_max, the shares kept on a grid of input sizes, and one line per thing left out.

    An r(φ) that rounds below the smallest drawn size (a γ below 1 at a large φ) is left out and said so.
    """
    phis = sorted({*map(float, range(int(phi_max) + 1)), float(phi_max)})
    sizes = recipe_resolutions(recipe, phis, base_px, multiple).tolist()
    kept = [(p, r) for p, r in zip(phis, sizes) if r >= SMALLEST_PX]
    notes = []
    if len(kept) < len(phis):
        lost = [p for p, r in zip(phis, sizes) if r < SMALLEST_PX]
        notes.append(
            f"r(φ) rounds below {SMALLEST_PX} px at φ = {', '.join(f'{p:g}' for p in lost)} (γ = {recipe.gamma:.3f}): "
            "those inputs are not marked or tabled."
        )
    largest = max(s.spectrum.side for d in summaries for s in d.images)
    grid = sorted({*range(SMALLEST_PX, largest + SMALLEST_PX, SMALLEST_PX), *(r for _, r in kept)})
    capture = capture_frame(summaries, grid, detail_band, motion)
    marks: dict[int, list[str]] = {}
    for p, r in kept:
        marks.setdefault(r, []).append(f"{p:g}")
    labels = [(f"φ={','.join(ps)}: {r:,} px", float(r)) for r, ps in marks.items()]
    if kept:
        steps = recipe_frame(summaries, recipe, [p for p, _ in kept], base_px, detail_band, motion, multiple)
    else:
        steps = pd.DataFrame()
    return InputView([p for p, _ in kept], [r for _, r in kept], labels, capture, steps, notes)


def drawable(capture: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows of a capture frame whose share in `column` (and its blurred twin, if any) is finite."""
    columns = [c for c in (column, f"{column}_blurred") if c in capture.columns]
    return capture[np.isfinite(capture[columns].to_numpy(dtype=float)).all(axis=1)]


def missing_domains(capture: pd.DataFrame, drawn: pd.DataFrame) -> list[str]:
    """Domains with no row in `drawn` (`drawable(capture, column)`: none of their images reaches the detail band)."""
    finite = set(drawn["domain"])
    return [d for d in dict.fromkeys(capture["domain"]) if d not in finite]


@dataclass(frozen=True)
class BlurView:
    """Where the blur reaches 2 px, the shares kept there and at twice it, and a line on what is shown."""

    saturating_px: float
    plateau: pd.DataFrame
    note: str


def blur_view(
    summaries: Sequence[DomainSummary], detail_band: tuple[float, float], motion: Motion, largest_px: float
) -> BlurView:
    """The blur's plateau where it can be measured: no motion, or a blur past 2 px below the smallest input,
    is said in one line instead."""
    at = motion.saturating_px()
    if not np.isfinite(at):
        return BlurView(
            at,
            pd.DataFrame(),
            "No motion (speed or exposure is 0): the blur is zero at every resolution, and more resolution keeps "
            "helping up to the images' own size.",
        )
    if at < SMALLEST_PX:
        return BlurView(
            at,
            pd.DataFrame(),
            f"The blur is already {motion.blur_px(SMALLEST_PX):,.0f} px at an {SMALLEST_PX} px input (modelled; it "
            f"reaches 2 px at {at:.2g} px): at every size shown the motion wipes out the detail. Lower the speed or "
            "the exposure to see where more resolution stops helping.",
        )
    note = (
        f"The blur reaches 2 px at **{at:,.0f} px** (modelled); past it every added frequency lies beyond the "
        "blur's first zero along the motion and keeps a falling share of its power. Shares kept there and at "
        "twice that size (measured spectra, modelled blur; means over each domain's images):"
    )
    if at > 2 * largest_px:
        note += f" (both past the largest image's {largest_px:,.0f} px, where nothing more is kept)"
    return BlurView(at, blur_plateau(summaries, detail_band, motion), note)
