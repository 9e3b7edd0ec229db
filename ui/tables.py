"""Every table a page draws: through `scaling_core.app.tables.present` (names in words, numbers formatted, headers
whole), as Streamlit's column_config."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from scaling_core.app.tables import MAX_WIDTH_PX, PAGE_WIDTH_PX, Column, Presented, present


def column_config(shown: Presented, in_view: Sequence[str]) -> dict[str, Any]:
    """Streamlit's column_config of a presented table: Streamlit sizes each column to its header and cells, except
    a long text (a citation), which takes the room the other columns leave and shows the rest on hover."""
    long = [c for c in in_view if shown.columns[c].format is None and shown.columns[c].width >= MAX_WIDTH_PX]
    rest = PAGE_WIDTH_PX - sum(shown.columns[c].width for c in in_view if c not in long)
    config: dict[str, Any] = {}
    for name, column in shown.columns.items():
        common = {"label": column.label, "help": column.help or None}
        if name in long:  # the long texts share the room the others leave
            common["width"] = max(MAX_WIDTH_PX, rest // len(long))
        config[name] = (
            st.column_config.NumberColumn(format=column.format, **common)
            if column.format is not None
            else st.column_config.TextColumn(**common)
        )
    return config


def table(
    frame: pd.DataFrame,
    columns: Mapping[str, Column] | None = None,
    *,
    container: Any = st,
    first: Sequence[str] = (),
    hide: Sequence[str] = (),
    **kwargs: Any,
) -> Any:
    """Draw a result table with its machine names in words (`columns` for a page's own wording); `first` puts
    columns ahead of the rest, `hide` leaves columns out of view (they stay in the CSV)."""
    shown = present(frame, columns)
    kwargs.setdefault("width", "stretch")
    in_view = [str(c) for c in shown.frame.columns]
    if first or hide:
        order = dict.fromkeys([*(c for c in first if c in shown.frame.columns), *shown.frame.columns])
        kwargs["column_order"] = in_view = [c for c in order if c not in hide]
    config = column_config(shown, in_view)
    return container.dataframe(shown.frame, hide_index=True, placeholder="—", column_config=config, **kwargs)


def editor(frame: pd.DataFrame, columns: Mapping[str, Column], key: str) -> pd.DataFrame:
    """An editable table of numbers under labelled rows (the frame's index, read-only), formatted as `table`
    formats; the edited frame, under the original index."""
    shown = present(frame, columns)
    label = shown.frame.columns[0]
    edited = st.data_editor(
        shown.frame,
        key=key,
        width="stretch",
        hide_index=True,
        disabled=[label],
        column_config=column_config(shown, list(shown.columns)),
    )
    return edited.set_index(label).rename_axis(frame.index.name).set_axis(frame.index)


ROW_PX = 35  # a row's height in Streamlit's dataframe, the header's too


def full_height(rows: int) -> int:
    """The height (px) that shows a table of `rows` rows whole, for tables whose last rows must not scroll away."""
    return ROW_PX * (rows + 1) + 3
