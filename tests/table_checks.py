"""The table conventions checked on what an AppTest page drew (shared by the page-table and extremes tests).

A table reads when every column in view has a header in words (no snake_case, `scaling_core.app.tables.code_like`),
a number format fixed by its kind (floats with fixed decimals, integers with thousands separators: never Streamlit's
default, nor a %g or %e that turns ordinary magnitudes into e-notation), and, all its columns in view together, fits
the page's main column at 1400 px (Streamlit sizes each column to its header, so a header is cut only where the table
runs past the page and scrolls).
"""

import json
import re

import pandas as pd

from scaling_core.app.tables import PAGE_WIDTH_PX, cell_characters, code_like, column_width_px

FLOAT_FORMAT = re.compile(r"^%(,)?\.(\d+)f$")
INTEGER_FORMAT = re.compile(r"^%,d$")


def column_problems(name: str, values: pd.Series, column: dict) -> list[str]:
    """What is wrong with one shown column: its header or its number format."""
    label = column.get("label") or name
    number_format = (column.get("type_config") or {}).get("format")
    problems = []
    if code_like(label):
        problems.append(f"header {label!r} reads as code")
    fixed = FLOAT_FORMAT.match(number_format or "")
    if pd.api.types.is_float_dtype(values) and not fixed:
        problems.append(f"{label!r}: floats shown with format {number_format!r}, not fixed decimals")
    if fixed and pd.api.types.is_numeric_dtype(values):
        # Too few decimals for the column's scale: every non-zero value drawn as 0 says nothing.
        nonzero = values[values.notna() & (values != 0)].astype(float)
        if len(nonzero) and (nonzero.abs().round(int(fixed.group(2))) == 0).all():
            problems.append(f"{label!r}: every non-zero value drawn as 0 with {fixed.group(2)} decimals")
    if pd.api.types.is_integer_dtype(values) and not (number_format and INTEGER_FORMAT.match(number_format)):
        problems.append(f"{label!r}: integers shown with format {number_format!r}, not with separators")
    return problems


def column_width(name: str, values: pd.Series, column: dict) -> int:
    """The estimated width of a shown column, as Streamlit sizes it."""
    number_format = (column.get("type_config") or {}).get("format") or ""
    decimals = FLOAT_FORMAT.match(number_format)
    places = int(decimals.group(2)) if decimals else (0 if INTEGER_FORMAT.match(number_format) else None)
    return column_width_px(column.get("label") or name, cell_characters(values, places))


def table_header_problems(at, page_width_px: int | None = PAGE_WIDTH_PX) -> list[str]:
    """The convention problems of every table an AppTest page drew, each prefixed by its table's index; the width is
    not checked with `page_width_px=None` (counts of 25 digits at the controls' extremes scroll sideways)."""
    problems = []
    for i, element in enumerate(at.dataframe):
        config = json.loads(element.proto.columns or "{}")
        frame = element.value
        width = 0
        for name in list(element.proto.column_order) or list(frame.columns):
            column = config.get(name) or {}
            if not column.get("hidden"):
                problems += [f"table {i}: {p}" for p in column_problems(name, frame[name], column)]
                width += column_width(name, frame[name], column)
        if page_width_px is not None and width > page_width_px:
            problems.append(f"table {i}: about {width} px wide, past the page's {page_width_px} px at 1400 px")
    return problems
