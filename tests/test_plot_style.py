"""The chart conventions: reference lines where plotly.js draws them, titles that fit, readable log ticks, axes where
the data is; and the checks of tests/figure_checks.py failing on each planted defect."""

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from figure_checks import figure_problems
from plotly.subplots import make_subplots

from scaling_core.app.plots import style
from scaling_core.app.plots.charts import error_histogram_figure
from scaling_core.app.plots.deployment import sqnr_bits_figure
from scaling_core.app.plots.robustness import curves_figure, settled_level
from scaling_core.app.state import FIELD_BY_NAME
from scaling_core.app.views.hardware import BUDGET_STOPS_MS, budget_choices


def _log_figure() -> go.Figure:
    fig = go.Figure(go.Scatter(x=[16.0, 512.0], y=[1.0, 2.0], name="kept"))
    fig.update_xaxes(**style.log_axis([16.0, 512.0]))
    return style.finish(fig, "What an input keeps")


def problems_of(fig: go.Figure) -> str:
    return " | ".join(figure_problems(fig.to_plotly_json()))


def test_a_line_on_a_log_axis_stays_at_its_value_and_its_label_goes_to_log10():
    fig = style.vline(_log_figure(), 224.0, annotation_text="B0")
    [shape], [label] = fig.layout.shapes, fig.layout.annotations
    # plotly.js reads a shape on a log axis in data units and an annotation in log10 units.
    assert (shape.x0, shape.x1) == (224.0, 224.0) and label.x == pytest.approx(math.log10(224.0))
    assert figure_problems(fig.to_plotly_json()) == []
    raw = _log_figure().add_vline(x=224.0, annotation_text="B0")  # the label lands at 10^224
    assert any("not in log10 units" in p for p in figure_problems(raw.to_plotly_json()))


def test_a_line_on_a_linear_axis_and_one_that_cannot_be_drawn():
    fig = go.Figure(go.Scatter(x=[0.0, 1.0], y=[0.0, 1.0]))
    style.hline(fig, 0.5, annotation_text="half")
    assert fig.layout.shapes[0].y0 == 0.5 and fig.layout.annotations[0].y == 0.5
    log = _log_figure()
    for value in (0.0, -1.0, math.nan, math.inf):
        style.vline(log, value)
    assert log.layout.shapes == ()  # nothing where a log axis has no place for it


def test_long_titles_move_their_detail_to_the_subtitle_and_log_ticks_read_in_full():
    head, rest = style.split_title("Radially averaged power spectra (measured; dashed: the least-squares fit)")
    assert len(head) <= style.TITLE_CHARACTERS and head.endswith("spectra") and rest.startswith("measured")
    assert style.split_title("Short") == ("Short", "")
    axis = style.log_axis([16, 600])
    assert axis["tickvals"] == [20, 50, 100, 200, 500] and axis["ticktext"] == ["20", "50", "100", "200", "500"]
    assert style.tick_text(2e10) == "2e10" and style.tick_text(1500) == "1,500"
    assert style.tick_texts([5e5, 1e6, 2e6]) == ["5e5", "1e6", "2e6"]  # one form on one axis, not "500,000" and "1e6"


# ---- log axes: at least three labelled ticks, whatever the span ------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [[0.4017], [1.0, 1.05], [0.95, 1.05], [1.0, 2.2], [8.5, 43.0], [30.0, 95.0], [16, 600], [1e-6, 1e3], [3.0, 3e9]],
    ids=lambda v: f"{v[0]:g}-{v[-1]:g}",
)
def test_a_log_axis_shows_three_to_six_labelled_ticks_inside_its_range(values):
    fig = go.Figure(go.Scatter(x=[1.0, 2.0][: len(values)] if len(values) < 3 else [0, 1], y=values, mode="markers"))
    fig.update_yaxes(**style.log_axis(values))
    style.finish(fig, "Throughput", columns=2)
    axis = fig.layout.yaxis
    low, high = axis.range
    shown = [t for t in axis.tickvals if low <= math.log10(t) <= high]
    assert style.MIN_LOG_TICKS <= len(shown) <= style.MAX_LOG_TICKS, (axis.range, axis.tickvals)
    assert low < math.log10(min(values)) and math.log10(max(values)) < high  # the data inside, off the frame
    assert figure_problems(fig.to_plotly_json()) == []


def test_a_single_latency_gets_a_readable_axis_around_it():
    fig = go.Figure(go.Scatter(x=[0.401659], y=[32.1], mode="markers"))
    fig.update_xaxes(**style.log_axis([0.401659]))
    style.finish(fig, "Achieved throughput", legend=False)
    assert fig.layout.xaxis.ticktext == ("0.2", "0.3", "0.5")  # once the bare "0.401659"


