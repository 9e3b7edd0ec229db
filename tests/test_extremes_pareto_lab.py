"""The Pareto and Lab pages at the extremes of every control, headless: no exception, what cannot be drawn said in
one line, and every figure readable (tests/figure_checks.py: finite data, log axes of a sane span with their
reference lines where the browser draws them, the legend clear of the axis titles and bounded, a title that fits).

One AppTest serves every case (a first run costs ~30 s, a rerun ~1–3 s): each case moves the page's widgets as a
person would, and the results store is switched by its environment variable between an empty one and one holding
a latency profile and a measurement.
"""

from __future__ import annotations

import json

import pytest
from apptest import open_app
from deployment_helpers import fill_store
from figure_checks import chart_problems, table_problems

from scaling_core.app.state import FIELD_BY_NAME
from scaling_core.lab.runs import lab_settings
from scaling_core.storage.store import STORE_URL_ENV, Store


def chart_specs(at) -> list[dict]:
    """The JSON of every plotly chart on the page."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def messages(at) -> list[str]:
    """Every error, warning and info the page shows."""
    return [m.value for kind in (at.error, at.warning, at.info) for m in kind]


def page_problems(at) -> list[str]:
    """An exception, a message a person cannot read in one line, or an unreadable figure."""
    problems = [f"exception: {e.value}" for e in at.exception]
    for text in messages(at):
        if "\n" in text.strip() or "Traceback" in text or "Error(" in text:
            problems.append(f"message not one readable line: {text[:200]!r}")
    return problems + chart_problems(at) + table_problems(at)


# ---------------------------------------------------------------- stores and the one AppTest


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """URLs of an empty store and of one with a profile and a measurement."""
    folder = tmp_path_factory.mktemp("extremes")
    empty, filled = (f"sqlite:///{folder / name}.sqlite" for name in ("empty", "filled"))
    Store(empty)
    fill_store(Store(filled))
    return {"empty": empty, "filled": filled}


@pytest.fixture(scope="module")
def app(stores):
    """One AppTest on the Pareto page for every case of this module (the store switched per case)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(STORE_URL_ENV, stores["empty"])
        at = open_app("app_pages/pareto.py", timeout=240)
        assert not at.exception, [e.value for e in at.exception]
        yield at, patch


DEFAULTS = {name: FIELD_BY_NAME[name].default for name in FIELD_BY_NAME}
PARETO_FIELDS = (
    "pareto_phi_max",
    "pareto_phi_step",
    "pareto_cost",
    "pareto_source",
    "base_top1",
    "pareto_macs_budget_g",
    "pareto_latency_budget_ms",
    "pareto_memory_budget_mb",
    "res_multiple",
    "num_classes",
    "base",
)
SELECTS = {"pareto_phi_step", "pareto_cost", "pareto_source", "res_multiple", "base", "lab_dataset"}


def set_controls(at, values: dict) -> None:
    """Move the page's widgets to these values (the others of the page back to their defaults), then rerun."""
    for name in PARETO_FIELDS:
        value = values.get(name, DEFAULTS[name])
        if name == "pareto_phi_max":
            at.slider(key=f"w_{name}").set_value(value)
        elif name in SELECTS:
            at.selectbox(key=f"w_{name}").set_value(value)
        else:
            at.number_input(key=f"w_{name}").set_value(value)
    at.run()


def open_pareto(app, stores, store: str, values: dict):
    at, patch = app
    patch.setenv(STORE_URL_ENV, stores[store])
    if not any(t.value == "Pareto" for t in at.title):
        at.switch_page("app_pages/pareto.py").run()
    set_controls(at, values)
    return at


def front_size(at) -> int:
    heading = next(h.value for h in at.subheader if h.value.startswith("The front"))
    return int(heading.split()[2])


F = FIELD_BY_NAME
LIMITS = {
    "grid at its largest (φ up to 8, step 0.1)": {
        "pareto_phi_max": F["pareto_phi_max"].maximum,
        "pareto_phi_step": 0.1,
    },
    "grid at its smallest (φ up to 0.5, step 1)": {
        "pareto_phi_max": F["pareto_phi_max"].minimum,
        "pareto_phi_step": 1.0,
    },
    "every budget at its maximum": {
        "pareto_macs_budget_g": F["pareto_macs_budget_g"].maximum,
        "pareto_latency_budget_ms": F["pareto_latency_budget_ms"].maximum,
        "pareto_memory_budget_mb": F["pareto_memory_budget_mb"].maximum,
    },
    "budgets nothing meets": {"pareto_macs_budget_g": 0.1, "pareto_memory_budget_mb": 1.0},
    "base top-1 at its minimum, one class": {"base_top1": F["base_top1"].minimum, "num_classes": 1},
    "base top-1 at its maximum, most classes": {
        "base_top1": F["base_top1"].maximum,
        "num_classes": F["num_classes"].maximum,
        "pareto_phi_max": F["pareto_phi_max"].maximum,
    },
    "coarsest rounding on the lab base": {"res_multiple": max(F["res_multiple"].choices), "base": "lab-tiny"},
    "finest rounding, largest grid": {
        "res_multiple": min(F["res_multiple"].choices),
        "pareto_phi_max": F["pareto_phi_max"].maximum,
        "pareto_phi_step": 0.1,
    },
}


