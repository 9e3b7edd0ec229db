"""A copied link is short and reproduces every page's view (links from before included), and the state
follows the user from page to page while the URL carries only the current page's part."""

import json
from pathlib import Path

import pytest
from apptest import open_app

from scaling_core.app.state import page_fields, parse_query, to_query
from ui.pages import PAGES

# Every page's link as the code before per-page links wrote it (every field, other pages' too), made
# from QUERIES below plus a few more fields ("fields"), so old links are checked against the new ones.
OLD_LINKS = json.loads((Path(__file__).parent / "fixtures" / "old_links.json").read_text())

QUERIES = {
    "explorer": {
        "phi": "2.5",
        "alpha": "1.3",
        "beta": "1.05",
        "gamma": "1.2",
        "res_multiple": "16",
        "num_classes": "10",
    },
    "tasks": {"head": "segmentation", "phi": "1.5", "alpha": "1.1", "beta": "1.2", "gamma": "1.1"},
    "hardware": {"phi": "0.5", "hw_budget_ms": "40.0", "hw_batch": "2"},
    "pareto": {
        "pareto_cost": "activations",
        "pareto_phi_max": "3.0",
        "pareto_phi_step": "0.5",
        "pareto_recipes": "mine,1.3,1.15,1.05",
        "base_top1": "76.3",
        "pareto_memory_budget_mb": "80.0",
    },
    "lab": {"lab_dataset": "mnist5k", "lab_recipes": "width,resolution", "pareto_source": "lab:mnist5k"},
    "spectrum": {
        "spectrum_domains": "texture,medical",
        "spectrum_criterion": "detail",
        "spectrum_phi_max": "2.0",
        "motion_speed_dps": "120.0",
        "spectrum_detail_low": "40.0",
    },
    "robustness": {
        "robust_attack": "fgsm",
        "robust_level": "0.05",
        "robust_recipe": "width",
        "lab_recipes": "efficientnet,width",
    },
    "deployment": {
        "hw_budget_ms": "45.0",
        "motion_exposure_ms": "8.0",
        "thermal_throttle_c": "60.0",
        "thermal_phi": "1.5",
        "quant_bits": "6",
        "quant_scheme": "per_channel",
        "deploy_phi_max": "2.0",
    },
    "representation": {
        "cover_d": "32",
        "cover_bias": "0",
        "cover_simulate": "1",
        "fewshot_recipe": "width",
        "fewshot_shots": "1",
        "fewshot_ways": "3",
        "fewshot_eta": "0.2",
        "distill_alpha": "0.5",
    },
    "saved": {"saved_filter": "nothing matches this", "phi": "3.0"},
}


def view(at) -> list:
    """What a reader sees: titles, headers, metrics, captions, messages, table sizes."""
    return (
        [t.value for t in at.title]
        + [h.value for h in at.subheader]
        + [(m.label, m.value) for m in at.metric]
        + [c.value for c in at.caption]
        + [i.value for i in at.info]
        + [e.value for e in at.error]
        + [d.value.shape for d in at.dataframe]
    )


@pytest.mark.parametrize("page", list(PAGES))
def test_a_copied_link_reopens_the_same_view(page, store):
    first = open_app(PAGES[page].path, QUERIES[page], timeout=180)
    assert not first.exception
    link = dict(first.query_params)
    state, errors = parse_query(QUERIES[page])
    assert errors == [] and link == to_query(state, page)
    assert set(link) <= {spec.name for spec in page_fields(page)}  # no other page's field
    second = open_app(PAGES[page].path, link, timeout=180)
    assert view(second) == view(first) and dict(second.query_params) == link


@pytest.mark.parametrize("page", list(PAGES))
def test_a_link_from_before_per_page_links_opens_the_same_view(page, store):
    old = OLD_LINKS[page]
    at = open_app(PAGES[page].path, old["query"], timeout=180)
    assert not at.exception and not at.error
    link = dict(at.query_params)
    assert link == to_query(parse_query(old["fields"])[0], page)
    assert view(open_app(PAGES[page].path, link, timeout=180)) == view(at)


def test_the_default_explorer_link_has_no_query_and_moving_phi_adds_only_phi():
    at = open_app()
    assert not at.exception and dict(at.query_params) == {}
    at.slider(key="w_phi").set_value(2.5).run()
    assert dict(at.query_params) == {"phi": "2.5"}


def test_the_state_follows_the_user_to_another_page():
    at = open_app(None, QUERIES["explorer"])
    at.switch_page(PAGES["pareto"].path).run()
    assert not at.exception
    assert {k: at.query_params[k] for k in ("phi", "alpha", "res_multiple")} == {
        "phi": "2.5",
        "alpha": "1.3",
        "res_multiple": "16",
    }


def test_each_page_writes_only_its_own_fields():
    at = open_app(PAGES["pareto"].path)
    at.selectbox(key="w_pareto_cost").set_value("params").run()
    assert dict(at.query_params) == {"pareto_cost": "params"}
    at.switch_page(PAGES["explorer"].path).run()
    assert not at.exception and dict(at.query_params) == {}
    at.slider(key="w_phi").set_value(2.0).run()
    at.switch_page(PAGES["lab"].path).run()
    assert dict(at.query_params) == {"phi": "2.0"}  # the shared network follows; Pareto's field does not
    at.switch_page(PAGES["pareto"].path).run()
    assert dict(at.query_params) == {"phi": "2.0", "pareto_cost": "params"}  # kept in the session meanwhile
