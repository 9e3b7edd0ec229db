"""The families in the lab: tiny bases of four families that count as fvcore counts them, train through the CLI,
and whose rule comparisons are decided at equal MACs with a seed interval; the shipped study is current and whole."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from figure_checks import figure_problems
from pydantic import ValidationError

from scaling_core.app.plots.lab import families_accuracy_figure
from scaling_core.app.views.lab_families import failed_to_train, families_frame, family_claims_table
from scaling_core.cli.main import main
from scaling_core.core.base import load_base
from scaling_core.core.paths import DATA_DIR
from scaling_core.core.settings import validation_error
from scaling_core.lab.families import families_notice, family_claims, run_rows, shipped_families
from scaling_core.lab.runs import LabSettingsFile, code_version, lab_network, lab_settings
from scaling_core.nn.verify import verify

STUDY = lab_settings().families
FAMILIES = {
    "lab-tiny": "EfficientNet",
    "lab-tiny-resnet": "ResNet",
    "lab-tiny-regnety": "RegNetY",
    "lab-tiny-v2": "EfficientNetV2",
}


def test_the_study_has_one_tiny_base_per_family_on_the_lab_input():
    """Four families, each base on the lab base's input (16 px, one channel, ten classes)."""
    assert {b: load_base(b).family for b in STUDY.bases} == FAMILIES
    lab = load_base(lab_settings().base)
    for base in STUDY.bases:
        spec = load_base(base)
        assert (spec.resolution_px, spec.in_channels, spec.num_classes) == (
            lab.resolution_px,
            lab.in_channels,
            lab.num_classes,
        )


@pytest.mark.parametrize("base", [b for b in FAMILIES if b != "lab-tiny"])
def test_every_studied_network_of_a_family_counts_exactly(base):
    """The counter and the builder read one description: fvcore's count of each built network equals the analytic
    one, at every recipe of the study and its largest φ (rounding by the lab's policy)."""
    for alias in STUDY.recipes:
        network = lab_network(STUDY.dataset, alias, max(STUDY.phis), base=base)
        assert verify(network).ok, (base, alias)


