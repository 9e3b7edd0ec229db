"""Plotly figures of the Spectrum page: spectra with their slopes, slopes by domain, power kept against input size."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from scaling_core.studies.spectrum.domain_fit import DomainSummary
from scaling_core.studies.spectrum.motion_blur import Motion

COLOURS = plotly.colors.qualitative.Plotly


def _colour(i: int) -> str:
    return COLOURS[i % len(COLOURS)]


def spectra_figure(summaries: Sequence[DomainSummary], slope_band: tuple[float, float]) -> go.Figure:
    """Every image's spectrum (thin) and each domain's geometric mean (thick), with the mean's fitted line."""
    fig = go.Figure()
    for i, s in enumerate(summaries):
        for a in s.images:
            power = a.spectrum.power / np.sum(a.spectrum.power * a.spectrum.frequency)
            fig.add_scatter(
                x=a.spectrum.cycles_per_image,
                y=power,
                mode="lines",
                legendgroup=s.domain,
                showlegend=False,
                opacity=0.35,
                line={"width": 1, "color": _colour(i)},
                hovertemplate=f"{a.name}: α = {a.fit.alpha:.2f}<br>%{{x:.1f}} cycles/image<extra></extra>",
            )
        mean = s.mean
        fig.add_scatter(
            x=mean.cycles_per_image,
            y=mean.power,
            mode="lines",
            legendgroup=s.domain,
            name=f"{s.domain} (mean of {len(s.images)}): α = {s.mean_fit.alpha:.2f}",
            line={"width": 3, "color": _colour(i)},
        )
        low, high = (f * mean.side for f in slope_band)
        inside = (mean.cycles_per_image >= low) & (mean.cycles_per_image <= high)
        if inside.any():
            x = mean.cycles_per_image[inside]
            anchor = np.exp(np.mean(np.log(mean.power[inside]) + s.mean_fit.alpha * np.log(x)))
            fig.add_scatter(
                x=x,
                y=anchor * x**-s.mean_fit.alpha,
                mode="lines",
                legendgroup=s.domain,
                showlegend=False,
                line={"dash": "dash", "color": "black", "width": 1},
                hovertemplate=f"fit: 1/f^{s.mean_fit.alpha:.2f}<extra></extra>",
            )
    fig.update_layout(
        xaxis_type="log",
        yaxis_type="log",
        xaxis_title="spatial frequency (cycles per image)",
        yaxis_title="power (normalised to unit total)",
        legend_orientation="h",
        title="Radially averaged power spectra (measured; dashed: least-squares fit over the slope band)",
        margin={"t": 60, "b": 40},
    )
    return fig


def slopes_figure(images: pd.DataFrame) -> go.Figure:
    """Each image's fitted α with its confidence interval, grouped by domain."""
    fig = go.Figure()
    for i, (domain, rows) in enumerate(images.groupby("domain", sort=False)):
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
    fig.add_vline(
        x=2.0,
        line_dash="dot",
        line_color="grey",
        annotation_text="α ≈ 2: natural scenes (published: Field 1987; van der Schaaf & van Hateren 1996)",
    )
    fig.update_layout(
        xaxis_title="fitted slope α of P ∝ 1/f^α (bars: the fit's 95% interval, rings as independent)",
        showlegend=False,
        title="Spectral slopes by domain (measured)",
        margin={"t": 60, "b": 40},
    )
    return fig


def capture_figure(
    capture: pd.DataFrame, column: str, what: str, marks: Sequence[tuple[str, float]], target: float
) -> go.Figure:
    """The share kept against input size: each domain's mean over its images, with resolutions marked."""
    fig = go.Figure()
    for i, (domain, rows) in enumerate(capture.groupby("domain", sort=False)):
        mean = rows.groupby("resolution_px")[column].mean()
        fig.add_scatter(
            x=mean.index,
            y=100 * mean.values,
            mode="lines",
            name=domain,
            line={"color": _colour(i)},
            hovertemplate=f"{domain}: %{{y:.1f}}% at %{{x}} px<extra></extra>",
        )
    fig.add_hline(y=100 * target, line_dash="dot", line_color="grey", annotation_text=f"{target:.0%}")
    for label, px in marks:
        fig.add_vline(x=px, line_color="lightgrey", annotation_text=label, annotation_textangle=-90)
    fig.update_layout(
        xaxis_title="input size r (px, shorter side; log)",
        xaxis_type="log",
        yaxis_title=f"{what} kept (%)",
        yaxis_range=[0, 101],
        legend_orientation="h",
        margin={"t": 60, "b": 40},
        title=f"{what.capitalize()} an input keeps (measured on the images; ideal antialiasing)",
    )
    return fig


def blur_figure(capture: pd.DataFrame, column: str, what: str, motion: Motion) -> go.Figure:
    """Kept share with and without motion blur against input size, and the blur's length in pixels."""
    fig = make_subplots(
        cols=2,
        column_widths=[0.65, 0.35],
        subplot_titles=(f"{what.capitalize()} kept, sharp (dotted) and blurred (solid)", "blur length L = ω·t·r / FOV"),
    )
    for i, (domain, rows) in enumerate(capture.groupby("domain", sort=False)):
        sharp = rows.groupby("resolution_px")[column].mean()
        blurred = rows.groupby("resolution_px")[f"{column}_blurred"].mean()
        fig.add_scatter(
            x=sharp.index,
            y=100 * sharp.values,
            mode="lines",
            legendgroup=domain,
            showlegend=False,
            line={"dash": "dot", "color": _colour(i)},
            row=1,
            col=1,
            hovertemplate=f"{domain}, sharp: %{{y:.1f}}% at %{{x}} px<extra></extra>",
        )
        fig.add_scatter(
            x=blurred.index,
            y=100 * blurred.values,
            mode="lines",
            name=domain,
            legendgroup=domain,
            line={"color": _colour(i)},
            row=1,
            col=1,
            hovertemplate=f"{domain}, blurred: %{{y:.1f}}% at %{{x}} px<extra></extra>",
        )
    sizes = np.sort(capture["resolution_px"].unique())
    fig.add_scatter(
        x=sizes,
        y=motion.blur_px(sizes),
        mode="lines",
        name="blur length",
        showlegend=False,
        line={"color": "black"},
        row=1,
        col=2,
        hovertemplate="%{y:.1f} px at %{x} px<extra></extra>",
    )
    saturating = motion.saturating_px()
    if np.isfinite(saturating):
        for col in (1, 2):
            fig.add_vline(
                x=saturating,
                line_dash="dash",
                line_color="grey",
                row=1,
                col=col,
                annotation_text=f"L = 2 px at {saturating:.0f} px" if col == 1 else None,
            )
    fig.update_xaxes(title_text="input size r (px, log)", type="log")
    fig.update_yaxes(title_text=f"{what} kept (%)", range=[0, 101], row=1, col=1)
    fig.update_yaxes(title_text="blur (px)", row=1, col=2)
    fig.update_layout(
        legend_orientation="h",
        margin={"t": 80, "b": 40},
        title="Motion blur (modelled transfer on the measured spectra)",
    )
    return fig
