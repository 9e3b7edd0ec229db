"""Plotly figures of the Deployment page: latency and blur against φ, accuracy under blur, thermal traces,
quantization noise against bits and φ. Solid: measured; dashed: modelled."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from scaling_core.app.plots.style import finish, hline, log_axis
from scaling_core.studies.spectrum.motion_blur import transfer

COLOURS = plotly.colors.qualitative.Plotly
POSITIONS = {"after_depthwise": "SE after depthwise", "before_depthwise": "SE before depthwise"}


def _phi_colour(phi: float, phis: list[float]) -> str:
    position = 0.0 if len(phis) < 2 else phis.index(phi) / (len(phis) - 1)
    return plotly.colors.sample_colorscale("Viridis", [0.9 * position])[0]


def _positive(values) -> list[float]:
    """The finite, positive values among these (what a log axis can show)."""
    array = pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(dtype=float)
    return [float(v) for v in array if np.isfinite(v) and v > 0]


def bounded_log_axis(values) -> dict:
    """style.log_axis over the finite, positive ones of these values (`finish` bounds the range to the data)."""
    return log_axis(_positive(values))


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
    """Predicted latency (log) and blur length against φ, with the budget and the chosen network (measured)."""
    fig = make_subplots(cols=2, subplot_titles=["latency (ms, log)", "blur length (px)"])
    predicted = frame[pd.to_numeric(frame["predicted_ms"], errors="coerce").notna()]
    fig.add_scatter(
        x=predicted["phi"],
        y=predicted["predicted_ms"].astype(float),
        mode="lines+markers",
        name="predicted latency (modelled)",
        row=1,
        col=1,
        customdata=predicted["resolution_px"],
        hovertemplate="φ = %{x}: %{y:.3g} ms at %{customdata} px<extra>modelled</extra>",
    )
    if chosen_phi is not None and measured_ms is not None:
        fig.add_scatter(
            x=[chosen_phi],
            y=[measured_ms],
            mode="markers",
            marker={"size": 12, "symbol": "star"},
            name="chosen φ, measured median",
            row=1,
            col=1,
            hovertemplate="φ = %{x:.3f}: %{y:.3g} ms<extra>measured</extra>",
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
    shown = [*predicted["predicted_ms"], budget_ms, *([] if measured_ms is None else [measured_ms])]
    fig.update_yaxes(bounded_log_axis(shown), row=1, col=1)
    fig.update_yaxes(title_text="ms (modelled)", row=1, col=1)
    fig.update_yaxes(title_text="px (modelled)", rangemode="tozero", row=1, col=2)
    hline(fig, budget_ms, row=1, col=1, line_dash="dot", annotation_text=f"budget {budget_ms:g} ms")
    if frame["blur_px"].max() >= 1.0:  # the 2 px mark only where the blur comes near it
        hline(
            fig,
            2.0,
            row=1,
            col=2,
            line_dash="dot",
            annotation_text="2 px: detail past the first zero",
            annotation_position="top left",
        )
    fig.update_xaxes(title_text="φ")
    return finish(fig, "Latency and blur against φ (modelled)", "the budget dotted; a star: the chosen φ measured")


def blur_figure(frame: pd.DataFrame) -> go.Figure:
    """Blur length against φ without a latency model (modelled): the input size grows, and the blur with it."""
    fig = go.Figure()
    fig.add_scatter(
        x=frame["phi"],
        y=frame["blur_px"],
        mode="lines+markers",
        name="blur L = ω·t·r/FOV (modelled)",
        customdata=frame["resolution_px"],
        hovertemplate="φ = %{x}: %{y:.2f} px at %{customdata} px<extra>modelled</extra>",
    )
    fig.update_layout(xaxis_title="φ", yaxis_title="blur length (px, modelled)", yaxis_rangemode="tozero")
    if frame["blur_px"].max() >= 1.0:
        hline(
            fig,
            2.0,
            line_dash="dot",
            annotation_text="2 px: detail past the first zero",
            annotation_position="top left",
        )
    return finish(fig, "Blur length against φ (modelled)", "the latency needs this machine's latency model", columns=2)


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
    )
    return finish(fig, "The blur's low-pass transfer (modelled)", columns=2)  # half width beside the blur


def blur_accuracy_figure(
    summary: pd.DataFrame, modelled: pd.DataFrame, sweep: float, motion_sweep: float | None = None
) -> go.Figure:
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
    fig.update_layout(xaxis_title="input size (px)", yaxis_title="accuracy (%)")
    title = "Accuracy without blur (sweep 0)" if sweep == 0 else f"Accuracy under a blur of sweep {sweep:g}"
    yours = "" if motion_sweep is None else f"the nearest measured to your motion's {motion_sweep:.3g}; "
    return finish(fig, title, f"{yours}blur = sweep × input px; solid: measured (bars: seeds' range), dashed: modelled")


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
    # Below the line at the start, where the run is still cool: the trace levels off under it later on.
    hline(
        fig,
        throttle_c,
        row=1,
        col=1,
        line_dash="dot",
        annotation_text=f"throttle {throttle_c:g} °C",
        annotation_position="bottom left",
    )
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
    return finish(fig, f"A sustained run at φ = {phi:g} (modelled)", legend=False, columns=2)


def required_rate_line(fig: go.Figure, required_fps: float) -> None:
    """The required rate as a dotted line (after the axis type: on a log axis its label goes in log10 units)."""
    if required_fps > 0:
        hline(
            fig,
            required_fps,
            line_dash="dot",
            annotation_text=f"required {required_fps:g} /s",
            annotation_position="top left",  # small φ: the rates lie far above it there
        )


def throughput_figure(frame: pd.DataFrame, required_fps: float) -> go.Figure:
    """Cold-start and sustained throughput against φ (modelled), the y axis on a log scale bounded to the data."""
    fig = go.Figure()
    shown = []
    for column, name in (("cold_fps", "cold start"), ("sustained_fps", "sustained (last third of the run)")):
        values = pd.to_numeric(frame[column], errors="coerce")
        rows = frame[np.isfinite(values) & (values > 0)]
        shown += list(rows[column])
        fig.add_scatter(
            x=rows["phi"],
            y=rows[column].astype(float),
            mode="lines+markers",
            name=f"{name} (modelled)",
            hovertemplate="φ = %{x}: %{y:.3g} /s<extra>modelled</extra>",
        )
    fig.update_layout(xaxis_title="φ", yaxis_title="inferences per second (log)")
    fig.update_yaxes(bounded_log_axis([*shown, *([required_fps] if required_fps > 0 else [])]))
    required_rate_line(fig, required_fps)
    return finish(fig, "Throughput, cold and sustained (modelled)", columns=2)


def ceiling_figure(frame: pd.DataFrame, required_fps: float) -> go.Figure:
    """The thermal ceiling on the rate against φ (modelled, no latency model needed), log axis bounded to the data."""
    values = pd.to_numeric(frame["ceiling_fps"], errors="coerce")
    rows = frame[np.isfinite(values) & (values > 0)]
    fig = go.Figure()
    fig.add_scatter(
        x=rows["phi"],
        y=rows["ceiling_fps"].astype(float),
        mode="lines+markers",
        name="highest rate below the throttle (modelled)",
        customdata=np.stack([rows["energy_mj"], rows["resolution_px"]], axis=1) if len(rows) else None,
        hovertemplate="φ = %{x}: %{y:.3g} /s (%{customdata[0]:.3g} mJ per inference at %{customdata[1]} px)"
        "<extra>modelled</extra>",
    )
    fig.update_layout(xaxis_title="φ", yaxis_title="inferences per second (log)")
    fig.update_yaxes(bounded_log_axis([*rows["ceiling_fps"], *([required_fps] if required_fps > 0 else [])]))
    required_rate_line(fig, required_fps)
    return finish(
        fig,
        "The thermal ceiling on the rate (modelled)",
        "at full clock, whatever the latency: ((T_th − T_amb)/R − P_static) / energy per inference",
    )


def sqnr_bits_figure(summary: pd.DataFrame, modelled: pd.DataFrame, scheme: str) -> go.Figure:
    """Output SQNR against bits, one panel per SE position, one colour per φ: measured solid, modelled dashed."""
    chosen = summary[summary["scheme"] == scheme]
    positions = [p for p in POSITIONS if p in set(chosen["se_position"])]
    recipes = list(dict.fromkeys(chosen["recipe"]))
    titles = [f"{r}: SE {p.split('_')[0]}" for p in positions for r in recipes]
    fig = make_subplots(
        rows=len(positions), cols=len(recipes), subplot_titles=titles, shared_yaxes=True, vertical_spacing=0.2
    )
    phis = sorted(set(chosen["phi"]))
    drawn: set[tuple[int, int]] = set()
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
                drawn.add((row, col))
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
    for row in range(1, len(positions) + 1):
        for col in range(1, len(recipes) + 1):
            if (row, col) not in drawn:  # say why a panel is empty, in the middle of that panel
                # In paper units: plotly.js draws no panel for axes without data, and places a label on them
                # ("x5 domain") in the first panel instead, stretching its axis to hold it.
                cell = fig.get_subplot(row, col)
                fig.add_annotation(
                    text="not measured<br>(not in this grid)",
                    x=sum(cell.xaxis.domain) / 2,
                    y=sum(cell.yaxis.domain) / 2,
                    xref="paper",
                    yref="paper",
                    showarrow=False,
                )
    fig.update_xaxes(title_text="bits")
    fig.update_yaxes(title_text="output SQNR (dB)", col=1)
    return finish(
        fig,
        f"Output SQNR against the float model ({scheme.replace('_', ' ')} weights)",
        "solid: measured, mean over seeds; dashed: modelled; SE: squeeze-excite, after or before the depthwise conv",
        plot_height=250 * len(positions) + 60 * (len(positions) - 1),
    )


def se_figure(comparison: pd.DataFrame, bits: int) -> go.Figure:
    """SQNR at one bit width against φ, SE after (solid) against SE before (dotted), one panel per weight scheme,
    one colour per recipe (measured). The legend names the recipes once and keys the dotted line."""
    schemes = list(dict.fromkeys(comparison["scheme"]))
    recipes = list(dict.fromkeys(comparison["recipe"]))
    fig = make_subplots(
        cols=max(1, len(schemes)), subplot_titles=[f"{s.replace('_', ' ')} weights" for s in schemes] or None
    )
    shown: set[str] = set()
    for col, scheme in enumerate(schemes, 1):
        for recipe in recipes:
            rows = comparison[(comparison["scheme"] == scheme) & (comparison["recipe"] == recipe)]
            colour = COLOURS[recipes.index(recipe) % len(COLOURS)]
            for position, dash in (("after_depthwise", "solid"), ("before_depthwise", "dot")):
                measured = rows[rows[position].notna()] if position in rows else rows.iloc[:0]
                if measured.empty:  # a recipe measured with one SE position only has no line for the other
                    continue
                fig.add_scatter(
                    x=measured["phi"],
                    y=measured[position],
                    mode="lines+markers",
                    name=recipe,
                    legendgroup=recipe,
                    showlegend=recipe not in shown,
                    line={"color": colour, "dash": dash},
                    row=1,
                    col=col,
                    hovertemplate=f"{recipe}, {POSITIONS[position]}: %{{y:.1f}} dB at φ = %{{x}}"
                    "<extra>measured</extra>",
                )
                shown.add(recipe)
    if shown:  # the key to the dotted lines: one entry, not one per recipe
        fig.add_scatter(
            x=[None], y=[None], mode="lines", name="dotted: SE before", line={"color": "grey", "dash": "dot"}
        )
    fig.update_xaxes(title_text="φ")
    fig.update_yaxes(title_text=f"SQNR at {bits} bits (dB)", col=1)
    return finish(
        fig,
        "Does SE before the depthwise conv help?",
        f"squeeze-excite (SE) after (solid) or before (dotted) the depthwise conv; output SQNR at {bits} bits, "
        "measured, mean over seeds",
    )
