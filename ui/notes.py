"""A model's formula and assumptions, shown from its module's docstring (the one place they are written)."""

from __future__ import annotations

import html
from types import ModuleType

import streamlit as st

PRE_STYLE = "white-space: pre-wrap; font-size: 0.82rem; line-height: 1.45; margin: 0 0 0.8rem 0"


def model_notes(*modules: ModuleType) -> None:
    """Each module's docstring as preformatted text.

    Plain HTML, not a Markdown code fence: a fence is drawn by st.code's syntax highlighter, 1.5 MB of script the
    browser would load for every page that has such a note, opened or not.
    """
    for module in modules:
        st.html(f'<pre style="{PRE_STYLE}">{html.escape((module.__doc__ or "").strip())}</pre>')
