"""Plotly figures: pure functions from DataFrames to figures."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from scaling_core.app.plots.style import finish, hline, log_axis, vline

# The width of a bin of the prediction errors' histogram, in percentage points.
BIN_POINTS = 2.5


def stage_cost_figure(parts: pd.DataFrame) -> go.Figure:
    """Share of MACs, parameters and activations in each part of the network (modelled, exact counts)."""
    fig = go.Figure()
    for column, label in (("macs", "MACs (multiply-adds)"), ("params", "parameters"), ("activations", "activations")):
        share = 100.0 * parts[column] / parts[column].sum()
        fig.add_bar(
            x=parts["part"],
            y=share,
            name=label,
            customdata=parts[column],
            hovertemplate="%{x}: %{y:.1f}% (%{customdata:,})<extra>" + label + "</extra>",
        )
    # Slanted part names: level, "stage 1 stage 2 stage 3" runs together in a half-width chart.
    fig.update_layout(barmode="group", yaxis_title="share of the total (%)", xaxis_tickangle=-45)
    return finish(fig, "Where the cost lives, by stage", subtitle="modelled: exact analytic count", columns=2)


def cost_curve_figure(curve: pd.DataFrame, phi: float, ideal: str = "(α·β²·γ²)^φ of this recipe") -> go.Figure:
    """MACs relative to the base against φ: achieved after rounding, the recipe's (or rule's) ideal growth, 2^φ."""
    fig = go.Figure()
    fig.add_scatter(
        x=curve["phi"], y=curve["macs_ratio_to_base"], name="achieved (rounded architecture)", line_shape="hv"
    )
    fig.add_scatter(x=curve["phi"], y=curve["ideal_cost_ratio"], name=ideal, line_dash="dash")
    fig.add_scatter(x=curve["phi"], y=curve["law_2_phi"], name="2^φ (the law)", line_dash="dot")
    values = pd.concat([curve["macs_ratio_to_base"], curve["ideal_cost_ratio"], curve["law_2_phi"]])
    fig.update_layout(xaxis_title="φ", yaxis_title="MACs relative to the base (log)")
    fig.update_yaxes(**log_axis(values))
    vline(fig, phi, line_color="grey", annotation_text=f"φ = {phi:g}")
    return finish(fig, "Cost growth with φ", subtitle="modelled: exact analytic count", columns=2)


def component_figure(parts: pd.DataFrame) -> go.Figure:
    """MACs of each part, stacked by component (modelled, exact counts)."""
    fig = go.Figure()
    for component, rows in parts.groupby("component", sort=False):
        fig.add_bar(
            x=[component],
            y=[rows["MACs"].sum()],
            name=component,
            hovertemplate=component + ": %{y:,} MACs<extra></extra>",
        )
    fig.update_layout(yaxis_title="MACs (multiply-adds)", yaxis_tickformat="~s")
    return finish(fig, "Cost by component", subtitle="modelled: exact analytic count", legend=False, columns=3)


def law_deviation_figure(table: pd.DataFrame, alpha: float, beta: float, gamma: float) -> go.Figure:
    """Real MACs over the law's prediction against φ for every recipe of the grid; the nearest recipe highlighted."""
    fig = go.Figure()
    fig.add_scatter(
        x=table["phi"],
        y=100 * table["deviation"],
        mode="markers",
        name="grid recipes",
        marker={"color": "lightgrey"},
        customdata=table[["alpha", "beta", "gamma"]],
        hovertemplate="α=%{customdata[0]}, β=%{customdata[1]}, γ=%{customdata[2]}, φ=%{x}: %{y:+.1f}%<extra></extra>",
    )
    distance = (table["alpha"] - alpha) ** 2 + (table["beta"] - beta) ** 2 + (table["gamma"] - gamma) ** 2
    nearest = table[distance == distance.min()]
    fig.add_scatter(
        x=nearest["phi"],
        y=100 * nearest["deviation"],
        mode="lines+markers",
        name=f"grid recipe nearest to yours (α={nearest['alpha'].iloc[0]:g}, β={nearest['beta'].iloc[0]:g}, "
        f"γ={nearest['gamma'].iloc[0]:g})",
    )
    fig.update_layout(xaxis_title="φ", yaxis_title="real MACs vs MACs₀·d·w²·r² (%)")
    hline(fig, 0.0, line_dash="dot", annotation_text="the law")
    return finish(fig, "Where the law holds and where it breaks", subtitle="modelled: exact counts")


def budget_figure(table: pd.DataFrame) -> go.Figure:
    """MACs of each recipe at the budget, stacked by part."""
    fig = go.Figure()
    for column in [c for c in table.columns if c.startswith("MACs: ")]:
        fig.add_bar(x=table["recipe"], y=table[column], name=column[len("MACs: ") :])
    fig.update_layout(barmode="stack", yaxis_title="MACs (multiply-adds)", yaxis_tickformat="~s")
    return finish(fig, "How each recipe spends the same budget", subtitle="modelled: exact counts")


