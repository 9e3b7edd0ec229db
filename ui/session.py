"""Session state ⇄ URL: seeded from the link once, kept across pages, written back on every run."""

from __future__ import annotations

from dataclasses import fields

import streamlit as st

from scaling_core.state import ExplorerState, parse_query, to_query

FIELD_NAMES = tuple(f.name for f in fields(ExplorerState))
_READY = "_state_from_link"
_LINK_ERRORS = "_link_errors"
_NOTICE = "_notice"


def init_state() -> None:
    """First run of a session: state from the URL (errors kept to show); later runs: keep widget values alive."""
    if _READY not in st.session_state:
        state, errors = parse_query(st.query_params.to_dict())
        st.session_state.update({name: getattr(state, name) for name in FIELD_NAMES})
        st.session_state[_LINK_ERRORS] = errors
        st.session_state[_READY] = True
    for name in FIELD_NAMES:
        # Re-assigning stops Streamlit from dropping a widget's value on a page that does not show it.
        st.session_state[name] = st.session_state[name]


def current_state() -> ExplorerState:
    """The state the widgets hold now."""
    return ExplorerState(**{name: st.session_state[name] for name in FIELD_NAMES})


def apply_state(state: ExplorerState, notice: str | None = None) -> None:
    """Write a new state into the widgets (from a callback) and remember a notice to show."""
    st.session_state.update({name: getattr(state, name) for name in FIELD_NAMES})
    st.session_state[_NOTICE] = notice


def show_messages() -> None:
    """Errors in the link and the last notice, each shown once (until the next interaction)."""
    for message in st.session_state.pop(_LINK_ERRORS, []):
        st.error(message)
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.warning(notice)


def write_url(state: ExplorerState) -> None:
    """Put the whole state in the query string so a copied link reproduces the view."""
    query = to_query(state)
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
