"""Plotly figures of the Spectrum page: spectra with their slopes, slopes by domain, power kept against input size.

Every figure ends with `style.finish`; log axes come from `style.log_axis` and reference lines from
`style.vline`/`style.hline` (the line at the data value, its label where plotly.js reads it on a log axis).
Only finite values are drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from scaling_core.app.plots import style
from scaling_core.studies.spectrum.domain_fit import DomainSummary
from scaling_core.studies.spectrum.motion_blur import Motion

COLOURS = plotly.colors.qualitative.Plotly
# Decades of normalised power a spectrum chart shows below its highest value: lower power is off the chart.
POWER_DECADES = 10
# The least distance between two labels of input size at one end of the plot, as a share of the axis' decades.
MARK_SPACING = 1 / 30


def _colour(i: int) -> str:
    return COLOURS[i % len(COLOURS)]


def _power_ticks(axis: dict) -> dict:
    """A log axis of normalised power with every tick in one format, powers of ten as 1e-3 (not 0.001 and 1e-4)."""
    if "tickvals" in axis:
        axis["ticktext"] = [
            f"{t:.0e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e") for t in axis["tickvals"]
        ]
    return axis


def _positive(x: np.ndarray, y: np.ndarray, floor: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The points of a log-log line with both coordinates finite and positive (y above floor)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > max(floor, 0.0))
    return x[keep], y[keep]


def spectra_figure(summaries: Sequence[DomainSummary], slope_band: tuple[float, float]) -> go.Figure:
    """Every image's spectrum (thin) and each domain's geometric mean (thick), with the mean's fitted line."""
    lines = []
    for i, s in enumerate(summaries):
        for a in s.images:
            power = a.spectrum.power / np.sum(a.spectrum.power * a.spectrum.frequency)
            lines.append(
                (
                    a.spectrum.cycles_per_image,
                    power,
                    {
                        "mode": "lines",
                        "legendgroup": s.domain,
                        "showlegend": False,
                        "opacity": 0.35,
                        "line": {"width": 1, "color": _colour(i)},
                        "hovertemplate": f"{a.name}: α = {a.fit.alpha:.2f}<br>%{{x:,.1f}} cycles/image"
                        "<br>%{y:.2e}<extra></extra>",
                    },
                )
            )
        mean = s.mean
        lines.append(
            (
                mean.cycles_per_image,
                mean.power,
                {
                    "mode": "lines",
                    "legendgroup": s.domain,
                    "name": f"{s.domain} (mean of {len(s.images)}): α = {s.mean_fit.alpha:.2f}",
                    "line": {"width": 3, "color": _colour(i)},
                },
            )
        )
        low, high = (f * mean.side for f in slope_band)
        inside = (mean.cycles_per_image >= low) & (mean.cycles_per_image <= high) & (mean.power > 0)
        if inside.any():
            x = mean.cycles_per_image[inside]
            anchor = np.exp(np.mean(np.log(mean.power[inside]) + s.mean_fit.alpha * np.log(x)))
            lines.append(
                (
                    x,
                    anchor * x**-s.mean_fit.alpha,
                    {
                        "mode": "lines",
                        "legendgroup": s.domain,
                        "showlegend": False,
                        "line": {"dash": "dash", "color": "black", "width": 1},
                        "hovertemplate": f"fit: 1/f^{s.mean_fit.alpha:.2f}<extra></extra>",
                    },
                )
            )
    # The y axis holds POWER_DECADES below the highest power: a ring with next to no power (a flat image's
    # corner, a rounding residue) would otherwise stretch it over dozens of unreadable decades.
    top = max((float(np.nanmax(y[np.isfinite(y)])) for _, y, _ in lines if np.isfinite(y).any()), default=1.0)
    floor = top / 10**POWER_DECADES
    fig = go.Figure()
    xs, ys = [], []
    for x, y, kwargs in lines:
        x, y = _positive(x, y, floor)
        if x.size:
            fig.add_scatter(x=x, y=y, **kwargs)
            xs.append(x)
            ys.append(y)
    every_x = np.concatenate(xs) if xs else np.array([])
    every_y = np.concatenate(ys) if ys else np.array([])
    fig.update_xaxes(title_text="spatial frequency (cycles per image)", **style.log_axis(every_x))
    fig.update_yaxes(title_text="power (normalised to unit total)", **_power_ticks(style.log_axis(every_y)))
    return style.finish(
        fig,
        "Power spectra (measured)",
        f"thin: images; thick: domain means; dashed: fit over {slope_band[0]:g}–{slope_band[1]:g} cycles/px",
        columns=2,
    )


