"""The Robustness page, headless, on the shipped evaluations of the lab's default grid."""

import json

from apptest import link_value, metric, open_app, section

from scaling_core.storage.shipped import shipped_records

PAGE, PAGE_KEY = "app_pages/robustness.py", "robustness"


def traces(at) -> set[str]:
    return {t.get("name") for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]}


def test_the_page_shows_measured_and_modelled_curves_and_the_models_error(store):
    at = open_app(PAGE, {"lab_dataset": "mnist5k"}, timeout=180)
    assert not at.exception and not at.error
    assert any("shipped data/robustness/mnist5k.json" in c.value for c in at.caption)
    assert {"φ = 0 (measured)", "φ = 3 (modelled)"} <= traces(at)
    header, records = shipped_records("robustness", "mnist5k")
    summary = next(d.value for d in section(at, PAGE_KEY, "What each dimension buys").dataframe if "auc" in d.value)
    assert len(summary) == len({(r["alias"], r["phi"]) for r in records})
    at = section(at, PAGE_KEY, "The margin model")
    calibrated = float(metric(at, "Calibrated on the curves").split()[0])
    assert float(metric(at, "Error of these parameters").split()[0]) == calibrated


def test_other_parameters_change_the_error_and_a_corruption_has_no_model(store):
    model = "mu:5.0,0.0,0.0,0.0;sigma:2.0,0.0,0.0,0.0;g:40.0,0.0,0.0,0.0"
    at = section(open_app(PAGE, {"robust_model": model}, timeout=180), PAGE_KEY, "The margin model")
    assert not at.exception and at.query_params["robust_model"] == model
    assert metric(at, "Error of these parameters") != metric(at, "Calibrated on the curves")
    at.button(key="robust_reset").click().run()
    assert not at.exception and link_value(at, "robust_model") == ""
    at = section(open_app(PAGE, {"robust_attack": "contrast"}, timeout=180), PAGE_KEY, "The margin model")
    assert not at.exception and any("choose FGSM or PGD" in i.value for i in at.info)


def test_a_dataset_without_evaluations_and_a_bad_model_link_say_so(store):
    at = open_app(PAGE, {"lab_dataset": "faces"}, timeout=180)
    assert not at.exception and any("No robustness results" in i.value for i in at.info)
    at = open_app(PAGE, {"robust_model": "mu:1,2"}, timeout=180)
    assert not at.exception and link_value(at, "robust_model") == ""  # the link's bad model: the calibrated one