def test_a_family_grid_trains_through_the_cli_with_its_base_named(tmp_path, capsys):
    """`lab run --bases` trains each base's grid and reports base and family per row; `lab report --bases` reads
    the same rows back."""
    url = f"sqlite:///{tmp_path / 'lab.sqlite'}"
    grid = ["--dataset", "digits", "--recipes", "efficientnet,width", "--phis", "0,1", "--seeds", "1", "--epochs", "1"]
    bases = ["--bases", "lab-tiny-resnet,lab-tiny-v2", "--store", url, "--json"]
    assert main(["lab", "run", *grid, *bases, "--save-to", str(tmp_path / "families.json")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(r["base"], r["family"], r["alias"], r["phi"]) for r in report] == [
        (base, family, alias, phi)
        for base, family in (("lab-tiny-resnet", "ResNet"), ("lab-tiny-v2", "EfficientNetV2"))
        for alias in ("efficientnet", "width")
        for phi in (0.0, 1.0)
    ]
    assert all(r["seeds"] == 1 and len(r["run_accuracy"]) == 1 and 0 < r["run_accuracy"][0] <= 1 for r in report)
    assert report[0]["macs"] != report[4]["macs"]  # two bases, two networks at φ = 0
    assert main(["lab", "report", *grid, *bases]) == 0
    assert json.loads(capsys.readouterr().out) == report
    document = json.loads((tmp_path / "families.json").read_text())
    assert "--bases lab-tiny-resnet,lab-tiny-v2" in document["command"]


def test_bases_are_refused_where_the_lab_has_none(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'lab.sqlite'}"
    assert main(["lab", "run", "--bases", "resnet50", "--store", url]) == 2
    assert "base = 'resnet50'" in capsys.readouterr().err
    assert main(["lab", "run", "--task", "segmentation", "--dataset", "scenes", "--bases", "lab-tiny-v2"]) == 2
    assert "--bases" in capsys.readouterr().err
    raw = json.loads((DATA_DIR / "lab" / "settings.json").read_text())
    raw["families"]["bases"] = ["lab-tiny", "no-such-base"]
    with pytest.raises(ValidationError) as refused:
        LabSettingsFile.model_validate_json(json.dumps(raw))
    error = validation_error(refused.value)
    assert (error.parameter, error.value) == ("families.bases", "no-such-base")


def _report(gain_per_seed: list[float]) -> pd.DataFrame:
    """A synthetic two-recipe report: width-only's accuracy rises with log MACs; compound's lies `gain` above it at
    every MACs, per seed."""
    rows = []
    for alias, macs in (("efficientnet", (1e6, 2e6, 4e6)), ("width", (1e6, 1.5e6, 3e6, 5e6))):
        for phi, m in enumerate(macs):
            base = 0.5 + 0.05 * np.log2(m / 1e6)
            accuracy = [base + (g if alias == "efficientnet" and phi > 0 else 0.0) for g in gain_per_seed]
            rows.append(
                {
                    "base": "lab-tiny-resnet",
                    "family": "ResNet",
                    "alias": alias,
                    "phi": float(phi),
                    "macs": m,
                    "run_seeds": list(range(len(gain_per_seed))),
                    "run_accuracy": accuracy,
                }
            )
    return pd.DataFrame(rows)


def test_a_rule_is_compared_at_equal_macs_with_a_seed_interval():
    """Compound lies 2 points above width-only's interpolated curve at every seed's budgets (±0.5): the claim holds
    with 2 points; the reverse does not hold; one seed is inconclusive."""
    (claim,) = family_claims(_report([0.015, 0.02, 0.025]))
    assert claim.family == "ResNet" and claim.seeds == 3
    assert claim.difference == pytest.approx(2.0) and claim.interval[0] > 0 and claim.verdict.startswith("holds")
    (worse,) = family_claims(_report([-0.015, -0.02, -0.025]))
    assert worse.verdict.startswith("does not hold")
    (alone,) = family_claims(_report([0.02]))
    assert alone.interval is None and alone.verdict.startswith("inconclusive")
    assert len(run_rows(_report([0.0, 0.0]))) == 2 * 7


def test_the_shipped_study_is_current_whole_and_decides_every_rule_in_every_family():
    document = shipped_families(STUDY.dataset)
    assert document is not None, "data/lab/families-mnist5k.json is made by the Lab page's families command"
    assert document["code_version"] == code_version(STUDY.dataset) and families_notice(STUDY.dataset) == ""
    frame, source = families_frame(STUDY.dataset)
    assert "shipped" in source
    points = {(r.base, r.alias, r.phi) for r in frame.itertuples() if r.seeds == STUDY.seeds}
    assert points == {(b, a, p) for b in STUDY.bases for a in STUDY.recipes for p in STUDY.phis}
    assert frame["accuracy_mean"].between(10, 100).all()  # percent, never a fraction
    claims = family_claims_table(frame)
    assert len(claims) == len(STUDY.bases) * (len(STUDY.recipes) - 1)
    assert claims["interval"].str.startswith("[").all() and claims["seeds"].eq(STUDY.seeds).all()
    assert set(claims["verdict"]) <= {"holds", "does not hold", "inconclusive"}
    spec = families_accuracy_figure(frame, "MACs").to_plotly_json()
    assert figure_problems(spec) == []
    panels = [a["text"] for a in spec["layout"]["annotations"]]
    assert panels == [f"{FAMILIES[b]} ({b})" for b in STUDY.bases]
    assert {t["name"] for t in spec["data"] if t.get("showlegend")} == set(frame["recipe"])


def test_networks_the_budget_did_not_train_are_named():
    """A scaled network more than ten points below its family's base is named (its verdicts measure trainability)."""
    frame = pd.DataFrame(
        {
            "base": ["b", "b", "b"],
            "family": ["ResNet"] * 3,
            "recipe": ["width-only", "depth-only", "width-only"],
            "phi": [0.0, 1.0, 2.0],
            "accuracy_mean": [90.0, 70.0, 85.0],
        }
    )
    assert failed_to_train(frame) == ["ResNet depth-only φ = 1 (70%)"]
