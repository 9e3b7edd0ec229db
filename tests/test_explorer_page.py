"""The Explorer page, headless: widgets, URL state, errors, the fvcore check."""

import json

import pytest
from apptest import link_value, metric, open_app

from scaling_core import Recipe, RoundingPolicy, count, scale_preset, scale_recipe
from scaling_core.core.memory import MEMORY_LIMIT_ENV


def app(query=None):
    return open_app(query=query)


def test_default_view_shows_the_exact_cost_and_writes_the_url():
    at = app()
    assert not at.exception and not at.error
    expected = count(scale_recipe(Recipe(1.2, 1.1, 1.15), 1.0))
    assert metric(at, "MACs (multiply-adds)") == f"{expected.macs:,}"
    assert metric(at, "FLOPs = 2 × MACs") == f"{2 * expected.macs:,}"
    assert metric(at, "parameters") == f"{expected.params:,}"
    assert link_value(at, "phi") == "1.0" and link_value(at, "alpha") == "1.2"


def test_sliders_change_the_view_and_the_url():
    at = app()
    at.slider(key="w_phi").set_value(3.3).run()
    at.slider(key="w_gamma").set_value(1.05).run()
    assert not at.exception and not at.error
    assert (at.query_params["phi"], at.query_params["gamma"]) == ("3.3", "1.05")
    expected = count(scale_recipe(Recipe(1.2, 1.1, 1.05), 3.3))
    assert metric(at, "MACs (multiply-adds)") == f"{expected.macs:,}"


def test_keep_law_toggle_holds_the_constraint_while_a_coefficient_moves():
    at = app()
    at.toggle(key="w_keep_law").set_value(True).run()
    at.slider(key="w_alpha").set_value(1.35).run()
    assert not at.exception
    q = at.query_params
    assert q["alpha"] == "1.35" and q["keep_law"] == "1"
    assert Recipe(float(q["alpha"]), float(q["beta"]), float(q["gamma"])).cost_factor == pytest.approx(2.0)
    assert metric(at, "law (α·β²·γ²)^φ").startswith("2.000")


def test_a_copied_link_reproduces_the_view_exactly():
    first = app()
    first.slider(key="w_phi").set_value(4.25).run()
    first.slider(key="w_beta").set_value(1.2).run()
    first.selectbox(key="w_res_multiple").set_value(32).run()
    link = dict(first.query_params)
    second = app(link)
    assert dict(second.query_params) == link
    assert [(m.label, m.value) for m in second.metric] == [(m.label, m.value) for m in first.metric]
    assert second.dataframe[0].value.equals(first.dataframe[0].value)


def test_url_parameters_restore_the_widgets():
    at = app({"phi": "2.5", "alpha": "1.3", "beta": "1.05", "gamma": "1.2", "res_multiple": "16", "num_classes": "10"})
    assert (at.slider(key="w_phi").value, at.slider(key="w_alpha").value) == (2.5, 1.3)
    assert at.selectbox(key="w_res_multiple").value == 16 and at.number_input(key="w_num_classes").value == 10
    expected = count(
        scale_recipe(Recipe(1.3, 1.05, 1.2), 2.5, policy=RoundingPolicy(resolution_multiple=16), num_classes=10)
    )
    assert metric(at, "parameters") == f"{expected.params:,}"


def test_preset_shows_official_and_formula_variants():
    at = app()
    at.selectbox(key="w_preset").set_value("b4").run()
    assert not at.exception
    assert at.slider(key="w_phi").value == 4.0
    assert metric(at, "parameters") == f"{count(scale_preset('b4')).params:,}"
    comparison = at.dataframe[0].value.set_index("row")
    assert comparison.loc["published (torchvision docs)", "params"] == 19_341_616
    assert comparison.loc["official B4 (modelled count)", "params"] == 19_341_616
    at.slider(key="w_phi").set_value(4.5).run()
    assert at.selectbox(key="w_preset").value == "custom"


def test_malformed_link_is_reported_and_the_page_keeps_working():
    at = app({"phi": "lots", "preset": "b42"})
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("phi" in e and "[0, 8]" in e for e in errors)
    assert any("preset" in e for e in errors)
    assert metric(at, "parameters")  # the default view is shown


