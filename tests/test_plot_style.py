"""The chart conventions: reference lines where plotly.js draws them, titles that fit, readable log ticks."""

import math

import plotly.graph_objects as go
import pytest
from figure_checks import figure_problems

from scaling_core.app.plots import style


def _log_figure() -> go.Figure:
    fig = go.Figure(go.Scatter(x=[16.0, 512.0], y=[1.0, 2.0], name="kept"))
    fig.update_xaxes(**style.log_axis([16.0, 512.0]))
    return style.finish(fig, "What an input keeps")


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
