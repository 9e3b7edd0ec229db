"""The Lab page and the Pareto page's lab source, headless, on the shipped results."""

import json

from apptest import open_app
from figure_checks import figure_problems

from scaling_core.accuracy.pareto import mark_front
from scaling_core.app.plots import style
from scaling_core.app.plots.lab import lab_accuracy_figure, training_curves_figure
from scaling_core.app.views.lab import (
    curves_frame,
    lab_results,
    modelled_shape,
    results_heading,
    results_table,
    shipped,
)
from scaling_core.lab.runs import lab_settings


def test_the_lab_page_shows_the_shipped_results(store):
    at = open_app("app_pages/lab.py", {"lab_dataset": "mnist5k"}, timeout=180)
    assert not at.exception
    # The heading says what the table holds: every configuration, and how many of them are on the front.
    report = shipped("mnist5k")["report"]
    assert any(
        h.value.startswith(f"Measured results: {len(report)} configurations,") and "on the front" in h.value
        for h in at.subheader
    )
    assert any("shipped data/lab/mnist5k.json" in c.value for c in at.caption)
    table = at.dataframe[0].value
    assert len(table) == len(shipped("mnist5k")["report"])
    charts = at.get("plotly_chart")
    names = {trace.get("name") for c in charts for trace in json.loads(c.proto.spec)["data"]}
    assert {"EfficientNet (measured)", "EfficientNet (modelled shape)", "measured front"} <= names
    for c in charts:
        assert figure_problems(json.loads(c.proto.spec)) == []
    # Accuracy in percent in every column that holds it (never a fraction), counts with thousands separators.
    assert table["accuracy (%, measured mean)"].between(50, 100).all() and table["max (%)"].max() <= 100
    formats = {
        k: c["type_config"].get("format")
        for k, c in json.loads(at.dataframe[0].proto.columns).items()
        if "type_config" in c
    }
    assert formats["MACs (modelled)"] == formats["parameters (modelled)"] == "%,d"  # exact, with separators
    assert {formats[c] for c in table.columns if "%" in c} == {"%,.2f"}  # percentages: "(%)" in the header


def test_training_curves_have_one_legend_entry_per_phi_and_a_panel_per_recipe():
    frame = lab_results("mnist5k", list(lab_settings().recipes), None)
    curves = curves_frame(frame)
    assert curves.groupby(["recipe", "phi", "seed"]).ngroups > style.MAX_LEGEND_ENTRIES  # 48 lines
    spec = training_curves_figure(curves).to_plotly_json()
    assert figure_problems(spec) == []
    entries = {t["name"] for t in spec["data"] if t.get("showlegend", True)}
    assert entries == {f"φ = {phi:g}" for phi in sorted(set(curves["phi"]))}
    panels = [a["text"] for a in spec["layout"]["annotations"]]
    assert panels == list(dict.fromkeys(curves["recipe"]))


def test_the_lab_figures_use_readable_log_axes():
    frame = lab_results("mnist5k", list(lab_settings().recipes), None)
    frame = mark_front(frame.assign(accuracy=frame["accuracy_mean"], modelled_shape=modelled_shape(frame)), "macs", {})
    for column in ("macs", "latency_ms"):
        spec = lab_accuracy_figure(frame, column, column).to_plotly_json()
        assert figure_problems(spec) == [] and spec["layout"]["xaxis"]["tickvals"]
    table = results_table(frame)
    assert results_heading(frame).startswith(f"Measured results: {len(table)} configurations")
    assert table["accuracy (%, measured mean)"].tolist() == frame["accuracy_mean"].tolist()


def test_choosing_recipes_goes_to_the_url(store):
    at = open_app("app_pages/lab.py", {"lab_recipes": "width,depth"}, timeout=180)
    assert not at.exception and at.query_params["lab_recipes"] == "width,depth"
    assert set(at.dataframe[0].value["recipe"]) == {"width-only", "depth-only"}
    at.multiselect(key="w_lab_recipes").select("resolution").run()
    assert at.query_params["lab_recipes"] == "width,depth,resolution"


def test_a_dataset_without_results_offers_to_train(store):
    at = open_app("app_pages/lab.py", {"lab_dataset": "faces"}, timeout=180)
    assert not at.exception and any(i.value.startswith("No results for") for i in at.info)


def test_the_pareto_page_offers_the_labs_measured_accuracy(store):
    at = open_app("app_pages/pareto.py", {"pareto_source": "lab:mnist5k"}, timeout=180)
    assert not at.exception
    assert any("measured by the lab" in c.value for c in at.caption)
    [chart] = at.get("plotly_chart")
    y_title = json.loads(chart.proto.spec)["layout"]["yaxis"]["title"]["text"]
    assert y_title == "test accuracy on MNIST, 5,000-digit subset (28 px) (%), measured by the lab"
    heading = next(h.value for h in at.subheader if h.value.startswith("The front"))
    assert int(heading.split()[2]) >= 1
    assert any("measured by the lab" in option for option in at.selectbox(key="pareto_pick").options)
