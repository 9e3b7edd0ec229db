"""The Hardware page, headless, against a throwaway SQLite store."""

import pytest
from apptest import open_app
from deployment_helpers import FITTED_WEIGHTS, fitted_report

from scaling_core.app.views.hardware import cached_optimize
from scaling_core.hardware.latency_model import FEATURES, profile_identity
from scaling_core.hardware.measure import MeasureOptions
from scaling_core.tasks.cost import count_task


def hardware_page(query=None):
    return open_app("app_pages/hardware.py", query, timeout=180)


def test_page_without_a_profile_offers_to_fit_and_measures(store):
    at = hardware_page({"alpha": "0.5", "beta": "0.5", "gamma": "0.5", "phi": "1", "hw_threads": "1"})
    assert not at.exception
    assert any("No profile yet" in i.value for i in at.info)
    # The promise and the progress agree: timings of training and held-out networks, quick and full.
    offers = " ".join(m.value for m in at.markdown)
    assert "288 timings of 48 + 24 networks in 3 interleaved rounds" in offers
    assert "18 timings of 10 + 4 networks in one round" in offers
    assert {"fit", "fit_quick"} <= {b.key for b in at.button}
    assert any("Pareto" in i.value and "Deployment" in i.value for i in at.info)  # what the model adds
    assert any("No measurements of this machine" in i.value for i in at.info)
    at.button(key="measure").click().run()
    assert not at.exception
    assert any(m.label.startswith("median") for m in at.metric)
    assert len(store.measurements()) == 1
    # The store is read after the measurement: the throughput section shows it at once.
    assert not any("No measurements of this machine" in i.value for i in at.info)
    assert any("the 1 networks measured here" in c.value for c in at.caption)


def test_page_with_a_profile_shows_the_evidence_and_the_optimiser(store):
    options = MeasureOptions(threads=1)
    report = fitted_report(held_out=2)
    store.put_profile(profile_identity(options), report.as_dict())
    at = hardware_page({"hw_threads": "1", "hw_budget_ms": "60"})
    assert not at.exception
    table = next(df.value for df in at.dataframe if "within ±10%" in df.value.columns)
    assert table["within ±10%"].tolist() == pytest.approx([90.0, 40.0, 85.0])  # shown in %
    assert any("predicted" in m.value and "φ=" in m.value for m in at.markdown)
    # A log-scale slider (1–2–3–5 ms a decade) that keeps the link's 60 ms among its stops.
    slider = at.select_slider(key="w_hw_budget_ms")
    assert {"1", "30", "60", "1000"} <= set(slider.options) and slider.value == 60.0
    slider.set_value(100.0).run()
    assert not at.exception and at.query_params["hw_budget_ms"] == "100.0"


def test_the_optimisers_choice_opens_in_the_explorer(store):
    options = MeasureOptions(threads=1)
    report = fitted_report()
    store.put_profile(profile_identity(options), report.as_dict())
    at = hardware_page({"hw_threads": "1", "hw_budget_ms": "80"})
    at.button(key="to_explorer").click().run()
    assert not at.exception
    # The choice is φ = 1, the default, so the short link leaves φ out and the Explorer shows it.
    assert "phi" not in at.query_params and at.slider(key="w_phi").value == 1.0
    choice = cached_optimize(FITTED_WEIGHTS, FEATURES, 80.0)
    shown = [m.value for m in at.metric if m.label.startswith("MACs (multiply-adds)")]
    assert shown == [f"{count_task(choice.network).macs:,}"]  # the Explorer shows the very network chosen


def test_more_threads_than_cores_is_refused_with_the_range(store):
    at = hardware_page({"hw_threads": "200"})
    assert not at.exception
    assert any("hw_threads" in e.value and "logical cores" in e.value for e in at.error)


def test_a_quick_profile_says_so_and_offers_the_full_fit(store):
    options = MeasureOptions(threads=1)
    report = fitted_report(held_out=2, plan="quick")
    store.put_profile(profile_identity(options), report.as_dict())
    at = hardware_page({"hw_threads": "1", "hw_budget_ms": "60"})
    assert not at.exception
    assert any("quick profile" in c.value for c in at.caption)
    assert any("quick profile" in m.value and "modelled" in m.value for m in at.markdown)
    assert "fit" in {b.key for b in at.button}  # refine with the full plan
