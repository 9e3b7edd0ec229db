"""Every table on every page in words: headers without code names, numbers formatted by kind, headers whole.

Checked with an empty store and with one that holds a measurement, a fitted latency profile and saved results, and
at the extremes of the Explorer's and Tasks' controls (counts past 2^63 shown exactly, as text). The formatter's own
rules (`scaling_core.app.tables.present`) are tested without a page.
"""

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from apptest import every_tab, open_app, open_share_box
from deployment_helpers import fitted_report
from table_checks import column_problems, table_header_problems

from scaling_core.app.tables import PAGE_WIDTH_PX, Column, code_like, present, value_text
from scaling_core.app.views.hardware import fit_choices, fit_warning
from scaling_core.hardware.latency_model import FitReport, Scores, profile_identity
from scaling_core.hardware.measure import MeasureOptions
from ui.pages import PAGES

TIMEOUT = 240


def shows_tables_in_words(at, page_width_px: int | None = PAGE_WIDTH_PX) -> None:
    """Every table of the page, in each of its lazy tabs, in words."""
    for shown in every_tab(at):
        assert not shown.exception, [e.value[:300] for e in shown.exception]
        assert table_header_problems(shown, page_width_px) == []


# ---- the formatter ----------------------------------------------------------------------------------------------


def test_machine_names_become_words_with_units():
    frame = pd.DataFrame({"latency_ms": [1.23456], "needed_px": [224], "before_minus_after_db": [0.5]})
    shown = present(frame)
    assert shown.columns["latency_ms"].label == "Latency (ms)"
    assert shown.columns["needed_px"].label == "Needed (px)"
    assert shown.columns["before_minus_after_db"].label == "Before minus after (dB)"
    assert not any(code_like(c.label) for c in shown.columns.values())


def test_numbers_are_rounded_to_what_they_mean():
    frame = pd.DataFrame({"accuracy": [83.46666519840558], "macs": [390_315_648], "x_value": [0.012345]})
    shown = present(frame)
    assert shown.columns["accuracy"].format == "%,.1f"
    assert shown.columns["macs"].format == "%,d" and str(shown.frame["macs"].dtype) == "Int64"
    # A column nobody declared: three significant digits of its magnitude, never e-notation.
    assert shown.columns["x_value"].format == "%,.4f"
    assert shown.columns["x_value"].label == "X value"


def test_shares_become_percentages_and_flags_words():
    frame = pd.DataFrame({"power_share": [0.5, 0.951], "on_front": [True, False]})
    shown = present(frame, {"power_share": Column("Power kept (%)", "share"), "on_front": Column("On front", "flag")})
    assert shown.frame["power_share"].tolist() == pytest.approx([50.0, 95.1])
    assert shown.columns["power_share"].format == "%.1f"  # the header says "(%)"
    assert shown.frame["on_front"].tolist() == ["yes", "no"]
    assert shown.columns["on_front"].format is None  # a word, not a checkbox that looks clickable


def test_counts_past_int64_are_shown_exactly_as_text():
    huge = 2**70 + 12345
    frame = pd.DataFrame({"macs": pd.Series([1_000, huge], dtype=object)})
    shown = present(frame)
    assert shown.frame["macs"].tolist() == ["1,000", f"{huge:,}"]
    assert shown.columns["macs"].format is None
    # A float count past 2^53 has lost its last digits: three significant digits, not invented ones.
    assert "10" in present(pd.DataFrame({"macs": [1e25]})).frame["macs"].iloc[0]


def test_missing_cells_stay_missing_and_meaningless_indexes_go():
    frame = pd.DataFrame({"macs": [1.0, np.nan], "phi": [0.5, None]}, index=[7, 9])
    shown = present(frame)
    assert shown.frame["macs"].isna().tolist() == [False, True]
    assert list(shown.frame.columns) == ["macs", "phi"]  # positions left by a filter are not shown
    labelled = present(
        pd.DataFrame({"params": [1]}, index=pd.Index(["official B0"])), {"row": Column("Network", "text")}
    )
    assert list(labelled.frame.columns) == ["row", "params"] and labelled.columns["row"].label == "Network"


def test_a_table_wider_than_the_page_is_found():
    wide = present(pd.DataFrame({f"column_{i}": [1.5] for i in range(20)}))
    assert wide.width_px() > PAGE_WIDTH_PX
    assert present(pd.DataFrame({"macs": [1], "phi": [1.0]})).width_px() < PAGE_WIDTH_PX / 4


def test_the_checker_fails_on_what_it_guards():
    floats = pd.Series([1.5])
    assert column_problems("depth_multiplier", floats, {"type_config": {"format": "%.3f"}})
    assert column_problems("Depth", floats, {"type_config": {"format": "%g"}})
    assert column_problems("Depth", floats, {})  # Streamlit's own default: unformatted
    assert column_problems("MACs", pd.Series([10**9]), {"type_config": {"format": "%d"}})
    assert column_problems("Depth", floats, {"type_config": {"format": "%,.3f"}}) == []


