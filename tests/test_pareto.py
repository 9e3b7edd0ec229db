"""Pareto fronts: recipes at one per-step cost, dominance, budgets as constraints, user recipes, measurements."""

import math
import re

import numpy as np
import pandas as pd
import pytest
from figure_checks import figure_problems

from scaling_core import Recipe, RoundingPolicy, count, scale_recipe
from scaling_core.accuracy.pareto import (
    CSV_RECIPE,
    builtin_recipes,
    canonical_user_recipes,
    format_user_recipes,
    grid_frame,
    mark_front,
    non_dominated,
    parse_user_recipes,
    phi_grid,
    reference_cost,
)
from scaling_core.accuracy.user_csv import SOURCE, parse_measurements
from scaling_core.app.plots import style
from scaling_core.app.plots.pareto import pareto_figure
from scaling_core.app.state import AppState, parse_query
from scaling_core.app.views.pareto import (
    accuracy_axis_label,
    cost_axis_label,
    front_notice,
    page_result,
    pareto_result,
)
from scaling_core.core.errors import ConfigError
from scaling_core.hardware.latency_model import FEATURES, LinearProfile


def test_builtin_recipes_share_efficientnets_per_step_cost():
    recipes = {r.name: r.recipe for r in builtin_recipes()}
    assert len(recipes) >= 6
    assert recipes["EfficientNet"] == Recipe(1.2, 1.1, 1.15)
    for recipe in recipes.values():
        assert recipe.cost_factor == pytest.approx(reference_cost(), rel=1e-12)
    assert (recipes["width-only"].alpha, recipes["width-only"].gamma) == (1.0, 1.0)
    assert recipes["depth-only"].alpha == pytest.approx(reference_cost())
    fast = recipes["fast compound (dWr)"]
    log_cost = math.log(reference_cost())
    shares = (math.log(fast.alpha), 2 * math.log(fast.beta), 2 * math.log(fast.gamma))
    assert [s / log_cost for s in shares] == pytest.approx([0.1, 0.8, 0.1])


def test_non_dominated_matches_the_definition():
    rng = np.random.default_rng(0)
    cost, accuracy = rng.integers(0, 12, 200).astype(float), rng.integers(0, 12, 200).astype(float)
    mask = non_dominated(cost, accuracy)
    for i in range(200):
        dominated = any(
            cost[j] <= cost[i] and accuracy[j] >= accuracy[i] and (cost[j] < cost[i] or accuracy[j] > accuracy[i])
            for j in range(200)
        )
        assert mask[i] == (not dominated)
    assert list(non_dominated([1, 2, 3, 2], [1, 3, 2, 3])) == [True, True, False, True]  # ties are kept


def test_budgets_exclude_points_and_the_front_dominates_every_other_feasible_point():
    frame = grid_frame(builtin_recipes(), phi_grid(5, 0.5))
    frame["accuracy"] = np.log(frame["macs"]) + 0.1 * np.sin(np.arange(len(frame)))
    marked = mark_front(frame, "macs", {"macs_budget_g": 2.0, "memory_budget_mb": 0.0})
    over = marked["macs"] > 2e9
    assert (marked.loc[over, "over_budget"] == "macs").all() and not marked.loc[over, "feasible"].any()
    assert not marked.loc[over, "on_front"].any()
    front = marked[marked["on_front"]]
    for _, row in marked[marked["feasible"] & ~marked["on_front"]].iterrows():
        assert ((front["macs"] <= row["macs"]) & (front["accuracy"] >= row["accuracy"])).any()
    memory = mark_front(frame, "params", {"memory_budget_mb": 100.0})
    assert (memory["feasible"] == (memory["memory_mb"] <= 100.0)).all()
    with pytest.raises(ConfigError, match="latency_budget_ms"):
        mark_front(frame, "macs", {"latency_budget_ms": 30.0})


def test_the_grid_counts_equal_single_counts():
    recipes = builtin_recipes()[:3]
    frame = grid_frame(recipes, [0.0, 1.5, 3.0], res_multiple=16)
    assert len(frame) == 9 and list(frame["recipe"][:3]) == [recipes[0].name] * 3
    for _, row in frame.sample(4, random_state=1).iterrows():
        arch = scale_recipe(
            Recipe(row["alpha"], row["beta"], row["gamma"]), row["phi"], policy=RoundingPolicy(resolution_multiple=16)
        )
        report = count(arch)
        assert (row["macs"], row["params"], row["activations"]) == (report.macs, report.params, report.activations)
        assert row["memory_mb"] == pytest.approx(4 * (report.params + report.activations) / 2**20)


