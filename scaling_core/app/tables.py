"""Result tables as a page shows them, in one place: names in words with units, numbers rounded to what they mean.

Views return DataFrames under stable machine names (`latency_ms`, `macs`, `power_share`) at full precision: that is
what the CSV and JSON downloads keep, so scripts that read them do not break. `present(frame)` turns such a frame
into what a page draws: each column's label in words with its unit, a number format for its kind, and its estimated
width. Pages draw every table through `ui.tables.table`, which calls it; streamlit is not needed
here, so the rules are tested without a page.

Kinds and their formats (printf as Streamlit's column_config takes it, `,` for thousands separators):
- count: exact integers with separators ("%,d"); a column holding a count beyond int64 (φ = 8 with large
  coefficients) becomes exact text with separators, since no Arrow integer holds it and a float would show
  invented digits.
- integer: pixels, seeds, repeats, bits ("%,d").
- decimal: a fixed number of decimals ("%,.2f"); with `decimals=None`, three significant digits of the column's
  median magnitude (so 83.4667 shows as 83.5 and 0.01234 as 0.0123), never e-notation.
- share: a fraction 0–1 shown as a percentage with one decimal.
- flag: True/False shown as "yes"/"no" (a checkbox in a table looks like a control one could click).
- text: as it is.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scaling_core.app.plots.style import count_text
from scaling_core.core.memo import memoized

INT64_MAX = 2**63 - 1
KINDS = ("count", "integer", "decimal", "share", "flag", "text")
# A column's width as Streamlit sizes it (to its header and widest cell): about 6 px a character of the table's
# font plus the cell padding (calibrated on the Explorer's stage table, 14 columns in 940 px at 1400 px). Pages let
# Streamlit size each column, which never cuts a header inside its column; the estimate says whether a whole table
# fits the page's width.
PX_PER_CHARACTER = 6.0
HEADER_PADDING_PX = 16
MIN_WIDTH_PX, MAX_WIDTH_PX = 48, 200  # a longer text (a citation) is cut with an ellipsis, whole on hover
# The width of the page's main column at a 1400 px window (sidebar open): a table wider than this scrolls sideways.
PAGE_WIDTH_PX = 940
# A label that looks like code: snake_case, or a lone lower-case word made of identifier characters with a digit.
CODE_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9%()φ=.]+)+$")


@dataclass(frozen=True)
class Column:
    """How a page shows one column: its label in words (with the unit), its kind, decimals and hover help."""

    label: str
    kind: str = "decimal"
    decimals: int | None = None
    help: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind {self.kind!r} is not one of {KINDS}")


@dataclass(frozen=True)
class ShownColumn:
    """A column as drawn: label, Streamlit number format (None for text), estimated width in px, help, and kind."""

    label: str
    format: str | None
    width: int
    help: str
    kind: str


@dataclass(frozen=True)
class Presented:
    """A table ready to draw: the display frame (index reset, counts exact) and how each column is shown."""

    frame: pd.DataFrame
    columns: dict[str, ShownColumn]

    def width_px(self, shown: Sequence[str] | None = None) -> int:
        """The estimated width of the columns in view (all by default)."""
        return sum(self.columns[str(c)].width for c in (self.frame.columns if shown is None else shown))


def _c(label: str, kind: str = "decimal", decimals: int | None = None, help: str = "") -> Column:
    return Column(label, kind, decimals, help)


MULTIPLIER = 3  # decimals of d, w, r and α, β, γ: the rounding rules act at about this precision
COLUMNS: dict[str, Column] = {
    # networks and their costs
    "recipe": _c("Recipe", "text"),
    "part": _c("Part", "text"),
    "block": _c("Block", "text"),
    "component": _c("Component", "text"),
    "domain": _c("Domain", "text"),
    "image": _c("Image", "text"),
    "source": _c("Source", "text"),
    "note": _c("Note", "text"),
    "series": _c("Series", "text"),
    "family": _c("Family", "text"),
    "label": _c("Label", "text"),
    "citation": _c("Citation", "text"),
    "where": _c("Where", "text"),
    "preset": _c("Preset", "text"),
    "scheme": _c("Scheme", "text"),
    "teacher": _c("Teacher", "text"),
    "variant": _c("Variant", "text"),
    "backbone": _c("Backbone", "text"),
    "fit": _c("Fit", "text"),
    "kernel": _c("Kernel", "integer"),
    "stride": _c("Stride", "integer"),
    "expand_ratio": _c("Expansion", "integer"),
    "in_channels": _c("In", "integer", help="Input channels."),
    "out_channels": _c("Out", "integer", help="Output channels."),
    "expanded_channels": _c(
        "Inner", "integer", help="Width of the block's k×k conv: MBConv's expanded width, a bottleneck's reduced one."
    ),
    "se_channels": _c("SE", "integer", help="Squeeze-excite channels."),
    "groups": _c("Groups", "integer", help="Groups of the block's k×k conv (ResNeXt, RegNet)."),
    "repeats": _c("Repeats", "integer"),
    "blocks": _c("Blocks", "integer"),
    "seeds": _c("Seeds", "integer"),
    "images": _c("Images", "integer"),
    "shots": _c("Shots", "integer"),
    "output_px": _c("Output (px)", "integer"),
    "output px": _c("Output (px)", "integer"),
    "resolution_px": _c("Input (px)", "integer"),
    "resolution (px)": _c("Input (px)", "integer"),
    "input (px)": _c("Input (px)", "integer"),
    "side_px": _c("Side (px)", "integer"),
    "macs": _c("MACs", "count", help="Multiply-adds (papers' 'FLOPs'): exact analytic count, modelled."),
    "MACs": _c("MACs", "count", help="Multiply-adds (papers' 'FLOPs'): exact analytic count, modelled."),
    "MACs (modelled)": _c("MACs", "count", help="Multiply-adds: exact analytic count of the network, modelled."),
    "params": _c("Params", "count", help="Parameters: exact count of the network's weights."),
    "parameters (modelled)": _c("Parameters", "count", help="Exact count of the network's weights, modelled."),
    "activations": _c("Activations", "count", help="Output elements of all conv and linear layers."),
    "macs_share": _c("MACs (%)", "share", help="This part's share of the network's MACs."),
    "MACs share": _c("MACs (%)", "share", help="This part's share of the network's MACs."),
    "bytes_moved": _c("Bytes moved", "count"),
    "gmacs": _c("MACs (G)", decimals=2),
    "params_m": _c("Parameters (M)", decimals=1),
    "memory_mb": _c("Memory (MiB)", decimals=1),
    # scaling
    "phi": _c("φ", decimals=2),
    "φ": _c("φ", decimals=2),
    "student_phi": _c("Student φ", decimals=2),
    "teacher_phi": _c("Teacher φ", decimals=2),
    "alpha": _c("α (depth)", decimals=MULTIPLIER),
    "beta": _c("β (width)", decimals=MULTIPLIER),
    "gamma": _c("γ (resolution)", decimals=MULTIPLIER),
    "per_step_cost": _c("α·β²·γ²", decimals=MULTIPLIER, help="MACs grow by this factor per unit of φ."),
    "depth_multiplier": _c("Depth d", decimals=MULTIPLIER),
    "width_multiplier": _c("Width w", decimals=MULTIPLIER),
    "resolution_multiplier": _c("Resolution r", decimals=MULTIPLIER),
    "depth d": _c("Depth d", decimals=MULTIPLIER),
    "width w": _c("Width w", decimals=MULTIPLIER),
    "resolution r": _c("Resolution r", decimals=MULTIPLIER),
    "d": _c("Depth d", decimals=MULTIPLIER),
    "w": _c("Width w", decimals=MULTIPLIER),
    "r": _c("Resolution r", decimals=MULTIPLIER),
    "depth": _c("Depth exponent", decimals=MULTIPLIER),
    "width": _c("Width exponent", decimals=MULTIPLIER),
    "resolution": _c("Resolution exponent", decimals=MULTIPLIER),
    "R²": _c("R²", decimals=4),
    "r_squared": _c("R²", decimals=3),
    # accuracy
    "accuracy": _c("Accuracy (%)", decimals=1),
    "top1": _c("Top-1 (%)", decimals=1),
    "base_top1": _c("Base top-1 (%)", decimals=1),
    "accuracy_error": _c("± (points)", decimals=1, help="Modelled: the accuracy model's error at this point."),
    "accuracy_source": _c("Accuracy from", "text"),
    "extrapolated": _c("Extrapolated", "flag", help="Outside the (d, w, r) region of the published rows."),
    "baseline": _c("Baseline", "flag"),
    "clean": _c("Clean (%)", decimals=1),
    "latency_ms": _c("Latency (ms)", decimals=2),
    "seed_min": _c("Seed min (%)", decimals=1),
    "seed_max": _c("Seed max (%)", decimals=1),
    "episode_ci": _c("95% CI (± points)", decimals=1, help="Over the episodes of one seed."),
    "accuracy_sd": _c("SD (points)", decimals=1, help="Standard deviation over seeds."),
    "teacher_accuracy": _c("Teacher (%)", decimals=1),
    "gain_points": _c("Gain (points)", decimals=1),
}


def _decimals(values: pd.Series) -> int:
    """Decimals giving three significant digits of the column's median magnitude (0 to 4)."""
    finite = np.abs(values[np.isfinite(values)].to_numpy(dtype=float))
    finite = finite[finite > 0]
    if finite.size == 0:
        return 1
    return int(min(4, max(0, 2 - math.floor(math.log10(float(np.median(finite)))))))


