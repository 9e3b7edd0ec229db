"""Rows of metrics that wrap instead of cutting: at 1000 px a quarter of the page cannot hold a 14-digit count."""

from __future__ import annotations

from typing import Any

import streamlit as st


class MetricRow:
    """A horizontal, wrapping container whose metrics are each as wide as their label and value."""

    def __init__(self) -> None:
        self._row = st.container(horizontal=True, gap="medium")

    def metric(self, *args: Any, **kwargs: Any) -> Any:
        """st.metric in the row, sized to its own text (so a narrow window moves it to the next line, whole)."""
        return self._row.metric(*args, width="content", **kwargs)


def metric_row(count: int) -> list[MetricRow]:
    """`count` handles to one row (for pages written as `cols = st.columns(n)`: `cols[i].metric(...)` in order)."""
    return [MetricRow()] * count
