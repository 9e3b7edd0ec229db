import json
import re
from dataclasses import fields
from pathlib import Path

import pytest

from scaling_core import Recipe
from scaling_core.app.state import (
    CUSTOM,
    FIELD_BY_NAME,
    GROUPS,
    PAGE_GROUPS,
    STATE_FIELDS,
    AppState,
    FieldSpec,
    page_fields,
    page_view,
    parse_query,
    to_query,
    with_coefficient,
    with_keep_law,
    with_preset,
)
from ui.pages import PAGES

OLD_LINKS = json.loads((Path(__file__).parent / "fixtures" / "old_links.json").read_text())
# Non-default values of the fields whose allowed values are a canonical text, not a range or choices.
TEXTS = {
    "pareto_recipes": "mine,1.3,1.15,1.05",
    "lab_recipes": "width,depth",
    "spectrum_domains": "texture",
    "robust_model": "mu:1,0.5,0.5,0.5;sigma:1,0,0,0;g:1,0,0,0",
    "saved_filter": "drone",
    "hw_device": "0123456789abcdef",
    "fam_bases": "resnet18,regnetx-400mf",
    "fam_rules": "depth,resolution",
}


def other_value(spec: FieldSpec):
    """An allowed value of a field other than its default."""
    if spec.kind is bool:
        return not spec.default
    if spec.choices is not None:
        return next(c for c in reversed(spec.choices) if c != spec.default)
    if spec.canonical is not None:
        return spec.parse(TEXTS[spec.name])
    value = spec.minimum + 0.37 * (spec.maximum - spec.minimum)
    return round(value) if spec.kind is int else value


def test_query_round_trip_is_exact():
    state = AppState(
        phi=2.37,
        alpha=1.2137191753128547,
        beta=1.1,
        gamma=0.93,
        keep_law=True,
        preset="b3",
        res_multiple=16,
        num_classes=37,
    )
    assert parse_query(to_query(state, "explorer")) == (state, [])


def test_missing_parameters_take_defaults_and_unknown_ones_are_ignored():
    assert parse_query({"utm_source": "mail"}) == (AppState(), [])


@pytest.mark.parametrize(
    "name, raw, allowed",
    [
        ("phi", "abc", "[0, 8]"),
        ("phi", "9", "[0, 8]"),
        ("alpha", "nan", "[0.5, 2.5]"),
        ("preset", "b9", "one of custom, b0"),
        ("res_multiple", "12", "one of 1, 4, 8, 16, 32"),
        ("num_classes", "2.5", "an integer in [1, 100,000]"),
        ("keep_law", "yes", "0 or 1"),
    ],
)
def test_bad_link_values_are_reported_with_the_allowed_range(name, raw, allowed):
    state, errors = parse_query({name: raw, "phi" if name != "phi" else "alpha": "1.5"})
    assert getattr(state, name) == getattr(AppState(), name)
    assert len(errors) == 1 and name in errors[0] and allowed in errors[0]


def test_moving_a_coefficient_under_the_law_keeps_it_at_two():
    state, notice = with_keep_law(AppState(), True)
    assert notice is None and Recipe(state.alpha, state.beta, state.gamma).cost_factor == pytest.approx(2.0)
    moved, notice = with_coefficient(state, "gamma", 1.3)
    assert notice is None and moved.gamma == 1.3 and moved.keep_law
    assert Recipe(moved.alpha, moved.beta, moved.gamma).cost_factor == pytest.approx(2.0)


def test_the_law_is_switched_off_with_a_notice_when_it_would_leave_the_slider_range():
    state, _ = with_keep_law(AppState(), True)
    moved, notice = with_coefficient(state, "gamma", 0.5)  # α·β² would have to be 8: α = 2.76 > 2.5
    assert not moved.keep_law and moved.gamma == 0.5 and "alpha = 2.76" in notice and "outside" in notice
    assert (moved.alpha, moved.beta) == (state.alpha, state.beta)


def test_without_the_law_only_the_moved_coefficient_changes():
    moved, notice = with_coefficient(AppState(preset="b2"), "alpha", 1.4)
    assert notice is None and moved == AppState(alpha=1.4, preset=CUSTOM)


def test_choosing_a_preset_sets_its_nominal_recipe():
    state = with_preset(AppState(alpha=2.0, keep_law=True), "b5")
    assert (state.preset, state.phi, state.alpha, state.beta, state.gamma, state.keep_law) == (
        "b5",
        5.0,
        1.2,
        1.1,
        1.15,
        False,
    )


