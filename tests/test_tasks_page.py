"""The Tasks page, headless: head changes, sliders, shared URL state, published EfficientDet figures, the law."""

import pytest
from apptest import link_value, metric, open_app, section

from scaling_core import Recipe
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import scale_detection_preset, scale_task
from scaling_core.tasks.law import check_law


def tasks_page(query=None):
    return open_app("app_pages/tasks.py", query)


def test_every_head_renders_its_exact_cost():
    at = tasks_page({"phi": "1.5"})
    for head in ("segmentation", "multitask", "video", "classification", "detection"):
        at.selectbox(key="w_head").set_value(head).run()
        assert not at.exception and not at.error, head
        expected = count_task(scale_task(head, Recipe(1.2, 1.1, 1.15), 1.5))
        assert metric(at, "MACs (multiply-adds)") == f"{expected.macs:,}", head
        assert link_value(at, "head") == head


def test_slider_change_and_shared_state_with_the_explorer():
    at = tasks_page({"head": "segmentation"})
    at.slider(key="w_phi").set_value(2.25).run()
    assert not at.exception
    expected = count_task(scale_task("segmentation", Recipe(1.2, 1.1, 1.15), 2.25))
    assert metric(at, "parameters") == f"{expected.params:,}"
    at.switch_page("app_pages/explorer.py").run()
    # φ is shared; the head is the Tasks page's own: the Explorer's link leaves it out, the session keeps it.
    assert at.slider(key="w_phi").value == 2.25 and at.query_params["phi"] == "2.25" and "head" not in at.query_params
    at.switch_page("app_pages/tasks.py").run()
    assert not at.exception and at.query_params["head"] == "segmentation"


def test_link_restores_the_tasks_view():
    query = {"head": "video", "phi": "1.0", "tau": "1.3", "alpha": "1.1", "res_multiple": "16"}
    at = tasks_page(query)
    assert not at.exception
    assert at.slider(key="w_tau").value == 1.3
    task = scale_task(
        "video",
        Recipe(1.1, 1.1, 1.15, 1.3),
        1.0,
        policy=__import__("scaling_core").RoundingPolicy(resolution_multiple=16),
    )
    assert metric(at, "frames per clip") == str(task.frames)
    assert metric(at, "MACs (multiply-adds)") == f"{count_task(task).macs:,}"


def test_detection_preset_shows_published_figures_beside_ours():
    at = tasks_page({"head": "detection"})
    at.selectbox(key="w_det_preset").set_value("d3").run()
    assert not at.exception
    assert metric(at, "parameters") == f"{count_task(scale_detection_preset('d3')).params:,}"
    table = next(df.value for df in at.dataframe if "params (published)" in df.value.columns)
    assert len(table) == 8
    # Shown in percent.
    assert (table["params difference"].abs() < 10).all() and (table["MACs difference"].abs() < 15).all()


def test_law_check_on_the_page_is_the_fit_of_the_counts():
    at = section(tasks_page({"head": "detection", "neck_scaling": "recipe"}), "tasks", "Does it scale as d·w²·r²?")
    check = check_law("detection", "recipe")
    table = next(df.value for df in at.dataframe if "R²" in df.value.columns)
    whole = table.set_index("fit").loc["whole network"]
    assert whole["width"] == pytest.approx(check.fit.exponents["width"])
    assert whole["R²"] == pytest.approx(check.fit.r_squared)
    assert any(f"{check.max_deviation:+.1%}" in c.value for c in at.caption)


def test_video_model_sliders_move_the_optimum():
    at = tasks_page({"head": "video", "video_snr_db": "20", "video_motion_hz": "4"})
    at = section(at, "tasks", "Video: wider or more frames?")
    strong = [m.value for m in at.markdown if "best split" in m.value]
    at.slider(key="w_video_snr_db").set_value(-25.0).run()
    weak = [m.value for m in at.markdown if "best split" in m.value]
    assert not at.exception and strong and weak and strong != weak


def test_bad_head_in_the_link_is_reported_and_the_default_used():
    at = open_app(query={"head": "captioning"})
    assert any("head" in e.value and "detection" in e.value for e in at.error)
    at.switch_page("app_pages/tasks.py").run()
    assert not at.exception and link_value(at, "head") == "detection"


def test_a_network_smaller_than_the_unscaled_one_explains_the_budget_instead_of_failing():
    at = section(tasks_page({"head": "segmentation", "beta": "0.5", "phi": "2"}), "tasks", "Recipes at one budget")
    assert not at.exception
    assert any("budget_macs" in e.value for e in at.error)
    assert metric(at, "parameters")


def test_fvcore_check_of_a_task_network_on_the_page():
    at = tasks_page({"head": "multitask", "phi": "0.2"})
    at.button(key="verify").click().run()
    assert not at.exception
    assert any("equals fvcore" in s.value for s in at.success)