def _words(name: str) -> str:
    """A machine name in words, for a column no table declares: 'needed_px' → 'Needed (px)'."""
    units = {"px": "px", "ms": "ms", "db": "dB", "s": "s", "w": "W", "c": "°C", "mj": "mJ", "mb": "MiB", "fps": "/s"}
    words = name.split("_")
    unit = units.get(words[-1]) if len(words) > 1 else None
    text = " ".join(words[:-1] if unit else words)
    text = text[:1].upper() + text[1:]
    return f"{text} ({unit})" if unit else text


def column_for(name: str, values: pd.Series, declared: Mapping[str, Column]) -> Column:
    """How a column is shown: declared by the page, else the app's shared declaration, else read from its values."""
    if name in declared:
        return declared[name]
    if name in COLUMNS:
        return COLUMNS[name]
    if pd.api.types.is_bool_dtype(values):
        return _c(_words(name), "flag")
    if pd.api.types.is_integer_dtype(values) or values.dtype == object and _all_integers(values):
        return _c(_words(name), "integer")
    if pd.api.types.is_numeric_dtype(values):
        return _c(_words(name), "decimal")
    return _c(_words(name), "text")


def _all_integers(values: pd.Series) -> bool:
    present = values.dropna()
    return bool(len(present)) and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in present)