def video_curve_figure(curve: pd.DataFrame, best_frames: int) -> go.Figure:
    """Modelled relative error against the number of frames at a fixed budget."""
    fig = go.Figure()
    fig.add_scatter(
        x=curve["frames"],
        y=curve["relative_error"],
        name="MSE / A²",
        customdata=curve["width"],
        hovertemplate="T=%{x}, w=%{customdata:.2f}: %{y:.3g}<extra></extra>",
    )
    best = curve[curve["frames"] == best_frames]
    fig.add_scatter(
        x=best["frames"],
        y=best["relative_error"],
        mode="markers",
        marker={"size": 12},
        name=f"best: {best_frames} frames",
    )
    fig.update_layout(xaxis_title="frames per clip T", yaxis_title="relative error (MSE / A²)")
    fig.update_xaxes(**log_axis(curve["frames"]))
    fig.update_yaxes(**log_axis(curve["relative_error"]))
    return finish(fig, "Width or frames at one budget", subtitle="modelled; the width follows the budget", columns=2)


def video_map_figure(table: pd.DataFrame) -> go.Figure:
    """Best frame count over signal-to-noise ratio and motion frequency (modelled)."""
    grid = table.pivot(index="motion_hz", columns="snr_db", values="frames")
    fig = go.Figure(
        go.Heatmap(
            x=grid.columns,
            y=grid.index,
            z=grid.values,
            colorscale="Viridis",
            colorbar={"title": "best T"},
            hovertemplate="SNR %{x:.1f} dB, %{y:.2f} Hz: %{z} frames<extra></extra>",
        )
    )
    fig.update_layout(xaxis_title="signal-to-noise ratio (dB)", yaxis_title="motion frequency (Hz)")
    fig.update_yaxes(**log_axis(grid.index))
    return finish(fig, "Optimum frames per clip", subtitle="modelled", legend=False, columns=2)


def predicted_vs_measured_figure(held_out: pd.DataFrame) -> go.Figure:
    """Held-out networks: predicted against measured latency for both predictors, with the ±10% band."""
    fig = go.Figure()
    top = float(max(held_out[["measured_ms", "model_ms", "flops_only_ms"]].max())) * 1.1
    for factor in (0.9, 1.1):
        fig.add_scatter(
            x=[0, top],
            y=[0, top * factor],
            mode="lines",
            line={"dash": "dot", "color": "grey"},
            showlegend=factor == 0.9,
            name="±10%",
        )
    fig.add_scatter(x=held_out["measured_ms"], y=held_out["model_ms"], mode="markers", name="our model")
    fig.add_scatter(x=held_out["measured_ms"], y=held_out["flops_only_ms"], mode="markers", name="FLOPs-only line")
    fig.update_layout(xaxis_title="measured latency (ms)", yaxis_title="predicted latency (ms)")
    return finish(
        fig,
        "Predicted against measured",
        subtitle="held-out networks, measured on this machine; predictions modelled",
        columns=2,
    )


def error_histogram_figure(held_out: pd.DataFrame) -> go.Figure:
    """Relative prediction errors on the held-out networks, and the re-measurement's own spread."""
    fig = go.Figure()
    columns = {"model_ms": "our model", "flops_only_ms": "FLOPs-only line", "remeasured_ms": "re-measurement (noise)"}
    # Rounded to a millionth of a point: 100 · (12 / 10 − 1) is 19.999999999999996, which plotly.js bins at 20
    # while the bins below, computed from it, would end at 20 and leave its bar out.
    errors = {
        name: (100 * (held_out[column] / held_out["measured_ms"] - 1)).round(6) for column, name in columns.items()
    }
    finite = np.concatenate([e.to_numpy(dtype=float) for e in errors.values()])
    finite = finite[np.isfinite(finite)]
    # Bins of 2.5 points from below the lowest error to past the highest, and the axis over them and the ±10% band:
    # every bar whole inside the plot.
    start = math.floor(min(finite.min(initial=0.0), -10.0) / BIN_POINTS) * BIN_POINTS
    end = (math.floor(max(finite.max(initial=0.0), 10.0) / BIN_POINTS) + 1) * BIN_POINTS
    for name, values in errors.items():
        fig.add_histogram(x=values, name=name, opacity=0.6, xbins={"start": start, "end": end, "size": BIN_POINTS})
    fig.add_vrect(x0=-10, x1=10, fillcolor="grey", opacity=0.1, line_width=0)
    fig.update_layout(barmode="overlay", xaxis_title="error against the measurement (%)", yaxis_title="networks")
    # Counts of networks: whole-number ticks (plotly would label a bar of one network at 0.2, 0.4, …).
    fig.update_yaxes(tickformat=",d", tick0=0, dtick=1 if len(held_out) <= 8 else None)
    fig.update_xaxes(range=[start - BIN_POINTS / 2, end + BIN_POINTS / 2])
    return finish(fig, "Error distribution (held out)", subtitle="shaded: within ±10%", columns=2)


def throughput_figure(frame: pd.DataFrame) -> go.Figure:
    """Achieved GMAC/s against GMACs per network: where this machine is compute- or overhead-bound."""
    fig = go.Figure(
        go.Scatter(
            x=frame["gmacs"],
            y=frame["achieved_gmac_per_s"],
            mode="markers",
            text=frame["label"],
            hovertemplate="%{text}<br>%{x:.2f} GMACs: %{y:.1f} GMAC/s<extra></extra>",
        )
    )
    fig.update_layout(xaxis_title="GMACs per inference (modelled count)", yaxis_title="achieved GMAC/s (measured)")
    fig.update_xaxes(**log_axis(frame["gmacs"]))
    return finish(
        fig, "Achieved throughput: small networks are overhead-bound", subtitle="measured on this machine", legend=False
    )