def slopes_figure(images: pd.DataFrame) -> go.Figure:
    """Each image's fitted α with its confidence interval, grouped by domain."""
    fig = go.Figure()
    rows_all = images[np.isfinite(images[["alpha", "alpha_low", "alpha_high"]].to_numpy(dtype=float)).all(axis=1)]
    for i, (domain, rows) in enumerate(rows_all.groupby("domain", sort=False)):
        fig.add_scatter(
            x=rows["alpha"],
            y=[domain] * len(rows),
            mode="markers",
            name=domain,
            marker={"size": 10, "color": _colour(i)},
            text=rows["image"],
            error_x={
                "type": "data",
                "symmetric": False,
                "array": rows["alpha_high"] - rows["alpha"],
                "arrayminus": rows["alpha"] - rows["alpha_low"],
            },
            hovertemplate="%{text}: α = %{x:.2f}<extra></extra>",
        )
    fig.update_xaxes(title_text="fitted slope α of P ∝ 1/f^α", tickformat=".1f")
    # Room above the top domain for the label of the α = 2 line (a category axis counts in domains).
    domains = rows_all["domain"].nunique()
    fig.update_yaxes(title_text="domain", range=[-0.5, domains - 0.5 + 0.4] if domains else None)
    style.vline(
        fig,
        2.0,
        line_dash="dot",
        line_color="grey",
        annotation_text="α ≈ 2: natural scenes",
        annotation_position="top right",  # inside the plot: above it the label would meet the subtitle
    )
    return style.finish(
        fig,
        "Spectral slopes by domain (measured)",
        "bars: 95% interval of the fit; α ≈ 2 in natural scenes: Field 1987, van der Schaaf & van Hateren 1996 "
        "(published)",
        legend=False,
        columns=2,
    )


def _mean_share(rows: pd.DataFrame, column: str) -> pd.Series:
    """The mean over a domain's images of a share, by input size, finite values only."""
    mean = rows.groupby("resolution_px")[column].mean()
    return mean[np.isfinite(mean.to_numpy(dtype=float))]


def capture_figure(
    capture: pd.DataFrame, column: str, what: str, marks: Sequence[tuple[str, float]], target: float
) -> go.Figure:
    """The share kept against input size: each domain's mean over its images, with resolutions marked."""
    fig = go.Figure()
    sizes = []
    for i, (domain, rows) in enumerate(capture.groupby("domain", sort=False)):
        mean = _mean_share(rows, column)
        if mean.empty:
            continue
        sizes.extend(mean.index)
        fig.add_scatter(
            x=mean.index,
            y=100 * mean.to_numpy(dtype=float),
            mode="lines",
            name=domain,
            line={"color": _colour(i)},
            hovertemplate=f"{domain}: %{{y:.1f}}% at %{{x:,}} px<extra></extra>",
        )
    fig.update_xaxes(title_text="input size r (px, shorter side)", **style.log_axis(sizes))
    fig.update_yaxes(title_text=f"{what} kept (%)", range=[0, 101], ticksuffix="%")
    style.hline(
        fig,
        100 * target,
        line_dash="dot",
        line_color="grey",
        annotation_text=f"target {100 * target:.1f}%",
        annotation_position="bottom right",
    )
    low, high = (min(sizes), max(sizes)) if sizes else (np.inf, -np.inf)
    # Each line is labelled at the foot of the plot, or at its top where the label would come within MARK_SPACING of
    # the axis' decades (about 15 px in the narrowest chart) of the last one there: close lines (φ = 0…3 differ by a
    # few pixels of input) alternate, and their labels never crowd each other.
    last = {"bottom": -np.inf, "top": -np.inf}
    spacing = MARK_SPACING * max(np.log10(high / low), 1.0) if sizes else 0.0
    for label, px in sorted(marks, key=lambda mark: mark[1]):
        if low <= px <= high:
            end = "bottom" if np.log10(px) - last["bottom"] >= spacing else min(last, key=last.get)
            last[end] = np.log10(px)
            style.vline(
                fig,
                px,
                line_color="lightgrey",
                annotation_text=label,
                annotation_textangle=-90,
                annotation_position=f"{end} right",
                annotation_font_size=10,
            )
    return style.finish(
        fig,
        f"{what.capitalize()} an input keeps (measured)",
        "mean over each domain's images; ideal antialiasing; grey lines: your recipe's r(φ)",
    )


