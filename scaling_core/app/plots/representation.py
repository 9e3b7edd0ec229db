"""Plotly figures of the Representation page: Cover's count and measured separability, few-shot accuracy and
probes against φ, students with and without a teacher, accuracy against sparsity. Solid: measured; dashed:
modelled."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from scaling_core.app.plots.style import finish, vline
from scaling_core.studies.representation.cover import SeparabilityEstimate, capacity_curve, capacity_curve_by_ratio

COLOURS = plotly.colors.qualitative.Plotly


def cover_figure(d: int, bias: bool, n_max: int, checks: Sequence[SeparabilityEstimate] = ()) -> go.Figure:
    """P(a random labelling of N points is linearly separable) against N, exact, with Monte Carlo checks."""
    dimension = d + 1 if bias else d
    n, p = capacity_curve(dimension, n_max)
    fig = go.Figure()
    fig.add_scatter(
        x=n,
        y=100 * np.asarray(p, dtype=float),
        mode="lines",
        name=f"C(N, {dimension}) / 2^N (exact count)",
        hovertemplate="N = %{x}: %{y:.2f}%<extra>Cover 1965, points in general position</extra>",
    )
    if checks:
        fig.add_scatter(
            x=[c.n for c in checks],
            y=[100 * c.fraction for c in checks],
            mode="markers",
            name="Monte Carlo: random Gaussian points, LP test (simulated)",
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [100 * (c.ci_high - c.fraction) for c in checks],
                "arrayminus": [100 * (c.fraction - c.ci_low) for c in checks],
            },
            hovertemplate="N = %{x}: %{y:.1f}%<extra>simulated, 95% interval</extra>",
        )
    fig.update_layout(xaxis_title="points N", yaxis_title="separable labellings (%)")
    vline(fig, 2 * dimension, line_dash="dot", annotation_text=f"N = 2·{dimension:,}: 50%")
    title = f"Linearly separable dichotomies in R^{d:,}" + (" with a bias" if bias else "")
    return finish(fig, title, "exact: Cover's count (modelled); markers: simulated")


def separability_figure(rows: pd.DataFrame) -> go.Figure:
    """Measured share of random dichotomies of a backbone's features that a hyperplane separates, against N/(rank+1),
    beside Cover's count at the features' median rank (on this axis it barely moves with the rank)."""
    fig = go.Figure()
    dimension = int(rows["rank"].median()) + 1
    ratio, probability = capacity_curve_by_ratio(dimension, 4.0)
    fig.add_scatter(
        x=ratio,
        y=100 * np.asarray(probability, dtype=float),
        mode="lines",
        line={"dash": "dash"},
        name=f"Cover, points in general position, rank + 1 = {dimension} (modelled)",
        hoverinfo="skip",
    )
    # One legend entry per recipe (a colour), its φ from pale to dark: recipes × φ lines would overflow the legend.
    recipes = list(dict.fromkeys(rows["recipe"]))
    phis = sorted(set(rows["phi"]))
    for (recipe, phi), group in rows.groupby(["recipe", "phi"], sort=False):
        x = group["n"] / (group["rank"] + 1)
        shade = 1.0 if len(phis) < 2 else 0.35 + 0.65 * phis.index(phi) / (len(phis) - 1)
        fig.add_scatter(
            x=x,
            y=100 * group["separable"],
            mode="lines+markers",
            name=f"{recipe} (measured)",
            legendgroup=recipe,
            showlegend=phi == max(group_phi for r, group_phi in zip(rows["recipe"], rows["phi"]) if r == recipe),
            opacity=shade,
            line={"color": COLOURS[recipes.index(recipe) % len(COLOURS)]},
            customdata=group[["n", "rank", "cover_rank"]],
            hovertemplate=f"{recipe}, φ = {phi:g}: "
            "N = %{customdata[0]} (rank %{customdata[1]}): %{y:.1f}% separable; Cover "
            "%{customdata[2]:.2f}<extra>measured</extra>",
        )
    fig.update_layout(xaxis_title="N / (rank + 1)", yaxis_title="random labellings separable (%)")
    return finish(
        fig,
        "Random dichotomies of held-out features",
        "solid: measured, paler for smaller φ; dashed: Cover's count (modelled)",
    )


def students_figure(summary: pd.DataFrame) -> go.Figure:
    """Students' accuracy per teacher (alone first), mean ± sd over seeds, with each teacher's own accuracy."""
    fig = go.Figure()
    for i, (phi, group) in enumerate(summary.groupby("student_phi", sort=False)):
        fig.add_scatter(
            x=group["teacher"],
            y=group["accuracy"],
            mode="markers+lines",
            error_y={"type": "data", "array": group["accuracy_sd"].fillna(0)},
            name=f"student φ = {phi:g} (measured)",
            line={"color": COLOURS[i % len(COLOURS)]},
            hovertemplate="%{x}: %{y:.2f}%<extra>measured, mean ± sd over seeds</extra>",
        )
    teachers = summary.dropna(subset=["teacher_accuracy"]).drop_duplicates("teacher")
    fig.add_scatter(
        x=teachers["teacher"],
        y=teachers["teacher_accuracy"],
        mode="markers",
        marker={"symbol": "star", "size": 12},
        name="the teacher itself (measured)",
        hovertemplate="%{x}: %{y:.2f}%<extra>measured</extra>",
    )
    fig.update_layout(xaxis_title="teacher", yaxis_title="test accuracy (%)")
    return finish(fig, "Is a bigger teacher a better teacher?", "measured, mean ± sd over seeds")


def pruning_figure(summary: pd.DataFrame) -> go.Figure:
    """Accuracy against magnitude-pruning sparsity, before (dotted) and after (solid) fine-tuning, per teacher."""
    fig = go.Figure()
    for i, ((phi, teacher), group) in enumerate(summary.groupby(["student_phi", "teacher"], sort=False)):
        colour = COLOURS[i % len(COLOURS)]
        name = f"φ = {phi:g}, {teacher}"
        fig.add_scatter(
            x=100 * group["measured_sparsity"],
            y=group["accuracy_finetuned"],
            mode="lines+markers",
            name=f"{name}, fine-tuned (measured)",
            line={"color": colour},
            hovertemplate="%{x:.1f}% zeroed: %{y:.2f}%<extra>measured</extra>",
        )
        fig.add_scatter(
            x=100 * group["measured_sparsity"],
            y=group["accuracy"],
            mode="lines+markers",
            name=f"{name}, pruned only (measured)",
            line={"color": colour, "dash": "dot"},
            hovertemplate="%{x:.1f}% zeroed: %{y:.2f}%<extra>measured</extra>",
        )
    fig.update_layout(xaxis_title="weights zeroed (%)", yaxis_title="test accuracy (%)")
    return finish(fig, "Magnitude pruning of the students", "measured; solid: fine-tuned, dotted: pruned only")


def fewshot_figure(measured: pd.DataFrame, modelled: pd.DataFrame, recipe: str) -> go.Figure:
    """N-way K-shot accuracy against φ for one recipe: measured (mean and range over seeds) and modelled."""
    fig = go.Figure()
    chosen = measured[measured["recipe"] == recipe]
    for i, (shots, group) in enumerate(chosen.groupby("shots", sort=True)):
        colour = COLOURS[i % len(COLOURS)]
        fig.add_scatter(
            x=group["phi"],
            y=group["accuracy"],
            mode="lines+markers",
            name=f"{shots}-shot (measured)",
            line={"color": colour},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": group["seed_max"] - group["accuracy"],
                "arrayminus": group["accuracy"] - group["seed_min"],
            },
            customdata=group[["episode_ci"]],
            hovertemplate="φ = %{x}: %{y:.1f}% (episodes' 95% CI ±%{customdata[0]:.1f} per seed)"
            "<extra>measured, mean over seeds (bars: their range)</extra>",
        )
        model = modelled[modelled["shots"] == shots]
        if not model.empty:
            fig.add_scatter(
                x=model["phi"],
                y=model["accuracy"],
                mode="lines",
                line={"color": colour, "dash": "dash"},
                name=f"{shots}-shot (modelled)",
                hovertemplate="φ = %{x:.2f}: %{y:.1f}%<extra>modelled</extra>",
            )
    fig.update_layout(xaxis_title="φ", yaxis_title="accuracy (%)")
    return finish(fig, f"{recipe}: few-shot accuracy on held-out classes", "solid: measured; dashed: modelled")


def model_check_figure(check: pd.DataFrame) -> go.Figure:
    """The Gaussian model fed each network's measured Δ/σ and effective dimension, against its measured accuracy."""
    fig = go.Figure()
    for i, (shots, group) in enumerate(check.groupby("shots", sort=True)):
        fig.add_scatter(
            x=group["accuracy"],
            y=group["modelled"],
            mode="markers",
            name=f"{shots}-shot (modelled vs measured)",
            marker={"color": COLOURS[i % len(COLOURS)]},
            customdata=group[["recipe", "phi"]],
            hovertemplate="%{customdata[0]}, φ = %{customdata[1]}: measured %{x:.1f}%, modelled "
            "%{y:.1f}%<extra></extra>",
        )
    low = float(min(check["accuracy"].min(), check["modelled"].min()))
    high = float(max(check["accuracy"].max(), check["modelled"].max()))
    fig.add_scatter(x=[low, high], y=[low, high], mode="lines", line={"dash": "dot", "color": "grey"}, name="y = x")
    fig.update_layout(xaxis_title="measured accuracy (%)", yaxis_title="modelled from measured Δ/σ, d_eff (%)")
    return finish(fig, "Does the Gaussian model hold?", "each network's measured statistics fed to the model")


