"""The results store the pages share: one engine per URL for the whole server, not one per rerun."""

from __future__ import annotations

import streamlit as st

from scaling_core.storage.store import Store, default_store_url
from ui.session import shown


@st.cache_resource
def open_store(url: str) -> Store:
    """One store (engine and connection pool, thread-safe) per URL."""
    return Store(url)


def app_store() -> Store | None:
    """The store of SCALING_LAB_STORE_URL (or the default SQLite file); None with the error shown (secrets masked)."""
    return shown(open_store, default_store_url())
