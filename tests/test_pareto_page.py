"""The Pareto page, headless: fronts of every recipe, user recipes in the URL, budgets, sending a point on."""

import json

from apptest import link_value, metric, open_app
from deployment_helpers import fitted_report
from figure_checks import figure_problems

from scaling_core import Recipe, count, scale_recipe
from scaling_core.accuracy.model import calibration
from scaling_core.accuracy.pareto import builtin_recipes
from scaling_core.app.state import AppState, parse_query
from scaling_core.app.views.hardware import options_of
from scaling_core.app.views.pareto import pareto_result
from scaling_core.hardware.latency_model import profile_identity
from ui.sections import EXPANDER_PREFIX


def pareto_page(query=None):
    return open_app("app_pages/pareto.py", query, timeout=180)


def front_heading(at) -> str:
    return next(h.value for h in at.subheader if h.value.startswith("The front"))


def drawn_traces(at) -> list[str]:
    """Names of the traces of the page's one chart."""
    [chart] = at.get("plotly_chart")
    return [trace.get("name") for trace in json.loads(chart.proto.spec)["data"]]


def test_the_page_shows_every_recipes_front_with_labelled_accuracy(store):
    at = pareto_page({"pareto_phi_max": "4.0"})
    assert not at.exception
    expected = pareto_result(parse_query({"pareto_phi_max": "4.0"})[0])
    assert front_heading(at) == f"The front: {len(expected.front)} configurations"
    names = [r.name for r in builtin_recipes()]
    assert len(names) >= 6 and all(drawn_traces(at).count(name) == 2 for name in names)  # its line and its points
    assert "Pareto front (all recipes)" in drawn_traces(at)
    [chart] = at.get("plotly_chart")
    assert figure_problems(json.loads(chart.proto.spec)) == []
    evidence = " ".join(c.value for c in at.caption)
    assert f"±{calibration().loo_rmse:.2f} points" in evidence and "modelled" in evidence
    assert at.query_params["pareto_phi_max"] == "4.0"


def test_adding_and_removing_a_recipe_goes_through_the_url(store):
    at = pareto_page()
    form_inputs = [t for t in at.text_input if t.label == "name"]
    form_inputs[0].input("tall")
    numbers = {n.label: n for n in at.number_input}
    numbers["α"].set_value(1.5)
    numbers["β"].set_value(1.0)
    numbers["γ"].set_value(1.1)
    at.checkbox[0].uncheck()
    next(b for b in at.button if b.label == "Add").click().run()
    assert not at.exception and not at.error
    assert at.query_params["pareto_recipes"] == "tall,1.5,1.0,1.1"
    at.multiselect[0].select("tall")
    next(b for b in at.button if b.label == "Remove").click().run()
    assert link_value(at, "pareto_recipes") == ""


def test_a_bad_recipe_is_refused_with_its_range(store):
    at = pareto_page()
    [t for t in at.text_input if t.label == "name"][0].input("flat")
    for label in ("α", "β", "γ"):
        next(n for n in at.number_input if n.label == label).set_value(1.0)
    at.checkbox[0].uncheck()
    next(b for b in at.button if b.label == "Add").click().run()
    assert any("alpha·beta²·gamma²" in e.value and "> 1" in e.value for e in at.error)
    assert link_value(at, "pareto_recipes") == ""


def test_a_budget_shrinks_the_front(store):
    free = front_heading(pareto_page({"pareto_phi_max": "6.0"}))
    tight = pareto_page({"pareto_phi_max": "6.0", "pareto_macs_budget_g": "1.0"})
    assert not tight.exception
    assert int(front_heading(tight).split()[2]) < int(free.split()[2])


def test_a_front_point_opens_in_the_explorer(store):
    at = pareto_page({"pareto_phi_max": "3.0"})
    front = pareto_result(parse_query({"pareto_phi_max": "3.0"})[0]).front
    last = front.index[-1]
    at.selectbox(key="pareto_pick").set_value(last).run()
    at.button(key="to_explorer").click().run()
    assert not at.exception
    row = front.loc[last]
    expected = count(scale_recipe(Recipe(row["alpha"], row["beta"], row["gamma"]), row["phi"]))
    assert metric(at, "MACs (multiply-adds)") == f"{expected.macs:,}"


