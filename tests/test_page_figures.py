"""Every figure on every page, at the page's defaults and at the ends of its main control (and of the controls whose
range the figures follow: Hardware's latency budget, Robustness' perturbation), read as JSON by
tests/figure_checks.py: data inside the axes, at least three labelled ticks on a log axis, labels in their panels,
titles, subtitles, panel and axis titles that fit the narrowest width the chart is drawn at.

Headless (AppTest): one app per results store, the pages visited in turn. The store holds a latency profile and a
measurement (so Hardware and Deployment draw every figure), or nothing (Deployment then draws the blur and the
thermal ceiling instead).
"""

from __future__ import annotations

import pytest
from apptest import every_tab, open_app
from figure_checks import chart_problems
from test_extremes_pareto_lab import stores  # noqa: F401  (the fixture: an empty store and a filled one)

from scaling_core.app.state import FIELD_BY_NAME
from scaling_core.lab.runs import lab_settings
from scaling_core.storage.store import STORE_URL_ENV
from ui.pages import PAGES

TIMEOUT = 300


def ends(key: str) -> list:
    """The two ends of a page's main control (a widget key "w_<field>")."""
    spec = PAGES[key].control
    field = FIELD_BY_NAME[spec.key.removeprefix("w_")]
    if spec.kind == "multiselect":
        recipes = list(lab_settings().recipes)
        return [recipes[:1], recipes]
    if spec.kind == "text_input":
        return ["", "x" * 100]
    return [field.minimum, field.maximum]


# Controls besides the main one whose values move a figure's range: (kind, widget key, values).
MORE = {
    "hardware": [("select_slider", "w_hw_budget_ms", [1.0, 1000.0])],
    "robustness": [("selectbox", "w_robust_attack", list(FIELD_BY_NAME["robust_attack"].choices))],
}


def widget(at, kind: str, key: str):
    return getattr(at, kind)(key=key)


def walked(at) -> list[str]:
    """The chart problems of every lazy tab of the page as it is (an exception counts as one)."""
    problems = []
    for shown in every_tab(at):
        problems += [f"exception: {e.value[:300]}" for e in shown.exception] + chart_problems(shown)
    return problems


def moved(at, kind: str, key: str, value) -> list[str]:
    """The chart problems of the page, every tab, after one control is set to `value`."""
    widget(at, kind, key).set_value(value).run(timeout=TIMEOUT)
    return [f"{key}={str(value)[:30]}: {p}" for p in walked(at)]


@pytest.fixture(scope="module", params=["filled", "empty"])
def app(request, stores):  # noqa: F811
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(STORE_URL_ENV, stores[request.param])
        at = open_app(None, timeout=TIMEOUT)
        assert not at.exception, [e.value for e in at.exception]
        yield request.param, at


@pytest.mark.parametrize("key", list(PAGES))
def test_every_figure_of_every_page_at_its_defaults_and_the_ends_of_its_controls(app, key):
    store, at = app
    if store == "empty" and key not in ("deployment", "hardware"):
        pytest.skip("only Deployment and Hardware draw other figures without a latency profile")
    at.switch_page(PAGES[key].path).run(timeout=TIMEOUT)
    problems = walked(at)
    assert at.get("plotly_chart") or key == "saved" or store == "empty", f"{key} drew no figure"
    control = PAGES[key].control
    default = widget(at, control.kind, control.key).value
    for value in ends(key):
        problems += moved(at, control.kind, control.key, value)
    problems += moved(at, control.kind, control.key, default)
    for kind, name, values in MORE.get(key, []):
        if not at.get(kind) or name not in {w.key for w in at.get(kind)}:
            continue  # not on the page in this store (Hardware's budget needs a profile)
        start = widget(at, kind, name).value
        for value in values:
            problems += moved(at, kind, name, value)
        problems += moved(at, kind, name, start)
    assert problems == []
