"""Plotly figures of the Deployment page: latency and blur against φ, accuracy under blur, thermal traces,
quantization noise against bits and φ. Solid: measured; dashed: modelled."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from scaling_core.studies.spectrum.motion_blur import transfer

COLOURS = plotly.colors.qualitative.Plotly
POSITIONS = {"after_depthwise": "SE after depthwise", "before_depthwise": "SE before depthwise"}


def _phi_colour(phi: float, phis: list[float]) -> str:
    position = 0.0 if len(phis) < 2 else phis.index(phi) / (len(phis) - 1)
    return plotly.colors.sample_colorscale("Viridis", [0.9 * position])[0]


def _spread(rows: pd.DataFrame, column: str = "accuracy") -> dict:
    return {
        "type": "data",
        "symmetric": False,
        "array": rows[f"{column}_max"] - rows[f"{column}_mean"],
        "arrayminus": rows[f"{column}_mean"] - rows[f"{column}_min"],
    }


def latency_figure(
    frame: pd.DataFrame, budget_ms: float, chosen_phi: float | None, measured_ms: float | None
) -> go.Figure:
    """Predicted latency and blur length against φ, with the budget and the chosen network (measured)."""
    fig = make_subplots(cols=2, subplot_titles=["latency (ms)", "blur length (px)"])
    fig.add_scatter(
        x=frame["phi"],
        y=frame["predicted_ms"],
        mode="lines+markers",
        name="predicted (modelled)",
        row=1,
        col=1,
        customdata=frame["resolution_px"],
        hovertemplate="φ = %{x}: %{y:.1f} ms at %{customdata} px<extra>modelled</extra>",
    )
    fig.add_hline(y=budget_ms, line_dash="dot", annotation_text=f"budget {budget_ms:g} ms", row=1, col=1)
    if chosen_phi is not None and measured_ms is not None:
        fig.add_scatter(
            x=[chosen_phi],
            y=[measured_ms],
            mode="markers",
            marker={"size": 12, "symbol": "star"},
            name="chosen φ, measured median",
            row=1,
            col=1,
            hovertemplate="φ = %{x:.3f}: %{y:.1f} ms<extra>measured</extra>",
        )
    fig.add_scatter(
        x=frame["phi"],
        y=frame["blur_px"],
        mode="lines+markers",
        name="blur L = ω·t·r/FOV (modelled)",
        row=1,
        col=2,
        customdata=frame["resolution_px"],
        hovertemplate="φ = %{x}: %{y:.2f} px at %{customdata} px<extra>modelled</extra>",
    )
    fig.add_hline(y=2.0, line_dash="dot", annotation_text="2 px: added detail lies past the first zero", row=1, col=2)
    fig.update_xaxes(title_text="φ")
    fig.update_layout(legend_orientation="h", margin={"t": 60, "b": 40})
    return fig


def transfer_figure(lengths_px: dict[str, float]) -> go.Figure:
    """|sinc(π f L)| against f (cycles per pixel, up to Nyquist) for a few blur lengths."""
    f = np.linspace(0.0, 0.5, 201)
    fig = go.Figure()
    for name, length in lengths_px.items():
        fig.add_scatter(
            x=f,
            y=transfer(f, length),
            mode="lines",
            name=f"{name}: L = {length:.2f} px",
            hovertemplate="f = %{x:.3f}: %{y:.3f}<extra>modelled</extra>",
        )
    fig.update_layout(
        xaxis_title="frequency along the motion (cycles per pixel)",
        yaxis_title="amplitude transfer |sinc(π f L)|",
        legend_orientation="h",
        title="The blur's low-pass transfer (modelled)",
        margin={"t": 50, "b": 40},
    )
    return fig


def blur_accuracy_figure(summary: pd.DataFrame, modelled: pd.DataFrame, sweep: float) -> go.Figure:
    """Accuracy against input size at one sweep: measured per recipe (bars: seeds' min–max), modelled dashed."""
    chosen = summary[np.isclose(summary["sweep"], sweep)]
    fig = go.Figure()
    for i, (recipe, rows) in enumerate(chosen.groupby("recipe", sort=False)):
        rows = rows.sort_values("resolution_px")
        colour = COLOURS[i % len(COLOURS)]
        fig.add_scatter(
            x=rows["resolution_px"],
            y=rows["accuracy_mean"],
            mode="lines+markers",
            name=f"{recipe} (measured)",
            line={"color": colour},
            error_y=_spread(rows),
            customdata=np.stack([rows["phi"], rows["blur_px"]], axis=1),
            hovertemplate="%{x} px (φ = %{customdata[0]:g}), blur %{customdata[1]:.2f} px: %{y:.1f}%"
            "<extra>measured</extra>",
        )
        model = modelled[modelled["recipe"] == recipe].sort_values("resolution_px")
        fig.add_scatter(
            x=model["resolution_px"],
            y=model["accuracy_modelled"],
            mode="lines",
            name=f"{recipe} (modelled)",
            line={"color": colour, "dash": "dash"},
            hovertemplate="%{x} px: %{y:.1f}%<extra>modelled</extra>",
        )
    fig.update_layout(
        xaxis_title="input size (px)",
        yaxis_title="accuracy (%)",
        legend_orientation="h",
        title=f"Accuracy under the blur of sweep ω·t/FOV = {sweep:g} (blur = {sweep:g} × input px)",
        margin={"t": 50, "b": 40},
    )
    return fig


def thermal_trace_figure(trace: pd.DataFrame, throttle_c: float, phi: float) -> go.Figure:
    """Temperature and frequency over a sustained run (modelled)."""
    fig = make_subplots(rows=2, shared_xaxes=True, subplot_titles=["temperature (°C)", "frequency (f / f_max)"])
    fig.add_scatter(
        x=trace["time_s"],
        y=trace["temperature_c"],
        mode="lines",
        name="temperature",
        row=1,
        col=1,
        hovertemplate="%{x:.0f} s: %{y:.1f} °C<extra>modelled</extra>",
    )
    fig.add_hline(y=throttle_c, line_dash="dot", annotation_text=f"throttle {throttle_c:g} °C", row=1, col=1)
    fig.add_scatter(
        x=trace["time_s"],
        y=trace["frequency"],
        mode="lines",
        line_shape="hv",
        name="frequency",
        row=2,
        col=1,
        hovertemplate="%{x:.0f} s: %{y:.2f}<extra>modelled</extra>",
    )
    fig.update_xaxes(title_text="time (s)", row=2, col=1)
    fig.update_layout(showlegend=False, title=f"A sustained run at φ = {phi:g} (modelled)", margin={"t": 70, "b": 40})
    return fig


def throughput_figure(frame: pd.DataFrame, required_fps: float) -> go.Figure:
    """Cold-start and sustained throughput against φ (modelled)."""
    fig = go.Figure()
    for column, name in (("cold_fps", "cold start"), ("sustained_fps", "sustained (last third of the run)")):
        fig.add_scatter(
            x=frame["phi"],
            y=frame[column],
            mode="lines+markers",
            name=name,
            hovertemplate="φ = %{x}: %{y:.2f} /s<extra>modelled</extra>",
        )
    if required_fps > 0:
        fig.add_hline(y=required_fps, line_dash="dot", annotation_text=f"required {required_fps:g} /s")
    fig.update_layout(
        xaxis_title="φ",
        yaxis_title="inferences per second",
        yaxis_type="log",
        legend_orientation="h",
        title="Throughput, cold and sustained (modelled)",
        margin={"t": 50, "b": 40},
    )
    return fig


def sqnr_bits_figure(summary: pd.DataFrame, modelled: pd.DataFrame, scheme: str) -> go.Figure:
    """Output SQNR against bits, one panel per SE position, one colour per φ: measured solid, modelled dashed."""
    chosen = summary[summary["scheme"] == scheme]
    positions = [p for p in POSITIONS if p in set(chosen["se_position"])]
    recipes = list(dict.fromkeys(chosen["recipe"]))
    titles = [f"{r}, {POSITIONS[p]}" for p in positions for r in recipes]
    fig = make_subplots(
        rows=len(positions), cols=len(recipes), subplot_titles=titles, shared_yaxes=True, vertical_spacing=0.15
    )
    phis = sorted(set(chosen["phi"]))
    for row, position in enumerate(positions, 1):
        for col, recipe in enumerate(recipes, 1):
            for phi in phis:

                def pick(frame, position=position, recipe=recipe, phi=phi):
                    return frame[
                        (frame["se_position"] == position) & (frame["recipe"] == recipe) & (frame["phi"] == phi)
                    ].sort_values("bits")

                rows, model = pick(chosen), pick(modelled[modelled["scheme"] == scheme])
                if rows.empty:
                    continue
                colour = _phi_colour(phi, phis)
                first = row == 1 and col == 1
                fig.add_scatter(
                    x=rows["bits"],
                    y=rows["sqnr_db"],
                    mode="lines+markers",
                    row=row,
                    col=col,
                    name=f"φ = {phi:g} (measured)",
                    legendgroup=f"{phi}",
                    showlegend=first,
                    line={"color": colour},
                    hovertemplate=f"φ = {phi:g}: %{{y:.1f}} dB at %{{x}} bits<extra>measured</extra>",
                )
                fig.add_scatter(
                    x=model["bits"],
                    y=model["sqnr_modelled_db"],
                    mode="lines",
                    row=row,
                    col=col,
                    name=f"φ = {phi:g} (modelled)",
                    legendgroup=f"{phi}",
                    showlegend=False,
                    line={"color": colour, "dash": "dash"},
                    hovertemplate=f"φ = {phi:g}: %{{y:.1f}} dB at %{{x}} bits<extra>modelled</extra>",
                )
    fig.update_xaxes(title_text="bits")
    fig.update_yaxes(title_text="output SQNR (dB)", col=1)
    fig.update_layout(
        legend_orientation="h",
        height=300 * len(positions) + 120,
        margin={"t": 70, "b": 40},
        title=f"Output SQNR against the float model ({scheme.replace('_', ' ')} weights)",
    )
    return fig


def se_figure(comparison: pd.DataFrame, bits: int) -> go.Figure:
    """SQNR at one bit width against φ, SE after against SE before, per recipe and scheme (measured)."""
    fig = go.Figure()
    for i, ((recipe, scheme), rows) in enumerate(comparison.groupby(["recipe", "scheme"], sort=False)):
        colour = COLOURS[i % len(COLOURS)]
        for position, dash in (("after_depthwise", "solid"), ("before_depthwise", "dot")):
            if position in rows:
                fig.add_scatter(
                    x=rows["phi"],
                    y=rows[position],
                    mode="lines+markers",
                    name=f"{recipe}, {scheme.replace('_', ' ')}, {POSITIONS[position]}",
                    line={"color": colour, "dash": dash},
                    hovertemplate="φ = %{x}: %{y:.1f} dB<extra>measured</extra>",
                )
    fig.update_layout(
        xaxis_title="φ",
        yaxis_title=f"output SQNR at {bits} bits (dB)",
        legend_orientation="h",
        title=f"Does squeeze-excite before the depthwise conv protect the signal? ({bits} bits, "
        "measured, mean over seeds)",
        margin={"t": 50, "b": 40},
    )
    return fig
