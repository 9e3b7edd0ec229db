"""The runtime on the pages: the Hardware page's runtime picker (a runtime's own profile, quick calibration offered
once another model is stored, the runtimes compared), and the Deployment page's drone per runtime and int8 claim."""

from __future__ import annotations

from apptest import open_app, section
from deployment_helpers import fitted_report

from scaling_core.app.state import FIELD_BY_NAME
from scaling_core.app.views.deployment import drone_per_runtime, runtime_models
from scaling_core.app.views.runtimes import best_table, calibration_table, differing_budgets
from scaling_core.core.recipe import Recipe
from scaling_core.hardware.latency_model import profile_identity
from scaling_core.hardware.measure import MeasureOptions
from scaling_core.hardware.runtime_comparison import shipped_runtimes
from scaling_core.hardware.runtimes import RUNTIME_CHOICES, runtime_choice
from scaling_core.studies.deployment.drone import Motion


def test_the_runtime_is_a_state_field_every_choice_parses():
    spec = FIELD_BY_NAME["hw_runtime"]
    assert spec.default == "eager" and spec.choices == RUNTIME_CHOICES
    assert runtime_choice("onnxruntime-int8") == ("onnxruntime", "int8") and runtime_choice("openvino") == (
        "openvino",
        "fp32",
    )


def test_a_runtime_has_its_own_profile_and_quick_calibration_is_offered(store):
    """With eager's model stored, ONNX Runtime has none: the page says so and offers quick calibration from it;
    eager's page shows its model."""
    store.put_profile(profile_identity(MeasureOptions(threads=1)), fitted_report().as_dict())
    at = open_app("app_pages/hardware.py", {"hw_threads": "1", "hw_runtime": "onnxruntime"}, timeout=180)
    assert not at.exception
    assert any("runtime ONNX Runtime fp32" in c.value for c in at.caption)
    assert any("No profile yet" in i.value for i in at.info)
    calibrate = at.button(key="calibrate")
    assert not calibrate.disabled and "adapts the closest of the store's 1 other latency model" in calibrate.help
    at = open_app("app_pages/hardware.py", {"hw_threads": "1"}, timeout=180)
    assert not any("No profile yet" in i.value for i in at.info)


def test_quick_calibration_needs_another_model(store):
    at = open_app("app_pages/hardware.py", {"hw_threads": "1", "hw_runtime": "onnxruntime"}, timeout=180)
    assert not at.exception and at.button(key="calibrate").disabled


def test_the_shipped_runtime_comparison_reads_whole():
    shipped = shipped_runtimes()
    assert shipped is not None, "data/hardware/runtimes-latency.json is made by `runtimes --save-to`"
    assert {"PyTorch eager fp32", "ONNX Runtime fp32", "ONNX Runtime int8"} <= set(shipped.accuracy["runtime"])
    assert (
        shipped.accuracy["model_mape"].between(0, 100).all() and shipped.accuracy["noise_floor"].between(0, 100).all()
    )
    calibration = calibration_table(shipped.calibration)
    assert set(calibration["n"]) == {5, 10, 20} and calibration[["calibrated", "scratch", "all"]].notna().all().all()
    best = best_table(shipped.best)
    assert set(best["runtime"]) == set(shipped.accuracy["runtime"])
    assert set(differing_budgets(shipped.best)) <= set(best["budget_ms"])


def test_the_drone_takes_each_runtimes_model(store):
    """Every runtime with a model (this machine's, else the shipped comparison's) gets its own largest φ."""
    models = runtime_models(store, MeasureOptions(threads=1))
    assert models and all(source.startswith("shipped") for _, source in models.values())
    frame = drone_per_runtime(models, Recipe(1.2, 1.1, 1.15), 30.0, Motion(60.0, 0.01, 90.0))
    assert set(frame["runtime"]) == set(models) and frame["phi"].notna().any()


def test_the_deployment_page_shows_the_int8_claim(store):
    at = section(open_app("app_pages/deployment.py", timeout=180), "deployment", "Quantization noise")
    assert not at.exception
    assert any(h.value.startswith("On a runtime that ships") for h in at.subheader)
    assert any("Claim: squeeze-excite before" in c.value for c in at.caption)
