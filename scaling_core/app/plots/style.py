"""The app's chart conventions in one place: titles that fit, legends clear of the axes, readable log axes,
reference lines in the axis' own coordinates, one number format per quantity.

Every figure of `scaling_core.app.plots` ends with `finish(...)`; reference lines go through `vline`/`hline`,
and log axes through `log_axis`, whose ticks are whole numbers on a 1–2–5 ladder instead of plotly's bare
mantissas ("2 5 100 5 2"). On a log axis plotly.js (3.x) reads a shape's position in data units but an
annotation's in log10 units (`shapePositionToRange` is `d2r` for shapes only): `add_vline(x=224,
annotation_text=...)` draws the line at 224 px and its label at 10^224, which drags the axis to 10^294.
`vline`/`hline` keep the line at the data value and move its label to log10 of it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import plotly.graph_objects as go

# A title longer than this is cut at a word and the rest becomes the subtitle: at 1400 px a half-width chart
# holds about 60 characters of a 16 px title.
TITLE_CHARACTERS = 60
# Lines drawn in one chart before they are grouped: past this a legend stops being read.
MAX_LEGEND_ENTRIES = 12
# Decades a log axis may span before the chart is refused as unreadable (a sign of a value in the wrong units).
MAX_LOG_DECADES = 12
NUMBER_FORMATS = {"macs": ",.0f", "params": ",.0f", "activations": ",.0f", "percent": ".1f", "ms": ".3g", "px": "d"}


# Past this a count is written with 3 significant digits: at 1400 px a metric a third of the page wide holds
# 12 digits with their separators.
COUNT_DIGITS_SHOWN = 10**12


def count_text(value: float) -> str:
    """A count (MACs, parameters, activations) as a metric shows it: thousands separators, or 3 significant
    digits past 10^12 (e.g. "2.41e+25")."""
    return f"{int(value):,}" if abs(value) < COUNT_DIGITS_SHOWN else f"{float(value):.3g}"


def split_title(title: str, limit: int = TITLE_CHARACTERS) -> tuple[str, str]:
    """A title cut at a word boundary to fit `limit` characters, and the remainder (for the subtitle)."""
    if len(title) <= limit:
        return title, ""
    for separator in (" (", ": ", "; ", ", "):
        at = title.find(separator)
        if 0 < at <= limit:
            rest = title[at:].lstrip(" :;,")
            return title[:at], rest[1:-1] if rest.startswith("(") and rest.endswith(")") else rest
    at = title.rfind(" ", 0, limit)
    at = at if at > 0 else limit
    return title[:at], title[at:].strip()


def finish(fig: go.Figure, title: str, subtitle: str = "", legend: bool = True, height: int | None = None) -> go.Figure:
    """Apply the app's layout: a title that fits (overflow to the subtitle), a legend under the plot, margins."""
    head, overflow = split_title(title)
    subtitle = "; ".join(part for part in (overflow, subtitle) if part)
    fig.update_layout(
        title={"text": head, "subtitle": {"text": subtitle}, "x": 0, "xanchor": "left", "font": {"size": 16}},
        showlegend=legend,
        # The legend sits in the figure's bottom margin (container coordinates), below the x-axis title, so
        # the two never overlap whatever the tick labels' height.
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0, "xanchor": "left"},
        margin={"t": 90 if subtitle else 60, "b": 120 if legend else 50, "l": 60, "r": 20},
    )
    if height is not None:
        fig.update_layout(height=height)
    return fig


def _ladder(low: float, high: float) -> list[float]:
    """Tick values on a 1–2–5 ladder covering [low, high] (both > 0)."""
    start, stop = math.floor(math.log10(low)), math.ceil(math.log10(high))
    steps = (1, 2, 5) if stop - start <= 3 else (1,)
    ticks = [m * 10.0**e for e in range(start, stop + 1) for m in steps]
    return [t for t in ticks if low / 1.0001 <= t <= high * 1.0001] or [low, high]


def tick_text(value: float) -> str:
    """A log-axis tick label: whole numbers with thousands separators, small ones in their shortest form."""
    if value >= 1e6 or value < 1e-3:
        return f"{value:.0e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")  # 1e10, not 1e+10
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def log_axis(values: Iterable[float]) -> dict:
    """Axis settings for a log axis over these (positive, finite) values: 1–2–5 ticks written in full."""
    array = np.asarray([v for v in values if v is not None], dtype=float)
    array = array[np.isfinite(array) & (array > 0)]
    if array.size == 0:
        return {"type": "log"}
    ticks = _ladder(float(array.min()), float(array.max()))
    return {"type": "log", "tickvals": ticks, "ticktext": [tick_text(t) for t in ticks]}


def _axis_is_log(fig: go.Figure, letter: str, row: int | None, col: int | None) -> bool:
    """Whether the x or y axis of a cell (or of the whole figure) is logarithmic."""
    if row is None or col is None:
        axis = fig.layout[f"{letter}axis"]
    else:
        reference = fig.get_subplot(row, col)
        axis = reference.xaxis if letter == "x" else reference.yaxis
    return axis.type == "log"


def _line(fig: go.Figure, letter: str, value: float, row: int | None, col: int | None, **kwargs) -> go.Figure:
    """A reference line across the plot at data value `value` of the x or y axis, with its label placed to match."""
    log = _axis_is_log(fig, letter, row, col)
    if not math.isfinite(value) or (log and value <= 0):
        return fig
    cell = {} if row is None else {"row": row, "col": col}
    labelled = len(fig.layout.annotations)
    add = fig.add_vline if letter == "x" else fig.add_hline
    add(value, **cell, **kwargs)
    if log:
        for annotation in fig.layout.annotations[labelled:]:
            annotation[letter] = math.log10(value)
    return fig


def vline(fig: go.Figure, x: float, row: int | None = None, col: int | None = None, **kwargs) -> go.Figure:
    """A vertical line at data value x (set the axis type first: on a log axis its label goes in log10 units)."""
    return _line(fig, "x", x, row, col, **kwargs)


def hline(fig: go.Figure, y: float, row: int | None = None, col: int | None = None, **kwargs) -> go.Figure:
    """A horizontal line at data value y (set the axis type first: on a log axis its label goes in log10 units)."""
    return _line(fig, "y", y, row, col, **kwargs)
