"""The app's chart conventions in one place: titles that fit, legends clear of the axes, readable log axes,
reference lines in the axis' own coordinates, one number format per quantity.

Every figure of `scaling_core.app.plots` ends with `finish(...)`; reference lines go through `vline`/`hline`,
and log axes through `log_axis`, whose ticks are whole numbers on a 1–2–5 ladder instead of plotly's bare
mantissas ("2 5 100 5 2"), at least three of them whatever the span.

`finish` sets every axis plotly would autorange to where the data is (`fit_ranges`: the points, error bars and
reference lines, with RANGE_PAD of their span either side so no marker sits on the frame; a log axis widened until
three ticks show), and fits the text to the narrowest width the chart is drawn at (`columns`: a half-width chart
is 262 px wide in a 1000 px window): a shorter title, the subtitle in lines, long axis titles broken, the margins
grown to hold the legend's rows and the panel titles, so none of it squeezes the plot or touches another text.

On a log axis plotly.js (3.x) reads a shape's position in data units but an
annotation's in log10 units (`shapePositionToRange` is `d2r` for shapes only): `add_vline(x=224,
annotation_text=...)` draws the line at 224 px and its label at 10^224, which drags the axis to 10^294.
`vline`/`hline` keep the line at the data value and move its label to log10 of it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import numpy as np
import plotly.graph_objects as go

# The narrowest a chart is drawn, by the columns that share its row (`finish(columns=...)`): a 1000 px window with
# the sidebar open leaves the page 540 px; each of two columns gets 262 px, the narrow one of [1, 2] columns 172 px.
CHART_WIDTHS_PX = {1: 540, 2: 262, 3: 172}
# Glyph widths (px per character) of the charts' text as Chromium draws the app's font, measured and rounded up:
# 16 px bold titles 7.2, 11 px subtitles 4.7, 14 px axis titles 5.9, 13 px panel titles 5.5, 12 px legend 5.1.
TITLE_PX, SUBTITLE_PX, AXIS_TITLE_PX, PANEL_TITLE_PX, LEGEND_PX = 7.5, 5.0, 6.3, 5.8, 5.4
# A legend entry's symbol and the gap before the next entry (px), and a legend row's height.
LEGEND_ENTRY_PX, LEGEND_ROW_PX = 45, 20
PANEL_TITLE_SIZE = 13
# A title longer than this is cut at a word and the rest becomes the subtitle (a full-width chart at 1000 px).
TITLE_CHARACTERS = int(CHART_WIDTHS_PX[1] / TITLE_PX)
# The plot area's height (px) when a figure does not set it: the margins for the title, subtitle and legend come on
# top, so a long legend never squeezes the data.
PLOT_PX = 270
# The tallest a plot area grows to hold a long y-axis title on one line (past it the title is broken into lines).
MAX_PLOT_PX = 480
# Space kept on each side of the data, as a share of its span, so no marker sits on the frame.
RANGE_PAD = 0.06
# Tick labels on a log axis: at least this many (a reader needs three to see the scale), at most MAX_LOG_TICKS.
MIN_LOG_TICKS, MAX_LOG_TICKS = 3, 6
# Lines drawn in one chart before they are grouped: past this a legend stops being read.
MAX_LEGEND_ENTRIES = 12
# Decades a log axis may span before the chart is refused as unreadable (a sign of a value in the wrong units).
MAX_LOG_DECADES = 12
NUMBER_FORMATS = {"macs": ",.0f", "params": ",.0f", "activations": ",.0f", "percent": ".1f", "ms": ".3g", "px": "d"}


# Past this a count is written with 3 significant digits: at 1400 px a metric a third of the page wide holds
# 12 digits with their separators.
COUNT_DIGITS_SHOWN = 10**12


SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def count_text(value: float) -> str:
    """A count (MACs, parameters, activations) as a metric shows it: thousands separators, or 3 significant
    digits past 10^12 written as a power of ten a reader knows (e.g. "2.41 × 10²⁵", not "2.41e+25")."""
    if abs(value) < COUNT_DIGITS_SHOWN:
        return f"{int(value):,}"
    mantissa, exponent = f"{float(value):.2e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(SUPERSCRIPTS)}"


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


def plain(text: str) -> str:
    """Text as it is shown: without its HTML tags (<b>, <sub>, <br> …)."""
    return re.sub(r"<[^>]*>", "", text)


def wrap(text: str, characters: int) -> list[str]:
    """Text broken at spaces into lines of at most `characters` shown characters (a longer word keeps a line to
    itself); a "<br>" in the text stays a break."""
    lines: list[str] = []
    for paragraph in re.split(r"<br\s*/?>", text):
        start = len(lines)
        for word in paragraph.split():
            if len(lines) > start and len(plain(lines[-1])) + 1 + len(plain(word)) <= characters:
                lines[-1] += " " + word
            else:
                lines.append(word)
    return lines


def chart_width(columns: int) -> int:
    """The narrowest width (px) a chart is drawn at when `columns` charts share its row (CHART_WIDTHS_PX)."""
    return CHART_WIDTHS_PX.get(columns, CHART_WIDTHS_PX[max(CHART_WIDTHS_PX)])


def axis_keys(fig: go.Figure) -> list[str]:
    """The layout names of the figure's cartesian axes ("xaxis", "yaxis2", …)."""
    return [key for key in fig.layout if re.fullmatch(r"[xy]axis\d*", key)]


