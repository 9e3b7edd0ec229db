import pytest

from scaling_core import Recipe
from scaling_core.app.state import CUSTOM, AppState, parse_query, to_query, with_coefficient, with_keep_law, with_preset


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
    assert parse_query(to_query(state)) == (state, [])


def test_missing_parameters_take_defaults_and_unknown_ones_are_ignored():
    assert parse_query({"utm_source": "mail"}) == (AppState(), [])


@pytest.mark.parametrize(
    "name, raw, allowed",
    [
        ("phi", "abc", "[0, 8]"),
        ("phi", "9", "[0, 8]"),
        ("alpha", "nan", "[0.5, 2.5]"),
        ("preset", "b9", "one of custom, b0"),
        ("res_multiple", "12", "one of 1, 8, 16, 32"),
        ("num_classes", "2.5", "an integer in [1, 100000]"),
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
