"""What a page computes in one run: the same as a rerun and a new session show, and nothing twice.

The pages keep what every session needs once per server (figures, views); these tests check that doing so
changed no number, and that no page computes the same thing twice in one rerun.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pickle
import pkgutil
import re
import sys

import pytest
from apptest import open_app
from streamlit.testing.v1 import AppTest

import scaling_core.app.plots
import scaling_core.app.views
from ui.pages import PAGES

HEAVY_RESULT = re.compile(r"DataFrame|View\b|Figure|Report|Fit")
SHOWN = ("title", "subheader", "metric", "caption", "markdown", "error", "warning", "info", "success")


def snapshot(at: AppTest) -> list:
    """Everything a page shows that a user reads: texts, metrics, tables' values and charts' specs."""
    shown = [(kind, getattr(e, "label", ""), str(e.value)) for kind in SHOWN for e in getattr(at, kind)]
    shown += [("table", e.value.to_json(orient="split", default_handler=str)) for e in at.dataframe]
    shown += [("chart", e.proto.spec) for e in at.get("plotly_chart")]
    return shown


def move(at: AppTest, page: str, step: int) -> AppTest:
    """The page's main control set to one of its two values."""
    control = PAGES[page].control
    getattr(at, control.kind)(key=control.key).set_value(control.values[step % 2])
    return at.run()


@pytest.mark.parametrize("page", list(PAGES))
def test_a_new_sessions_first_run_shows_what_a_rerun_and_the_next_session_show(page, store):
    first = open_app(PAGES[page].path)
    assert not first.exception, [e.value for e in first.exception]
    shown = snapshot(first)
    assert shown, "the page shows nothing to compare"
    assert snapshot(first.run()) == shown
    again = open_app(PAGES[page].path)  # a new session: what the server kept from the first is reused
    assert snapshot(again) == shown
    moved = move(again, page, 0)  # the session whose first run came from the server's caches goes on working
    assert not moved.exception, [e.value for e in moved.exception]


def heavy_functions() -> dict[str, object]:
    """The counts and sweeps, and every public function of the views and figures that builds a table, a view or
    a figure (lru-cached ones excepted: those compute once per argument by construction; labels and captions are
    not heavy)."""
    from scaling_core.core import cost, sweep

    found = {"count_layers": cost.count_layers, "sweep": sweep.sweep}
    modules = []
    for package in (scaling_core.app.views, scaling_core.app.plots):
        modules += [
            importlib.import_module(f"{package.__name__}.{m.name}") for m in pkgutil.iter_modules(package.__path__)
        ]
    for module in modules:
        for name, value in vars(module).items():
            if (
                inspect.isfunction(value)
                and value.__module__ == module.__name__
                and not name.startswith("_")
                and not hasattr(value, "cache_info")
                and HEAVY_RESULT.search(str(inspect.signature(value).return_annotation))
            ):
                found[f"{module.__name__}.{name}"] = value
    return found


@pytest.fixture
def calls(monkeypatch):
    """Count each heavy function's calls by its arguments, everywhere it is imported."""
    counted: dict[tuple[str, bytes], list[str]] = {}
    recording = {"on": False}
    originals = {id(f): (name, f) for name, f in heavy_functions().items()}

    def counting(name, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            if recording["on"]:
                try:
                    key = (name, pickle.dumps((args, sorted(kwargs.items()))))
                except Exception:  # an argument that cannot be pickled (a store, a callback): not compared
                    key = None
                if key is not None:
                    caller = sys._getframe(1)
                    counted.setdefault(key, []).append(f"{caller.f_code.co_filename}:{caller.f_lineno}")
            return function(*args, **kwargs)

        return wrapper

    wrappers = {key: counting(name, f) for key, (name, f) in originals.items()}
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith(("scaling_core", "ui")):
            for attribute, value in list(vars(module).items()):
                if id(value) in wrappers and originals[id(value)][1] is value:
                    monkeypatch.setattr(module, attribute, wrappers[id(value)])
    return counted, recording


@pytest.mark.parametrize("page", list(PAGES))
def test_no_page_computes_the_same_thing_twice_in_a_rerun(page, store, calls):
    counted, recording = calls
    at = move(open_app(PAGES[page].path), page, 0)
    recording["on"] = True
    move(at, page, 1)
    recording["on"] = False
    assert not at.exception, [e.value for e in at.exception]
    twice = sorted(
        {(name, " and ".join(sorted(set(callers)))) for (name, _), callers in counted.items() if len(callers) > 1}
    )
    assert not twice, f"computed more than once with the same arguments in one rerun (called from): {twice}"


def test_the_counting_sees_a_repeated_call(calls):
    from scaling_core.core.arch import scale_recipe
    from scaling_core.core.recipe import Recipe

    counted, recording = calls
    arch = scale_recipe(Recipe(1.2, 1.1, 1.15), 1.0)
    recording["on"] = True
    sys.modules["scaling_core.core.cost"].count_layers(arch)
    sys.modules["scaling_core.core.cost"].count_layers(arch)
    recording["on"] = False
    assert max(len(callers) for callers in counted.values()) == 2