def axis_room(layout, key: str, width: int, plot_px: float) -> float:
    """The px an axis title may take: along an x axis its panel's width and the margins beside it, along a y axis
    its panel's height."""
    domain = layout[key].domain or (0.0, 1.0)
    share = float(domain[1]) - float(domain[0])
    return (width - 80) * share + 40 if key.startswith("x") else plot_px * share + 20


def legend_entries(fig: go.Figure) -> list[str]:
    """The names the legend shows, in order (a trace shows one unless showlegend is False)."""
    return [trace.name or "" for trace in fig.data if trace.showlegend is not False and trace.name]


def legend_rows(names: Iterable[str], width: int) -> int:
    """Rows a horizontal legend of these names takes in a chart `width` px wide (entries packed left to right)."""
    rows, used = 0, math.inf
    for name in names:
        entry = LEGEND_ENTRY_PX + LEGEND_PX * len(plain(name))
        if used + entry > width - 10:
            rows, used = rows + 1, 0.0
        used += entry
    return rows


def _panel_titles(fig: go.Figure) -> bool:
    """Set make_subplots' panel titles in the panel size; whether one sits over the top row of panels."""
    tops = [float((fig.layout[key].domain or (0, 1))[1]) for key in axis_keys(fig) if key.startswith("y")]
    over_top = False
    for annotation in fig.layout.annotations:
        if (annotation.xref, annotation.yref, annotation.yanchor, annotation.showarrow) == (
            "paper",
            "paper",
            "bottom",
            False,
        ) and annotation.xanchor == "center":
            annotation.font.size = PANEL_TITLE_SIZE
            over_top |= bool(tops) and abs(float(annotation.y) - max(tops)) < 1e-6
    return over_top


def _room_for_y_titles(fig: go.Figure, plot_px: float) -> float:
    """The plot's height raised (up to MAX_PLOT_PX) so that each y-axis title fits along its axis on one line."""
    for key in axis_keys(fig):
        axis = fig.layout[key]
        text = axis.title.text if key.startswith("y") and axis.title else None
        if text:
            domain = axis.domain or (0.0, 1.0)
            needed = (AXIS_TITLE_PX * len(plain(text)) - 20) / (float(domain[1]) - float(domain[0]))
            plot_px = max(plot_px, min(needed, MAX_PLOT_PX))
    return plot_px