def probe_figure(probes: pd.DataFrame, recipe: str) -> go.Figure:
    """Linear-probe accuracy against φ with few labels per class: frozen features against raw pixels, per target."""
    targets = list(dict.fromkeys(probes["target"]))
    fig = make_subplots(cols=len(targets), subplot_titles=targets)
    chosen = probes[probes["recipe"] == recipe]
    for col, target in enumerate(targets, start=1):
        for i, (labels, group) in enumerate(chosen[chosen["target"] == target].groupby("labels_per_class")):
            colour = COLOURS[i % len(COLOURS)]
            fig.add_scatter(
                x=group["phi"],
                y=group["features"],
                mode="lines+markers",
                line={"color": colour},
                name=f"{labels} per class: features (measured)",
                showlegend=col == 1,
                row=1,
                col=col,
                hovertemplate="φ = %{x}: %{y:.1f}%<extra>measured</extra>",
            )
            fig.add_scatter(
                x=group["phi"],
                y=group["pixels"],
                mode="lines",
                line={"color": colour, "dash": "dot"},
                name=f"{labels} per class: raw pixels (measured)",
                showlegend=col == 1,
                row=1,
                col=col,
                hovertemplate="φ = %{x}: %{y:.1f}%<extra>measured</extra>",
            )
    fig.update_xaxes(title_text="φ")
    fig.update_yaxes(title_text="probe accuracy (%)", col=1)
    return finish(fig, f"{recipe}: linear probes with few labels", "measured; solid: features, dotted: raw pixels")
