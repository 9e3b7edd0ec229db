"""Figures and tables with their downloads: PNG from the chart's camera button, HTML and CSV as files.

Downloads are generated when clicked (a callable), so a page does not build files nobody asks for.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from scaling_core.app.export import csv_text


def frame_digest(frame: pd.DataFrame) -> bytes:
    """A DataFrame's hash key: its values and labels, or its pickle when a cell holds a list (unhashable)."""
    try:
        return pd.util.hash_pandas_object(frame).to_numpy().tobytes() + pickle.dumps(list(frame.columns))
    except TypeError:
        return pickle.dumps(frame)


def pickled(value: list | dict) -> bytes:
    """A list's or dict's hash key: its pickle (Streamlit's own hashing walks it in Python, element by element,
    which for a grid's records costs more than drawing the figure)."""
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


@st.cache_resource(
    max_entries=512, show_spinner=False, hash_funcs={pd.DataFrame: frame_digest, list: pickled, dict: pickled}
)
def built_figure(name: str, _build: Callable[..., go.Figure], *args: Any, **kwargs: Any) -> go.Figure:
    """_build(*args, **kwargs), made once per server for equal arguments (`name` tells the builders apart)."""
    return _build(*args, **kwargs)


def figure(build: Callable[..., go.Figure], *args: Any, **kwargs: Any) -> go.Figure:
    """A figure every session shows, made once per server for the same inputs.

    plotly validates every property as a figure is built: tens of milliseconds a figure, in every session's first
    run and every rerun. A figure is only read once made (drawn and exported, never changed), so one object serves
    every session; its inputs are hashed as st.cache_data hashes them (DataFrames by their values).
    """
    return built_figure(f"{build.__module__}.{build.__qualname__}", build, *args, **kwargs)


def chart(fig: go.Figure, name: str, container: Any = st, **kwargs: Any) -> Any:
    """A plotly chart whose camera button saves `name`.png, with a button for a self-contained HTML file."""
    event = container.plotly_chart(
        fig,
        width="stretch",
        key=f"chart_{name}",
        config={"toImageButtonOptions": {"format": "png", "filename": name, "scale": 2}},
        **kwargs,
    )
    # A quiet link, not a button: what it gives is said in its label and tooltip.
    container.download_button(
        "Interactive chart (HTML)",
        data=lambda: fig.to_html(include_plotlyjs=True),
        file_name=f"{name}.html",
        mime="text/html",
        key=f"html_{name}",
        on_click="ignore",
        type="tertiary",
        icon=":material/download:",
        help="This chart as one HTML file that opens in any browser, offline: zoom, hover and its data included "
        "(plotly.js inside). For a picture, use the camera icon above the chart.",
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