def _fit_axis_titles(fig: go.Figure, width: int, plot_px: float) -> tuple[int, int]:
    """Break axis titles longer than their axis into lines; the most extra lines of an x and of a y title."""
    extra = {"x": 0, "y": 0}
    for key in axis_keys(fig):
        axis = fig.layout[key]
        text = axis.title.text if axis.title else None
        if not text:
            continue
        lines = wrap(text, max(8, int(axis_room(fig.layout, key, width, plot_px) / AXIS_TITLE_PX)))
        axis.title.text = "<br>".join(lines)
        extra[key[0]] = max(extra[key[0]], len(lines) - 1)
    return extra["x"], extra["y"]


def _thin_log_ticks(fig: go.Figure, width: int) -> None:
    """Every other tick of a log x axis whose labels would crowd its panel (never fewer than MIN_LOG_TICKS)."""
    for key in axis_keys(fig):
        axis = fig.layout[key]
        if not key.startswith("x") or axis.type != "log" or not axis.tickvals or not axis.ticktext:
            continue
        room = axis_room(fig.layout, key, width, 0) - 40
        values, texts = list(axis.tickvals), list(axis.ticktext)
        while sum(12 + 6 * len(t) for t in texts) > room and len(values[::2]) >= MIN_LOG_TICKS:
            values, texts = values[::2], texts[::2]
        axis.tickvals, axis.ticktext = values, texts


def finish(
    fig: go.Figure,
    title: str,
    subtitle: str = "",
    legend: bool = True,
    height: int | None = None,
    columns: int = 1,
    plot_height: int | None = None,
) -> go.Figure:
    """Apply the app's layout: a title that fits (overflow to the subtitle), a legend under the plot, margins,
    and ranges from the data.

    `columns`: how many charts share the row this one is drawn in (1: the page's width, 2: half, 3: the narrow one
    of [1, 2]); the title, the subtitle's lines, the axis titles and the legend's rows are fitted to the narrowest
    width that gives (CHART_WIDTHS_PX) and the margins grow to hold them, so they never squeeze the plot.
    `plot_height`: the plot area's height in px (PLOT_PX by default); `height` (older callers): the figure's height
    with a one-line subtitle and a legend of three rows, the plot area kept as it was.
    """
    width = chart_width(columns)
    head, overflow = split_title(title, int(width / TITLE_PX))
    lines = wrap("; ".join(part for part in (overflow, subtitle) if part), int(width / SUBTITLE_PX))
    if plot_height is None:
        plot_height = PLOT_PX if height is None else height - (90 if subtitle else 60) - (120 if legend else 50)
    over_panels = _panel_titles(fig)
    plot_height = _room_for_y_titles(fig, plot_height)
    extra_x, extra_y = _fit_axis_titles(fig, width, plot_height)
    _thin_log_ticks(fig, width)
    rows = legend_rows(legend_entries(fig), width) if legend else 0
    top = 56 + (15 * len(lines) + 8 if lines else 0) + (24 if over_panels else 0)
    bottom = 60 + 18 * extra_x + (LEGEND_ROW_PX * rows + 10 if rows else 0)
    total = top + plot_height + bottom
    fig.update_layout(
        title={
            "text": head,
            "subtitle": {"text": "<br>".join(lines)},
            "x": 0,
            "xanchor": "left",
            "y": 1 - 12 / total,
            "yref": "container",
            "yanchor": "top",
            "font": {"size": 16},
        },
        showlegend=legend,
        # The legend sits in the figure's bottom margin (container coordinates), below the x-axis title, so
        # the two never overlap whatever the tick labels' height.
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0, "xanchor": "left"},
        margin={"t": top, "b": bottom, "l": 60 + 18 * extra_y, "r": 20},
        height=total,
        meta={"columns": columns},
    )
    fit_ranges(fig)
    _labels_inside(fig, width, plot_height)
    return fig


