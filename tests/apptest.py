"""Opening the app headless on a page with a query string, and reading its metrics (shared by the page tests)."""

from collections.abc import Iterator
from pathlib import Path

from streamlit.testing.v1 import AppTest

from scaling_core.app.state import FIELD_BY_NAME
from ui.sections import EXPANDER_PREFIX, TABS_PREFIX
from ui.share import SHARE_BOX

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_app(page: str | None = None, query: dict | None = None, timeout: float = 120) -> AppTest:
    """The app after its first run with `query` in the URL, switched to `page` (e.g. "app_pages/tasks.py")."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if query:
        at.query_params.update(query)
    at.run()
    return at.switch_page(page).run() if page else at


def metric(at: AppTest, label_start: str) -> str:
    """The value of the one metric whose label starts with label_start."""
    matches = [m.value for m in at.metric if m.label.startswith(label_start)]
    assert len(matches) == 1, [m.label for m in at.metric]
    return matches[0]


def link_value(at: AppTest, name: str) -> str:
    """What the page's link says a field is: its URL text, or its default's when the short link leaves it out."""
    if name in at.query_params:
        return at.query_params[name]
    spec = FIELD_BY_NAME[name]
    return spec.format(spec.default)


def open_share_box(at: AppTest) -> AppTest:
    """The app with the sidebar's "Share and save" box opened (its contents are drawn only when open)."""
    at.session_state[SHARE_BOX] = True
    return at.run()


def tab_groups(at: AppTest) -> dict[str, list]:
    """The page's lazy sections (ui/sections.py) in view: a tab group's session-state key and its labels; a lazy
    expander's key and its two states, closed (as it opens) and open."""
    groups: dict[str, list] = {}

    def walk(node) -> None:
        kind = getattr(node, "type", None)
        if kind == "tab_container":
            groups[node.proto.id.split("-", 2)[2]] = [tab.label for tab in node.children.values()]
        elif kind == "expander" and f"-{EXPANDER_PREFIX}" in node.proto.id:
            groups[node.proto.id.split("-", 2)[2]] = [False, True]
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return groups


def every_tab(at: AppTest) -> Iterator[AppTest]:
    """The page as it is, then with each other lazy tab chosen in turn (tabs inside tabs included), then back on each
    group's first tab: a test that walks this sees every section's figures and tables, not only the open tab's."""
    yield at
    first: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()

    def unseen() -> list[tuple[str, str]]:
        pending = []
        for key, labels in tab_groups(at).items():
            first.setdefault(key, labels[0])
            seen.add((key, at.session_state[key] if key in at.session_state else labels[0]))
            pending += [(key, label) for label in labels if (key, label) not in seen]
        return pending

    pending = unseen()
    while pending:
        key, label = pending.pop(0)
        if (key, label) in seen:
            continue
        at.session_state[key] = label
        at.run()
        yield at
        pending += unseen()
    for key, label in first.items():
        at.session_state[key] = label
    if first:
        at.run()


def section(at: AppTest, page: str, label: str) -> AppTest:
    """The page with its section `label` open (its lazy tabs, `ui.sections.lazy_tabs(page, …)`)."""
    at.session_state[TABS_PREFIX + page] = label
    return at.run()
