"""The Deployment page, headless: the drone, thermal and quantization sections on the shipped measurements."""

import json

from apptest import metric, open_app
from deployment_helpers import store_synthetic_profile

PAGE = "app_pages/deployment.py"


def traces(at) -> set[str]:
    return {t.get("name") for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]}


def test_every_section_shows_its_model_beside_the_measurements(store):
    store_synthetic_profile(store)
    at = open_app(PAGE, {"hw_budget_ms": "100"}, timeout=180)
    assert not at.exception and not at.error
    assert any("full profile" in c.value for c in at.caption)  # which latency model the page uses
    assert float(metric(at, "Largest φ · modelled")) > 0
    assert {
        "predicted latency (modelled)",
        "EfficientNet (measured)",
        "EfficientNet (modelled)",
        "cold start (modelled)",
        "φ = 0 (measured)",
        "φ = 3 (modelled)",
    } <= traces(at)
    assert any("shipped data/deployment/mnist5k.json" in c.value for c in at.caption)
    assert metric(at, "Largest φ sustaining") not in ("", None)
    assert metric(at, "Calibrated K per SE position and scheme").endswith("dB")
    at.button(key="drone_measure").click().run()
    assert not at.exception and metric(at, "Measured median").endswith("ms")


def test_without_a_latency_model_the_measured_sections_still_show(store):
    at = open_app(PAGE, {}, timeout=180)
    assert not at.exception
    assert any("No latency model of this machine" in i.value for i in at.info)
    assert "EfficientNet (measured)" in traces(at) and "cold start (modelled)" not in traces(at)


def test_bad_parameters_are_named_and_the_page_goes_on(store):
    store_synthetic_profile(store)
    at = open_app(PAGE, {"thermal_throttle_c": "10", "hw_budget_ms": "1"}, timeout=180)
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "latency budget (ms) = 1.0" in errors
    assert "throttle temperature (°C) = 10.0" in errors  # in the field's range, but below the 25 °C ambient
    assert "EfficientNet (measured)" in traces(at)