def _labels_inside(fig: go.Figure, width: int, plot_px: float) -> None:
    """Turn a reference line's label to the side of the line that keeps it in its panel: under a line near the
    top, left of a line near the right end (estimated for the narrowest width)."""
    for note in fig.layout.annotations:
        if note.textangle not in (None, 0) or not note.text:
            continue
        for letter, across in (("y", "x"), ("x", "y")):  # an hline's label: placed along y, across the panel
            key = _axis_name(note[f"{letter}ref"], letter)
            if not key or not str(note[f"{across}ref"] or "").endswith("domain") or note[letter] is None:
                continue
            axis = fig.layout[key]
            if axis.range is None:
                continue
            low, high = axis.range
            at = (float(note[letter]) - low) / (high - low)
            share = float((axis.domain or (0, 1))[1]) - float((axis.domain or (0, 1))[0])
            if letter == "y":
                size = 18 / max(plot_px * share, 1.0)
                if note.yanchor == "bottom" and at + size > 1:
                    note.yanchor = "top"
                elif note.yanchor == "top" and at - size < 0:
                    note.yanchor = "bottom"
            else:
                size = (LEGEND_PX * len(plain(note.text)) + 8) / max((width - 80) * share, 1.0)
                if note.xanchor == "left" and at + size > 1:
                    note.xanchor = "right"
                elif note.xanchor == "right" and at - size < 0:
                    note.xanchor = "left"


# ---- ranges from the data ------------------------------------------------------------------------------------------


def numbers(values) -> np.ndarray | None:
    """Values as floats (None as NaN), or None where they are categories (text) or absent."""
    if values is None:
        return None
    array = np.ravel(np.asarray(values, dtype=object))
    if any(isinstance(v, str) for v in array):
        return None
    try:
        return np.array([np.nan if v is None else v for v in array], dtype=float)
    except (TypeError, ValueError):  # dates or other objects: not a numeric axis
        return None


def error_extent(values: np.ndarray, error) -> list[np.ndarray]:
    """The ends of a trace's error bars (type "data"), beside its values."""
    if error is None or error.visible is False or error.type not in (None, "data") or error.array is None:
        return []
    plus = numbers(error.array)
    if plus is None or plus.size != values.size:
        return []
    minus = numbers(error.arrayminus) if error.symmetric is False and error.arrayminus is not None else plus
    minus = plus if minus is None or minus.size != values.size else minus
    return [values + plus, values - minus]


def _axis_name(reference: str | None, letter: str) -> str:
    """A trace's or shape's axis reference ('x2', 'y', 'x2 domain') as a layout name ('xaxis2'), or '' for paper."""
    reference = reference or letter
    if " " in reference or reference == "paper":
        return ""
    return f"{reference[0]}axis{reference[1:]}"


def matched_groups(fig: go.Figure) -> list[list[str]]:
    """The figure's axes grouped by `matches` (axes that share a range)."""
    root = {key: key for key in axis_keys(fig)}

    def find(key: str) -> str:
        while root.get(key, key) != key:
            key = root[key]
        return key

    for key in axis_keys(fig):
        matches = fig.layout[key].matches
        if matches:
            root[find(key)] = find(_axis_name(matches, key[0]))
    groups: dict[str, list[str]] = {}
    for key in axis_keys(fig):
        groups.setdefault(find(key), []).append(key)
    return list(groups.values())


def padded_range(values: Iterable[float], pad: float = RANGE_PAD, floor: float | None = None) -> list[float] | None:
    """[low, high] around the finite values with `pad` of their span either side (a lone value gets ±10% of
    itself, or ±1); `floor`: where the range starts when every value lies above it (0 for counts and lengths; a
    value on it gets the padding like any other, so no marker sits on the frame)."""
    array = np.asarray([v for v in values if v is not None], dtype=float)
    array = array[np.isfinite(array)]
    if array.size == 0:
        return None
    low, high = float(array.min()), float(array.max())
    if floor is not None and low > floor:
        return [floor, high + pad * (high - floor)]
    span = high - low or (0.1 * abs(high) or 1.0)
    return [low - pad * span, high + pad * span]


