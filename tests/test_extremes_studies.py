"""Deployment, Robustness and Representation at the ends of every control (and the pairs that interact), with and
without a latency profile in the store: no exception, one line saying what cannot be shown, and every figure
drawn by the house rules (finite data, the legend in the bottom margin, log axes of readable span, reference lines
in the axis' own coordinates)."""

import json
import math
from dataclasses import dataclass, field

import pandas as pd
import pytest
from apptest import every_tab, open_app
from deployment_helpers import store_synthetic_profile
from figure_checks import figure_problems, table_problems

from scaling_core.app.plots.deployment import ceiling_figure, latency_figure, throughput_figure
from scaling_core.app.state import FIELD_BY_NAME
from scaling_core.studies.robustness.evaluation import ATTACKS, robustness_settings

DEPLOYMENT = "app_pages/deployment.py"
ROBUSTNESS = "app_pages/robustness.py"
REPRESENTATION = "app_pages/representation.py"
THERMAL = (
    "thermal_resistance_k_per_w",
    "thermal_capacitance_j_per_k",
    "thermal_duration_s",
    "thermal_required_fps",
    "thermal_target_fps",
    "thermal_static_w",
    "thermal_pj_per_mac",
    "thermal_pj_per_byte",
    "thermal_hysteresis_k",
    "thermal_phi",
)
DEPLOYMENT_FIELDS = (
    *THERMAL,
    "thermal_ambient_c",
    "thermal_throttle_c",
    "deploy_phi_max",
    "motion_speed_dps",
    "motion_exposure_ms",
    "motion_fov_deg",
    "hw_budget_ms",
    "quant_gain",
)


def end(name: str, which: str) -> str:
    spec = FIELD_BY_NAME[name]
    return spec.format(spec.minimum if which == "min" else spec.maximum)


def check_figure(spec: dict) -> None:
    """The house rules on one figure's JSON (tests/figure_checks.py)."""
    assert figure_problems(spec) == []


@dataclass
class Seen:
    """What a page showed over all its tabs: its messages, trace names and metric labels."""

    said: list[str] = field(default_factory=list)
    traces: set[str] = field(default_factory=set)
    metrics: list[str] = field(default_factory=list)

    def says(self, text: str) -> bool:
        return any(text in message for message in self.said)


def check_page(at) -> Seen:
    """The house rules on every tab of the page; what it showed."""
    seen = Seen()
    for shown in every_tab(at):
        assert not shown.exception, [e.value for e in shown.exception]
        assert table_problems(shown) == []
        for element in shown.get("plotly_chart"):
            spec = json.loads(element.proto.spec)
            check_figure(spec)
            seen.traces |= {t.get("name") for t in spec["data"]}
        for error in shown.error:  # a person's error: one line, no Python repr of an exception
            assert "\n" not in error.value.strip() and "Traceback" not in error.value and "Error(" not in error.value
        seen.said += [element.value for element in [*shown.info, *shown.warning, *shown.error]]
        seen.metrics += [m.label for m in shown.metric]
    return seen


def test_the_required_rate_lies_on_the_log_axis_bounded_to_the_data():
    frame = pd.DataFrame({"phi": [0.0, 1.0, 2.0], "cold_fps": [40.0, 20.0, 8.0], "sustained_fps": [30.0, 12.0, 0.0]})
    spec = throughput_figure(frame, 10.0).to_plotly_json()
    check_figure(spec)
    (line,) = spec["layout"]["shapes"]
    assert line["y0"] == pytest.approx(10.0)  # a shape on a log axis is in data units; its label at log10(10) = 1
    assert [a["y"] for a in spec["layout"]["annotations"] if a.get("yref") == "y"] == [pytest.approx(1.0)]
    low, high = spec["layout"]["yaxis"]["range"]
    assert low <= math.log10(8.0) and high <= math.log10(40.0) + 0.2  # bounded to the data, not to 10^10
    ceiling = pd.DataFrame(
        {"phi": [0.0, 1.0], "ceiling_fps": [300.0, 0.0], "energy_mj": [1.0, 5.0], "resolution_px": [224, 240]}
    )
    check_figure(ceiling_figure(ceiling, 10.0).to_plotly_json())  # a zero ceiling is left out of the log axis
    latency = pd.DataFrame(
        {"phi": [0.0, 1.0], "resolution_px": [224, 240], "predicted_ms": [5.0, None], "blur_px": [0.1, 0.2]}
    )
    spec = latency_figure(latency, 30.0, 0.0, 6.0).to_plotly_json()
    check_figure(spec)
    assert spec["layout"]["shapes"][0]["y0"] == pytest.approx(30.0)


def test_a_figure_check_catches_a_reference_label_in_data_units():
    fig = throughput_figure(pd.DataFrame({"phi": [0.0], "cold_fps": [20.0], "sustained_fps": [10.0]}), 0.0)
    fig.add_hline(y=15.0, annotation_text="raw")  # plotly puts the label at 10^15 on a log axis
    with pytest.raises(AssertionError):
        check_figure(fig.to_plotly_json())


