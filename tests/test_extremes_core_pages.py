"""Explorer, Tasks, Hardware and Saved at the extremes of their controls: no exception anywhere, and whatever cannot
be shown is said in one readable line (the parameter, the allowed range, the value cut to 40 characters).

Also the figures these pages draw, read as JSON (tests/figure_checks.py): reference lines where the browser draws
them, the legend in the bottom margin clear of the x-axis title, finite data, log axes of at most MAX_LOG_DECADES.
The full sweep of every head, rounding multiple and base is `slow`.
"""

from itertools import product

import pandas as pd
import pyarrow as pa
import pytest
from apptest import open_app
from figure_checks import figure_problems, table_problems

from scaling_core.app.plots import charts
from scaling_core.app.state import FIELD_BY_NAME, AppState, parse_query
from scaling_core.app.tables import present
from scaling_core.app.views.explorer import cost_curve
from scaling_core.app.views.tasks import multipliers_caption, task_view, video_model_of
from scaling_core.core.errors import ECHO_CHARACTERS, ConfigError, echo
from scaling_core.core.recipe import Recipe
from scaling_core.tasks.video import best_split, tradeoff_curve

PHI, ALPHA = FIELD_BY_NAME["phi"], FIELD_BY_NAME["alpha"]
LOW, HIGH = ALPHA.minimum, ALPHA.maximum
TIMEOUT = 180


def readable(at) -> None:
    """No exception; every error one line, without a Python repr of an exception."""
    assert not at.exception, [e.value[:300] for e in at.exception]
    assert table_problems(at) == []
    for error in at.error:
        assert "\n" not in error.value and len(error.value) < 400, error.value
        assert "Traceback" not in error.value and "Error(" not in error.value, error.value


def shows_or_says(at) -> None:
    """The page shows its numbers, or says in one line (an error) why it cannot."""
    readable(at)
    assert at.metric or at.error


# ---- errors a person can read ------------------------------------------------------------------------------------


def test_a_config_error_echoes_at_most_40_characters_of_the_value():
    message = str(ConfigError("phi", "9" * 5000, "a number in [0, 8]"))
    assert len(message) < 120 and "phi" in message and "[0, 8]" in message and "…" in message
    assert echo("x" * 39) == repr("x" * 39)  # short values whole
    assert echo("y" * 100) == repr("y" * ECHO_CHARACTERS + "…")
    assert echo(list(range(100))).endswith("…") and len(echo(list(range(100)))) == ECHO_CHARACTERS + 1
    # An integer too long for Python to write in decimal is described, not raised on.
    assert "digits" in str(ConfigError("phi", 10**5000, "a number in [0, 8]"))


def test_a_link_keeps_the_specific_reason_of_a_canonical_field():
    too_many = ";".join(f"r{i},1.2,1.1,1.1" for i in range(13))
    [error] = parse_query({"pareto_recipes": too_many})[1]
    assert "at most 12" in error and "pareto_recipes" in error
    [error] = parse_query({"pareto_recipes": "r,1.2,1.1,9"})[1]
    assert "gamma" in error and "[0.5, 2.5]" in error
    [error] = parse_query({"phi": "9" * 5000})[1]
    assert len(error) < 160 and "[0, 8]" in error


# ---- tables Arrow takes --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("head", ["classification", "detection", "segmentation", "multitask", "video"])
def test_huge_task_networks_tabulate(head):
    view = task_view(AppState(head=head, phi=PHI.maximum, alpha=HIGH, beta=HIGH, gamma=HIGH, tau=2.0))
    for frame in (view.parts, view.components):
        shown = present(frame).frame
        pa.Table.from_pandas(shown)  # what the page draws: no int64 overflow
        exact = [v for v in shown["MACs"] if isinstance(v, str)]  # counts past int64: whole, with separators
        assert exact and all(v.replace(",", "").isdigit() for v in exact)
        assert {int(v.replace(",", "")) for v in exact} <= {int(v) for v in frame["MACs"]}


def test_only_a_detector_under_efficientdets_rules_cites_them():
    for head in ("segmentation", "multitask", "video", "classification"):
        assert "EfficientDet" not in multipliers_caption(task_view(AppState(head=head)).task, "efficientdet")
    assert "EfficientDet" in multipliers_caption(task_view(AppState(head="detection")).task, "efficientdet")
    assert "EfficientDet" not in multipliers_caption(task_view(AppState(head="detection")).task, "recipe")


