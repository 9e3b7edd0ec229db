"""The sidebar's sharing controls on every page: the link, the configuration as JSON, saving a result."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import urlencode

import streamlit as st

from scaling_core.app.state import AppState, to_query
from scaling_core.core.errors import ConfigError
from ui.identity import current_identity
from ui.pages import DEFAULT_PAGE
from ui.session import current_state
from ui.store import app_store


def app_root(page: str) -> str:
    """The app's address without the current page's path ("" when the browser's address is unknown)."""
    url = (st.context.url or "").rstrip("/")
    return url[: -len(page) - 1] if url.endswith("/" + page) else url


def share_link(state: AppState, page: str) -> str:
    """The full link that reopens this page in this state (no query string when the page is at its defaults)."""
    path = "" if page == DEFAULT_PAGE else "/" + page
    query = urlencode(to_query(state, page))
    return f"{app_root(page)}{path}{'?' if query else ''}{query}"


def result_link(page: str, result_id: int) -> str:
    """The link that opens a saved result on the Saved results page."""
    return f"{app_root(page)}/saved?result={result_id}"


def share_panel(page: str, export: Callable[[], dict] | None) -> None:
    """Copy-link box, JSON download and the save form, in the sidebar."""
    with st.sidebar:
        share_box(page, export)


SHARE_BOX = "share_box"


@st.fragment
def share_box(page: str, export: Callable[[], dict] | None) -> None:
    """The box's contents are drawn only once it is opened (a fragment: opening it reruns the box, not the page).

    Drawn closed, a page sends no code box: the browser would otherwise load the 1.5 MB syntax highlighter that
    st.code needs on every page, before anyone asks for a link.
    """
    state = current_state()
    box = st.expander("Share and save", key=SHARE_BOX, on_change="rerun")
    if not box.open:
        return
    with box:
        st.caption("Copy link (the icon at the right of the box): it reopens this page exactly as it is now.")
        st.code(share_link(state, page), language=None, wrap_lines=True)
        if export is not None:
            st.download_button(
                "Configuration as JSON",
                data=lambda: json.dumps(export(), indent=2),
                file_name=f"{page}-configuration.json",
                mime="application/json",
                key="download_configuration",
                on_click="ignore",
                help="Recipe, φ, base, head, the discrete architecture, its costs, accuracy and "
                "provenance (versions, hardware fingerprint). Import it on Saved results.",
            )
        with st.form("save_result", clear_on_submit=False):
            st.text_input("Name", key="save_name", max_chars=200)
            st.text_input("Author", key="save_author", max_chars=200)
            st.text_area("Notes", key="save_notes", max_chars=10_000)
            if st.form_submit_button("Save this result"):
                _save(page, state, export)


def _save(page: str, state: AppState, export: Callable[[], dict] | None) -> None:
    store = app_store()
    if store is None:
        return
    try:
        payload = export() if export is not None else {}
        result_id = store.save_result(
            st.session_state.get("save_name", ""),
            st.session_state.get("save_author", ""),
            st.session_state.get("save_notes", ""),
            page,
            to_query(state, page),
            payload,
            owner=current_identity().owner,
        )
    except ConfigError as exc:
        st.error(str(exc))
        return
    st.success(f"Saved as result #{result_id}: {result_link(page, result_id)}")


def stop_page(page: str) -> None:
    """End the page's run early, keeping the sidebar's share box (its link still reproduces the view)."""
    share_panel(page, None)
    st.stop()