def test_every_field_is_declared_once_in_one_group_with_its_default_and_range():
    declared = [f.name for group in GROUPS.values() for f in fields(group)]
    assert len(declared) == len(set(declared)) == len(fields(AppState)) == len(STATE_FIELDS)
    for spec in STATE_FIELDS:
        assert getattr(AppState(), spec.name) == spec.default
        assert spec.is_default(spec.parse(spec.format(spec.default))), spec.name


def test_every_page_lists_known_groups_and_every_group_is_read_by_a_page():
    assert set(PAGE_GROUPS) == set(PAGES)
    listed = {group for groups in PAGE_GROUPS.values() for group in groups}
    assert listed <= set(GROUPS) and set(GROUPS) - listed == {"network"}


@pytest.mark.parametrize("page", list(PAGES))
def test_the_default_view_has_an_empty_link(page):
    assert to_query(AppState(), page) == {}


def test_a_link_carries_only_the_changed_fields_of_its_page_and_the_network():
    state = AppState(phi=2.5, pareto_cost="params", hw_batch=2, result=7)
    assert to_query(state, "explorer") == {"phi": "2.5"}
    assert to_query(state, "pareto") == {"phi": "2.5", "pareto_cost": "params", "hw_batch": "2"}
    assert to_query(state, "hardware") == {"phi": "2.5", "hw_batch": "2"}
    assert to_query(state, "saved") == {"phi": "2.5", "result": "7"}


@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_state_with_every_field_changed_round_trips(page):
    """Each of the page's fields (the network's included) moved off its default, and other pages' fields too."""
    own = {spec.name: other_value(spec) for spec in page_fields(page)}
    others = {spec.name: other_value(spec) for spec in STATE_FIELDS if spec.name not in own}
    state = AppState(**own, **others)
    query = to_query(state, page)
    assert set(query) == set(own)
    reopened, errors = parse_query(query)
    assert errors == [] and {name: getattr(reopened, name) for name in own} == own
    assert all(getattr(reopened, name) == FIELD_BY_NAME[name].default for name in others)
    assert to_query(reopened, page) == query


@pytest.mark.parametrize("page", list(PAGES))
def test_a_link_from_before_per_page_links_opens_the_same_state(page):
    """Such a link carries every field, other pages' included: all are accepted and set, on any page."""
    old = OLD_LINKS[page]
    state, errors = parse_query(old["query"])
    assert errors == []
    assert {name: FIELD_BY_NAME[name].format(getattr(state, name)) for name in old["query"]} == old["query"]
    assert to_query(state, page) == to_query(parse_query(old["fields"])[0], page)
    assert len(to_query(state, page)) < len(old["query"]) / 4


def test_opening_a_saved_view_sets_its_page_and_keeps_the_others():
    current = AppState(alpha=1.4, pareto_cost="params", robust_level=0.3)
    link = {"phi": "2.5", "robust_attack": "fgsm", "pareto_cost": "activations"}
    state, errors = page_view(current, link, "robustness")
    assert errors == [] and (state.phi, state.robust_attack) == (2.5, "fgsm")
    assert state.alpha == 1.2 and state.robust_level == 0.1  # absent from the link: the defaults it was made with
    assert state.pareto_cost == "params"  # another page's field, not part of this view


def test_a_long_bad_value_is_echoed_by_its_start():
    raw = "mine," + "9" * 200
    _, [error] = parse_query({"pareto_recipes": raw})
    assert "pareto_recipes" in error and "name,alpha,beta,gamma" in error
    assert repr(raw[:40] + "…") in error and raw[:41] not in error


@pytest.mark.parametrize("page", list(PAGE_GROUPS))
def test_a_pages_link_carries_every_field_its_page_and_view_read(page):
    """PAGE_GROUPS must cover the fields a page reads (state.X, widgets bound by name) and those its view reads."""
    root = Path(__file__).resolve().parent.parent
    sources = [root / "app_pages" / f"{page}.py", root / "scaling_core" / "app" / "views" / f"{page}.py"]
    text = "\n".join(path.read_text() for path in sources if path.is_file())
    names = set(re.findall(r"\bstate\.(\w+)", text)) | set(
        re.findall(r'\b(?:bind|slider|number|choice)\(\s*"(\w+)"', text)
    )
    read = {name for name in names if name in FIELD_BY_NAME}
    assert read, f"no state read found on {page}: the scan is broken"
    assert read <= {spec.name for spec in page_fields(page)}, sorted(read - {spec.name for spec in page_fields(page)})