@pytest.mark.parametrize("which", ["min", "max"])
def test_deployment_at_the_ends_of_every_control_with_a_profile(store, which):
    store_synthetic_profile(store)
    query = {name: end(name, which) for name in DEPLOYMENT_FIELDS}
    # The throttle must lie above the ambient: the coldest throttle over the coldest ambient, and both hottest.
    seen = check_page(open_app(DEPLOYMENT, query, timeout=300))
    if which == "min":
        assert seen.says("latency budget (ms) = 1.0")  # no network is that fast: said in one line
    else:
        assert seen.says("The static power alone heats the device past its throttle temperature")


def test_deployment_before_the_fit_shows_the_blur_and_the_thermal_ceiling(store):
    at = open_app(DEPLOYMENT, {"thermal_required_fps": "1000.0", "motion_speed_dps": "2000.0"}, timeout=300)
    seen = check_page(at)
    assert seen.says("fit one on the Hardware page (it offers a quick fit)")
    assert {"blur L = ω·t·r/FOV (modelled)", "highest rate below the throttle (modelled)"} <= seen.traces
    assert any(label.startswith("Largest φ under the thermal ceiling") for label in seen.metrics)


def test_the_default_motion_says_it_is_nearer_no_blur_than_any_measured_blur(store):
    seen = check_page(open_app(DEPLOYMENT, {}, timeout=300))
    assert seen.says("nearer no blur than the smallest measured sweep")


@pytest.mark.parametrize(("attack", "level"), [("pgd", "1.0"), ("fgsm", "0.0"), ("contrast", "1.0")])
def test_robustness_at_the_reference_levels_ends(store, attack, level):
    seen = check_page(open_app(ROBUSTNESS, {"robust_attack": attack, "robust_level": level}, timeout=240))
    top = max(robustness_settings().eps) if attack in ATTACKS else None
    if top is not None and float(level) > top:
        assert seen.says("lies outside the measured levels")


@pytest.mark.parametrize(
    "query",
    [
        {"cover_d": "1", "cover_simulate": "1", "fewshot_ways": "2", "fewshot_snr0": "0.01", "fewshot_eta": "-5.0"},
        pytest.param(  # half a minute of few-shot model on two cores
            {"cover_d": "5000", "cover_simulate": "1", "fewshot_ways": "20"}
            | {"fewshot_dim0": "1.0", "fewshot_zeta": "5.0"},
            marks=pytest.mark.slow,
        ),
        {"distill_temperature": "0.01", "distill_alpha": "0.0", "distill_weight_decay": "0.0"},
        {"distill_temperature": "100.0", "distill_alpha": "1.0", "distill_weight_decay": "1.0"},
    ],
)
def test_representation_at_the_ends_of_its_controls(store, query):
    at = open_app(REPRESENTATION, query, timeout=300)
    seen = check_page(at)
    if "distill_alpha" in query:
        assert seen.says("No students trained with")
    if query.get("cover_d") == "5000":
        assert at.toggle[0].disabled  # the simulation is offered only where it is quick


@pytest.mark.slow
@pytest.mark.parametrize("profile", [False, True])
@pytest.mark.parametrize("which", ["min", "max"])
@pytest.mark.parametrize("name", DEPLOYMENT_FIELDS)
def test_deployment_each_control_alone_at_its_ends(store, profile, which, name):
    if profile:
        store_synthetic_profile(store)
    at = open_app(DEPLOYMENT, {name: end(name, which)}, timeout=300)
    assert not at.exception
    check_page(at)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["min", "max"])
@pytest.mark.parametrize(
    "pair",
    [
        ("thermal_resistance_k_per_w", "thermal_capacitance_j_per_k"),
        ("thermal_duration_s", "thermal_required_fps"),
        ("thermal_capacitance_j_per_k", "thermal_duration_s"),
        ("thermal_hysteresis_k", "thermal_capacitance_j_per_k"),
    ],
)
def test_deployment_interacting_thermal_pairs(store, which, pair):
    store_synthetic_profile(store)
    other = "max" if which == "min" else "min"
    at = open_app(DEPLOYMENT, {pair[0]: end(pair[0], which), pair[1]: end(pair[1], other)}, timeout=300)
    check_page(at)


@pytest.mark.slow
@pytest.mark.parametrize("bits", [str(b) for b in FIELD_BY_NAME["quant_bits"].choices])
@pytest.mark.parametrize("which", ["min", "max"])
def test_quantization_bits_and_gain(store, bits, which):
    at = open_app(DEPLOYMENT, {"quant_bits": bits, "quant_gain": end("quant_gain", which)}, timeout=300)
    check_page(at)


@pytest.mark.slow
@pytest.mark.parametrize("attack", FIELD_BY_NAME["robust_attack"].choices)
@pytest.mark.parametrize("level", ["0.0", "1.0"])
def test_robustness_every_perturbation_at_both_levels(store, attack, level):
    at = open_app(ROBUSTNESS, {"robust_attack": attack, "robust_level": level}, timeout=240)
    check_page(at)


@pytest.mark.slow
@pytest.mark.parametrize("shots", [str(s) for s in FIELD_BY_NAME["fewshot_shots"].choices])
@pytest.mark.parametrize("ways", ["2", "20"])
def test_representation_ways_and_shots(store, shots, ways):
    at = open_app(REPRESENTATION, {"fewshot_shots": shots, "fewshot_ways": ways}, timeout=300)
    check_page(at)
