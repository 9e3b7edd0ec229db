"""Plotly figures: pure functions from DataFrames to figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go


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
    fig.update_layout(
        barmode="group",
        yaxis_title="share of the network's total (%)",
        title="Where the cost lives, stage by stage (modelled: exact analytic count)",
        legend_orientation="h",
        margin={"t": 60, "b": 40},
    )
    return fig


def cost_curve_figure(curve: pd.DataFrame, phi: float) -> go.Figure:
    """MACs relative to the base against φ: achieved after rounding, the recipe's law, and 2^φ."""
    fig = go.Figure()
    fig.add_scatter(
        x=curve["phi"], y=curve["macs_ratio_to_base"], name="achieved (rounded architecture)", line_shape="hv"
    )
    fig.add_scatter(x=curve["phi"], y=curve["ideal_cost_ratio"], name="(α·β²·γ²)^φ of this recipe", line_dash="dash")
    fig.add_scatter(x=curve["phi"], y=curve["law_2_phi"], name="2^φ (the law)", line_dash="dot")
    fig.add_vline(x=phi, line_color="grey", annotation_text=f"φ = {phi:g}")
    fig.update_layout(
        yaxis_type="log",
        xaxis_title="φ",
        yaxis_title="MACs relative to the base (log)",
        title="Cost growth with φ (modelled: exact analytic count)",
        legend_orientation="h",
        margin={"t": 60, "b": 40},
    )
    return fig


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
    fig.update_layout(
        yaxis_title="MACs (multiply-adds)",
        title="Cost by component (modelled: exact analytic count)",
        showlegend=False,
        margin={"t": 60, "b": 40},
    )
    return fig


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
    fig.add_hline(y=0, line_dash="dot", annotation_text="the law")
    fig.update_layout(
        xaxis_title="φ",
        yaxis_title="real MACs vs MACs₀·d·w²·r² (%)",
        legend_orientation="h",
        title="Where the law holds and where it breaks (modelled: exact counts)",
        margin={"t": 60},
    )
    return fig


def budget_figure(table: pd.DataFrame) -> go.Figure:
    """MACs of each recipe at the budget, stacked by part."""
    fig = go.Figure()
    for column in [c for c in table.columns if c.startswith("MACs: ")]:
        fig.add_bar(x=table["recipe"], y=table[column], name=column[len("MACs: ") :])
    fig.update_layout(
        barmode="stack",
        yaxis_title="MACs (multiply-adds)",
        legend_orientation="h",
        title="How each recipe spends the same budget (modelled: exact counts)",
        margin={"t": 60},
    )
    return fig


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
    fig.update_layout(
        xaxis_type="log",
        yaxis_type="log",
        legend_orientation="h",
        xaxis_title="frames per clip T (width follows the budget)",
        yaxis_title="relative error (modelled)",
        title="Width or frames at one budget (modelled)",
        margin={"t": 60},
    )
    return fig


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
    fig.update_layout(
        xaxis_title="signal-to-noise ratio (dB)",
        yaxis_title="motion frequency (Hz)",
        yaxis_type="log",
        title="Optimum frames per clip (modelled)",
        margin={"t": 60},
    )
    return fig


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
    fig.update_layout(
        xaxis_title="measured latency (ms)",
        yaxis_title="predicted latency (ms)",
        title="Held-out networks: predicted against measured",
        legend_orientation="h",
        margin={"t": 60},
    )
    return fig


def error_histogram_figure(held_out: pd.DataFrame) -> go.Figure:
    """Relative prediction errors on the held-out networks, and the re-measurement's own spread."""
    fig = go.Figure()
    for column, name in (
        ("model_ms", "our model"),
        ("flops_only_ms", "FLOPs-only line"),
        ("remeasured_ms", "re-measurement (noise)"),
    ):
        fig.add_histogram(
            x=100 * (held_out[column] / held_out["measured_ms"] - 1), name=name, opacity=0.6, xbins={"size": 2.5}
        )
    fig.add_vrect(x0=-10, x1=10, fillcolor="grey", opacity=0.1, line_width=0)
    fig.update_layout(
        barmode="overlay",
        xaxis_title="error against the measurement (%)",
        yaxis_title="networks",
        title="Error distribution (held out)",
        legend_orientation="h",
        margin={"t": 60},
    )
    return fig


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
    fig.update_layout(
        xaxis_type="log",
        xaxis_title="GMACs per inference",
        yaxis_title="achieved GMAC/s (measured)",
        title="Achieved throughput: small networks are overhead-bound",
        margin={"t": 60},
    )
    return fig


