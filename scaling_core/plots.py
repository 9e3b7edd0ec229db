"""Plotly figures: pure functions from DataFrames to figures."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go


def stage_cost_figure(parts: pd.DataFrame) -> go.Figure:
    """Share of MACs, parameters and activations in each part of the network (modelled, exact counts)."""
    fig = go.Figure()
    for column, label in (("macs", "MACs (multiply-adds)"), ("params", "parameters"), ("activations", "activations")):
        share = 100.0 * parts[column] / parts[column].sum()
        fig.add_bar(x=parts["part"], y=share, name=label,
                    customdata=parts[column], hovertemplate="%{x}: %{y:.1f}% (%{customdata:,})<extra>" + label + "</extra>")
    fig.update_layout(barmode="group", yaxis_title="share of the network's total (%)",
                      title="Where the cost lives, stage by stage (modelled: exact analytic count)",
                      legend_orientation="h", margin={"t": 60, "b": 40})
    return fig


def cost_curve_figure(curve: pd.DataFrame, phi: float) -> go.Figure:
    """MACs relative to the base against φ: achieved after rounding, the recipe's law, and 2^φ."""
    fig = go.Figure()
    fig.add_scatter(x=curve["phi"], y=curve["macs_ratio_to_base"], name="achieved (rounded architecture)",
                    line_shape="hv")
    fig.add_scatter(x=curve["phi"], y=curve["ideal_cost_ratio"], name="(α·β²·γ²)^φ of this recipe",
                    line_dash="dash")
    fig.add_scatter(x=curve["phi"], y=curve["law_2_phi"], name="2^φ (the law)", line_dash="dot")
    fig.add_vline(x=phi, line_color="grey", annotation_text=f"φ = {phi:g}")
    fig.update_layout(yaxis_type="log", xaxis_title="φ", yaxis_title="MACs relative to the base (log)",
                      title="Cost growth with φ (modelled: exact analytic count)", legend_orientation="h",
                      margin={"t": 60, "b": 40})
    return fig
