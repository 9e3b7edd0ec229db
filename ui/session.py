"""Session state ⇄ URL: one AppState per session, seeded from the link, bound to widgets, the page's part written
back each run.

The canonical state lives under one session key that no widget owns, so it survives page
switches and pages that do not show every widget; each widget is re-synced from it before it
is drawn and writes back through `apply_change` when the user moves it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from scaling_core.app.state import AppState, apply_change, parse_query, to_query
from scaling_core.core.errors import ConfigError
from scaling_core.storage.store import default_store_url, scrubbed

T = TypeVar("T")

_STATE = "_app_state"
_LINK_ERRORS = "_link_errors"
_NOTICE = "_notice"
_RESULT_LINK = "_result_link"
_MEASURED = "_pareto_measured"


def init_state() -> None:
    """First run of a session: the state from the URL, errors kept to show."""
    if _STATE not in st.session_state:
        state, errors = parse_query(st.query_params.to_dict())
        st.session_state[_STATE] = state
        st.session_state[_LINK_ERRORS] = errors
        st.session_state[_RESULT_LINK] = state.result != 0


def pop_result_link() -> bool:
    """Whether the session's first link named a saved result (true once)."""
    return st.session_state.pop(_RESULT_LINK, False)


def current_state() -> AppState:
    """The state of this session."""
    return st.session_state[_STATE]


def widget_key(name: str) -> str:
    """Session key of the widget that edits a state field."""
    return f"w_{name}"


def bind(name: str) -> dict[str, Any]:
    """Widget keyword arguments for a state field: its key (synced from the state now) and the change callback."""
    st.session_state[widget_key(name)] = getattr(current_state(), name)
    return {"key": widget_key(name), "on_change": _changed, "args": (name,)}


def set_state(state: AppState) -> None:
    """Replace the session's state (e.g. a saved view being reopened)."""
    st.session_state[_STATE] = state


def apply_changes(**values: Any) -> None:
    """Set several state fields at once (e.g. a configuration sent from another page)."""
    st.session_state[_STATE] = replace(current_state(), **values)


def _changed(name: str) -> None:
    state, notice = apply_change(current_state(), name, st.session_state[widget_key(name)])
    st.session_state[_STATE] = state
    st.session_state[_NOTICE] = notice


def keep_link_errors(errors: list[str]) -> None:
    """Errors of a link being followed within the session, shown once on the page it opens."""
    st.session_state[_LINK_ERRORS] = [*st.session_state.get(_LINK_ERRORS, []), *errors]


def show_messages() -> None:
    """Errors in the link and the last notice, each shown once (until the next interaction)."""
    for message in st.session_state.pop(_LINK_ERRORS, []):
        st.error(message)
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.warning(notice)


def write_url(state: AppState, page: str) -> None:
    """Put the page's short query (its fields and the network's that differ from the defaults) in the URL.

    Streamlit clears the query string when the user changes page, so each page writes its own on every run;
    fields of other pages stay in the session, not the URL. The URL is written only when it reads otherwise
    (every value of every key compared, so a repeated or foreign parameter is cleaned up once, and an unchanged
    one sends nothing).
    """
    query = to_query(state, page)
    shown = {key: st.query_params.get_all(key) for key in st.query_params}
    if shown != {key: [value] for key, value in query.items()}:
        st.query_params.from_dict(query)


def start_page(title: str, caption: str, page: str) -> AppState:
    """The page's state (its short link written to the URL), title, caption and pending messages."""
    state = current_state()
    write_url(state, page)
    st.title(title)
    st.caption(caption)
    show_messages()
    return state


def shown(compute: Callable[..., T], *args: Any) -> T | None:
    """compute(*args), or None with its ConfigError shown as st.error (the page goes on)."""
    try:
        return compute(*args)
    except ConfigError as exc:
        st.error(public(str(exc)))
        return None


def public(text: str) -> str:
    """text safe to show a visitor: no secret of the store's URL in it (the pages' messages pass through here)."""
    return scrubbed(text, default_store_url())


def measurements() -> tuple[pd.DataFrame, str] | None:
    """The measured-accuracy rows in use on the Pareto page and where they came from, if any."""
    return st.session_state.get(_MEASURED)


def set_measurements(rows: pd.DataFrame | None, origin: str = "") -> None:
    """Use these measured rows (from an upload or a saved result) from now on; None to stop using any."""
    if rows is None:
        st.session_state.pop(_MEASURED, None)
    else:
        st.session_state[_MEASURED] = (rows, origin)