def blur_figure(capture: pd.DataFrame, column: str, what: str, motion: Motion) -> go.Figure:
    """Kept share with and without motion blur against input size, and the blur's length in pixels."""
    fig = make_subplots(cols=2, column_widths=[0.65, 0.35], horizontal_spacing=0.12)
    sizes_drawn = []
    for i, (domain, rows) in enumerate(capture.groupby("domain", sort=False)):
        sharp = _mean_share(rows, column)
        blurred = _mean_share(rows, f"{column}_blurred")
        if sharp.empty and blurred.empty:
            continue
        sizes_drawn.extend(sharp.index)
        fig.add_scatter(
            x=sharp.index,
            y=100 * sharp.to_numpy(dtype=float),
            mode="lines",
            legendgroup=domain,
            showlegend=False,
            line={"dash": "dot", "color": _colour(i)},
            row=1,
            col=1,
            hovertemplate=f"{domain}, sharp: %{{y:.1f}}% at %{{x:,}} px<extra></extra>",
        )
        fig.add_scatter(
            x=blurred.index,
            y=100 * blurred.to_numpy(dtype=float),
            mode="lines",
            name=domain,
            legendgroup=domain,
            line={"color": _colour(i)},
            row=1,
            col=1,
            hovertemplate=f"{domain}, blurred: %{{y:.1f}}% at %{{x:,}} px<extra></extra>",
        )
    sizes = np.sort(capture["resolution_px"].unique()).astype(float)
    blur = motion.blur_px(sizes)
    fig.add_scatter(
        x=sizes,
        y=blur,
        mode="lines",
        name="blur length",
        showlegend=False,
        line={"color": "black"},
        row=1,
        col=2,
        hovertemplate="%{y:,.1f} px at %{x:,} px<extra></extra>",
    )
    fig.update_xaxes(title_text="input size r (px)", **style.log_axis(sizes_drawn or sizes), row=1, col=1)
    fig.update_xaxes(title_text="input size r (px)", **style.log_axis(sizes), row=1, col=2)
    fig.update_yaxes(title_text=f"{what} kept (%)", range=[0, 101], ticksuffix="%", row=1, col=1)
    fig.update_yaxes(title_text="blur L (px, modelled)", rangemode="tozero", tickformat=",~f", row=1, col=2)
    saturating = motion.saturating_px()
    if sizes.size and sizes[0] <= saturating <= sizes[-1]:
        style.vline(
            fig,
            saturating,
            row=1,
            col=1,
            line_dash="dash",
            line_color="grey",
            annotation_text=f"L = 2 px at {saturating:,.0f} px",
            # On the side of the line with room for it: left of a line in the right half of the axis.
            annotation_position="bottom left" if saturating > np.sqrt(sizes[0] * sizes[-1]) else "bottom right",
        )
        style.vline(fig, saturating, row=1, col=2, line_dash="dash", line_color="grey")
    return style.finish(
        fig,
        "Motion blur (modelled transfer on the measured spectra)",
        f"left: {what} kept, sharp (dotted) and blurred (solid); right: blur length L = ω·t·r / FOV",
    )