def test_key_figures_read_as_numbers():
    assert value_text(83.46666519840558) == "83.47" and value_text(2.0) == "2" and value_text(0.5) == "0.5"
    assert value_text(1_234_567) == "1,234,567"
    assert value_text(1234567.891) == "1,234,568"
    assert value_text(0.000123456) == "0.000123"
    assert "e" not in value_text(1.01e3) and value_text(1.01e3) == "1,010"
    assert value_text(float("nan")) == "—" and value_text(None) == "" and value_text(True) == "yes"
    assert "10" in value_text(2**80)


# ---- every page -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(PAGES))
def test_every_table_at_the_defaults_with_an_empty_store(store, key):
    at = open_app(None if key == "explorer" else PAGES[key].path, timeout=TIMEOUT)
    shows_tables_in_words(at)


def test_tables_with_measurements_a_profile_and_saved_results(store):
    options = MeasureOptions(threads=1)
    store.put_profile(profile_identity(options), fitted_report(held_out=2).as_dict())
    query = {"alpha": "0.5", "beta": "0.5", "gamma": "0.5", "phi": "1", "hw_threads": "1"}
    at = open_app("app_pages/hardware.py", query, timeout=TIMEOUT)
    at.button(key="measure").click().run()
    shows_tables_in_words(at)
    assert len(store.measurements()) == 1 and at.dataframe
    for name in ("first", "second"):
        at = open_share_box(open_app(None, {"phi": "2" if name == "first" else "1"}, timeout=TIMEOUT))
        at.text_input(key="save_name").input(name)
        next(b for b in at.button if b.label == "Save this result").click().run()
        assert not at.exception
    first, second = sorted(r["id"] for r in store.list_results())
    for query in ({"result": str(first)}, {"result": str(first), "compare": str(second)}):
        at = open_app("app_pages/saved.py", query, timeout=TIMEOUT)
        shows_tables_in_words(at)
        assert len(at.dataframe) == 2
    for key in ("pareto", "deployment"):
        shows_tables_in_words(open_app(PAGES[key].path, {"hw_threads": "1"}, timeout=TIMEOUT))


@pytest.mark.parametrize(
    "query",
    [
        {"phi": "8", "alpha": "0.5", "beta": "2.5", "gamma": "2.5"},
        {"phi": "8", "alpha": "2.5", "beta": "2.5", "gamma": "2.5", "num_classes": "100000"},
        {"phi": "8", "alpha": "2.5", "beta": "2.5", "gamma": "2.5", "preset": "b7"},
    ],
)
def test_counts_past_int64_are_shown_on_the_explorer(store, query):
    at = open_app(None, query, timeout=TIMEOUT)
    shows_tables_in_words(at, None)
    assert not at.error, [e.value for e in at.error]
    shown = [v for table in at.dataframe for column in table.value for v in table.value[column] if isinstance(v, str)]
    assert any(len(v.replace(",", "")) > 19 and v.replace(",", "").isdigit() for v in shown)  # exact, past 2^63


def test_counts_past_int64_are_shown_on_the_tasks_page(store):
    query = {"phi": "8", "alpha": "2.5", "beta": "2.5", "gamma": "2.5", "head": "segmentation"}
    shows_tables_in_words(open_app(PAGES["tasks"].path, query, timeout=TIMEOUT), None)


# ---- honest words -----------------------------------------------------------------------------------------------


def below_floor(report: FitReport) -> FitReport:
    return replace(report, model_scores=Scores(0.25, 0.3, 0.4), noise_floor=0.6)


def test_a_fit_below_the_noise_floor_says_so():
    report = fitted_report(held_out=2)
    assert fit_warning(report) is None
    warning = fit_warning(below_floor(report))
    assert "25%" in warning and "60%" in warning and "floor" in warning


def test_the_page_warns_of_a_fit_below_the_floor(store):
    store.put_profile(profile_identity(MeasureOptions(threads=1)), below_floor(fitted_report(held_out=2)).as_dict())
    at = open_app("app_pages/hardware.py", {"hw_threads": "1"}, timeout=TIMEOUT)
    assert any("re-measurement floor" in w.value for w in at.warning)


def test_a_fit_time_is_shown_only_as_measured():
    assert not any("about" in text or " s " in text for text in fit_choices().values())
    timed = replace(fitted_report(plan="quick"), fit_seconds=12.6)
    assert FitReport.from_dict(timed.as_dict()).fit_seconds == 12.6
    choices = fit_choices(timed)
    assert "took 13 s (measured)" in choices["quick"] and "took" not in choices["full"]
    assert math.isnan(present(pd.DataFrame({"alpha_std": [float("nan")]})).frame["alpha_std"].iloc[0])
