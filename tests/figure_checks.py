"""The chart conventions checked on a figure's plotly JSON (shared by the page, figure and extremes tests).

A figure reads when: its title fits; its legend sits in the bottom margin (never over an axis title) with a
bounded number of entries; its data are finite; each log axis spans a sane number of decades with the app's
1–2–5 ticks; and its reference lines sit where plotly.js draws them: on a log axis a line (shape) in data
units, its label (annotation) in log10 units (scaling_core/app/plots/style.py says why).

And its axes are where the data is: no point (nor error bar) outside an axis' range, at least three labelled
ticks on a log axis, a label in the panel it describes (on an axis that is drawn, inside its range); and its text
fits the narrowest width the chart is drawn at (style.CHART_WIDTHS_PX, by the columns `finish` was told share its
row): the title, each subtitle line, each panel title over its panel, each axis title along its axis, the legend
within the bottom margin. Widths are estimated from characters (style's glyph widths); the browser test
(tests/e2e/test_e2e_visual.py) measures the drawn text.
"""

import base64
import json
import math
import re

import numpy as np

from scaling_core.app.plots import style

# Decades a reference line may lie beyond the data (a budget past every point), and a label's position in
# log10 units, before either is taken for a value in the wrong units.
LINE_SLACK_DECADES = 2
LABEL_SLACK_DECADES = 2
# A point this close to its axis' end (as a share of the range) still counts as inside (rounding).
RANGE_TOLERANCE = 1e-6
# A marker closer than this to an end of its axis (as a share of the range) sits on the frame.
FRAME_SHARE = 0.01
# Traces whose x and y are positions on their axes (a histogram's y is counts, a pie has no axes).
POSITIONED = {"scatter", "scattergl", "bar", "heatmap", "histogram", "box"}


def decoded(values) -> np.ndarray:
    """A trace's x or y as floats (plotly writes arrays as base64 'bdata'; None becomes NaN)."""
    if values is None:
        return np.array([])
    if isinstance(values, dict) and "bdata" in values:
        array = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])).astype(float)
        return array.reshape(values["shape"]) if "shape" in values and isinstance(values["shape"], list) else array
    return np.array([np.nan if v is None else v for v in np.ravel(np.asarray(values, dtype=object))], dtype=float)


def _numeric(values) -> np.ndarray | None:
    """The values as floats, or None for a category axis (strings) or a legend key (a lone None)."""
    if values is None:
        return None
    if not isinstance(values, dict) and any(isinstance(v, str) for v in np.ravel(np.asarray(values, dtype=object))):
        return None  # categories (parts, domains, teachers): no numeric axis to check
    numbers = np.ravel(decoded(values))
    if numbers.size <= 1 and np.isnan(numbers).all():
        return None
    return numbers


def _axis_key(reference: str) -> str:
    """'x2' → 'xaxis2', 'y' → 'yaxis' (a shape's 'x domain' reference included)."""
    name = reference.split()[0]
    return f"{name[0]}axis{name[1:]}"


def _plain(text: str) -> str:
    return re.sub(r"<[^>]*>", "", text or "")


def _lines(text: str) -> list[str]:
    return [_plain(line) for line in re.split(r"<br\s*/?>", text or "") if _plain(line).strip()]


def chart_width(layout: dict) -> int:
    """The narrowest width the chart is drawn at: its set width, else by the columns `finish` recorded."""
    if layout.get("width"):
        return int(layout["width"])
    columns = (layout.get("meta") or {}).get("columns", 1) if isinstance(layout.get("meta"), dict) else 1
    return style.chart_width(columns)


def _errors(trace: dict, letter: str, values: np.ndarray) -> list[np.ndarray]:
    """The ends of a trace's error bars along x or y (type "data")."""
    error = trace.get(f"error_{letter}") or {}
    if error.get("visible") is False or error.get("type", "data") != "data" or error.get("array") is None:
        return []
    plus = np.ravel(decoded(error["array"]))
    minus = plus if error.get("symmetric", True) is not False else np.ravel(decoded(error.get("arrayminus")))
    if plus.size != values.size or minus.size != values.size:
        return []
    return [values + np.nan_to_num(plus), values - np.nan_to_num(minus)]