def test_user_recipes_round_trip_and_bad_ones_name_the_problem():
    text = "wide and deep,1.3,1.2,1.0;res heavy,1.05,1.05,1.3"
    recipes = parse_user_recipes(text)
    assert [r.name for r in recipes] == ["wide and deep", "res heavy"] and not recipes[0].builtin
    assert canonical_user_recipes(format_user_recipes(recipes)) == format_user_recipes(recipes)
    assert parse_user_recipes("") == ()
    for bad, parameter in (
        ("x,1,2", "user recipe 1"),
        ("x;y,1.1,1.1,1.1", "user recipe 1"),
        ("a<b,1.1,1.1,1.1", "name"),
        ("x,3.0,1.1,1.1", "alpha"),
        ("x,1.1,nan,1.1", "beta"),
        ("x,1.0,1.0,0.9", "alpha·beta²·gamma²"),
        ("EfficientNet,1.1,1.1,1.1", "name"),
        ("x,1.1,1.1,1.1;x,1.2,1.1,1.1", "user recipe 2 name"),
    ):
        with pytest.raises(ConfigError, match=parameter):
            parse_user_recipes(bad)
    state, errors = parse_query({"pareto_recipes": "x,9,1,1"})
    assert state.pareto_recipes == "" and "pareto_recipes" in errors[0]


def test_the_page_result_uses_measurements_where_they_exist():
    state = AppState(pareto_phi_max=2.0, pareto_phi_step=0.5)
    csv = "recipe,phi,accuracy,latency_ms\nEfficientNet,1.0,79.5,12.5\nwidth-only,2.0,90.0,\n"
    measured, problems = parse_measurements(csv, {r.name: r.recipe for r in builtin_recipes()})
    assert problems == []
    own = pd.DataFrame([{"d": 1.3, "w": 1.3, "r": 1.3, "accuracy": 81.0, "latency_ms": np.nan, "note": "", "line": 9}])
    result = pareto_result(state, pd.concat([measured, own], ignore_index=True))
    frame = result.frame
    hit = frame[(frame["recipe"] == "EfficientNet") & (frame["phi"] == 1.0)].iloc[0]
    assert (hit["accuracy"], hit["accuracy_source"], hit["latency_csv_ms"]) == (79.5, SOURCE, 12.5)
    assert frame.loc[(frame["recipe"] == "width-only") & (frame["phi"] == 2.0), "accuracy"].item() == 90.0
    extra = frame[frame["recipe"] == CSV_RECIPE]
    assert len(extra) == 1 and extra["accuracy"].item() == 81.0
    assert extra["macs"].item() == count(scale_recipe(Recipe(1.3, 1.3, 1.3), 1.0)).macs
    others = frame[frame["accuracy_source"] == "modelled"]
    assert len(others) == len(frame) - 3
    assert result.front["accuracy"].is_monotonic_increasing


def test_latency_objectives_use_the_profile_or_the_store():
    state = AppState(
        pareto_phi_max=1.0, pareto_phi_step=0.5, pareto_cost="latency_predicted", pareto_latency_budget_ms=25.0
    )
    profile = LinearProfile(FEATURES, tuple([1.0] + [10.0] * (len(FEATURES) - 1)))
    frame = pareto_result(state, profile=profile).frame
    assert frame["latency_predicted_ms"].notna().all() and frame["latency_extrapolated"].dtype == bool
    assert (frame["feasible"] == (frame["latency_predicted_ms"] <= 25.0)).all()
    measured = pareto_result(
        AppState(pareto_phi_max=1.0, pareto_phi_step=0.5, pareto_cost="latency_measured"),
        measured_latency=lambda network: 10.0 if network.resolution_px < 240 else None,
    ).frame
    assert set(measured.loc[measured["latency_measured_ms"].isna(), "feasible"]) == {False}
    with pytest.raises(ConfigError, match="pareto_cost"):
        pareto_result(AppState(pareto_cost="latency_predicted"))


def test_rows_that_cannot_be_counted_and_budgets_that_cannot_bind_are_reported():
    measured = pd.DataFrame(
        [{"d": 0.01, "w": 1.0, "r": 0.01, "accuracy": 50.0, "latency_ms": np.nan, "note": "", "line": 7}]
    )
    result = pareto_result(AppState(pareto_phi_max=1.0, pareto_latency_budget_ms=20.0), measured)
    assert any(note.startswith("line 7:") and "left out" in note for note in result.notes)
    assert any("latency budget of 20 ms is not applied" in note for note in result.notes)
    assert CSV_RECIPE not in set(result.frame["recipe"])
    with pytest.raises(ConfigError, match="name"):
        parse_user_recipes(f"{CSV_RECIPE},1.3,1.2,1.0")


def test_the_latency_budget_binds_on_the_predicted_latency_on_any_axis():
    profile = LinearProfile(FEATURES, tuple([1.0] + [10.0] * (len(FEATURES) - 1)))
    frame = pareto_result(AppState(pareto_phi_max=2.0, pareto_latency_budget_ms=25.0), profile=profile).frame
    assert (frame["feasible"] == (frame["latency_predicted_ms"] <= 25.0)).all() and not frame["feasible"].all()


