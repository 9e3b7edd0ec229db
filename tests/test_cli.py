import json
import subprocess
import sys
from pathlib import Path

import pytest

from scaling_core import get_preset, preset_names
from scaling_core.cli.main import main

ROOT = Path(__file__).resolve().parent.parent
STANDARD = {  # torchvision's EfficientNet B0–B7: (parameters, conv+linear MACs at the official resolution)
    "b0": (5_288_548, 385_814_752),
    "b7": (66_347_960, 37_745_884_192),
}


def run_json(capsys, *argv):
    assert main(["cost", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_module_entry_point_prints_json():
    done = subprocess.run(
        [sys.executable, "-m", "scaling_core", "cost", "--preset", "b3", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(done.stdout)
    assert (out["params"], out["resolution_px"]) == (12_233_232, 300)


@pytest.mark.parametrize("name", preset_names())
def test_presets_give_the_reference_figures(capsys, name):
    out = run_json(capsys, "--preset", name)
    assert out["params"] == get_preset(name).reference_params
    if name in STANDARD:
        assert (out["params"], out["conv_linear_macs"]) == STANDARD[name]
    assert out["macs"] == sum(out["macs_by_op"].values())
    assert out["macs_by_op"]["conv"] + out["macs_by_op"]["linear"] == out["conv_linear_macs"]


def test_recipe_json_has_the_documented_fields(capsys):
    out = run_json(
        capsys,
        "--alpha",
        "1.2",
        "--beta",
        "1.1",
        "--gamma",
        "1.15",
        "--phi",
        "2.5",
        "--num-classes",
        "10",
        "--resolution-multiple",
        "32",
    )
    assert {
        "params",
        "macs",
        "macs_by_op",
        "activations",
        "resolution_px",
        "depth_multiplier",
        "width_multiplier",
        "stages",
    } <= set(out)
    assert set(out["macs_by_op"]) == {"conv", "batch_norm", "adaptive_avg_pool2d", "linear"}
    assert out["resolution_px"] == 320 and out["depth_multiplier"] == pytest.approx(1.2**2.5)
    assert len(out["stages"]) == 7
    stage = {
        k: out["stages"][1][k] for k in ("in_channels", "out_channels", "repeats", "kernel", "stride", "expand_ratio")
    }
    assert stage == {"in_channels": 24, "out_channels": 32, "repeats": 4, "kernel": 3, "stride": 2, "expand_ratio": 6}


def test_text_output_labels_macs_and_flops(capsys):
    assert main(["cost", "--preset", "b0"]) == 0
    text = capsys.readouterr().out
    assert "MACs (multiply-adds) 401,659,392" in text and "FLOPs = 2 × MACs = 803,318,784" in text


def test_verify_passes(capsys):
    assert main(["cost", "--alpha", "1.3", "--beta", "1.05", "--gamma", "0.9", "--phi", "1.7", "--verify"]) == 0
    assert "verify: analytic == fvcore" in capsys.readouterr().out


def test_verify_exits_1_on_any_difference(capsys, monkeypatch):
    import scaling_core.nn.verify as verify_module

    real = verify_module.fvcore_counts

    def off_by_one(arch, memory_limit_bytes=None):
        truth = real(arch, memory_limit_bytes)
        return verify_module.FvcoreCounts(truth.macs_by_op, truth.params + 1, truth.activations)

    monkeypatch.setattr(verify_module, "fvcore_counts", off_by_one)
    assert main(["cost", "--preset", "b0", "--verify", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["verify"]["ok"] is False and out["verify"]["differences"][0].startswith("params")


@pytest.mark.parametrize(
    "argv, parameter",
    [
        (["--alpha", "0", "--beta", "1.1", "--gamma", "1.15", "--phi", "1"], "alpha"),
        (["--alpha", "1.2", "--beta", "-1", "--gamma", "1.15", "--phi", "1"], "beta"),
        (["--alpha", "1.2", "--beta", "1.1", "--gamma", "nan", "--phi", "1"], "gamma"),
        (["--alpha", "1.2", "--beta", "1.1", "--gamma", "1.15", "--phi", "-0.5"], "phi"),
        (["--alpha", "1.2", "--beta", "1.1", "--gamma", "1.15", "--phi", "inf"], "phi"),
        (["--alpha", "1", "--beta", "1", "--gamma", "0.5", "--phi", "4"], "resolution"),
        (["--preset", "b8"], "preset"),
        (["--preset", "b1", "--phi", "2"], "--preset"),
        (["--alpha", "1.2", "--beta", "1.1", "--gamma", "1.15"], "--phi"),
        (["--alpha", "1.2", "--beta", "1.1", "--gamma", "1.15", "--phi", "1", "--base", "nope"], "base"),
        (["--alpha", "1.2", "--beta", "1.1", "--gamma", "1.15", "--phi", "1", "--num-classes", "0"], "--num-classes"),
        (["--preset", "b0", "--verify", "--memory-limit-gb", "0.001"], "memory"),
        (["--alpha", "2", "--beta", "1", "--gamma", "1", "--phi", "70"], "phi"),
        (
            [
                "--head",
                "detection",
                "--alpha",
                "1.2",
                "--beta",
                "1.1",
                "--gamma",
                "1.15",
                "--phi",
                "1",
                "--num-classes",
                "-5",
            ],
            "--num-classes",
        ),
        (["--alpha", "abc"], "--alpha"),
        (["--resolution-multiple", "7", "--preset", "b0"], "--resolution-multiple"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_parameter(capsys, argv, parameter):
    try:
        status = main(["cost", *argv])
    except SystemExit as exc:  # argparse's own checks (types, choices)
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and parameter in err


@pytest.mark.parametrize("name", ["d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7"])
def test_detection_presets_within_the_published_tolerances(capsys, name):
    out = run_json(capsys, "--head", "detection", "--preset", name)
    published = out["published"]
    assert abs(published["params_difference"]) < 0.10 and abs(published["macs_difference"]) < 0.15
    assert set(out["components"]) == {"backbone", "neck", "head"}
    assert sum(c["macs"] for c in out["components"].values()) == out["macs"]


# The task heads' counts equal fvcore's in tests/test_tasks.py; building each through the command is the slow part.
SLOW_HEADS = ("detection", "segmentation", "multitask", "video")


@pytest.mark.parametrize("head", ["classification", *(pytest.param(h, marks=pytest.mark.slow) for h in SLOW_HEADS)])
def test_verify_passes_for_every_head(capsys, head):
    argv = [
        "cost",
        "--head",
        head,
        "--alpha",
        "1.15",
        "--beta",
        "1.05",
        "--gamma",
        "1.05",
        "--tau",
        "1.2",
        "--phi",
        "0.5",
        "--num-classes",
        "11",
        "--json",
        "--verify",
    ]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["verify"]["ok"] and out["head"] == head


def test_law_command_prints_what_the_check_gives(capsys):
    from scaling_core.tasks.law import check_law

    assert main(["law", "--head", "segmentation", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    check = check_law("segmentation")
    assert out["exponents"] == check.fit.exponents and out["r_squared"] == check.fit.r_squared
    assert out["max_relative_deviation"] == check.max_deviation


def test_law_command_text(capsys):
    assert main(["law", "--head", "detection"]) == 0
    text = capsys.readouterr().out
    assert "fitted:" in text and "worst deviation from the law" in text and "neck" in text


def test_preset_with_a_head_that_has_none_is_refused(capsys):
    assert main(["cost", "--head", "segmentation", "--preset", "b1"]) == 2
    assert "--preset" in capsys.readouterr().err


def test_bench_prints_latency_and_fingerprint_then_serves_from_the_store(capsys, tmp_path):
    store = f"sqlite:///{tmp_path / 'bench.sqlite'}"
    argv = [
        "bench",
        "--alpha",
        "0.5",
        "--beta",
        "0.5",
        "--gamma",
        "0.5",
        "--phi",
        "1",
        "--threads",
        "1",
        "--min-run-time",
        "0.05",
        "--store",
        store,
        "--json",
    ]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["p10_ms"] <= first["median_ms"] <= first["p90_ms"] and first["fingerprint"]["cpu_model"]
    assert first["served_from_store"] is False
    assert main(argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["served_from_store"] is True and second["median_ms"] == first["median_ms"]


def test_bench_many_configurations_to_csv(capsys, tmp_path):
    target = tmp_path / "rows.csv"
    argv = [
        "bench",
        "--alpha",
        "0.5",
        "--beta",
        "0.5",
        "--gamma",
        "0.5",
        "--phi",
        "1",
        "1.2",
        "--threads",
        "1",
        "--min-run-time",
        "0.05",
        "--store",
        f"sqlite:///{tmp_path / 's.sqlite'}",
        "--csv",
        str(target),
    ]
    assert main(argv) == 0
    assert "measured on" in capsys.readouterr().out
    assert len(target.read_text().strip().splitlines()) == 3


@pytest.mark.slow  # measures 30 networks; tests/test_latency.py checks the fit, test_secrets.py the command's output
def test_fit_latency_and_optimize_end_to_end(capsys, tmp_path):
    store = f"sqlite:///{tmp_path / 'fit.sqlite'}"
    common = ["--threads", "1", "--min-run-time", "0.02", "--store", store, "--json"]
    assert main(["fit-latency", "--train", "10", "--test", "4", "--rounds", "1", *common]) == 0
    fit = json.loads(capsys.readouterr().out)
    for predictor in ("model", "flops_only_baseline"):
        assert set(fit[predictor]) == {"within_10pct", "mape", "kendall_tau"}
    assert fit["train"] == 10 and fit["test"] == 4
    from scaling_core.hardware.latency_model import noise_floor, profile_identity
    from scaling_core.hardware.measure import MeasureOptions
    from scaling_core.storage.store import Store

    saved = Store(store).get_profile(profile_identity(MeasureOptions(threads=1)))
    assert fit["noise_floor_within_10pct"] == noise_floor(saved["test_measured_ms"], saved["test_remeasured_ms"])
    assert main(["optimize", "--budget-ms", "200", *common]) == 0
    choice = json.loads(capsys.readouterr().out)
    assert choice["predicted_ms"] <= 200 and choice["measured_best_ms"] > 0
    assert choice["resolution_px"] % 8 == 0


def test_a_reader_that_stops_early_gets_no_traceback():
    # `scaling-lab law | head -1`: writing to the closed pipe raises BrokenPipeError inside main.
    script = (
        "from scaling_core.cli import main as cli\ndef closed(): raise BrokenPipeError\ncli.main = closed\ncli.run()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