def _ranges(layout: dict) -> dict[str, tuple[float, float]]:
    """Each axis' explicit range (a matching axis takes its leader's), in the axis' own units (log10 on a log axis)."""
    keys = [k for k in layout if re.fullmatch(r"[xy]axis\d*", k)]
    own = {k: layout[k]["range"] for k in keys if isinstance(layout[k].get("range"), list | tuple)}
    ranges = {}
    for key in keys:
        seen, at = set(), key
        while at not in own and layout.get(at, {}).get("matches") and at not in seen:
            seen.add(at)
            at = _axis_key(layout[at]["matches"])
        shown = own.get(at)
        if shown and all(isinstance(v, int | float) for v in shown):
            ranges[key] = (float(min(shown)), float(max(shown)))
    return ranges


def _text_problems(layout: dict, data: list[dict]) -> list[str]:
    """Text wider than the narrowest chart it is drawn in (estimated from characters)."""
    problems, width = [], chart_width(layout)
    title = layout.get("title") or {}
    head = _plain(title.get("text") or "")
    if len(head) > style.TITLE_CHARACTERS:
        problems.append(f"title longer than {style.TITLE_CHARACTERS} characters: {head!r}")
    if len(head) * style.TITLE_PX > width:
        problems.append(f"title wider than its figure (~{len(head) * style.TITLE_PX:.0f} px of {width}): {head!r}")
    for line in _lines((title.get("subtitle") or {}).get("text") or ""):
        if len(line) * style.SUBTITLE_PX > width:
            problems.append(f"subtitle line wider than its figure (~{len(line) * style.SUBTITLE_PX:.0f} px): {line!r}")
    margin = layout.get("margin") or {}
    plot_px = (layout.get("height") or 450) - margin.get("t", 100) - margin.get("b", 80)
    for key in [k for k in layout if re.fullmatch(r"[xy]axis\d*", k)]:
        text = ((layout[key].get("title") or {}).get("text")) or ""
        domain = layout[key].get("domain") or [0, 1]
        room = (width - 80) * (domain[1] - domain[0]) + 40 if key[0] == "x" else plot_px * (domain[1] - domain[0]) + 20
        for line in _lines(text):
            if len(line) * style.AXIS_TITLE_PX > room + 1:
                needed = len(line) * style.AXIS_TITLE_PX
                problems.append(f"{key} title wider than its axis (~{needed:.0f} px of {room:.0f}): {line!r}")
    x_domains = [layout[k].get("domain") or [0, 1] for k in layout if re.fullmatch(r"xaxis\d*", k)]
    for annotation in layout.get("annotations", []):
        panel = (annotation.get("xref"), annotation.get("yref"), annotation.get("yanchor"), annotation.get("showarrow"))
        if panel != ("paper", "paper", "bottom", False) or annotation.get("xanchor") != "center":
            continue
        under = [d for d in x_domains if d[0] - 1e-6 <= annotation.get("x", -1) <= d[1] + 1e-6]
        size = (annotation.get("font") or {}).get("size") or 16
        shown = max((len(line) for line in _lines(annotation.get("text", ""))), default=0)
        needed = shown * style.PANEL_TITLE_PX * size / style.PANEL_TITLE_SIZE
        if under and needed > width * min(d[1] - d[0] for d in under) + 10:
            problems.append(f"panel title wider than its panel (~{needed:.0f} px): {annotation.get('text')!r}")
    if layout.get("showlegend", True):
        names = [t.get("name") for t in data if t.get("showlegend", True) is not False and t.get("name")]
        rows = style.legend_rows(names, width)
        if rows and margin.get("b", 0) < style.LEGEND_ROW_PX * rows + 50:
            problems.append(f"a legend of {rows} rows at {width} px in a bottom margin of {margin.get('b')} px")
    return problems


