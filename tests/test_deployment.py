"""Deployment end to end: the measured grid trained, blurred and quantized once, reported by the commands."""

import json

import pytest
from deployment_helpers import store_synthetic_profile

from scaling_core.cli.main import main
from scaling_core.storage.store import Store
from scaling_core.studies.deployment.measurements import measure_settings

ARGS = ["--dataset", "digits", "--phis", "0", "--seeds", "1", "--epochs", "12", "--workers", "1"]


# Trains networks through the command (a minute or more on two cores): run with -m slow; the canaries in
# tests/test_versions.py check the same computations in the default run.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('deployment') / 'store.sqlite'}"
    assert main(["quantize", *ARGS, "--store", url, "--json"]) == 0
    store_synthetic_profile(Store(url))
    return url


def quantize_json(url, capsys, *extra):
    capsys.readouterr()
    assert main(["quantize", *ARGS, "--store", url, "--json", "--no-run", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_sixteen_bits_change_nothing_and_fewer_bits_lose_signal(evaluated, capsys):
    out = quantize_json(evaluated, capsys)
    assert out["source"] == "measured here: the results store"
    rows = out["summary"]
    assert {r["se_position"] for r in rows} == {"after_depthwise", "before_depthwise"}
    for position in ("after_depthwise", "before_depthwise"):
        for scheme in ("per_tensor", "per_channel"):
            chosen = sorted(
                (
                    r
                    for r in rows
                    if r["se_position"] == position and r["scheme"] == scheme and r["recipe"] == "EfficientNet"
                ),
                key=lambda r: r["bits"],
            )
            assert [r["bits"] for r in chosen] == list(measure_settings().bits)
            assert chosen[-1]["drop_points"] == 0.0 and chosen[-1]["sqnr_db"] > 70
            sqnr = [r["sqnr_db"] for r in chosen]
            assert sqnr[1] < sqnr[3] < sqnr[4]  # 4 < 8 < 16 bits
    assert out["model"]["calibrated_rms_db"] <= out["model"]["rms_db"] + 1e-9
    [four] = [r for r in out["se_comparison"] if r["recipe"] == "EfficientNet" and r["scheme"] == "per_tensor"]
    assert four["before_minus_after_db"] == pytest.approx(four["before_depthwise"] - four["after_depthwise"])


def test_a_second_run_evaluates_nothing(evaluated, capsys):
    capsys.readouterr()
    assert main(["quantize", *ARGS, "--store", evaluated]) == 0
    captured = capsys.readouterr()
    assert "evaluated 0 runs" in captured.err and "output SQNR (dB) at 4 bits" in captured.out


def test_the_drone_command_picks_phi_within_the_budget_and_reports_blur(evaluated, capsys):
    capsys.readouterr()
    assert (
        main(
            ["drone", *ARGS, "--store", evaluated, "--no-run", "--json", "--budget-ms", "60", "--min-run-time", "0.05"]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    choice = out["choice"]
    assert choice["predicted_ms"] <= 60 and choice["measured_median_ms"] > 0
    assert choice["blur_px"] == pytest.approx(out["sweep"] * choice["resolution_px"])
    blur = [r for r in out["blur_measured"] if r["recipe"] == "EfficientNet"]
    assert [r["sweep"] for r in blur] == list(measure_settings().sweeps)
    assert blur[0]["blur_px"] == 0 and blur[-1]["accuracy_mean"] < blur[0]["accuracy_mean"]
    assert out["blur_model"]["calibrated_rms_points"] <= out["blur_model"]["rms_points"] + 1e-9


def test_the_thermal_command_throttles_a_hot_device_and_not_a_cool_one(evaluated, capsys):
    capsys.readouterr()
    assert (
        main(["thermal", "--store", evaluated, "--json", "--phi-max", "1", "--throttle", "40", "--static-w", "0.3"])
        == 0
    )
    hot = json.loads(capsys.readouterr().out)
    assert all(r["sustained_over_cold"] < 1 and r["max_c"] <= 40 + 1e-6 for r in hot["per_phi"])
    assert (
        main(["thermal", "--store", evaluated, "--json", "--phi-max", "1", "--throttle", "150", "--static-w", "0.3"])
        == 0
    )
    cool = json.loads(capsys.readouterr().out)
    assert all(r["sustained_over_cold"] == pytest.approx(1.0) for r in cool["per_phi"])
    assert [r["phi"] for r in cool["per_phi"]][0] == -1.0
    assert main(["thermal", "--store", evaluated, "--resistance", "-3"]) == 2
    assert "thermal resistance" in capsys.readouterr().err
