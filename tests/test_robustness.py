"""The robustness pipeline end to end: train, evaluate once, cache in the store, report through the command."""

import json

import pytest

from scaling_core.cli.main import main
from scaling_core.studies.robustness.evaluation import robustness_settings

ARGS = [
    "--dataset",
    "digits",
    "--recipes",
    "efficientnet",
    "--phis",
    "0",
    "--seeds",
    "1",
    "--epochs",
    "12",
    "--workers",
    "1",
]


# Trains networks through the command (a minute or more on two cores): run with -m slow; the canaries in
# tests/test_versions.py check the same computations in the default run.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('robustness') / 'store.sqlite'}"
    assert main(["robustness", *ARGS, "--store", url, "--json"]) == 0
    return url


def test_the_command_prints_measured_curves_and_the_models_fit(evaluated, capsys):
    capsys.readouterr()
    assert main(["robustness", *ARGS, "--store", evaluated, "--json", "--no-run"]) == 0
    out = json.loads(capsys.readouterr().out)
    settings = robustness_settings()
    assert out["attack"] == "pgd" and out["source"] == "measured here: the results store"
    levels = [row["level"] for row in out["curves"]]
    assert levels == list(settings.eps)
    accuracy = [row["accuracy_mean"] for row in out["curves"]]
    assert accuracy[0] > 80 and accuracy[-1] < accuracy[0] and accuracy == sorted(accuracy, reverse=True)
    [summary] = out["summary"]
    assert summary["clean"] == pytest.approx(accuracy[0])
    [moments] = out["moments"]
    assert moments["margin_mean"] > 0 and moments["gradient_norm_mean"] > 0
    assert out["model"]["calibrated_rms_points"] <= out["model"]["from_moments_rms_points"] + 1e-9


def test_a_second_run_evaluates_nothing_and_a_corruption_reports_its_severities(evaluated, capsys):
    capsys.readouterr()
    assert main(["robustness", *ARGS, "--store", evaluated, "--attack", "gaussian_noise"]) == 0
    captured = capsys.readouterr()
    assert "evaluated 0 runs" in captured.err
    assert "gaussian_noise: accuracy (%) against level" in captured.out
    assert main(["robustness", "--dataset", "faces", "--store", evaluated, "--no-run"]) == 2
    assert "robustness results" in capsys.readouterr().err


def test_a_corruptions_curve_starts_clean_and_counts_its_distance_from_the_neutral_setting(evaluated, capsys):
    capsys.readouterr()
    assert main(["robustness", *ARGS, "--store", evaluated, "--json", "--no-run", "--attack", "contrast"]) == 0
    out = json.loads(capsys.readouterr().out)
    factors = robustness_settings().corruptions["contrast"]
    assert [row["level"] for row in out["curves"]] == pytest.approx([0.0, *(1 - f for f in factors)])
    assert out["curves"][0]["accuracy_mean"] == pytest.approx(out["summary"][0]["clean"])
    assert out["model"] is None  # the margin model is for attacks of size ε