HOVER_COLUMNS = (
    "row_id",
    "recipe",
    "alpha",
    "beta",
    "gamma",
    "phi",
    "depth_multiplier",
    "width_multiplier",
    "resolution_multiplier",
    "resolution_px",
    "total_blocks",
    "macs",
    "params",
    "activations",
    "memory_mb",
    "accuracy_text",
    "over_budget",
)
_AT = {name: f"customdata[{i}]" for i, name in enumerate(HOVER_COLUMNS)}
PARETO_HOVER = (
    "<b>%{{{recipe}}}</b> at φ = %{{{phi}:.2f}}<br>α=%{{{alpha}:.4f}}, β=%{{{beta}:.4f}}, "
    "γ=%{{{gamma}:.4f}}<br>d=%{{{depth_multiplier}:.3f}}, w=%{{{width_multiplier}:.3f}}, "
    "r=%{{{resolution_multiplier}:.3f}}, %{{{resolution_px}}} px, %{{{total_blocks}}} blocks<br>"
    "MACs %{{{macs}:,}} · params %{{{params}:,}} · activations %{{{activations}:,}} · memory "
    "%{{{memory_mb}:.1f}} MiB (modelled)<br>top-1 %{{{accuracy_text}}}<br>over budget: "
    "%{{{over_budget}}}<extra></extra>"
).format(**_AT)


def _accuracy_text(rows: pd.DataFrame) -> pd.Series:
    """ "81.35% ± 0.66 (modelled, extrapolated)" or "79.50% (measured (your CSV))"."""
    error = rows["accuracy_error"].map(lambda e: "" if pd.isna(e) else f" ± {e:.2f}")
    note = rows["extrapolated"].map(lambda x: ", extrapolated" if x else "")
    return rows["accuracy"].map("{:.2f}%".format) + error + " (" + rows["accuracy_source"] + note + ")"


def pareto_figure(
    frame: pd.DataFrame, cost_column: str, cost_label: str, published: pd.DataFrame | None = None
) -> go.Figure:
    """Accuracy against a cost: each recipe joined along its own front, the global front outlined,
    dominated points dimmed, points over a budget grey, extrapolated estimates hollow."""
    fig = go.Figure()
    data = frame[frame[cost_column].notna() & frame["accuracy"].notna()]
    data = data.assign(
        row_id=data.index, over_budget=data["over_budget"].replace("", "no"), accuracy_text=_accuracy_text(data)
    )
    feasible = data[data["feasible"]]
    palette = plotly.colors.qualitative.Plotly
    for i, (recipe, rows) in enumerate(feasible.groupby("recipe", sort=False)):
        color = palette[i % len(palette)]
        rows = rows.sort_values(cost_column)
        joined = rows[rows["on_recipe_front"]]
        fig.add_scatter(
            x=joined[cost_column],
            y=joined["accuracy"],
            mode="lines",
            name=recipe,
            legendgroup=recipe,
            hoverinfo="skip",
            line={"color": color},
        )
        fig.add_scatter(
            x=rows[cost_column],
            y=rows["accuracy"],
            mode="markers",
            name=recipe,
            legendgroup=recipe,
            showlegend=False,
            customdata=rows[list(HOVER_COLUMNS)],
            hovertemplate=PARETO_HOVER,
            marker={
                "symbol": np.where(rows["extrapolated"], "circle-open", "circle"),
                "opacity": np.where(rows["on_front"], 1.0, 0.35),
                "size": 8,
                "color": color,
            },
        )
    front = feasible[feasible["on_front"]].sort_values(cost_column)
    fig.add_scatter(
        x=front[cost_column],
        y=front["accuracy"],
        mode="lines+markers",
        name="Pareto front (all recipes)",
        line={"color": "black", "dash": "dot", "shape": "hv"},
        marker={"size": 14, "color": "rgba(0,0,0,0)", "line": {"color": "black", "width": 2}},
        customdata=front[list(HOVER_COLUMNS)],
        hovertemplate=PARETO_HOVER,
    )
    over = data[~data["feasible"]]
    if not over.empty:
        fig.add_scatter(
            x=over[cost_column],
            y=over["accuracy"],
            mode="markers",
            name="over a budget (excluded)",
            marker={"color": "lightgrey", "size": 7},
            customdata=over[list(HOVER_COLUMNS)],
            hovertemplate=PARETO_HOVER,
        )
    if published is not None and not published.empty and cost_column in published:
        fig.add_scatter(
            x=published[cost_column],
            y=published["accuracy"],
            mode="markers+text",
            text=published["label"].str.replace("EfficientNet-", ""),
            textposition="top center",
            name="EfficientNet B0–B7 (published top-1)",
            marker={"symbol": "star", "size": 11, "color": "goldenrod"},
            customdata=published[["label", "citation"]],
            hovertemplate="%{customdata[0]}: %{y:.1f}% (published: %{customdata[1]}); "
            "cost = our exact count<extra></extra>",
        )
    fig.update_layout(
        xaxis_type="log",
        xaxis_title=f"{cost_label} (log)",
        yaxis_title="ImageNet top-1 (%)",
        legend={"orientation": "h", "y": -0.22},
        margin={"t": 60},
        title="Accuracy against cost: each recipe's curve and the front over all of them",
    )
    return fig


