"""Saved results: list, filter, open (?result=ID), compare two, delete; import a teammate's JSON export."""

import json

import pandas as pd
import streamlit as st

from scaling_core.app.export import parse_import
from scaling_core.app.state import page_view, to_query
from scaling_core.app.tables import Column, value_text
from scaling_core.app.views.saved import key_figures, payload_problem, results_table, side_by_side
from scaling_core.core.errors import ConfigError
from scaling_core.storage.identity import identity_settings
from scaling_core.storage.store import shown_url
from ui.identity import current_identity, identity_line, sign_in_controls
from ui.pages import PAGES
from ui.session import (
    apply_changes,
    bind,
    current_state,
    keep_link_errors,
    public,
    set_measurements,
    set_state,
    shown,
    start_page,
)
from ui.share import result_link, share_panel, stop_page
from ui.store import app_store
from ui.tables import table

FIGURE_COLUMNS = {"field": Column("Figure", "text"), "value": Column("Value", "text")}

state = start_page(
    "Saved results",
    "Results saved from any page (sidebar → Share and save) or imported from a "
    "teammate's JSON export. They live in the results store, so they survive restarts and a team "
    "on one PostgreSQL store sees each other's.",
    page="saved",
)
store = app_store()
if store is None:
    stop_page("saved")
identity = current_identity()
st.caption(f"{identity_line(identity)} Store: {shown_url(store.url)}")
sign_in_controls(identity)

with st.expander("Import a teammate's JSON export"):
    upload = st.file_uploader("Configuration (JSON)", type=["json"], key="import_json")
    author = st.text_input("Saved by", key="import_author")
    if upload is not None and st.button("Import", key="import"):
        try:
            document, imported, problems = parse_import(upload.getvalue())
            page = document.get("page") if document.get("page") in PAGES else "explorer"
            result_id = store.save_result(
                str(document.get("label") or upload.name),
                author,
                f"imported from {upload.name}",
                page,
                to_query(imported, page),
                document,
                owner=identity.owner,
            )
        except ConfigError as exc:
            st.error(public(str(exc)))
        else:
            for problem in problems:
                st.warning(problem)
            apply_changes(result=result_id)
            st.rerun()

undo_hours = identity_settings().undo_s / 3600
deleted = store.deleted_results(identity)
if deleted:
    with st.expander(f"Deleted in the last {undo_hours:g} h ({len(deleted)}): undo", expanded=True):
        for row in deleted:
            text, button = st.columns([4, 1])
            text.write(f"#{row['id']} {row['name']} ({row['author'] or 'anonymous'})")
            if button.button("Undo", key=f"undo_{row['id']}"):
                shown(store.restore_result, row["id"], identity)
                st.rerun()

st.text_input("Filter by name, author or notes", **bind("saved_filter"))
results = store.list_results(state.saved_filter)
by_id = {r["id"]: r for r in results}
for name in ("result", "compare"):
    wanted = getattr(state, name)
    if wanted and wanted not in by_id:
        found = store.get_result(wanted)
        if found is None:
            st.error(f"Result #{wanted} does not exist (deleted, or saved to another store).")
            apply_changes(**{name: 0})
        else:
            by_id[wanted] = found
state = current_state()
if not by_id:
    st.info("Nothing saved yet" + (" matches the filter." if state.saved_filter else "."))
    stop_page("saved")
table(results_table(results), {"id": Column("Result", "integer"), "name": Column("Name", "text")})


def label(result_id: int) -> str:
    """How a result is listed in the pickers."""
    return (
        "—"
        if result_id == 0
        else f"#{result_id} {by_id[result_id]['name']} ({by_id[result_id]['author'] or 'anonymous'})"
    )


left, right = st.columns(2)
left.selectbox("Open", [0, *by_id], format_func=label, **bind("result"))
right.selectbox("Compare with", [0, *by_id], format_func=label, **bind("compare"))
state = current_state()
if not state.result:
    stop_page("saved")

opened = by_id[state.result]
st.subheader(f"#{opened['id']} {opened['name']}")
st.caption(f"Owner: {opened['owner'] or 'none (saved without sign-in)'}; author: {opened['author'] or 'anonymous'}.")
st.write(f"Link: {result_link('saved', opened['id'])}")
# A row saved before imports were validated may hold anything: it is named in one line, never fatal.
opened_problem = payload_problem(opened)
compared = by_id[state.compare] if state.compare and state.compare != state.result else None
compared_problem = payload_problem(compared) if compared else None
for problem in (opened_problem, compared_problem):
    if problem:
        st.error(problem)
if compared is not None and not (opened_problem or compared_problem):
    table(side_by_side(opened, compared), FIGURE_COLUMNS)
elif opened_problem is None:
    figures = key_figures(opened)
    table(pd.DataFrame([{"field": k, "value": value_text(v)} for k, v in figures.items()]), FIGURE_COLUMNS)

cols = st.columns(3)
page = PAGES.get(opened["page"])
if page is None:
    cols[0].error(
        f"page = {opened['page']!r} is not a page of this version (allowed: {', '.join(PAGES)}); the "
        "figures above are all this version can show of it."
    )
elif cols[0].button(f"Open the {page.title} view it was saved from", key="open_view"):
    saved_state, problems = page_view(current_state(), opened["query"], page.key)
    keep_link_errors(problems)
    set_state(saved_state)
    rows = None if opened_problem else opened["payload"].get("measurements")
    set_measurements(pd.DataFrame(rows) if rows else None, f"saved result #{opened['id']}")
    st.switch_page(page.path)
cols[1].download_button(
    "Its JSON export",
    data=lambda: json.dumps(opened["payload"], indent=2),
    key="download_saved",
    file_name=f"result-{opened['id']}.json",
    mime="application/json",
    on_click="ignore",
)
with cols[2].popover("Delete"):
    allowed = identity.may_delete(opened["owner"])
    owner = f"its owner {opened['owner']} or an admin" if opened["owner"] else "an admin (it has no owner)"
    st.write(
        f"Delete #{opened['id']} {opened['name']} for everyone using this store? Undo stays possible for "
        f"{undo_hours:g} h."
        if allowed
        else f"Only {owner} can delete #{opened['id']}."
    )
    if st.button("Delete", key="delete", type="primary", disabled=not allowed):
        if shown(store.delete_result, opened["id"], identity) is not None:
            apply_changes(result=0, compare=0 if state.compare == opened["id"] else state.compare)
            st.rerun()

share_panel("saved", None)
