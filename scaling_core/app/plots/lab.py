"""The Lab page's figures: measured accuracy against a cost beside the modelled shape, and training curves."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from scaling_core.app.plots.style import MAX_LEGEND_ENTRIES, finish, log_axis

# Training curves: recipes side by side, this many to a row.
FACETS_PER_ROW = 3


def lab_accuracy_figure(
    frame: pd.DataFrame, cost_column: str, cost_label: str, metric: str = "test accuracy"
) -> go.Figure:
    """Measured test accuracy (or another metric in %: mean, min–max over seeds) against a cost per recipe, the
    measured front outlined, and the ImageNet-calibrated model's shape dashed beside each recipe.

    One legend entry per recipe (its measured line and modelled shape toggle together), one for the dashed
    modelled shape and one for the front. Rows without a finite, positive cost are left out (the axis is log).
    """
    fig = go.Figure()
    palette = plotly.colors.qualitative.Plotly
    cost = pd.to_numeric(frame[cost_column], errors="coerce").to_numpy(float) if cost_column in frame else []
    frame = frame[np.isfinite(cost) & (np.asarray(cost) > 0)] if len(frame) else frame
    recipes = list(dict.fromkeys(frame["recipe"])) if len(frame) else []
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
            showlegend=i < MAX_LEGEND_ENTRIES - 2,
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
            hovertemplate=recipe + f" φ=%{{customdata[0]}}, %{{customdata[1]}} px: {metric} %{{y:.2f}}% "
            "(measured: %{customdata[2]}; bars min–max)<extra></extra>",
        )
        shaped = rows[np.isfinite(rows["modelled_shape"].to_numpy(float))]
        fig.add_scatter(
            x=shaped[cost_column],
            y=shaped["modelled_shape"],
            mode="lines",
            legendgroup=recipe,
            showlegend=False,
            name=f"{recipe} (modelled shape)",
            line={"color": color, "dash": "dash"},
            opacity=0.6,
            hovertemplate=recipe + f": %{{y:.2f}}% (modelled from the φ = 0 {metric})<extra></extra>",
        )
    if recipes:
        # The key to the dashed lines: one entry, not one per recipe.
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="lines",
            name="dashed: modelled shape",
            line={"color": "grey", "dash": "dash"},
            hoverinfo="skip",
        )
    front = frame[frame["on_front"]].sort_values(cost_column) if len(frame) else frame
    fig.add_scatter(
        x=front[cost_column] if len(front) else [],
        y=front["accuracy_mean"] if len(front) else [],
        mode="markers",
        name="measured front",
        marker={"size": 14, "color": "rgba(0,0,0,0)", "line": {"color": "black", "width": 2}},
        hoverinfo="skip",
    )
    fig.update_layout(
        xaxis={**log_axis(frame[cost_column] if len(frame) else []), "title": f"{cost_label} (log scale)"},
        yaxis_title=f"{metric} (%)",
    )
    return finish(
        fig,
        f"{metric[0].upper()}{metric[1:]} against {cost_label.split(' (')[0]}",
        "measured: mean over seeds, bars min–max; dashed: modelled shape",
        columns=2,
    )


def training_curves_figure(curves: pd.DataFrame, metric: str = "test accuracy") -> go.Figure:
    """Test accuracy (or another metric in %, column `test_accuracy`) after each evaluated epoch (measured), one panel
    per recipe, one colour per φ, every seed a line.

    The legend has one entry per φ (a click hides that φ in every panel), not one per line.
    """
    recipes = list(dict.fromkeys(curves["recipe"]))
    phis = sorted(set(curves["phi"]))
    columns = max(1, min(FACETS_PER_ROW, len(recipes)))
    rows = max(1, math.ceil(len(recipes) / columns))
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=recipes or None,
        shared_yaxes=True,
        horizontal_spacing=0.04,
        vertical_spacing=0.2 if rows > 1 else 0.0,  # room for the x-axis title and the next panel's
    )
    colors = plotly.colors.sample_colorscale("Viridis", [i / max(1, len(phis) - 1) * 0.85 for i in range(len(phis))])
    color_of = dict(zip(phis, colors))
    legend_phis = set(phis[:MAX_LEGEND_ENTRIES])
    seen: set[float] = set()
    for index, recipe in enumerate(recipes):
        row, col = index // columns + 1, index % columns + 1
        for (phi, seed), lines in curves[curves["recipe"] == recipe].groupby(["phi", "seed"], sort=True):
            fig.add_scatter(
                x=lines["epoch"],
                y=lines["test_accuracy"],
                mode="lines+markers",
                name=f"φ = {phi:g}",
                legendgroup=f"φ = {phi:g}",
                showlegend=phi in legend_phis and phi not in seen,
                line={"color": color_of[phi], "width": 1.5},
                marker={"size": 5},
                hovertemplate=f"{recipe}, φ = {phi:g}, seed {seed}: epoch %{{x}}, {metric} %{{y:.2f}}%<extra></extra>",
                row=row,
                col=col,
            )
            seen.add(phi)
        # One tick per epoch while that stays readable; plotly's own choice beyond.
        fig.update_xaxes(title_text="epoch", dtick=1 if curves["epoch"].max() <= 10 else None, row=row, col=col)
    fig.update_yaxes(title_text=f"{metric} (%)", col=1)
    return finish(
        fig,
        f"Training curves: {metric} by epoch",
        "measured: every seed is a line; colour: φ",
        plot_height=260 * rows + 70 * (rows - 1),
    )


def families_accuracy_figure(
    frame: pd.DataFrame, cost_label: str, metric: str = "test accuracy", source: str = "test split"
) -> go.Figure:
    """A measured metric (%, mean and min–max over seeds; test accuracy by default) against MACs, one panel per family,
    one colour per recipe across panels (a legend click hides a recipe in every panel)."""
    families = list(dict.fromkeys(frame["family"]))
    columns = max(1, min(2, len(families)))
    rows = max(1, math.ceil(len(families) / columns))
    titles = [f"{family} ({base})" for family, base in dict.fromkeys(zip(frame["family"], frame["base"]))]
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=titles or None,
        horizontal_spacing=0.08,  # each panel its own accuracy range: a family that fails to train squeezes no other
        vertical_spacing=0.18 if rows > 1 else 0.0,
    )
    palette = plotly.colors.qualitative.Plotly
    color_of = {recipe: palette[i % len(palette)] for i, recipe in enumerate(dict.fromkeys(frame["recipe"]))}
    seen: set[str] = set()
    for index, family in enumerate(families):
        row, col = index // columns + 1, index % columns + 1
        panel = frame[frame["family"] == family]
        for recipe, points in panel.groupby("recipe", sort=False):
            points = points.sort_values("macs")
            fig.add_scatter(
                x=points["macs"],
                y=points["accuracy_mean"],
                mode="lines+markers",
                name=recipe,
                legendgroup=recipe,
                showlegend=recipe not in seen,
                line={"color": color_of[recipe]},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": points["accuracy_max"] - points["accuracy_mean"],
                    "arrayminus": points["accuracy_mean"] - points["accuracy_min"],
                },
                customdata=np.column_stack([points["phi"], points["seeds"]]),
                hovertemplate=f"{family}, {recipe} φ=%{{customdata[0]}}: %{{x:.3s}} MACs, {metric} %{{y:.2f}}% "
                f"(measured on the {source}: mean of %{{customdata[1]}} seeds, bars min–max)<extra></extra>",
                row=row,
                col=col,
            )
            seen.add(recipe)
        fig.update_xaxes(
            **log_axis(panel["macs"]), title_text=f"{cost_label} (log scale)" if row == rows else None, row=row, col=col
        )
    fig.update_yaxes(title_text=f"{metric} (%)", col=1)
    return finish(
        fig,
        f"Measured {metric} against MACs, per family",
        f"measured on the {source}: mean over seeds, bars min–max; colour: recipe",
        plot_height=300 * rows + 80 * (rows - 1),
    )