def fit_ranges(fig: go.Figure, pad: float = RANGE_PAD) -> go.Figure:
    """Set every axis the figure leaves to plotly's autorange to its data (markers, error bars, reference lines and
    data-placed labels) with `pad` of the span either side, so no marker sits on the frame; a log axis gets at least
    0.05 decade either side and is widened until MIN_LOG_TICKS of its tick values lie inside.

    Axes that carry bars, histograms or heatmaps keep plotly's own range (it knows their bins and stacks), as do
    category axes and axes given a range or an autorange.
    """
    data: dict[str, list[np.ndarray]] = {}  # in data units
    labels: dict[str, list[float]] = {}  # annotations: in the axis' range units (log10 on a log axis)
    skip: set[str] = set()
    labelled_top: set[str] = set()
    for trace in fig.data:
        keys = {letter: _axis_name(getattr(trace, f"{letter}axis", None), letter) for letter in "xy"}
        if trace.type not in ("scatter", "scattergl"):
            skip.update(keys.values())
            continue
        for letter, key in keys.items():
            array = numbers(getattr(trace, letter))
            if array is None:
                if getattr(trace, letter) is not None:
                    skip.add(key)
                continue
            data.setdefault(key, []).extend([array, *error_extent(array, getattr(trace, f"error_{letter}"))])
        position = trace.textposition if isinstance(trace.textposition, str) else ""
        if "text" in (trace.mode or "") and position.startswith("top"):
            labelled_top.add(keys["y"])
    for shape in fig.layout.shapes:  # reference lines and bands in data units
        for letter in "xy":
            key = _axis_name(shape[f"{letter}ref"], letter)
            ends = [shape[f"{letter}{end}"] for end in "01"]
            if key:
                data.setdefault(key, []).append(np.array([v for v in ends if isinstance(v, int | float)], float))
    for annotation in fig.layout.annotations:
        for letter in "xy":
            key, at = _axis_name(annotation[f"{letter}ref"], letter), annotation[letter]
            if key and isinstance(at, int | float):
                labels.setdefault(key, []).append(float(at))
    for group in matched_groups(fig):
        axes = [fig.layout[key] for key in group]
        if set(group) & skip or any(a.type in ("category", "date", "multicategory") for a in axes):
            continue
        if any(a.range is not None or a.autorange is not None for a in axes):
            continue
        arrays = [a for key in group for a in data.get(key, []) if a.size]
        log = any(a.type == "log" for a in axes)
        if log:
            every = np.concatenate(arrays) if arrays else np.array([])
            arrays = [np.log10(every[np.isfinite(every) & (every > 0)])]
        arrays += [np.array(labels[key]) for key in group if key in labels]
        every = np.concatenate(arrays) if arrays else np.array([])
        if not np.isfinite(every).any():
            continue
        floor = 0.0 if not log and any(a.rangemode == "tozero" for a in axes) else None
        shown = padded_range(every, pad, floor)
        if log:
            shown = _log_range(shown, pad, [t for a in axes for t in (a.tickvals or ())])
        elif set(group) & labelled_top:  # room for the labels above the highest points
            shown[1] += 1.5 * pad * (shown[1] - shown[0])
        for axis in axes:
            axis.range = shown
    return fig


def _log_range(shown: list[float], pad: float, ticks: list[float]) -> list[float]:
    """A log axis' range (log10 units) padded at least 0.05 decade and widened until MIN_LOG_TICKS ticks fit."""
    low, high = shown
    span = (high - low) / (1 + 2 * pad)
    margin = max(0.05 - pad * span, 0.0)
    low, high = low - margin, high + margin
    ticks = [math.log10(t) for t in ticks if t > 0]
    for _ in range(200):
        if len(ticks) < MIN_LOG_TICKS or sum(low <= t <= high for t in ticks) >= MIN_LOG_TICKS:
            break
        low, high = low - 0.05, high + 0.05
    return [low, high]


# ---- log axes --------------------------------------------------------------------------------------------------------