def test_predicted_latency_needs_a_profile_and_uses_it_when_stored(store):
    at = pareto_page({"pareto_cost": "latency_predicted"})
    # Without a profile: what the model adds and how long fitting takes, a link to Hardware, and the MACs front.
    # No promise of how long fitting takes (nothing measured it here): what a quick fit times instead.
    assert not at.exception and any("Hardware page" in w.value and "quick fit times" in w.value for w in at.warning)
    assert front_heading(at) == f"The front: {len(pareto_result(AppState()).front)} configurations"
    store.put_profile(profile_identity(options_of(AppState())), fitted_report(plan="quick").as_dict())
    at = pareto_page({"pareto_cost": "latency_predicted", "pareto_latency_budget_ms": "40"})
    assert not at.exception and not at.warning
    captions = " ".join(c.value for c in at.caption)
    assert "predicted latency" in captions and "quick profile" in captions  # a first estimate says so


def test_a_bad_link_value_is_reported_and_the_page_still_runs(store):
    at = open_app(None, {"pareto_recipes": "x,9,9,9", "pareto_cost": "speed"})  # messages show on the first page
    messages = " ".join(e.value for e in at.error)
    assert "pareto_recipes" in messages and "[0.5, 2.5]" in messages and "pareto_cost" in messages
    at.switch_page("app_pages/pareto.py").run()
    assert not at.exception and link_value(at, "pareto_cost") == "macs"


def test_a_measured_task_metric_is_an_accuracy_source(store):
    """`dense:segmentation` draws the dense study's measured mIoU (the shipped study on an empty store) against MACs,
    labelled measured, with the front across the recipes."""
    at = pareto_page({"pareto_source": "dense:segmentation"})
    assert not at.exception
    [chart] = at.get("plotly_chart")
    spec = json.loads(chart.proto.spec)
    assert "mIoU of segmentation on generated scenes (%), measured by the lab" in json.dumps(spec["layout"])
    assert any("measured by the lab: mIoU of segmentation on generated scenes" in c.value for c in at.caption)
    assert "measured: shipped data/lab/dense-scenes.json" in json.dumps(spec["data"])
    assert not figure_problems(spec)


def families_section(query=None):
    """The page with its families-and-rules section open."""
    at = pareto_page(query)
    at.session_state[EXPANDER_PREFIX + "pareto_families"] = True
    return at.run()


def test_families_and_rules_are_compared_with_the_front_across_them(store):
    """Each chosen base scaled by each chosen rule: published top-1 at the base, modelled beyond with the family's
    error, and the front across all of them; the link carries the bases and rules."""
    at = families_section({"fam_bases": "resnet50,regnetx-400mf,efficientnet-b0", "fam_rules": "dwr,width"})
    assert not at.exception
    [bases, rules] = at.multiselect
    assert bases.value == ["efficientnet-b0", "resnet50", "regnetx-400mf"] and rules.value == ["dwr", "width"]
    chart = next(c for c in at.get("plotly_chart") if "Families and rules" in c.proto.spec)
    spec = json.loads(chart.proto.spec)
    assert not figure_problems(spec)
    names = [t["name"] for t in spec["data"]]
    assert {"resnet50: dwr", "regnetx-400mf: width", "front across families and rules"} <= set(names)
    grid = at.dataframe[-1].value
    assert set(grid["rule"]) == {"base", "dwr", "width"} and set(grid["flops_scale"]) == {1.0, 2.0, 4.0, 8.0}
    published = grid[grid["rule"] == "base"].set_index("base")["top1"]
    assert published["resnet50"] == 76.13 and published["efficientnet-b0"] == 77.1
    assert grid["on_front"].any() and (grid.loc[grid["top1_source"] == "modelled", "top1_error"] > 0).all()
    assert link_value(at, "fam_bases") == "efficientnet-b0,resnet50,regnetx-400mf"


def test_a_bad_family_link_is_reported(store):
    at = open_app(None, {"fam_bases": "resnet50,vgg16"})
    messages = " ".join(e.value for e in at.error)
    assert "fam_bases" in messages and "vgg16" in messages and "regnety-400mf" in messages


def test_measured_latency_and_the_activations_claim_come_from_the_shipped_comparison(store):
    """With an empty store the latency axis and Dollár et al.'s claim are the shipped measurements, named as such."""
    at = families_section({"fam_cost": "latency_ms", "fam_bases": "resnet18,regnety-400mf"})
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "Do activations predict runtime better than FLOPs" in text and "(shipped)" in text
    assert "At equal MACs" in text and any(v in text for v in ("holds", "does not hold", "inconclusive"))
    grid = at.dataframe[-1].value
    assert grid.loc[grid["flops_scale"] <= 4, "latency_ms"].gt(0).all()  # the shipped comparison covers s = 1, 2, 4
    assert any("Latency: measured on" in c.value and "shipped" in c.value for c in at.caption)
