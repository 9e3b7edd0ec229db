"""Plotly figures of the Robustness page: curves measured and modelled, summaries against cost, histograms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from scaling_core.app.plots.style import finish, log_axis

SEQUENCE = plotly.colors.sequential.Viridis
COLOURS = plotly.colors.qualitative.Plotly
# Accuracy points within which a curve counts as settled at its floor: a few of the 250 test images, about what
# the seeds' means still move by once an attack has won.
FLOOR_POINTS = 2.0


def _phi_colour(phi: float, phis: list[float]) -> str:
    position = 0.0 if len(phis) < 2 else phis.index(phi) / (len(phis) - 1)
    return plotly.colors.sample_colorscale("Viridis", [0.9 * position])[0]


def settled_level(measured: pd.DataFrame) -> float:
    """The level from which every measured curve stays within FLOOR_POINTS of its last value (its floor): where
    the curves end, past which a wider axis shows only flat lines. The highest level when a curve still moves."""
    settled = float(measured["level"].min())
    for _, rows in measured.groupby(["recipe", "phi"], sort=False):
        rows = rows.sort_values("level")
        accuracy, levels = rows["accuracy_mean"].to_numpy(dtype=float), rows["level"].to_numpy(dtype=float)
        first = len(accuracy) - 1
        while first > 0 and abs(accuracy[first - 1] - accuracy[-1]) <= FLOOR_POINTS:
            first -= 1
        settled = max(settled, float(levels[first]))
    return settled


def curves_figure(measured: pd.DataFrame, modelled: pd.DataFrame | None, level_label: str) -> go.Figure:
    """Accuracy against ε (or severity), one panel per recipe, one colour per φ: measured (bars: seeds' min–max),
    modelled dashed. The levels are drawn up to where every curve has reached its floor (`settled_level`)."""
    top = settled_level(measured) if not measured.empty else None
    flat = top is not None and top < measured["level"].max()
    if flat:
        measured = measured[measured["level"] <= top]
        modelled = None if modelled is None else modelled[modelled["level"] <= top]
    recipes = list(dict.fromkeys(measured["recipe"]))
    phis = sorted(set(measured["phi"]))
    fig = make_subplots(cols=len(recipes), subplot_titles=recipes, shared_yaxes=True)
    for col, recipe in enumerate(recipes, start=1):
        for phi in phis:
            rows = measured[(measured["recipe"] == recipe) & (measured["phi"] == phi)]
            if rows.empty:
                continue
            colour = _phi_colour(phi, phis)
            fig.add_scatter(
                x=rows["level"],
                y=rows["accuracy_mean"],
                mode="lines+markers",
                row=1,
                col=col,
                name=f"φ = {phi:g} (measured)",
                legendgroup=f"phi{phi}",
                showlegend=col == 1,
                line={"color": colour},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": rows["accuracy_max"] - rows["accuracy_mean"],
                    "arrayminus": rows["accuracy_mean"] - rows["accuracy_min"],
                },
                hovertemplate=f"{recipe}, φ = {phi:g}: %{{y:.1f}}% at %{{x}}<extra>measured</extra>",
            )
            if modelled is not None:
                model = modelled[(modelled["recipe"] == recipe) & (modelled["phi"] == phi)]
                fig.add_scatter(
                    x=model["level"],
                    y=model["accuracy_modelled"],
                    mode="lines",
                    row=1,
                    col=col,
                    name=f"φ = {phi:g} (modelled)",
                    legendgroup=f"phi{phi}",
                    showlegend=False,
                    line={"color": colour, "dash": "dash"},
                    hovertemplate=f"{recipe}, φ = {phi:g}: %{{y:.1f}}% at %{{x}}<extra>modelled</extra>",
                )
    fig.update_xaxes(title_text=level_label)
    fig.update_yaxes(title_text="accuracy (%)", row=1, col=1)
    return finish(
        fig,
        "Accuracy under perturbation",
        "solid: measured, mean over seeds (bars: their range)"
        + ("; dashed: the margin model (modelled)" if modelled is not None else "")
        + (f"; past {top:g} every curve stays at its floor (not drawn; in the CSV)" if flat else ""),
    )


def summary_figure(summary: pd.DataFrame, level_label: str) -> go.Figure:
    """Area under the curve, the level at half accuracy and the clean-vs-robust gap: against MACs, then against φ."""
    metrics = (
        ("auc", "area under curve (%)"),
        ("level_at_half", "level at half accuracy"),
        ("gap_at_reference", "clean − perturbed"),
    )
    fig = make_subplots(rows=2, cols=3, subplot_titles=[label for _, label in metrics] * 2, vertical_spacing=0.2)
    for i, (recipe, rows) in enumerate(summary.groupby("recipe", sort=False)):
        colour = COLOURS[i % len(COLOURS)]
        for row, x in enumerate(("macs", "phi"), 1):
            for col, (y, _) in enumerate(metrics, 1):
                drawn = rows[np.isfinite(pd.to_numeric(rows[y], errors="coerce").astype(float))]
                fig.add_scatter(
                    x=drawn[x],
                    y=drawn[y],
                    mode="lines+markers",
                    name=recipe,
                    legendgroup=recipe,
                    showlegend=row == 1 and col == 1,
                    line={"color": colour},
                    row=row,
                    col=col,
                    text=drawn["phi"],
                    hovertemplate=f"{recipe}, φ = %{{text:g}}: %{{y:.3g}}<extra></extra>",
                )
    fig.update_xaxes(log_axis(summary["macs"]), title_text="MACs (exact count, log)", row=1)
    fig.update_xaxes(title_text="φ", row=2)
    return finish(
        fig,
        "What each scaling dimension buys",
        f"measured, means over seeds; level: {level_label}; a half point is missing where accuracy never halves; "
        "clean − perturbed in accuracy points",
        plot_height=560,
    )


def histograms_figure(records: list[dict], recipe: str) -> go.Figure:
    """The measured logit margins and input-gradient norms of one recipe's networks, one colour per φ."""
    chosen = [r for r in records if r["recipe"] == recipe]
    phis = sorted({r["phi"] for r in chosen})
    fig = make_subplots(cols=2, subplot_titles=("logit margin z_y − max z_j", "‖∇ₓ margin‖₁ (log₁₀)"))
    for phi in phis:
        runs = [r for r in chosen if r["phi"] == phi]
        margins = np.concatenate([r["margins"] for r in runs])
        norms = np.concatenate([r["gradient_norms"] for r in runs])
        colour = _phi_colour(phi, phis)
        fig.add_histogram(
            x=margins,
            name=f"φ = {phi:g}",
            legendgroup=f"phi{phi}",
            marker_color=colour,
            opacity=0.5,
            histnorm="probability density",
            row=1,
            col=1,
        )
        fig.add_histogram(
            x=np.log10(np.maximum(norms, 1e-12)),
            name=f"φ = {phi:g}",
            legendgroup=f"phi{phi}",
            showlegend=False,
            marker_color=colour,
            opacity=0.5,
            histnorm="probability density",
            row=1,
            col=2,
        )
    fig.update_xaxes(title_text="margin (logits)", row=1, col=1)
    fig.update_xaxes(title_text="log₁₀ gradient norm", row=1, col=2)
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(title_text="density", row=1, col=1)
    return finish(fig, f"{recipe}: margins and gradient norms", "measured on the clean test images, all seeds")
