"""The families on scenes: a dense base of four families on the dense lab's input, each network of the study counting
as fvcore counts it, the grid trained and reported through the CLI with its base named, the rules decided per family
at equal MACs with a seed interval, and the shipped study current, whole and drawn on the Lab page."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from apptest import open_app
from figure_checks import figure_problems
from pydantic import ValidationError

from scaling_core.app.plots.lab import families_accuracy_figure
from scaling_core.app.views.lab_families import dense_families_frame, dense_family_claims_table
from scaling_core.cli.main import main
from scaling_core.core.base import load_base
from scaling_core.core.paths import DATA_DIR
from scaling_core.core.settings import validation_error
from scaling_core.lab.dense_families import dense_family_claims, families_file, families_grid
from scaling_core.lab.dense_networks import dense_network
from scaling_core.lab.dense_runs import dataset_digest, dense_version
from scaling_core.lab.dense_settings import dense_settings
from scaling_core.lab.runs import LabSettingsFile
from scaling_core.nn.verify import verify
from scaling_core.storage.shipped import shipped_records

GRID = families_grid()
CLASSES = 5
FAMILIES = {
    "lab-dense": "EfficientNet",
    "lab-dense-resnet": "ResNet",
    "lab-dense-regnety": "RegNetY",
    "lab-dense-v2": "EfficientNetV2",
}


def test_the_study_has_one_dense_base_per_family_on_the_dense_input():
    """Four families, each base on the dense lab base's input (64 px colour, its classes) and down to stride 32 with
    an output at every stride from 4, so one decoder serves them all."""
    assert {b: load_base(b).family for b in GRID.bases} == FAMILIES
    lab = load_base(dense_settings().base)
    for base in GRID.bases:
        spec = load_base(base)
        assert (spec.resolution_px, spec.in_channels, spec.num_classes) == (64, 3, lab.num_classes)
        backbone = dense_network("classification", "efficientnet", 0.0, CLASSES, None, base).backbone
        strides = np.cumprod([backbone.stem_stride] + [stage.first.stride for stage in backbone.stages])
        assert {4, 8, 16, 32} <= set(strides.tolist()) and strides[-1] == 32, (base, strides)


@pytest.mark.parametrize("base", [b for b in FAMILIES if b != "lab-dense"])
def test_every_studied_network_of_a_family_counts_exactly(base):
    """fvcore's count of each built network equals the analytic one, for every task, at each recipe of the study and
    its largest φ (rounded by the dense lab's policy)."""
    for task in ("segmentation", "multitask", "detection"):
        for alias in GRID.recipes:
            assert verify(dense_network(task, alias, float(max(GRID.phis)), CLASSES, None, base)).ok, (task, alias)


def test_a_dense_family_grid_trains_and_reports_through_the_cli(tmp_path, capsys):
    """`lab run --task segmentation --bases …` trains each base's grid (the φ = 0 network once per base) and names
    base and family per row; `lab report` reads the same runs back; a classification base is refused by name."""
    url = f"sqlite:///{tmp_path / 'lab.sqlite'}"
    grid = ["--task", "segmentation", "--dataset", "scenes", "--quick", "--epochs", "1", "--seeds", "1"]
    grid += ["--recipes", "efficientnet,dwr", "--phis", "0,1", "--bases", "lab-dense-resnet,lab-dense-regnety"]
    assert main(["lab", "run", *grid, "--store", url, "--json"]) == 0
    out, err = capsys.readouterr()
    assert "trained 6 runs" in err  # per base: φ = 0 once, then each recipe at φ = 1
    runs = json.loads(out)
    assert sorted((r["base"], r["family"], r["recipe"], r["phi"]) for r in runs) == sorted(
        (base, family, recipe, phi)
        for base, family in (("lab-dense-resnet", "ResNet"), ("lab-dense-regnety", "RegNetY"))
        for recipe in ("EfficientNet", "fast compound (dWr)")
        for phi in (0.0, 1.0)
    )
    assert all(0 <= r["metrics"]["miou"] <= 1 for r in runs)
    at_zero = {r["base"]: r["macs"] for r in runs if r["phi"] == 0}
    assert len(at_zero) == 2 and len(set(at_zero.values())) == 2  # φ = 0: one network per base, each its own
    assert main(["lab", "report", *grid, "--store", url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == runs
    assert main(["lab", "run", *grid[:-1], "lab-tiny-resnet", "--store", url]) == 2
    err = capsys.readouterr().err
    assert "--bases = 'lab-tiny-resnet'" in err and "lab-dense-resnet" in err


def test_the_families_verdict_says_when_nothing_is_measured(tmp_path, capsys):
    """With no runs of the grid (an empty store, a budget no shipped run has), `lab verdict --families` exits 1 naming
    the command that trains them; recipes without compound scaling are refused."""
    url = f"sqlite:///{tmp_path / 'lab.sqlite'}"
    assert main(["lab", "verdict", "--families", "--epochs", "1", "--store", url]) == 1
    assert "lab study --families --dataset scenes" in capsys.readouterr().err
    assert main(["lab", "verdict", "--families", "--recipes", "dwr,width", "--store", url]) == 2
    assert "--recipes = 'dwr,width'" in capsys.readouterr().err


def test_the_families_settings_name_bases_that_exist():
    raw = json.loads((DATA_DIR / "lab" / "settings.json").read_text())
    raw["dense"]["families"]["bases"] = ["lab-dense", "no-such-base"]
    with pytest.raises(ValidationError) as refused:
        LabSettingsFile.model_validate_json(json.dumps(raw))
    error = validation_error(refused.value)
    assert (error.parameter, error.value) == ("dense.families.bases", "no-such-base")


def _runs(gain_per_seed: list[float]) -> pd.DataFrame:
    """Synthetic segmentation runs of one family: dWr's mIoU rises with log MACs; compound's lies `gain` above it."""
    rows = []
    for alias, macs in (("efficientnet", (1e6, 2e6, 4e6)), ("dwr", (1e6, 2.5e6, 5e6))):
        for phi, m in enumerate(macs):
            for seed, gain in enumerate(gain_per_seed):
                miou = 0.4 + 0.05 * np.log2(m / 1e6) + (gain if alias == "efficientnet" and phi > 0 else 0.0)
                rows.append(
                    {
                        "base": "lab-dense-v2",
                        "family": "EfficientNetV2",
                        "task": "segmentation",
                        "role": "grid",
                        "alias": alias,
                        "phi": float(phi),
                        "seed": seed,
                        "macs": m,
                        "primary": miou,
                    }
                )
    return pd.DataFrame(rows)


def test_a_rule_is_decided_per_family_by_the_tasks_metric_at_equal_macs():
    """Compound lies 2 points of mIoU above dWr's interpolated curve (±0.5 over seeds): holds with +2; the reverse
    does not hold; the other task has no claim."""
    (claim,) = dense_family_claims(_runs([0.015, 0.02, 0.025]), "segmentation")
    assert (claim.family, claim.seeds) == ("EfficientNetV2", 3)
    assert claim.difference == pytest.approx(2.0) and claim.interval[0] > 0 and claim.verdict.startswith("holds")
    (worse,) = dense_family_claims(_runs([-0.015, -0.02, -0.025]), "segmentation")
    assert worse.verdict.startswith("does not hold")
    assert dense_family_claims(_runs([0.02, 0.02]), "detection") == []
    table = dense_family_claims_table(_runs([0.015, 0.02, 0.025]), "segmentation")
    assert table.loc[0, "interval"].startswith("[+") and table.loc[0, "verdict"] == "holds"


def test_the_shipped_study_is_current_whole_and_decides_every_rule_in_every_family():
    """data/lab/dense-families-scenes.json holds every base × recipe × φ × seed of the study, made by this code; the
    Lab page's summary has mIoU in %, a verdict per family and rule, and a figure with one panel per family."""
    header, records = shipped_records("lab", families_file("scenes"))
    assert header is not None, "made by `python -m scaling_core lab study --families --save-to …`"
    assert header["version"] == dense_version(dataset_digest("scenes"))
    assert len({(r["network_key"], r["seed"]) for r in records}) == len(records)
    for task in GRID.tasks:
        frame, runs, source = dense_families_frame(task)
        assert "shipped" in source
        points = {(r.base, r.alias, r.phi) for r in frame.itertuples() if r.seeds == GRID.seeds}
        assert points == {(b, a, float(p)) for b in GRID.bases for a in GRID.recipes for p in GRID.phis}
        assert frame["accuracy_mean"].between(5, 100).all()  # percent, never a fraction
        claims = dense_family_claims_table(runs, task)
        assert len(claims) == len(GRID.bases) * (len(GRID.recipes) - 1)
        assert claims["interval"].str.startswith("[").all() and claims["seeds"].eq(GRID.seeds).all()
        assert set(claims["verdict"]) <= {"holds", "does not hold", "inconclusive"}
        spec = families_accuracy_figure(frame, "MACs", "mIoU", "validation scenes").to_plotly_json()
        assert figure_problems(spec) == []
        assert [a["text"] for a in spec["layout"]["annotations"]] == [f"{FAMILIES[b]} ({b})" for b in GRID.bases]
        assert spec["layout"]["yaxis"]["title"]["text"] == "mIoU (%)"


def test_the_lab_page_shows_the_families_on_scenes(store):
    """The Lab page draws the shipped families on scenes: the source named, one mIoU panel per family, readable."""
    at = open_app("app_pages/lab.py", {"lab_dataset": "mnist5k"}, timeout=180)
    assert not at.exception
    assert any("Families on scenes" in h.value for h in at.subheader)
    assert any("data/lab/dense-families-scenes.json" in c.value and "mIoU" in c.value for c in at.caption)
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    dense = [s for s in specs if "mIoU" in s["layout"]["title"]["text"]]
    assert len(dense) == 1 and figure_problems(dense[0]) == []
    assert {a["text"] for a in dense[0]["layout"]["annotations"]} == {f"{FAMILIES[b]} ({b})" for b in GRID.bases}


def test_the_shipped_verdicts_and_runs_answer_from_the_command_line(tmp_path, capsys):
    """On a fresh store, `lab verdict --families --json` decides every rule in every family from the shipped file,
    and `lab report --bases` (no --families) reads that base's runs on the families' grid."""
    url = f"sqlite:///{tmp_path / 'lab.sqlite'}"
    assert main(["lab", "verdict", "--families", "--store", url, "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["metric"] == "miou"
    assert [c["base"] for c in verdict["claims"]] == [b for b in GRID.bases for _ in GRID.recipes[1:]]
    for claim in verdict["claims"]:
        low, high = claim["interval"]
        assert low <= claim["difference"] <= high and claim["seeds"] == GRID.seeds
    report = ["lab", "report", "--task", "segmentation", "--dataset", "scenes", "--bases", "lab-dense-resnet"]
    assert main([*report, "--store", url, "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert {(r["base"], r["phi"]) for r in runs} == {("lab-dense-resnet", float(p)) for p in GRID.phis}
    assert len(runs) == len(GRID.recipes) * len(GRID.phis) * GRID.seeds