# Mantissas of the tick ladders in the order they are preferred: 1–2–5, sparser ones for a wide span, denser ones
# (unevenly spaced on a log axis) only where a narrow span would otherwise show fewer than MIN_LOG_TICKS.
LADDERS = ((1, 2, 5), (1, 3), (1,), (1, 2, 3, 5), (1, 2, 3, 4, 5, 6, 7, 8, 9))
# Decades a narrow axis may be widened on each side to reach three ticks of an evenly spaced ladder.
SPARSE_WIDENING = 0.3


def _ladder(low: float, high: float, max_ticks: int = MAX_LOG_TICKS, dense: bool = True) -> list[float]:
    """Tick values in [low, high] (both > 0): the first ladder of LADDERS that puts MIN_LOG_TICKS to max_ticks of
    them there (the last, 1…9, only if `dense`); past max_ticks a decade apart, every second (third …) power of
    ten; fewer than MIN_LOG_TICKS where the span is too narrow for any."""
    start, stop = math.floor(math.log10(low)), math.ceil(math.log10(high))

    def inside(steps, stride: int = 1) -> list[float]:
        ticks = (float(f"{m}e{e}") for e in range(start, stop + 1) if e % stride == 0 for m in steps)
        return [t for t in ticks if low / 1.0001 <= t <= high * 1.0001]

    for steps in LADDERS if dense else LADDERS[:-1]:
        if MIN_LOG_TICKS <= len(inside(steps)) <= max_ticks:
            return inside(steps)
    if len(inside((1,))) > max_ticks:
        stride = 2
        while len(inside((1,), stride)) > max_ticks:
            stride += 1
        return inside((1,), stride)
    return inside(LADDERS[-1] if dense else LADDERS[-2])


def tick_text(value: float) -> str:
    """A log-axis tick label: whole numbers with thousands separators, small ones in their shortest form."""
    if value >= 1e6 or value < 1e-3:
        return f"{value:.0e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e")  # 1e10, not 1e+10
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def tick_texts(values: Iterable[float]) -> list[str]:
    """An axis' tick labels in one form: all as powers of ten (5e5, 1e6) when one needs it, else written in full."""
    values = list(values)
    if any(v >= 1e6 or v < 1e-3 for v in values):
        return [f"{v:.0e}".replace("e+0", "e").replace("e-0", "e-").replace("e+", "e") for v in values]
    return [tick_text(v) for v in values]


def log_axis(values: Iterable[float], max_ticks: int = MAX_LOG_TICKS) -> dict:
    """Axis settings for a log axis over these (positive, finite) values: 1–2–5 ticks written in full, at least
    MIN_LOG_TICKS of them over the values padded as `fit_ranges` pads the axis (a lone value or a narrow span gets
    1–2–3–5 or 1…9 ticks, and a wider range). `finish` sets the range from the data drawn."""
    array = np.asarray([v for v in values if v is not None], dtype=float)
    array = array[np.isfinite(array) & (array > 0)]
    if array.size == 0:
        return {"type": "log"}
    low, high = math.log10(float(array.min())), math.log10(float(array.max()))
    pad = max(RANGE_PAD * (high - low), 0.05)
    low, high = low - pad, high + pad
    # A span too narrow for three ticks is widened, a twentieth of a decade a side at a time: up to SPARSE_WIDENING
    # for an evenly spaced ladder, then as far as the 1…9 ladder needs.
    for widen in np.arange(0.0, SPARSE_WIDENING + 0.01, 0.05):
        ticks = _ladder(10 ** (low - widen), 10 ** (high + widen), max_ticks, dense=False)
        if len(ticks) >= MIN_LOG_TICKS:
            break
    else:
        ticks = _ladder(10**low, 10**high, max_ticks)
        while len(ticks) < MIN_LOG_TICKS:
            low, high = low - 0.05, high + 0.05
            ticks = _ladder(10**low, 10**high, max_ticks)
    return {"type": "log", "tickvals": ticks, "ticktext": tick_texts(ticks)}


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
