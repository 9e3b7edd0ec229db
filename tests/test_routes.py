"""The navigation as data (ui/pages.py): every page at its own path, the Explorer at / too, one sidebar entry each,
and icons from Streamlit's Material symbols (served with the app: no emoji font needed on the viewer's machine).
The browser opens /explorer in tests/e2e/test_e2e_pages.py."""

import re
from pathlib import Path

import pytest
from streamlit.string_util import is_material_icon, validate_material_icon

from ui.pages import DEFAULT_PAGE, PAGES, routes

MATERIAL = re.compile(r"^:material/([a-z0-9_]+):$")


def test_every_page_has_its_own_path_and_one_sidebar_entry():
    every = routes()
    paths = [route.url_path for route in every]
    assert len(paths) == len(set(paths))  # Streamlit refuses two pages at one path
    shown = [route for route in every if not route.hidden]
    assert sorted(route.key for route in shown) == sorted(PAGES)
    for key in PAGES:
        assert [route.url_path for route in every if route.key == key] == (["", key] if key == DEFAULT_PAGE else [key])
    [default] = [route for route in every if route.default]
    assert (default.key, default.url_path, default.hidden) == (DEFAULT_PAGE, "", False)
    # st.switch_page to a file opens its first entry: the one the sidebar shows
    assert next(route for route in every if route.key == DEFAULT_PAGE) == default


@pytest.mark.parametrize("key", list(PAGES))
def test_every_page_icon_is_a_material_symbol(key):
    icon = PAGES[key].icon
    match = MATERIAL.match(icon)
    assert match and is_material_icon(match[1]), icon
    assert validate_material_icon(icon) == icon


def test_the_app_icon_is_a_material_symbol():
    source = (Path(__file__).resolve().parent.parent / "app.py").read_text()
    [icon] = re.findall(r'page_icon="([^"]*)"', source)
    match = MATERIAL.match(icon)
    assert match and is_material_icon(match[1]), icon
