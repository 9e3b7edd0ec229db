"""Sections a page draws only when they are looked at: a page opens as fast as the section in view.

Streamlit runs every tab's code and sends every tab's charts unless the tabs track which one is open; with
`on_change="rerun"` only the chosen tab's code runs (Streamlit 1.67: `TabContainer.open`). The browser then builds
one section's figures instead of all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

TABS_PREFIX = "tabs_"


def lazy_tabs(key: str, labels: Sequence[str]) -> list[Any | None]:
    """Tabs under `labels`: the chosen one's container, None for the others (whose code the page skips)."""
    tabs = st.tabs(list(labels), key=TABS_PREFIX + key, on_change="rerun")
    return [tab if tab.open else None for tab in tabs]


EXPANDER_PREFIX = "open_"


def lazy_expander(key: str, label: str) -> Any | None:
    """An expander whose content the page draws only once it is opened: its container then, else None."""
    box = st.expander(label, key=EXPANDER_PREFIX + key, on_change="rerun")
    return box if box.open else None