# ---- ranges from the data --------------------------------------------------------------------------------------------


def test_markers_error_bars_and_lines_get_room_inside_the_frame():
    fig = go.Figure()
    fig.add_scatter(x=[0, 1, 2], y=[90.0, 96.9, 95.0], mode="markers", error_y={"array": [0.5, 0.6, 0.4]})
    style.hline(fig, 80.0, annotation_text="floor")
    style.finish(fig, "Accuracy")
    (x_low, x_high), (y_low, y_high) = fig.layout.xaxis.range, fig.layout.yaxis.range
    assert x_low < 0 and x_high > 2
    assert y_low < 80.0 and y_high > 96.9 + 0.6  # the error bar's end and the reference line inside
    assert figure_problems(fig.to_plotly_json()) == []


def test_shared_axes_share_one_range_and_bars_keep_plotlys():
    fig = make_subplots(cols=2, shared_yaxes=True)
    fig.add_scatter(x=[0, 1], y=[1.0, 2.0], row=1, col=1)
    fig.add_scatter(x=[0, 1], y=[5.0, 9.0], row=1, col=2)
    style.finish(fig, "Two panels")
    assert fig.layout.yaxis.range == fig.layout.yaxis2.range and fig.layout.yaxis.range[1] > 9.0
    bars = style.finish(go.Figure(go.Bar(x=["a", "b"], y=[3, 4])), "Bars")
    assert bars.layout.yaxis.range is None  # plotly knows a bar's base and a stack's top
    counts = style.finish(go.Figure(go.Scatter(x=[1, 2], y=[1.0, 2.0])).update_yaxes(rangemode="tozero"), "Counts")
    assert counts.layout.yaxis.range[0] == 0.0


def test_a_label_near_the_top_goes_under_its_line():
    fig = go.Figure(go.Scatter(x=[0, 1], y=[10.0, 69.0], mode="lines"))
    style.hline(fig, 70.0, annotation_text="throttle 70 °C")  # above the line by default: above the plot here
    style.finish(fig, "A sustained run")
    assert fig.layout.annotations[0].yanchor == "top"


# ---- text that fits the narrowest width a chart is drawn at ---------------------------------------------------------


def test_a_half_width_chart_gets_a_short_title_and_wrapped_subtitle_lines():
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], name="a"))
    style.finish(fig, "Throughput, cold and sustained (modelled)", "a long subtitle " * 8, columns=2)
    width = style.CHART_WIDTHS_PX[2]
    assert len(fig.layout.title.text) * style.TITLE_PX <= width
    lines = fig.layout.title.subtitle.text.split("<br>")
    assert len(lines) > 1 and all(len(line) * style.SUBTITLE_PX <= width for line in lines)
    assert fig.layout.meta == {"columns": 2}
    assert figure_problems(fig.to_plotly_json()) == []


def test_a_long_legend_gets_its_own_rows_and_leaves_the_plot_its_height():
    fig = go.Figure()
    for i in range(8):
        fig.add_scatter(x=[0, 1], y=[i, i + 1], name=f"a rather long legend entry number {i}")
    style.finish(fig, "Many lines", columns=2)
    rows = style.legend_rows([t.name for t in fig.data], style.CHART_WIDTHS_PX[2])
    assert rows == 8 and fig.layout.margin.b >= style.LEGEND_ROW_PX * rows + 50
    assert fig.layout.height - fig.layout.margin.t - fig.layout.margin.b == style.PLOT_PX
    assert figure_problems(fig.to_plotly_json()) == []


def test_panel_titles_are_set_smaller_and_the_subtitle_clears_them():
    fig = make_subplots(cols=2, subplot_titles=["left panel", "right panel"])
    fig.add_scatter(x=[0, 1], y=[0, 1], row=1, col=1)
    fig.add_scatter(x=[0, 1], y=[0, 1], row=1, col=2)
    style.finish(fig, "Two panels", "what they show")
    plain = style.finish(go.Figure(go.Scatter(x=[0, 1], y=[0, 1])), "One panel", "what it shows")
    assert all(a.font.size == style.PANEL_TITLE_SIZE for a in fig.layout.annotations)
    assert fig.layout.margin.t > plain.layout.margin.t  # room for the panel titles under the subtitle


