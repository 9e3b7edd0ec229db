"""The Deployment page, headless: the drone, thermal and quantization sections on the shipped measurements."""

import json

from apptest import every_tab, metric, open_app
from deployment_helpers import store_synthetic_profile

PAGE = "app_pages/deployment.py"


def traces(at) -> set[str]:
    return {t.get("name") for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]}


def every_study(at) -> tuple[set[str], dict[str, str], str, str]:
    """The traces, metrics, errors and captions of the page's three studies (each in its own lazy tab)."""
    names, metrics, errors, captions = set(), {}, [], []
    for shown in every_tab(at):
        assert not shown.exception, [e.value[:300] for e in shown.exception]
        names |= traces(shown)
        metrics |= {m.label: m.value for m in shown.metric}
        errors += [e.value for e in shown.error]
        captions += [c.value for c in shown.caption]
    return names, metrics, " ".join(errors), " ".join(captions)


def test_every_section_shows_its_model_beside_the_measurements(store):
    store_synthetic_profile(store)
    at = open_app(PAGE, {"hw_budget_ms": "100"}, timeout=180)
    assert not at.exception and not at.error
    assert any("full profile" in c.value for c in at.caption)  # which latency model the page uses
    assert float(metric(at, "Largest φ · modelled")) > 0  # the first study, open with the page
    names, metrics, errors, captions = every_study(at)
    assert {
        "predicted latency (modelled)",
        "EfficientNet (measured)",
        "EfficientNet (modelled)",
        "cold start (modelled)",
        "φ = 0 (measured)",
        "φ = 3 (modelled)",
    } <= names
    assert not errors and "shipped data/deployment/mnist5k.json" in captions
    assert next(v for k, v in metrics.items() if k.startswith("Largest φ sustaining")) not in ("", None)
    assert next(v for k, v in metrics.items() if k.startswith("Calibrated K per SE")).endswith("dB")
    at = open_app(PAGE, {"hw_budget_ms": "100"}, timeout=180)
    at.button(key="drone_measure").click().run()
    assert not at.exception and metric(at, "Measured median").endswith("ms")


def test_without_a_latency_model_the_measured_sections_still_show(store):
    at = open_app(PAGE, {}, timeout=180)
    assert not at.exception
    assert any("No latency model of this machine" in i.value for i in at.info)
    names = every_study(at)[0]
    assert "EfficientNet (measured)" in names and "cold start (modelled)" not in names


def test_bad_parameters_are_named_and_the_page_goes_on(store):
    store_synthetic_profile(store)
    at = open_app(PAGE, {"thermal_throttle_c": "10", "hw_budget_ms": "1"}, timeout=180)
    assert not at.exception
    names, _, errors, _ = every_study(at)
    assert "latency budget (ms) = 1.0" in errors
    assert "throttle temperature (°C) = 10.0" in errors  # in the field's range, but below the 25 °C ambient
    assert "EfficientNet (measured)" in names