# ---- figures, as JSON ----------------------------------------------------------------------------------------------


def check_figure(fig) -> None:
    """The app's chart conventions on a figure's JSON (tests/figure_checks.py)."""
    assert figure_problems(fig.to_plotly_json()) == []


def test_explorer_figures_follow_the_conventions():
    from scaling_core.app.views.explorer import explore

    for alpha, beta, gamma, phi in [(1.2, 1.1, 1.15, 1.0), (HIGH, HIGH, HIGH, 3.0), (LOW, 1.0, 1.0, 6.0)]:
        state = AppState(alpha=alpha, beta=beta, gamma=gamma, phi=phi)
        check_figure(charts.stage_cost_figure(explore(state).parts))
        curve = cost_curve(Recipe(alpha, beta, gamma), state.base, state.res_multiple, state.num_classes)
        fig = charts.cost_curve_figure(curve, phi)
        check_figure(fig)
        assert fig.layout.yaxis.type == "log"


def test_the_phi_line_is_placed_in_the_axis_own_units():
    curve = cost_curve(Recipe(1.2, 1.1, 1.15), "efficientnet-b0", 8, 1000)
    fig = charts.cost_curve_figure(curve, 4.0)
    [shape] = fig.layout.shapes
    assert shape.x0 == 4.0  # φ is on a linear axis: data units
    check_figure(fig)


@pytest.mark.parametrize("head", ["detection", "segmentation", "video"])
def test_tasks_figures_follow_the_conventions(head):
    from scaling_core.tasks.budget import compare_at_budget
    from scaling_core.tasks.law import check_law

    view = task_view(AppState(head=head))
    check_figure(charts.component_figure(view.parts))
    check_figure(charts.law_deviation_figure(check_law(head).table, 1.2, 1.1, 1.15))
    check_figure(charts.budget_figure(compare_at_budget(head, int(view.report.macs))))
    for snr in (-30.0, 30.0):
        model = video_model_of(AppState(video_snr_db=snr, video_motion_hz=20.0, video_kappa=4.0))
        check_figure(charts.video_curve_figure(tradeoff_curve(model), best_split(model)["frames"]))


def test_hardware_figures_follow_the_conventions():
    held_out = pd.DataFrame(
        {
            "measured_ms": [10.0, 20.0],
            "remeasured_ms": [10.5, 19.0],
            "model_ms": [10.2, 21.0],
            "flops_only_ms": [12.0, 15.0],
            "macs": [100, 200],
        }
    )
    check_figure(charts.predicted_vs_measured_figure(held_out))
    check_figure(charts.error_histogram_figure(held_out))
    frame = pd.DataFrame({"gmacs": [0.1, 2.0], "achieved_gmac_per_s": [5.0, 40.0], "label": ["a", "b"]})
    fig = charts.throughput_figure(frame)
    check_figure(fig)
    assert fig.layout.xaxis.type == "log" and fig.layout.xaxis.ticktext  # readable 1–2–5 ticks


def test_a_label_in_data_units_on_a_log_axis_is_caught():
    fig = charts.throughput_figure(pd.DataFrame({"gmacs": [0.1, 2.0], "achieved_gmac_per_s": [5, 40], "label": "a"}))
    fig.add_vline(x=500.0, annotation_text="raw")  # the mistake style.vline prevents: its label at 10^500 on a log axis
    with pytest.raises(AssertionError):
        check_figure(fig)


# ---- the pages at their extremes -----------------------------------------------------------------------------------

EXPLORER_CASES = [
    {"phi": "0"},
    {"phi": "8"},
    {"phi": "8", "alpha": "2.5", "beta": "2.5", "gamma": "2.5"},  # past int64: refused in one line
    {"phi": "8", "alpha": "0.5", "beta": "0.5", "gamma": "0.5"},  # below the smallest input: refused in one line
    {"phi": "0", "alpha": "2.5", "beta": "0.5", "gamma": "2.5", "num_classes": "100000", "res_multiple": "32"},
    {"phi": "8", "alpha": "0.5", "beta": "2.5", "gamma": "0.5", "num_classes": "1"},
    {"phi": "3", "preset": "b7", "num_classes": "100000"},
]


@pytest.mark.parametrize("query", EXPLORER_CASES, ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items()))
def test_explorer_at_its_extremes(query):
    at = open_app(None, query, timeout=TIMEOUT)
    shows_or_says(at)
    assert not any(e.value.count("\n") for e in at.error)