def test_a_long_y_title_makes_the_plot_taller_not_cut():
    title = "test accuracy on MNIST, 5,000-digit subset (28 px) (%), measured by the lab"
    fig = style.finish(go.Figure(go.Scatter(x=[0, 1], y=[0, 1])).update_yaxes(title_text=title), "Accuracy")
    assert fig.layout.yaxis.title.text == title  # whole, on one line
    assert figure_problems(fig.to_plotly_json()) == []


# ---- the checks fail on each planted defect --------------------------------------------------------------------------


def test_a_point_outside_the_axis_range_is_a_problem():
    fig = style.finish(go.Figure(go.Scatter(x=[0.0, 1.0, 2.0], y=[1.0, 2.0, 3.0], mode="lines")), "Points")
    fig.update_yaxes(range=[0.0, 2.5])
    assert "outside yaxis's range" in problems_of(fig)
    log = _log_figure()
    log.update_xaxes(range=[math.log10(20.0), math.log10(600.0)])  # 16 px is left of it
    assert "outside xaxis's range" in problems_of(log)
    bars = style.finish(go.Figure(go.Scatter(x=[0, 1], y=[5.0, 6.0], error_y={"array": [3.0, 0.1]})), "Bars")
    bars.update_yaxes(range=[4.0, 7.0])  # the first error bar reaches 8
    assert "outside yaxis's range" in problems_of(bars)


def test_a_log_axis_with_two_ticks_is_a_problem():
    fig = _log_figure()
    fig.update_xaxes(tickvals=[100.0, 200.0], ticktext=["100", "200"])
    assert "a log axis with 2 labelled tick(s)" in problems_of(fig)
    fig.update_xaxes(tickvals=[10.0, 100.0, 1000.0, 10000.0], ticktext=["10", "100", "1,000", "10,000"])
    assert "labelled tick" in problems_of(fig)  # ticks outside its range are not shown


def test_a_title_wider_than_its_figure_is_a_problem():
    fig = style.finish(go.Figure(go.Scatter(x=[0, 1], y=[0, 1])), "Short", columns=2)
    fig.update_layout(title_text="Does squeeze-excite before the depthwise conv protect the signal?")
    assert "title wider than its figure" in problems_of(fig)
    fig.update_layout(title_text="Spectral slopes by domain (measured)")  # 36 characters: too wide for 262 px
    assert "title wider than its figure" in problems_of(fig)
    fig.update_layout(title_text="Spectral slopes by domain")
    assert "title" not in problems_of(fig)
    fig.update_layout(title_subtitle_text="x" * 80)
    assert "subtitle line wider than its figure" in problems_of(fig)


def test_a_panel_title_wider_than_its_panel_and_an_axis_title_wider_than_its_axis_are_problems():
    fig = make_subplots(cols=3, subplot_titles=["ε (pixels in [0, 1]) at half accuracy", "b", "c"])
    for col in (1, 2, 3):
        fig.add_scatter(x=[0, 1], y=[0, 1], row=1, col=col)
    style.finish(fig, "Three panels")
    assert "panel title wider than its panel" in problems_of(fig)
    half = style.finish(go.Figure(go.Scatter(x=[0, 1], y=[0, 1])), "Half", columns=2)
    half.update_xaxes(title_text="MACs (multiply-adds, modelled: exact count) (log scale)")
    assert "xaxis title wider than its axis" in problems_of(half)


def test_a_label_on_a_panel_without_data_is_a_problem():
    # plotly.js draws no panel for axes without data and put "not measured" in the first panel instead.
    fig = make_subplots(cols=2)
    fig.add_scatter(x=[2, 16], y=[0, 80], mode="lines", row=1, col=1)
    fig.add_annotation(text="not measured", x=0.5, y=0.5, xref="x domain", yref="y domain", row=1, col=2)
    style.finish(fig, "SQNR")
    assert "a label on xaxis2, a panel with no data" in problems_of(fig)


def test_markers_on_the_frame_or_left_to_autorange_are_problems():
    fig = style.finish(go.Figure(go.Scatter(x=[0, 1], y=[0.5, 96.6], mode="markers")), "A star on the edge")
    fig.update_yaxes(range=[0, 96.6])
    assert "a marker on the frame of yaxis" in problems_of(fig)
    raw = go.Figure(go.Scatter(x=[0, 1], y=[0.5, 96.6], mode="markers"))
    raw.update_layout(title_text="Not finished", legend={"yref": "container", "y": 0})
    assert "left to plotly's autorange" in problems_of(raw)


def test_a_legend_taller_than_the_bottom_margin_is_a_problem():
    fig = go.Figure()
    for i in range(10):
        fig.add_scatter(x=[0, 1], y=[i, i], name=f"EfficientNet, per tensor, SE after depthwise {i}")
    style.finish(fig, "Many entries")
    fig.update_layout(margin_b=120)
    assert "a legend of 10 rows" in problems_of(fig)