def lab_accuracy_figure(frame: pd.DataFrame, cost_column: str, cost_label: str) -> go.Figure:
    """Measured test accuracy (mean, min–max over seeds) against a cost per recipe, the measured front outlined,
    and the ImageNet-calibrated model's shape dashed beside each recipe."""
    fig = go.Figure()
    palette = plotly.colors.qualitative.Plotly
    for i, (recipe, rows) in enumerate(frame.groupby("recipe", sort=False)):
        rows = rows.sort_values(cost_column)
        color = palette[i % len(palette)]
        fig.add_scatter(
            x=rows[cost_column],
            y=rows["accuracy_mean"],
            mode="lines+markers",
            name=f"{recipe} (measured)",
            line={"color": color},
            legendgroup=recipe,
            error_y={
                "type": "data",
                "symmetric": False,
                "array": rows["accuracy_max"] - rows["accuracy_mean"],
                "arrayminus": rows["accuracy_mean"] - rows["accuracy_min"],
            },
            customdata=np.column_stack(
                [
                    rows["phi"],
                    rows["resolution_px"],
                    [
                        f"mean of {n} seeds, sd {sd:.2f}" if n > 1 else "one seed"
                        for n, sd in zip(rows["seeds"], rows["accuracy_std"])
                    ],
                ]
            ),
            hovertemplate=recipe + " φ=%{customdata[0]}, %{customdata[1]} px: %{y:.2f}% "
            "(%{customdata[2]}; bars min–max)<extra></extra>",
        )
        fig.add_scatter(
            x=rows[cost_column],
            y=rows["modelled_shape"],
            mode="lines",
            legendgroup=recipe,
            name=f"{recipe} (modelled shape)",
            line={"color": color, "dash": "dash"},
            opacity=0.6,
            hovertemplate=recipe + ": %{y:.2f}% (modelled from the φ = 0 accuracy)<extra></extra>",
        )
    front = frame[frame["on_front"]].sort_values(cost_column)
    fig.add_scatter(
        x=front[cost_column],
        y=front["accuracy_mean"],
        mode="markers",
        name="measured front",
        marker={"size": 14, "color": "rgba(0,0,0,0)", "line": {"color": "black", "width": 2}},
        hoverinfo="skip",
    )
    fig.update_layout(
        xaxis_type="log",
        xaxis_title=f"{cost_label} (log)",
        yaxis_title="test accuracy (%)",
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 60},
        title=f"Accuracy against {cost_label.split(' (')[0]}: measured, and the model's shape",
    )
    return fig


def training_curves_figure(curves: pd.DataFrame) -> go.Figure:
    """Test accuracy after each epoch, one line per recipe, φ and seed (measured)."""
    fig = go.Figure()
    for (recipe, phi, seed), rows in curves.groupby(["recipe", "phi", "seed"], sort=False):
        fig.add_scatter(
            x=rows["epoch"],
            y=rows["test_accuracy"],
            mode="lines+markers",
            name=f"{recipe} φ={phi:g} seed {seed}",
            legendgroup=f"{recipe} {phi}",
        )
    fig.update_layout(
        xaxis_title="epoch", yaxis_title="test accuracy (%)", margin={"t": 60}, title="Training curves (measured)"
    )
    return fig