def test_configuration_out_of_range_shows_an_error_and_the_app_keeps_running():
    at = app({"gamma": "0.5", "phi": "6"})
    assert not at.exception
    assert any("resolution" in e.value and "32" in e.value for e in at.error)
    at.slider(key="w_gamma").set_value(1.1).run()
    assert not at.error and metric(at, "parameters")


def test_a_grid_where_some_phi_are_invalid_still_draws_the_rest_of_the_curve():
    at = app({"alpha": "0.5", "beta": "0.5", "gamma": "0.6", "phi": "0"})
    assert not at.exception and not at.error
    assert metric(at, "parameters")
    at.session_state["tabs_explorer"] = "Cost growth with φ"  # the curve's tab (ui/sections.py)
    at.run()
    assert at.get("plotly_chart") and any("left out of the curve" in c.value for c in at.caption)


def test_costs_beyond_int64_are_shown_not_refused():
    at = app({"alpha": "2.5", "beta": "2.5", "gamma": "2.5", "phi": "8"})
    assert not at.exception and not at.error
    assert "× 10" in metric(at, "MACs (multiply-adds)")  # 2.96 × 10²⁴: a power of ten, not e-notation


def test_fvcore_check_on_the_page():
    at = app({"phi": "0.5"})
    at.button(key="verify").click().run()
    assert not at.exception
    assert any("equals fvcore" in s.value for s in at.success)


def test_fvcore_check_refuses_a_model_over_the_memory_limit(monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "0.01")
    at = app()
    at.button(key="verify").click().run()
    assert not at.exception
    assert any("memory" in e.value and "0.01 GiB" in e.value for e in at.error)


def test_a_family_preset_shows_its_published_top1_and_a_scaled_one_its_model():
    """resnet50 at φ = 0 is the preset (torchvision's published 76.13%); scaled, the model fitted across families
    estimates it from there, with the family's error."""
    at = open_app("app_pages/explorer.py", {"base": "resnet50", "phi": "0"})
    assert not at.exception
    assert metric(at, "ImageNet top-1 · published") == "76.1%"
    at = open_app("app_pages/explorer.py", {"base": "resnet50", "phi": "1"})
    label = next(m.label for m in at.metric if m.label.startswith("ImageNet top-1"))
    assert label.startswith("ImageNet top-1 · modelled") and "±" in metric(at, "ImageNet top-1")
    at = open_app("app_pages/explorer.py", {"base": "resnext50-32x4d", "phi": "1"})
    assert not any(m.label.startswith("ImageNet top-1") for m in at.metric)
    assert any("No ImageNet accuracy is shown for resnext50-32x4d" in c.value for c in at.caption)


def test_another_rule_scales_the_base_by_two_to_the_phi(capsys):
    """dWr on RegNetY-400MF at φ = 2 is the network `cost --rule dwr --flops-scale 4` prints: the same MACs, the
    rule's target shown, the top-1 modelled for the family; the link carries the rule."""
    from scaling_core.cli.main import main

    at = open_app("app_pages/explorer.py", {"base": "regnety-400mf", "phi": "2", "ex_rule": "dwr"})
    assert not at.exception
    assert at.subheader[0].value == "dWr α=0.8 at s = 2^φ = 4"
    assert metric(at, "the rule's target s = 2^φ") == "4.000×"
    assert link_value(at, "ex_rule") == "dwr"
    assert 3.6 < float(metric(at, "MACs vs base").rstrip("×")) < 4.4
    assert metric(at, "ImageNet top-1 · modelled").startswith("7")
    argv = ["cost", "--base", "regnety-400mf", "--rule", "dwr", "--flops-scale", "4", "--resolution-multiple", "8"]
    assert main([*argv, "--json"]) == 0
    assert int(metric(at, "MACs (multiply-adds)").replace(",", "")) == json.loads(capsys.readouterr().out)["macs"]
    at = open_app("app_pages/explorer.py", {"base": "resnet18", "phi": "1", "ex_rule": "width"})
    assert not at.exception and float(metric(at, "width w")) == pytest.approx(2**0.5, abs=1e-4)