# ---- the figures this issue was about --------------------------------------------------------------------------------


def _curves(levels, accuracies) -> pd.DataFrame:
    rows = [
        {"recipe": recipe, "phi": phi, "level": level, "accuracy_mean": a, "accuracy_min": a - 1, "accuracy_max": a + 1}
        for (recipe, phi), curve in accuracies.items()
        for level, a in zip(levels, curve)
    ]
    return pd.DataFrame(rows)


def test_robustness_curves_end_where_every_curve_has_reached_its_floor():
    levels = [0.0, 0.02, 0.05, 0.1, 0.2, 0.3]
    measured = _curves(
        levels, {("EfficientNet", 0.0): [94, 83, 37, 0.5, 0, 0], ("depth-only", 1.0): [95, 80, 31, 1.5, 0.3, 0]}
    )
    assert settled_level(measured) == 0.1
    fig = curves_figure(measured, None, "ε (pixels in [0, 1])")
    drawn = np.concatenate([np.asarray(t.x, dtype=float) for t in fig.data])
    assert drawn.max() == 0.1 and fig.layout.xaxis.range[1] < 0.2  # once all at zero by 0.1 on an axis to 0.3
    assert "past 0.1 every curve stays at its floor" in fig.layout.title.subtitle.text
    assert figure_problems(fig.to_plotly_json()) == []
    moving = _curves(levels, {("EfficientNet", 0.0): [94, 90, 80, 60, 40, 20]})
    assert settled_level(moving) == 0.3 and "floor" not in curves_figure(moving, None, "ε").layout.title.subtitle.text


def test_an_unmeasured_sqnr_panel_says_so_in_its_own_panel():
    summary, modelled = [], []
    for position in ("after_depthwise", "before_depthwise"):
        for recipe in ("EfficientNet", "resolution-only"):
            if (position, recipe) == ("before_depthwise", "resolution-only"):
                continue  # not in the grid
            for bits in (2, 4, 8, 16):
                key = {"scheme": "per_tensor", "se_position": position, "recipe": recipe, "phi": 0.0, "bits": bits}
                summary.append(key | {"sqnr_db": 6.0 * bits - 20})
                modelled.append(key | {"sqnr_modelled_db": 6.0 * bits - 22})
    fig = sqnr_bits_figure(pd.DataFrame(summary), pd.DataFrame(modelled), "per_tensor")
    [note] = [a for a in fig.layout.annotations if a.text.startswith("not measured")]
    empty = fig.get_subplot(2, 2)
    assert empty.xaxis.domain[0] < note.x < empty.xaxis.domain[1] and note.xref == "paper"
    assert empty.yaxis.domain[0] < note.y < empty.yaxis.domain[1]
    assert fig.layout.xaxis.range[0] > 0  # the first panel's bits no longer run to −5
    assert figure_problems(fig.to_plotly_json()) == []


def test_the_latency_budget_slider_is_logarithmic_and_keeps_an_old_links_budget():
    field = FIELD_BY_NAME["hw_budget_ms"]
    assert (BUDGET_STOPS_MS[0], BUDGET_STOPS_MS[-1]) == (field.minimum, field.maximum)
    ratios = np.diff(np.log10(BUDGET_STOPS_MS))
    assert ratios.max() < 0.5  # no decade crossed in one step
    middle = BUDGET_STOPS_MS.index(field.default) / (len(BUDGET_STOPS_MS) - 1)
    assert 0.3 < middle < 0.7  # the default sits mid-track (at 3% of a linear 1–1000 ms track before)
    assert 37.5 in budget_choices(37.5) and budget_choices(30.0) == list(BUDGET_STOPS_MS)


def test_every_bar_of_the_error_histogram_is_inside_its_axis():
    held_out = pd.DataFrame(
        {
            "measured_ms": [10.0, 20.0],
            "remeasured_ms": [10.5, 19.0],
            "model_ms": [10.2, 21.0],
            "flops_only_ms": [12.0, 9.0],
        }
    )
    fig = error_histogram_figure(held_out)  # the FLOPs-only line is 20% (19.999999999999996) and −55% off
    low, high = fig.layout.xaxis.range
    for trace in fig.data:
        values = np.asarray(trace.x, dtype=float)
        assert trace.xbins.start <= values.min() and values.max() < trace.xbins.end  # its bar is drawn
        assert low <= trace.xbins.start and trace.xbins.end <= high  # whole, inside the plot
    assert figure_problems(fig.to_plotly_json()) == []
