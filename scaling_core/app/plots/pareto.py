"""The Pareto page's figure: accuracy against a cost, each recipe's curve, the front, budgets, published points."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go

from scaling_core.app.plots.style import MAX_LEGEND_ENTRIES, finish, log_axis, vline

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
    "%{{{memory_mb}:.1f}} MiB (modelled)<br>accuracy %{{{accuracy_text}}}<br>over budget: "
    "%{{{over_budget}}}<extra></extra>"
).format(**_AT)


# Legend entries besides the recipes: the front, points over a budget, the published points.
OTHER_ENTRIES = 3


def _accuracy_text(rows: pd.DataFrame) -> pd.Series:
    """ "81.35% ± 0.66 (modelled, extrapolated)" or "79.50% (measured (your CSV))"; empty rows give an empty Series."""
    if rows.empty:
        return pd.Series([], index=rows.index, dtype=object)
    error = rows["accuracy_error"].map(lambda e: "" if pd.isna(e) else f" ± {e:.2f}")
    note = rows["extrapolated"].map(lambda x: ", extrapolated" if x else "")
    return rows["accuracy"].map("{:.2f}%".format) + error + " (" + rows["accuracy_source"].astype(str) + note + ")"


def drawable(frame: pd.DataFrame, cost_column: str) -> pd.DataFrame:
    """The rows a chart can place: a finite, positive cost (the axis is logarithmic) and a finite accuracy."""
    if frame.empty or cost_column not in frame:
        return frame.iloc[0:0]
    cost = pd.to_numeric(frame[cost_column], errors="coerce").to_numpy(float)
    accuracy = pd.to_numeric(frame["accuracy"], errors="coerce").to_numpy(float)
    return frame[np.isfinite(cost) & (cost > 0) & np.isfinite(accuracy)]


def pareto_figure(
    frame: pd.DataFrame,
    cost_column: str,
    cost_label: str,
    published: pd.DataFrame | None = None,
    accuracy_label: str = "ImageNet top-1 (%), modelled",
    budget: float | None = None,
) -> go.Figure:
    """Accuracy against a cost: each recipe joined along its own front, the global front outlined,
    dominated points dimmed, points over a budget grey, extrapolated estimates hollow.

    cost_label and accuracy_label name the axes with their evidence (measured / modelled); `budget`, in the cost
    column's units, is drawn as a dotted line. Past MAX_LEGEND_ENTRIES the later recipes share one legend entry.
    """
    fig = go.Figure()
    data = drawable(frame, cost_column)
    data = data.assign(
        row_id=data.index, over_budget=data["over_budget"].replace("", "no"), accuracy_text=_accuracy_text(data)
    )
    feasible = data[data["feasible"]]
    palette = plotly.colors.qualitative.Plotly
    recipes = list(dict.fromkeys(feasible["recipe"]))
    named = MAX_LEGEND_ENTRIES - OTHER_ENTRIES if len(recipes) > MAX_LEGEND_ENTRIES - OTHER_ENTRIES else len(recipes)
    if named < len(recipes):
        named -= 1  # one entry is left for "n more recipes"
    for i, (recipe, rows) in enumerate(feasible.groupby("recipe", sort=False)):
        color = palette[i % len(palette)]
        rows = rows.sort_values(cost_column)
        joined = rows[rows["on_recipe_front"]]
        group = recipe if i < named else "more recipes"
        fig.add_scatter(
            x=joined[cost_column],
            y=joined["accuracy"],
            mode="lines",
            name=recipe if i < named else f"{len(recipes) - named} more recipes (hover for names)",
            legendgroup=group,
            showlegend=i <= named,
            hoverinfo="skip",
            line={"color": color},
        )
        fig.add_scatter(
            x=rows[cost_column],
            y=rows["accuracy"],
            mode="markers",
            name=recipe,
            legendgroup=group,
            showlegend=False,
            customdata=rows[list(HOVER_COLUMNS)],
            hovertemplate=PARETO_HOVER,
            marker={
                "symbol": np.where(rows["extrapolated"].astype(bool), "circle-open", "circle"),
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
    shown_costs = list(data[cost_column])
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
        shown_costs += list(published[cost_column])
    if budget:
        shown_costs.append(budget)
    fig.update_layout(
        xaxis={**log_axis(shown_costs), "title": f"{cost_label} (log scale)"},
        yaxis_title=accuracy_label,
    )
    if budget:
        vline(fig, budget, line_dash="dot", line_color="grey", annotation_text="budget")
    keys = [
        "dimmed: dominated",
        *(["hollow: extrapolated outside the calibrated region"] if data["extrapolated"].astype(bool).any() else []),
        *(["grey: over a budget"] if not over.empty else []),
    ]
    return finish(fig, "Accuracy against cost: each recipe and the front", "; ".join(keys))