def test_tasks_at_the_largest_allowed_network():
    at = open_app("app_pages/tasks.py", {"head": "segmentation", "phi": "8", "alpha": "2.5", "beta": "2.5"})
    shows_or_says(at)
    [multipliers] = [c.value for c in at.caption if c.value.startswith("Continuous multipliers")]
    assert "EfficientDet" not in multipliers
    macs = next(m.value for m in at.metric if m.label.startswith("MACs (multiply-adds)"))
    assert len(macs) <= 12  # 3 significant digits: fits its column at 1400 px


def test_tasks_below_the_smallest_input_says_so():
    at = open_app("app_pages/tasks.py", {"head": "video", "phi": "8", "alpha": "0.5", "beta": "0.5", "gamma": "0.5"})
    readable(at)
    assert any("resolution" in e.value for e in at.error)


def test_hardware_at_its_extremes(store):
    at = open_app("app_pages/hardware.py", {"hw_threads": "1", "hw_batch": "64", "phi": "8"}, timeout=TIMEOUT)
    readable(at)
    at = open_app("app_pages/hardware.py", {"hw_threads": "256"}, timeout=TIMEOUT)
    readable(at)
    assert any("hw_threads" in e.value for e in at.error)


def test_saved_with_a_filter_of_100_characters(store):
    store.save_result("one", "ana", "", "explorer", {}, {})
    at = open_app("app_pages/saved.py", {"saved_filter": "%_'\"\\" + "x" * 200}, timeout=TIMEOUT)
    readable(at)
    assert at.text_input(key="w_saved_filter").value == ("%_'\"\\" + "x" * 200)[:100]
    assert any("matches the filter" in i.value for i in at.info)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("head", "phi", "coefficient"),
    list(product(["classification", "detection", "segmentation", "multitask", "video"], ["0", "8"], ["0.5", "2.5"])),
)
def test_tasks_every_head_at_the_extremes(head, phi, coefficient):
    query = {"head": head, "phi": phi, "alpha": coefficient, "beta": coefficient, "gamma": coefficient, "tau": "2"}
    at = open_app("app_pages/tasks.py", query, timeout=TIMEOUT)
    shows_or_says(at)


@pytest.mark.slow
def test_explorer_every_multiple_base_and_class_count():
    at = open_app(None, {"phi": "8"}, timeout=TIMEOUT)
    for multiple in FIELD_BY_NAME["res_multiple"].choices:
        at.selectbox(key="w_res_multiple").set_value(multiple).run()
        shows_or_says(at)
    for base in FIELD_BY_NAME["base"].choices:
        at.selectbox(key="w_base").set_value(base).run()
        shows_or_says(at)
    for classes in (1, 100_000):
        at.number_input(key="w_num_classes").set_value(classes).run()
        shows_or_says(at)
    for head in FIELD_BY_NAME["head"].choices:
        at.switch_page("app_pages/tasks.py").run()
        at.selectbox(key="w_head").set_value(head).run()
        shows_or_says(at)


def test_the_quick_plan_is_smaller_over_the_same_region_and_its_profile_says_so():
    from dataclasses import replace

    from scaling_core.hardware.latency_model import FEATURES, FitReport, named_plan, plan_timings

    quick, full = named_plan("quick"), named_plan("full")
    assert plan_timings(full) == 288 and plan_timings(quick) < plan_timings(full) / 10
    assert quick["train"] >= len(FEATURES)  # one training network per feature at least
    assert all(quick[k] == full[k] for k in ("depth", "width", "resolution", "heads", "head_resolution_scale"))
    with pytest.raises(ConfigError, match="plan"):
        named_plan("medium")
    raw = {
        "model": {"features": ["constant"], "weights": [1.0]},
        "baseline": {"features": ["constant"], "weights": [1.0]},
        "model_scores": {"within_10pct": 1.0, "mape": 0.0, "kendall_tau": 1.0},
        "baseline_scores": {"within_10pct": 1.0, "mape": 0.0, "kendall_tau": 1.0},
        "noise_floor": 1.0,
        **{k: [1.0] for k in ("test_measured_ms", "test_remeasured_ms", "test_predicted_ms", "test_baseline_ms")},
        "test_macs": [1],
        "train_size": 10,
    }
    assert FitReport.from_dict(raw).plan == "full"  # profiles stored before the quick plan
    quick_report = replace(FitReport.from_dict(raw), plan="quick")
    assert FitReport.from_dict(quick_report.as_dict()).plan == "quick"