def test_the_figure_draws_when_no_point_has_a_measured_latency():
    # Once an exception in the hover text of an empty selection (float + str), on a store without measurements.
    state = AppState(pareto_phi_max=1.0, pareto_cost="latency_measured")
    result = pareto_result(state, measured_latency=lambda network: None)
    assert result.frame["latency_measured_ms"].isna().all()
    figure = pareto_figure(result.frame, result.cost_column, "measured latency (ms), measured", result.published)
    assert figure_problems(figure.to_plotly_json()) == []
    # The page draws the MACs front instead, and says why in one line.
    shown = page_result(state, measured_latency=lambda network: None)
    assert shown.cost_key == "macs" and shown.front.shape[0] > 0
    assert "has a measured latency" in shown.fallback and "\n" not in shown.fallback


def test_without_a_latency_model_the_page_draws_macs_and_says_what_fitting_adds():
    shown = page_result(AppState(pareto_phi_max=1.0, pareto_cost="latency_predicted"))
    assert shown.cost_key == "macs" and shown.cost_column == "macs" and shown.front.shape[0] > 0
    # What it adds, and what a quick fit measures; no promise of seconds that nothing here measured.
    assert "Hardware page" in shown.fallback and re.search(r"quick fit times [\d,]+ runs", shown.fallback)
    assert "about" not in shown.fallback
    lab = page_result(AppState(pareto_cost="latency_predicted", pareto_source="lab:mnist5k"))
    assert lab.cost_key == "macs" and "lab's points are drawn against MACs" in lab.fallback
    with_profile = page_result(
        AppState(pareto_phi_max=1.0, pareto_cost="latency_predicted"),
        profile=LinearProfile(FEATURES, tuple([1.0] + [10.0] * (len(FEATURES) - 1))),
    )
    assert with_profile.cost_key == "latency_predicted" and with_profile.fallback == ""


def test_axis_titles_name_the_quantity_and_its_evidence():
    lab = AppState(pareto_source="lab:mnist5k")
    assert accuracy_axis_label(lab) == "test accuracy on MNIST, 5,000-digit subset (28 px) (%), measured by the lab"
    assert accuracy_axis_label(AppState()) == "ImageNet top-1 (%), modelled"
    assert "measured (your CSV)" in accuracy_axis_label(AppState(), csv_rows=True)
    assert cost_axis_label(AppState(), "macs") == "MACs (multiply-adds), modelled"
    assert cost_axis_label(AppState(), "latency_measured") == "measured latency (ms), measured"
    assert cost_axis_label(lab, "latency_measured").endswith("measured by the lab")


def test_the_pareto_figure_is_readable_and_its_budget_line_sits_where_the_browser_draws_it():
    state = AppState(pareto_phi_max=8.0, pareto_phi_step=0.1, pareto_macs_budget_g=20.0)
    result = pareto_result(state)
    figure = pareto_figure(result.frame, "macs", "MACs", result.published, budget=20e9)
    spec = figure.to_plotly_json()
    assert figure_problems(spec) == []
    [line] = spec["layout"]["shapes"]
    assert line["x0"] == pytest.approx(20e9)  # a shape on a log axis: data units (its label: log10 units)
    assert spec["layout"]["xaxis"]["tickvals"]  # 1–2–5 ticks, not plotly's bare mantissas
    # The checks catch the mistakes they are for: a label in data units (it drags a log axis to 10^(2·10^10)),
    # a legend over the axis title.
    figure.add_vline(x=20e9, annotation_text="raw budget")
    figure.update_layout(legend={"y": -0.22, "yref": "paper"})
    problems = " ".join(figure_problems(figure.to_plotly_json()))
    assert "not in log10 units" in problems and "legend not in the bottom margin" in problems


def test_the_legend_stays_bounded_with_every_user_recipe():
    user = ";".join(f"mine{i},1.{i + 10},1.1,1.1" for i in range(12))
    result = pareto_result(AppState(pareto_phi_max=1.0, pareto_recipes=canonical_user_recipes(user)))
    spec = pareto_figure(result.frame, "macs", "MACs", result.published).to_plotly_json()
    entries = [t for t in spec["data"] if t.get("showlegend", True)]
    assert len(entries) <= style.MAX_LEGEND_ENTRIES and figure_problems(spec) == []
    assert any(t["name"].endswith("more recipes (hover for names)") for t in entries)


def test_an_empty_front_is_explained_in_one_line():
    state = AppState(pareto_phi_max=1.0, pareto_memory_budget_mb=1.0)
    result = pareto_result(state)
    assert not result.frame["on_front"].any()
    assert (
        front_notice(result, state)
        == "No point meets the budgets (memory ≤ 1 MiB): raise one, or set it to 0 for none."
    )
    assert front_notice(pareto_result(AppState(pareto_phi_max=1.0)), AppState()) == ""