def _numbers_only(values: pd.Series) -> bool:
    """Whether every present cell is a number (a column of floats, or of objects such as None and floats)."""
    if pd.api.types.is_bool_dtype(values):
        return False
    if pd.api.types.is_numeric_dtype(values):
        return True
    present = values.dropna()
    return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in present)


def _beyond_int64(values: pd.Series) -> bool:
    present = values.dropna()
    return any(abs(int(v)) > INT64_MAX for v in present if isinstance(v, (int, np.integer, float, np.floating)))


def _exact_text(values: pd.Series) -> pd.Series:
    """Counts as text with separators: exact for integers, three significant digits for a float beyond 2^53."""

    def text(v: object) -> str | None:
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return None
        if isinstance(v, (float, np.floating)) and abs(v) >= 2**53:
            return count_text(float(v))
        return f"{int(v):,}"  # type: ignore[call-overload]

    return values.map(text).astype(object)


def _shown_values(values: pd.Series, column: Column) -> tuple[pd.Series, str | None, int | None]:
    """The display values of a column, its number format, and its decimals (None for text)."""
    if column.kind == "flag":
        return values.map(lambda v: None if pd.isna(v) else ("yes" if bool(v) else "no")).astype(object), None, None
    if column.kind == "text" or not _numbers_only(values):
        return values, None, None
    if column.kind in ("count", "integer"):
        if _beyond_int64(values):
            return _exact_text(values), None, None
        numbers = pd.to_numeric(values)
        if numbers.dropna().map(lambda v: float(v).is_integer()).all():
            return numbers.round().astype("Int64"), "%,d", 0
        return numbers.astype(float), "%,.1f", 1
    numbers = pd.to_numeric(values).astype(float)
    if column.kind == "share":
        decimals = column.decimals if column.decimals is not None else 1
        return numbers * 100, f"%.{decimals}f", decimals  # the header says "(%)"
    decimals = column.decimals if column.decimals is not None else _decimals(numbers)
    return numbers, f"%,.{decimals}f", decimals