@pytest.mark.parametrize("case", list(LIMITS))
def test_pareto_at_the_limits_of_its_controls(app, stores, case):
    at = open_pareto(app, stores, "empty", LIMITS[case])
    assert page_problems(at) == []
    if case == "budgets nothing meets":
        assert front_size(at) == 0 and any("No point meets the budgets" in m for m in messages(at))


# Every cost axis × every accuracy source, on an empty store and on one with a profile and a measurement. What
# each cannot draw must be said: (cost, source kind, store) -> a phrase of the one-line message.
SAID = {
    ("latency_predicted", "imagenet", "empty"): "Hardware page",
    ("latency_measured", "imagenet", "empty"): "has a measured latency",
    ("latency_predicted", "lab", "empty"): "lab's points are drawn against MACs",
    ("latency_predicted", "lab", "filled"): "lab's points are drawn against MACs",
}
# The filled store matters for the latency axes only; its other cases run with the slow checks.
CHOICES = [
    pytest.param(cost, source, store, marks=[pytest.mark.slow] if store == "filled" and "latency" not in cost else [])
    for store in ("empty", "filled")
    for cost in F["pareto_cost"].choices
    for source in ("imagenet", "lab:mnist5k", "lab:faces")
]


@pytest.mark.parametrize(("cost", "source", "store"), CHOICES)
def test_every_cost_axis_with_every_accuracy_source(app, stores, cost, source, store):
    at = open_pareto(app, stores, store, {"pareto_cost": cost, "pareto_source": source, "pareto_phi_max": 2.0})
    assert page_problems(at) == []
    said = " ".join(messages(at))
    if source == "lab:faces":  # no lab results ship for it
        assert "pareto_source" in said and "Lab page" in said
        return
    phrase = SAID.get((cost, "imagenet" if source == "imagenet" else "lab", store))
    if phrase:
        assert phrase in said
    [spec] = chart_specs(at)
    y_title = spec["layout"]["yaxis"]["title"]["text"]
    if source == "imagenet":
        assert y_title.startswith("ImageNet top-1 (%)") and "modelled" in y_title
    else:
        assert "MNIST" in y_title and "measured" in y_title and "ImageNet" not in y_title
    x_title = spec["layout"]["xaxis"]["title"]["text"]
    assert "measured" in x_title or "modelled" in x_title


def test_the_stored_profile_draws_predicted_latency_and_binds_its_budget(app, stores):
    at = open_pareto(
        app,
        stores,
        "filled",
        {"pareto_cost": "latency_predicted", "pareto_latency_budget_ms": 40.0, "pareto_phi_max": 3.0},
    )
    assert page_problems(at) == [] and not at.warning
    [spec] = chart_specs(at)
    assert spec["layout"]["xaxis"]["title"]["text"].startswith("predicted latency (ms), modelled")
    # The budget line sits at 40 ms (plotly.js reads a shape on a log axis in data units), its label at log10(40).
    [line] = [s for s in spec["layout"]["shapes"] if s.get("xref") == "x"]
    assert line["x0"] == pytest.approx(40.0)


# ---------------------------------------------------------------- the Lab page

RECIPES = list(lab_settings().recipes)


@pytest.mark.parametrize("dataset", F["lab_dataset"].choices)
@pytest.mark.parametrize("recipes", [RECIPES[:1], RECIPES], ids=["one recipe", "every recipe"])
def test_lab_for_every_dataset_with_one_and_every_recipe(app, stores, dataset, recipes):
    at, patch = app
    patch.setenv(STORE_URL_ENV, stores["empty"])
    if not any(t.value == "Lab" for t in at.title):
        at.switch_page("app_pages/lab.py").run()
    at.selectbox(key="w_lab_dataset").set_value(dataset)
    at.multiselect(key="w_lab_recipes").set_value(recipes).run()
    assert page_problems(at) == []
    # The families' charts (shipped, on every dataset) aside, a chart means the grid has results.
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    if not [t for t in titles if "per family" not in t]:
        assert any(m.startswith("No results for") for m in messages(at))
    else:
        assert any(h.value.startswith("Measured results:") for h in at.subheader)
