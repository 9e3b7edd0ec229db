"""Opening the app headless on a page with a query string, and reading its metrics (shared by the page tests)."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from scaling_core.app.state import FIELD_BY_NAME
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
