"""The chart conventions checked on a figure's plotly JSON (shared by the page, figure and extremes tests).

A figure reads when: its title fits; its legend sits in the bottom margin (never over an axis title) with a
bounded number of entries; its data are finite; each log axis spans a sane number of decades with the app's
1–2–5 ticks; and its reference lines sit where plotly.js draws them: on a log axis a line (shape) in data
units, its label (annotation) in log10 units (scaling_core/app/plots/style.py says why).
"""

import base64
import json
import math

import numpy as np

from scaling_core.app.plots import style

# Decades a reference line may lie beyond the data (a budget past every point), and a label's position in
# log10 units, before either is taken for a value in the wrong units.
LINE_SLACK_DECADES = 2
LABEL_SLACK_DECADES = 2


def decoded(values) -> np.ndarray:
    """A trace's x or y as floats (plotly writes arrays as base64 'bdata'; None becomes NaN)."""
    if values is None:
        return np.array([])
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"])).astype(float)
    return np.array([np.nan if v is None else v for v in np.ravel(np.asarray(values, dtype=object))], dtype=float)


def _numeric(values) -> np.ndarray | None:
    """The values as floats, or None for a category axis (strings) or a legend key (a lone None)."""
    if not isinstance(values, dict) and any(isinstance(v, str) for v in np.ravel(np.asarray(values, dtype=object))):
        return None  # categories (parts, domains, teachers): no numeric axis to check
    numbers = decoded(values)
    if numbers.size <= 1 and np.isnan(numbers).all():
        return None
    return numbers


def _axis_key(reference: str) -> str:
    """'x2' → 'xaxis2', 'y' → 'yaxis' (a shape's 'x domain' reference included)."""
    name = reference.split()[0]
    return f"{name[0]}axis{name[1:]}"


def figure_problems(spec: dict) -> list[str]:
    """What breaks the chart conventions in a figure's JSON; [] when the figure reads."""
    layout, data, problems = spec.get("layout", {}), spec.get("data", []), []
    title = (layout.get("title") or {}).get("text") or ""
    if len(title) > style.TITLE_CHARACTERS:
        problems.append(f"title longer than {style.TITLE_CHARACTERS} characters: {title!r}")
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
    return problems


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