def cell_characters(values: pd.Series, decimals: int | None) -> int:
    """Characters of the widest cell as drawn (numbers with `decimals` and separators, text as it is)."""
    present = values.dropna()
    if present.empty:
        return 1
    if decimals is None:
        return int(present.map(lambda v: len(str(v))).max())
    return int(present.map(lambda v: len(f"{float(v):,.{decimals}f}")).max()) + 1


def column_width_px(label: str, longest_cell: int) -> int:
    """A column's estimated width: its whole header or its widest cell, within bounds (help is a tooltip: no room)."""
    characters = max(len(label), min(longest_cell, 40))
    return int(min(MAX_WIDTH_PX, max(MIN_WIDTH_PX, characters * PX_PER_CHARACTER + HEADER_PADDING_PX)))


@memoized(maxsize=256)
def present(frame: pd.DataFrame, columns: Mapping[str, Column] | None = None) -> Presented:
    """What a page draws of a result table: labels in words, numbers formatted by kind, estimated widths (kept for
    equal content: a page reruns with the same tables; the result is shared, so its frame is read, never changed)."""
    declared = dict(columns or {})
    if frame.index.name is not None or not pd.api.types.is_numeric_dtype(frame.index):
        frame = frame.reset_index(names=frame.index.name or "row")  # row labels that mean something: shown
    else:
        frame = frame.reset_index(drop=True)  # positions left from a filter: nothing to read
    shown, spec = {}, {}
    for name in frame.columns:
        column = column_for(str(name), frame[name], declared)
        values, number_format, decimals = _shown_values(frame[name], column)
        shown[name] = values
        spec[str(name)] = ShownColumn(
            column.label,
            number_format,
            column_width_px(column.label, cell_characters(values, decimals)),
            column.help,
            column.kind,
        )
    return Presented(pd.DataFrame(shown, index=frame.index), spec)


def code_like(label: str) -> bool:
    """Whether a header reads as code rather than words (the table tests fail on it)."""
    return "_" in label or bool(CODE_NAME.match(label))


def value_text(value: object, signed: bool = False) -> str:
    """One value as a sentence or a key–value listing shows it: integers with separators, other numbers to four
    significant digits without e-notation below 10^15 (with a sign when `signed`), text as it is, nothing as ''."""
    if signed and isinstance(value, (int, float, np.integer, np.floating)) and value >= 0:
        return "+" + value_text(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}" if abs(int(value)) < 10**15 else count_text(float(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            return "—"
        if number == 0 or abs(number) >= 10**15:
            return count_text(number) if number else "0"
        decimals = int(min(6, max(0, 3 - math.floor(math.log10(abs(number))))))
        text = f"{number:,.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text  # 2.0 reads "2", 1.25 "1.25"
    return str(value)
