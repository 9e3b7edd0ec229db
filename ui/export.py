"""Figures and tables with their downloads: PNG from the chart's camera button, HTML and CSV as files.

Downloads are generated when clicked (a callable), so a page does not build files nobody asks for.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from scaling_core.app.export import csv_text


def chart(fig: go.Figure, name: str, container: Any = st, **kwargs: Any) -> Any:
    """A plotly chart whose camera button saves `name`.png, with a button for a self-contained HTML file."""
    event = container.plotly_chart(
        fig,
        width="stretch",
        key=f"chart_{name}",
        config={"toImageButtonOptions": {"format": "png", "filename": name, "scale": 2}},
        **kwargs,
    )
    container.download_button(
        "Figure as HTML",
        data=lambda: fig.to_html(include_plotlyjs=True),
        file_name=f"{name}.html",
        mime="text/html",
        key=f"html_{name}",
        on_click="ignore",
        help="Interactive and self-contained (plotly.js inside). For a PNG, use the camera button above the chart.",
    )
    return event


def csv_button(frame: pd.DataFrame, name: str, label: str = "Table as CSV", container: Any = st) -> None:
    """A download of a table as CSV, its formula-like text cells neutralised (`csv_text`)."""
    container.download_button(
        label,
        data=lambda: csv_text(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"csv_{name}",
        on_click="ignore",
    )