def _markers(trace: dict, numbers: np.ndarray) -> bool:
    """Whether a trace draws markers (plotly's default mode draws them up to 20 points)."""
    if trace.get("type", "scatter") not in ("scatter", "scattergl"):
        return False
    mode = trace.get("mode")
    return "markers" in mode if mode else numbers.size <= 20


def _range_problems(layout: dict, data: list[dict]) -> list[str]:
    """Data outside an explicit axis range, a log axis with fewer than three labelled ticks, a label outside its
    panel."""
    problems, ranges = [], _ranges(layout)
    drawn: set[str] = set()
    for trace in data:
        if trace.get("type", "scatter") not in POSITIONED:
            continue
        for letter in ("x", "y"):
            key = _axis_key(trace.get(f"{letter}axis", letter))
            drawn.add(key)
            numbers = _numeric(trace.get(letter))
            if numbers is None or (trace.get("type") == "histogram" and letter != "x"):
                continue
            axis = layout.get(key, {})
            if key not in ranges and _markers(trace, numbers) and axis.get("type") in (None, "linear", "-"):
                if axis.get("autorange") is None:
                    problems.append(f"{key}: markers on an axis left to plotly's autorange (style.fit_ranges)")
                continue
            if key not in ranges:
                continue
            low, high = ranges[key]
            log = layout.get(key, {}).get("type") == "log"
            shown = numbers[np.isfinite(numbers) & ((numbers > 0) if log else True)]
            shown = np.log10(shown) if log else shown
            edge = FRAME_SHARE * (high - low)
            framed = shown[(np.abs(shown - low) < edge) | (np.abs(shown - high) < edge)]
            if _markers(trace, numbers) and framed.size:
                problems.append(f"trace {trace.get('name')!r}: a marker on the frame of {key} ({framed[0]:.4g})")
            for values in (numbers, *_errors(trace, letter, numbers)):
                shown = values[np.isfinite(values) & ((values > 0) if log else True)]
                shown = np.log10(shown) if log else shown
                slack = RANGE_TOLERANCE * (high - low)
                outside = shown[(shown < low - slack) | (shown > high + slack)]
                if outside.size:
                    value = 10 ** outside[0] if log else outside[0]
                    problems.append(
                        f"trace {trace.get('name')!r}: {outside.size} {letter} value(s) outside {key}'s range "
                        f"[{low:.4g}, {high:.4g}]{' (log10)' if log else ''}, e.g. {value:.4g}"
                    )
                    break
    for key, axis in layout.items():
        if not re.fullmatch(r"[xy]axis\d*", key) or axis.get("type") != "log" or key not in drawn:
            continue
        ticks = [t for t in axis.get("tickvals") or [] if isinstance(t, int | float) and t > 0]
        low, high = ranges.get(key, (-math.inf, math.inf))
        labelled = [t for t in ticks if low - 1e-9 <= math.log10(t) <= high + 1e-9]
        if axis.get("tickvals") is not None and len(labelled) < style.MIN_LOG_TICKS:
            problems.append(f"{key}: a log axis with {len(labelled)} labelled tick(s) in its range (at least 3)")
    for annotation in layout.get("annotations", []):
        for letter in ("x", "y"):
            reference = annotation.get(f"{letter}ref") or letter
            if reference == "paper":
                continue
            key = _axis_key(reference)
            if key not in drawn:  # plotly.js draws no panel for an axis without data: the label lands elsewhere
                problems.append(f"a label on {key}, a panel with no data: {annotation.get('text')!r}")
                continue
            at = annotation.get(letter)
            if not isinstance(at, int | float):
                continue
            low, high = (0.0, 1.0) if reference.endswith("domain") else ranges.get(key, (-math.inf, math.inf))
            if not low - 1e-9 <= at <= high + 1e-9:
                problems.append(f"a label outside its panel ({key} at {at:g}, range {low:g}…{high:g})")
    return problems


