"""The configuration JSON (costs, architecture, provenance), its import, and the self-contained HTML report."""

import json
from dataclasses import replace

import pytest

from scaling_core.accuracy.model import estimate
from scaling_core.app.export import FORMAT, configuration_export, parse_import
from scaling_core.app.plots.pareto import pareto_figure
from scaling_core.app.report import comparison_report, front_table
from scaling_core.app.state import AppState, to_query
from scaling_core.app.views.hardware import explorer_network
from scaling_core.app.views.pareto import pareto_result
from scaling_core.app.views.saved import key_figures, side_by_side
from scaling_core.core.errors import ConfigError
from scaling_core.core.recipe import Recipe
from scaling_core.storage.keys import describe
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import as_task, scale_task


def _export(state: AppState) -> dict:
    network = as_task(explorer_network(state))
    m = network.multipliers
    return configuration_export(state, "explorer", network, estimate(m.depth, m.width, m.resolution, state.base_top1))


def test_only_a_video_network_carries_tau_in_its_recipe():
    state = AppState(head="video", tau=1.3, phi=1.0)
    network = scale_task("video", Recipe(1.2, 1.1, 1.15, 1.3), 1.0)
    assert configuration_export(state, "tasks", network)["recipe"]["tau"] == 1.3
    detection = scale_task("detection", Recipe(1.2, 1.1, 1.15), 1.0)
    assert "tau" not in configuration_export(replace(state, head="detection"), "tasks", detection)["recipe"]


def test_a_configuration_carries_network_costs_accuracy_and_provenance():
    state = AppState(phi=2.5, alpha=1.3, beta=1.05, gamma=1.2, res_multiple=16)
    document = json.loads(json.dumps(_export(state)))  # what a file holds
    network = as_task(explorer_network(state))
    report = count_task(network)
    assert document["format"] == FORMAT and document["page"] == "explorer"
    assert document["costs"]["macs"] == report.macs and document["costs"]["params"] == report.params
    assert document["architecture"] == json.loads(json.dumps(describe(network)))
    # No τ: it scales a video clip's frames, and this is no video network.
    assert document["recipe"] == {"alpha": 1.3, "beta": 1.05, "gamma": 1.2} and document["phi"] == 2.5
    assert document["accuracy"]["source"] == "modelled" and document["accuracy"]["error_points"] > 0
    provenance = document["provenance"]
    assert {"python", "scaling_core", "torch", "fvcore"} <= set(provenance["versions"])
    assert len(provenance["hardware"]["id"]) == 16


def test_an_export_imports_back_to_the_same_state():
    state = AppState(phi=3.0, alpha=1.25, preset="custom", base_top1=78.0)
    document, imported, problems = parse_import(json.dumps(_export(state)).encode())
    assert problems == [] and imported == state and document["label"]
    assert document["query"] == {"phi": "3.0", "alpha": "1.25", "base_top1": "78.0"}  # the page's short link


def test_an_export_carries_only_its_page_fields():
    state = AppState(phi=3.0, head="segmentation", pareto_recipes="mine,1.3,1.1,1.1")
    document, imported, problems = parse_import(json.dumps(_export(state)).encode())
    assert document["query"] == {"phi": "3.0"} and problems == []
    assert imported == AppState(phi=3.0)  # other pages' fields are not part of the Explorer's view


def test_a_task_network_exports_its_own_costs():
    state = AppState(head="detection", phi=1.0)
    network = scale_task("segmentation", Recipe(1.2, 1.1, 1.15), 1.0)
    document = configuration_export(state, "tasks", network)
    assert document["head"] == "segmentation" and document["costs"]["macs"] == count_task(network).macs
    assert document["accuracy"] is None


@pytest.mark.parametrize(
    "data, parameter",
    [
        (b"not json", "file"),
        (json.dumps([1, 2]), "format"),
        (json.dumps({"format": "something else"}), "format"),
        (json.dumps({"format": FORMAT, "version": 99}), "version"),
        (json.dumps({"format": FORMAT, "version": 1, "query": {"phi": 3}}), "query"),
        (json.dumps({"format": FORMAT, "version": 1, "query": {}, "label": "x"}), "recipe"),
        (json.dumps({"format": FORMAT, "version": 1, "query": {}, "label": 7}), "label"),
        (
            json.dumps(
                {
                    "format": FORMAT,
                    "version": 1,
                    "query": {},
                    "label": "x",
                    "recipe": {},
                    "multipliers": {},
                    "costs": {"macs": "many"},
                }
            ),
            "costs.macs",
        ),
        (json.dumps({"format": FORMAT, "version": 1, "query": {}, "accuracy": {"top1": "high"}}), "accuracy"),
    ],
)
def test_bad_imports_are_clear_errors(data, parameter):
    with pytest.raises(ConfigError, match=parameter):
        parse_import(data)


def test_a_bad_link_inside_an_import_is_reported_not_fatal():
    document = {"format": FORMAT, "version": 1, "query": {**to_query(AppState(alpha=1.3), "explorer"), "phi": "99"}}
    _, state, problems = parse_import(json.dumps(document))
    assert state.phi == AppState().phi and "phi" in problems[0]


def test_the_report_is_self_contained_and_lists_the_front():
    state = AppState(pareto_phi_max=2.0, pareto_phi_step=0.5)
    result = pareto_result(state)
    front = front_table(result.frame, result.cost_column)
    figure = pareto_figure(result.frame, result.cost_column, "MACs", result.published)
    html = comparison_report(
        "Test report",
        figure,
        front,
        front[["recipe", "alpha"]],
        "evidence text",
        {"pareto_cost": "macs"},
        {"versions": {"python": "3"}},
        "http://host/pareto?x=1",
    )
    assert html.startswith("<!DOCTYPE html>") and "evidence text" in html and "http://host/pareto?x=1" in html
    assert "<script src=" not in html and "Plotly.newPlot" in html and len(html) > 1_000_000  # plotly.js inline
    assert html.count("<tr>") >= len(front) + 1


def test_saved_results_compare_side_by_side():
    first = {
        "id": 1,
        "name": "a",
        "author": "x",
        "notes": "",
        "page": "explorer",
        "created_at": 0.0,
        "payload": json.loads(json.dumps(_export(AppState(phi=1.0)))),
    }
    second = {**first, "id": 2, "name": "b", "payload": json.loads(json.dumps(_export(AppState(phi=2.0))))}
    figures = key_figures(first)
    assert figures["MACs · modelled"] == first["payload"]["costs"]["macs"]
    table = side_by_side(first, second).set_index("field")
    assert table.loc["φ", "difference"] == "1"
    assert table.loc["name", "difference"] == "differs" and table.loc["author", "difference"] == ""
    macs = second["payload"]["costs"]["macs"] - first["payload"]["costs"]["macs"]
    assert table.loc["MACs · modelled", "difference"] == f"{macs:,}"
