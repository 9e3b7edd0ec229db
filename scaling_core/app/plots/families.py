"""The families-and-rules figure: top-1 against a cost, one line per base and rule from the base outwards, the
front across all of them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go

from scaling_core.app.plots.style import finish, log_axis

RULE_DASHES = {"compound": "solid", "dwr": "dash", "depth": "dot", "width": "dashdot", "resolution": "longdash"}
HOVER = (
    "<b>%{customdata[0]}</b>, %{customdata[1]} at s = %{customdata[2]:g}<br>%{customdata[3]} px · "
    "d %{customdata[4]:.2f} · w %{customdata[5]:.2f} · r %{customdata[6]:.2f} (applied)<br>"
    "MACs %{customdata[7]:,} · params %{customdata[8]:,} · activations %{customdata[9]:,}<br>"
    "top-1 %{customdata[10]}<extra></extra>"
)
HOVER_COLUMNS = [
    "base",
    "rule",
    "flops_scale",
    "resolution_px",
    "depth_multiplier",
    "width_multiplier",
    "resolution_multiplier",
    "macs",
    "params",
    "activations",
    "top1_text",
]


def top1_text(frame: pd.DataFrame) -> pd.Series:
    """ "80.44% ± 0.66 (modelled)", "74.05% (published)", "r beyond …" appended, or the reason there is none."""

    def one(row) -> str:
        if pd.isna(row["top1"]):
            return row["top1_source"]
        error = "" if pd.isna(row["top1_error"]) else f" ± {row['top1_error']:.2f}"
        note = f"; extrapolated in {row['extrapolated']}" if row["extrapolated"] else ""
        return f"{row['top1']:.2f}%{error} ({row['top1_source']}{note})"

    return frame.apply(one, axis=1) if not frame.empty else pd.Series([], dtype=object)


def families_figure(frame: pd.DataFrame, cost: str, cost_label: str) -> go.Figure:
    """Top-1 against `cost` (log): colour by base, dash by rule; hollow markers extrapolate; the front outlined."""
    fig = go.Figure()
    data = frame[frame["top1"].notna() & frame[cost].notna()].assign(top1_text=lambda f: top1_text(f))
    palette = plotly.colors.qualitative.Plotly
    colours = {base: palette[i % len(palette)] for i, base in enumerate(dict.fromkeys(frame["base"]))}
    for base, rows in data.groupby("base", sort=False):
        start = rows[rows["rule"] == "base"]
        first = True
        for rule, scaled in rows[rows["rule"] != "base"].groupby("rule", sort=False):
            line = pd.concat([start, scaled]).sort_values(cost)
            fig.add_scatter(
                x=line[cost],
                y=line["top1"],
                mode="lines+markers",
                name=f"{base}: {rule}",
                legendgroup=base,
                showlegend=True,
                line={"color": colours[base], "dash": RULE_DASHES.get(rule, "solid")},
                marker={
                    "color": colours[base],
                    "size": 8,
                    "symbol": np.where(line["extrapolated"].astype(bool), "circle-open", "circle"),
                },
                customdata=line[HOVER_COLUMNS],
                hovertemplate=HOVER,
            )
            first = False
        if first and not start.empty:  # a base with no modelled member: its published point alone
            fig.add_scatter(
                x=start[cost],
                y=start["top1"],
                mode="markers",
                name=f"{base} (published only)",
                marker={"color": colours[base], "size": 10, "symbol": "star"},
                customdata=start[HOVER_COLUMNS],
                hovertemplate=HOVER,
            )
    front = data[data["on_front"]].sort_values(cost)
    fig.add_scatter(
        x=front[cost],
        y=front["top1"],
        mode="lines+markers",
        name="front across families and rules",
        line={"color": "black", "dash": "dot", "shape": "hv"},
        marker={"size": 14, "color": "rgba(0,0,0,0)", "line": {"color": "black", "width": 2}},
        customdata=front[HOVER_COLUMNS],
        hovertemplate=HOVER,
    )
    fig.update_layout(
        xaxis={**log_axis(data[cost]), "title": f"{cost_label} (log scale)"},
        yaxis_title="ImageNet top-1 (%): published at each base, modelled beyond",
    )
    return finish(
        fig,
        "Families and rules: top-1 against cost",
        "line dash = rule, colour = base; hollow: beyond the family's fitted members",
    )