def figure_problems(spec: dict) -> list[str]:
    """What breaks the chart conventions in a figure's JSON; [] when the figure reads."""
    layout, data, problems = spec.get("layout", {}), spec.get("data", []), []
    problems += _text_problems(layout, data)
    entries = {t.get("legendgroup") or t.get("name") for t in data if t.get("showlegend", True) and t.get("name")}
    if layout.get("showlegend", True) and entries:
        legend = layout.get("legend", {})
        if legend.get("yref") != "container" or legend.get("y") != 0:
            problems.append(f"legend not in the bottom margin (y={legend.get('y')}, yref={legend.get('yref')})")
        if len(entries) > style.MAX_LEGEND_ENTRIES:
            problems.append(f"{len(entries)} legend entries (at most {style.MAX_LEGEND_ENTRIES})")
    on_axis: dict[str, list[np.ndarray]] = {}
    for trace in data:
        for letter in ("x", "y"):
            numbers = _numeric(trace.get(letter))
            if numbers is None:
                continue
            if not np.isfinite(numbers).all():
                problems.append(f"trace {trace.get('name')!r}: {letter} not all finite")
            if trace.get("type") != "histogram":
                on_axis.setdefault(_axis_key(trace.get(f"{letter}axis", letter)), []).append(numbers)
    for key, arrays in on_axis.items():
        axis = layout.get(key, {})
        if axis.get("type") != "log":
            continue
        every = np.concatenate(arrays)
        every = every[np.isfinite(every) & (every > 0)]
        if not every.size:
            continue
        low, high = math.log10(every.min()), math.log10(every.max())
        if high - low > style.MAX_LOG_DECADES:
            problems.append(f"{key} spans {high - low:.1f} decades")
        if not axis.get("tickvals") or not axis.get("ticktext"):
            problems.append(f"{key}: a log axis without style.log_axis's 1–2–5 ticks")
        letter, reference = key[0], key[0] + key[5:]
        for shape in layout.get("shapes", []):
            if shape.get(f"{letter}ref") != reference:  # "x domain" spans the plot: no data position
                continue
            for end in (f"{letter}0", f"{letter}1"):
                position = float(shape[end])
                if not (position > 0 and low - LINE_SLACK_DECADES <= math.log10(position) <= high + LINE_SLACK_DECADES):
                    problems.append(f"{key}: a line at {position:g}, not in the data's units ({every.min():g}…)")
        for annotation in layout.get("annotations", []):
            if annotation.get(f"{letter}ref") == reference and letter in annotation:
                position = float(annotation[letter])
                if not low - LABEL_SLACK_DECADES <= position <= high + LABEL_SLACK_DECADES:
                    problems.append(f"{key}: a label at {position:g}, not in log10 units ({low:.1f}…{high:.1f})")
    for annotation in layout.get("annotations", []):
        if not annotation.get("text") or annotation.get("text") == "new text":
            problems.append("an empty annotation (plotly shows it as 'new text')")
    return list(dict.fromkeys(problems + _range_problems(layout, data)))  # each problem once


def chart_problems(at) -> list[str]:
    """The convention problems of every chart an AppTest page drew, each prefixed by its chart's index."""
    return [
        f"chart {i}: {problem}"
        for i, chart in enumerate(at.get("plotly_chart"))
        for problem in figure_problems(json.loads(chart.proto.spec))
    ]


def table_problems(at) -> list[str]:
    """Tables an AppTest page drew that would show a bare "None" (missing cells without a placeholder)."""
    return [
        f"table {i} shows missing cells as None: {list(table.value.columns[table.value.isna().any()])}"
        for i, table in enumerate(at.dataframe)
        if table.value.isna().any().any() and not table.proto.placeholder
    ]
