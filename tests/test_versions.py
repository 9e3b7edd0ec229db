"""Computation versions: canaries that say when one must be bumped, keys that survive moving code, stale files refused.

Every cached or shipped result is keyed by an explicit version of the computation that made it, never by a hash
of source files. A canary re-runs a tiny case and compares a digest of its rounded results with the digest
recorded here beside the version it belongs to: a mismatch means the computation changed, so its version must
be bumped (and the shipped files re-made), and the new digest recorded beside the new version.
"""

import io
import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from scaling_core.app.views import lab, robustness
from scaling_core.cli.main import main
from scaling_core.core.paths import DATA_DIR
from scaling_core.hardware import latency_model
from scaling_core.hardware.latency_model import FLOPS_FEATURES, FitReport, LinearProfile, Scores, profile_identity
from scaling_core.hardware.measure import MeasureOptions
from scaling_core.lab import shipped_results
from scaling_core.lab.evaluations import RunRef
from scaling_core.lab.runs import code_version, lab_network
from scaling_core.lab.train import Budget, train
from scaling_core.storage.keys import digest
from scaling_core.storage.shipped import save_records
from scaling_core.studies.deployment import measurements as deployment
from scaling_core.studies.deployment import runtime_int8
from scaling_core.studies.representation import distill
from scaling_core.studies.representation import measurements as representation
from scaling_core.studies.robustness import evaluation as robustness_evaluation
from scaling_core.tasks.cost import count_task

ROOT = Path(__file__).resolve().parents[1]

# (the version the digests were recorded at, the digests of the canary's rounded results), per version constant.
# One epoch of training lands a few units apart in the 6th digit on different CPUs (torch's kernels differ by
# instruction set), so a version holds one digest per kind of CPU it was recorded on, in this order: AMD EPYC
# (AVX2), Intel Xeon (AVX-512), AMD EPYC (AVX-512, Zen 4: recorded from commit 3b6d60f). Record a new CPU's digest
# only from an unchanged checkout (the same commit gave the others), never to silence a change.
CANARIES = {
    "scaling_core.lab.runs.TRAINING_VERSION": (1, ("c024046ead778bbf", "72016c5528f02a37", "896c554e66b6e015")),
    "scaling_core.studies.robustness.evaluation.ROBUSTNESS_VERSION": (
        "a78504d8e37e",
        ("9f18afabda948892", "2e078c2dc3cb6c82", "b004af6642eb4869"),
    ),
    "scaling_core.studies.deployment.measurements.DEPLOYMENT_VERSION": (
        "2a43fd0b4501",
        ("340659c981b8b843", "a0e0973f1737dbf7", "624f8d4fea552eeb"),
    ),
    "scaling_core.studies.representation.measurements.REPRESENTATION_VERSION": (
        "81c440039301",
        ("51ef14c95fa63c54", "178c0990d6e9560a", "37a8dec79d1c08b9"),
    ),
    "scaling_core.studies.representation.distill.DISTILLATION_VERSION": (
        "8abb3ac2587a",
        ("844e7f40bf1d1eee", "37c1a0b4998b84b5"),
    ),
    "scaling_core.hardware.latency_model.LATENCY_MODEL_VERSION": (1, ("cce543a32af51c5b",)),
    "scaling_core.lab.dense_runs.DENSE_VERSION": (1, ("bac8d6acd5091c02",)),  # no training: one digest on any CPU
    # No training either: a seeded untrained network exported and quantized (its graph, not its outputs); the
    # quantization scales come from float activations, so Intel Xeon (AVX-512) and AMD EPYC (Zen 4) each have one.
    "scaling_core.studies.deployment.runtime_int8.INT8_CODE": (1, ("8782fd4b041b5f35", "38660d17d275fcc9")),
}
# What re-makes the shipped files a version keys.
REMAKE = {
    "scaling_core.lab.dense_runs.DENSE_VERSION": (
        "python -m scaling_core lab study --save-to data/lab/dense-scenes.json"
    ),
    "scaling_core.lab.runs.TRAINING_VERSION": "the command in data/lab/<dataset>.json, then every evaluation's below",
    "scaling_core.studies.robustness.evaluation.ROBUSTNESS_VERSION": (
        "python -m scaling_core robustness --dataset mnist5k --save-to data/robustness/mnist5k.json"
    ),
    "scaling_core.studies.deployment.measurements.DEPLOYMENT_VERSION": (
        "python -m scaling_core quantize --dataset mnist5k --save-to data/deployment/mnist5k.json"
    ),
    "scaling_core.studies.representation.measurements.REPRESENTATION_VERSION": (
        "python -m scaling_core fewshot --save-to data/representation/fewshot-mnist5k-0to4.json"
    ),
    "scaling_core.studies.representation.distill.DISTILLATION_VERSION": (
        "python -m scaling_core distill --save-to data/representation/distillation-mnist5k.json"
    ),
    "scaling_core.hardware.latency_model.LATENCY_MODEL_VERSION": (
        "nothing ships; every machine's stored profile is re-fitted (python -m scaling_core fit-latency)"
    ),
    "scaling_core.studies.deployment.runtime_int8.INT8_CODE": (
        "python -m scaling_core quantize-int8 --save-to data/deployment/mnist5k-int8.json"
    ),
}
CANARY_BUDGET = Budget(epochs=1, batch_size=256, learning_rate=0.004, weight_decay=1e-4)


def rounded(value):
    """Floats to 6 significant digits (platform noise stays below), recursively."""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v) for v in value]
    return value


def check_canary(constant: str, result) -> None:
    """The digest of the rounded result against the one recorded for the constant's current version."""
    module, name = constant.rsplit(".", 1)
    current = getattr(sys.modules[module], name)
    recorded, expected = CANARIES[constant]
    found = digest(rounded(result))[:16]
    print(f"{constant} = {current!r}: canary digest {found}")
    assert recorded == current, (
        f"{name} is {current!r} but the canary's digest was recorded at {recorded!r}: record this run's digest "
        f"({found}) beside {current!r} in CANARIES"
    )
    assert found in expected, (
        f"the {name.removesuffix('_VERSION').lower()} computation changed: bump {constant} and re-make the shipped "
        f"files ({REMAKE[constant]}); then record the new digest ({found}) beside the new version in CANARIES"
        + ("" if constant.endswith("TRAINING_VERSION") else " (if the training canary fails too, that comes first)")
    )


@pytest.fixture(scope="module")
def one_thread():
    """Single-threaded torch and BLAS, as the lab runs, so results do not depend on the machine's cores."""
    threads = torch.get_num_threads()
    with threadpool_limits(1):
        yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def trained(one_thread):
    """The lab-tiny base at φ = 0 trained one epoch on the small digits set: the run the evaluations load."""
    network = lab_network("digits", "efficientnet", 0.0)
    return RunRef("efficientnet", 0.0, 0, network, "canary", "canary"), train("digits", network, 0, CANARY_BUDGET)


def test_training_canary(trained):
    _, result = trained
    weights = torch.load(io.BytesIO(result.checkpoint), weights_only=True)
    norms = {k: float(v.double().norm()) for k, v in weights.items()}
    check_canary("scaling_core.lab.runs.TRAINING_VERSION", [result.accuracy, result.curve, norms])


def test_dense_canary(one_thread):
    """The dense lab's data, targets, losses and metrics on a fixed case: the scenes' digest, the CenterNet targets,
    each task's loss of a seeded untrained network on eight scenes (4 digits: no training, so no CPU's rounding
    reaches them) and the metrics of predictions made from the truth."""
    from scaling_core.lab import dense_runs, dense_train
    from scaling_core.lab.dense_data import load_dense
    from scaling_core.lab.dense_metrics import DetectionAccumulator, SegmentationAccumulator
    from scaling_core.lab.dense_networks import dense_network
    from scaling_core.lab.dense_settings import DenseBudget
    from scaling_core.nn.task_build import build_task_model

    data = load_dense("scenes")
    budget = DenseBudget(1, 8, 0.01, 1e-4, 8, 8)
    outcome: dict = {"data": data.digest}
    for task in ("classification", "segmentation", "detection", "multitask"):
        network = dense_network(task, "efficientnet", 0.0, data.object_classes)
        train_part, _ = dense_train.prepare(data, budget, network.resolution_px)
        torch.manual_seed(0)
        model = build_task_model(network).train()
        outputs = model(train_part.x)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        grid = outputs[0].shape[-1] if task == "detection" else None
        loss = dense_train.TaskLoss(task, train_part, data.object_classes, grid)
        flip = torch.tensor([True, False] * 4)
        outcome[task] = float(f"{float(loss(outputs, torch.arange(8), flip)):.4g}")
    val = data.val
    heat, regression, centres = dense_train.detection_targets(val, data.object_classes, 16)
    outcome["targets"] = [float(heat.sum()), float(regression.sum()), float(centres.sum())]
    maps = torch.cat([torch.logit(heat.clamp(1e-4, 1 - 1e-4)), regression], 1)
    detection = DetectionAccumulator(val.size_px)
    detection.update(dense_train.decode_detections(maps, data.object_classes, val.size_px, 100), val.boxes)
    segmentation = SegmentationAccumulator(data.object_classes + 1, val.size_px)
    segmentation.update(np.roll(val.masks, 2, axis=-1), val.masks, val.boxes)
    outcome["metrics"] = {**detection.result(), **segmentation.result()}
    assert dense_runs.DENSE_VERSION
    check_canary("scaling_core.lab.dense_runs.DENSE_VERSION", outcome)


def test_int8_canary(tmp_path, one_thread):
    """The int8 evaluation's export and quantization on a fixed case: the lab base untrained (seeded, batch-norm
    statistics from random images), exported and quantized with the natural calibration images; the graph's operator
    counts and its rounded quantization scales."""
    import onnx
    from onnx import numpy_helper

    from scaling_core.nn.onnx_export import prepared_model, write_onnx
    from scaling_core.nn.onnx_int8 import calibration_images, quantize_int8
    from scaling_core.tasks.heads import as_task

    task = as_task(lab_network("digits", "efficientnet", 0.0))
    write_onnx(task, tmp_path / "fp32.onnx", prepared_model(task))
    quantize_int8(tmp_path / "fp32.onnx", tmp_path / "int8.onnx", calibration_images(task.resolution_px, 1))
    graph = onnx.load(str(tmp_path / "int8.onnx")).graph
    ops = sorted({n.op_type: sum(m.op_type == n.op_type for m in graph.node) for n in graph.node}.items())
    scales = sorted(float(numpy_helper.to_array(t).ravel()[0]) for t in graph.initializer if t.name.endswith("_scale"))
    check_canary("scaling_core.studies.deployment.runtime_int8.INT8_CODE", [ops, scales])


def test_robustness_canary(trained):
    run, result = trained
    settings = replace(
        robustness_evaluation.robustness_settings(),
        eps=(0.0, 0.1),
        pgd_steps=2,
        corruptions={"gaussian_noise": (0.1,), "gaussian_blur": (0.5,), "contrast": (0.5,)},
        test_images=64,
    )
    outcome = robustness_evaluation.evaluate("digits", run, result.checkpoint, settings)
    check_canary("scaling_core.studies.robustness.evaluation.ROBUSTNESS_VERSION", outcome)


def test_deployment_canary(trained):
    run, result = trained
    settings = replace(deployment.measure_settings(), sweeps=(0.0, 0.1), bits=(4, 8), test_images=64)
    outcome = deployment.evaluate("digits", run, result.checkpoint, settings)
    check_canary("scaling_core.studies.deployment.measurements.DEPLOYMENT_VERSION", outcome)


def test_representation_canary(trained):
    run, result = trained
    settings = representation.FewShotSettings("digits", "digits", 5, (1, 5), 5, 20, (1,), 1, (1.0, 2.0), 3, 0)
    outcome = representation.evaluate("digits", run, result.checkpoint, settings)
    check_canary("scaling_core.studies.representation.measurements.REPRESENTATION_VERSION", outcome)


def test_distillation_canary(trained):
    run, result = trained
    settings = distill.distill_settings(dataset="digits", epochs=1, sparsities=(0.0, 0.5), finetune_epochs=1)
    outcome = distill.evaluate("digits", run, result.checkpoint, distill.StudentJob(run.network, settings))
    check_canary("scaling_core.studies.representation.distill.DISTILLATION_VERSION", outcome)


# Run with a tree first on sys.path: every version, the keys of a few fixed runs and evaluations, and what the
# readers make of each shipped file (how many records they serve and from where).
PROBE = """
import json

import scaling_core
from scaling_core.app.views import deployment, distillation, lab, representation, robustness
from scaling_core.hardware.latency_model import LATENCY_MODEL_VERSION
from scaling_core.lab import runs
from scaling_core.lab.data import dataset_names
from scaling_core.storage.keys import describe, measurement_key
from scaling_core.studies.deployment import measurements as dep
from scaling_core.studies.representation import distill
from scaling_core.studies.representation import measurements as rep
from scaling_core.studies.robustness import evaluation as rob

budget, grid = runs.lab_settings().budget, runs.lab_settings().default_grid
network = runs.lab_network(grid["dataset"], "efficientnet", 1.0)
few, measured = rep.representation_defaults()["fewshot"], dep.deployment_defaults()["measurement"]
shipped = {
    "robustness": robustness.records_for(grid["dataset"], grid["recipes"], grid["phis"], grid["seeds"], None),
    "deployment": deployment.records_for(measured["dataset"], measured["phis"], measured["seeds"], None),
    "fewshot": representation.records_for(few["base_dataset"], few["recipes"], few["phis"], few["seeds"], None),
    "distillation": distillation.students_for(distill.distill_settings(), None),
}
print(json.dumps({
    "package": scaling_core.__file__,
    "versions": [
        runs.TRAINING_VERSION,
        rob.ROBUSTNESS_VERSION,
        dep.DEPLOYMENT_VERSION,
        rep.REPRESENTATION_VERSION,
        distill.DISTILLATION_VERSION,
        LATENCY_MODEL_VERSION,
    ],
    "code_versions": {d: runs.code_version(d) for d in dataset_names()},
    "keys": [
        runs.run_key(grid["dataset"], network, 0, budget),
        runs.network_key(network),
        measurement_key(describe(network), "machine", 1, 1, "contiguous", "cpu"),
        *(r.key for r in rob.robustness_grid(grid["dataset"], ["efficientnet"], [0, 1], 2, budget)),
        *(r.key for r in dep.deployment_grid(measured["dataset"], [0, 1], 1, budget)),
        *(r.key for r in rep.fewshot_grid(few["base_dataset"], ["efficientnet"], [0, 1], 1, budget)),
        *(r.key for r in distill.student_runs(distill.distill_settings(), 1.0)[1]),
    ],
    "shipped": {
        "lab": [lab.shipped_notice(grid["dataset"]), len(lab.lab_results(grid["dataset"], grid["recipes"]))],
        **{kind: [len(records), source] for kind, (records, source) in shipped.items()},
    },
}))
"""


def probe(root: Path, tmp_path: Path) -> dict:
    """PROBE's answer with `root` first on sys.path (run from an empty folder, so no other tree can be imported)."""
    folder = tmp_path / f"probe-{root.name}"
    folder.mkdir()
    (folder / "probe.py").write_text(PROBE)
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "probe.py"], cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert Path(answer.pop("package")).is_relative_to(root)
    return answer


def test_latency_model_canary():
    """The features and the fit of a fixed sample of networks against synthetic latencies (no timing involved)."""
    networks = latency_model.sample_networks(12, seed=0)
    features = np.array([latency_model.feature_vector(count_task(n)) for n in networks])
    # A fixed positive combination of the features, bent by a fixed pattern so the fit has residuals to weigh.
    synthetic_ms = features @ np.linspace(0.5, 2.0, features.shape[1]) * (1 + 0.1 * np.sin(np.arange(12)))
    profile = latency_model.fit_profile(features, synthetic_ms, latency_model.FEATURES)
    check_canary(
        "scaling_core.hardware.latency_model.LATENCY_MODEL_VERSION",
        [features.tolist(), list(profile.features), list(profile.weights)],
    )


def test_moving_or_reformatting_code_keeps_every_version_key_and_shipped_file(tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / "scaling_core", copy / "scaling_core", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(DATA_DIR, copy / "data")
    for path in (copy / "scaling_core").rglob("*.py"):
        path.write_text(path.read_text() + "# a comment\n")
    original, edited = probe(ROOT, tmp_path), probe(copy, tmp_path)
    assert edited == original
    notice, rows = original["shipped"].pop("lab")
    assert notice == "" and rows > 0
    for kind, (records, source) in original["shipped"].items():
        assert records > 0 and source.startswith("measured: shipped data/"), (kind, source)


def test_a_shipped_file_of_another_version_is_reported_stale_and_not_served(monkeypatch, tmp_path, capsys):
    grid = lab.lab_settings().default_grid
    args = (grid["dataset"], grid["recipes"], grid["phis"], grid["seeds"], None)
    records, source = robustness.records_for(*args)
    assert records and source.startswith("measured: shipped")
    monkeypatch.setattr(robustness, "ROBUSTNESS_VERSION", "0123456789ab")
    records, source = robustness.records_for(*args)
    assert records == [] and source == (
        f"not served: data/robustness/{grid['dataset']}.json was made by robustness version "
        f"{robustness_evaluation.ROBUSTNESS_VERSION}, this code is version 0123456789ab: re-make it with "
        f"`python -m scaling_core robustness --dataset {grid['dataset']} --save-to "
        f"data/robustness/{grid['dataset']}.json`"
    )
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    assert main(["robustness", "--no-run", "--store", url]) == 2  # the empty store's command says why, not a crash
    assert "not served" in capsys.readouterr().err

    assert lab.shipped_notice(grid["dataset"]) == "" and not lab.lab_results(grid["dataset"], grid["recipes"]).empty
    monkeypatch.setattr(shipped_results, "code_version", lambda dataset: "0123456789ab")
    assert "this code is version 0123456789ab: re-make it with `python -m scaling_core lab run" in (
        lab.shipped_notice(grid["dataset"])
    )
    assert lab.lab_results(grid["dataset"], grid["recipes"]).empty

    # A new training version leaves the evaluation's own version alone, yet its shipped file evaluates old networks.
    monkeypatch.undo()
    monkeypatch.setattr(robustness, "code_version", lambda dataset: "0123456789ab")
    records, source = robustness.records_for(*args)
    assert (
        records == []
        and "evaluates networks trained by lab code 2f7f27332fdb, this code trains with 0123456789ab" in (source)
    )


def test_saved_records_carry_the_version_and_the_shipped_ones_the_current_one(tmp_path):
    path = tmp_path / "saved.json"
    save_records(path, {"dataset": "digits", "settings": {}}, [{"a": 1}], {"hardware": {}}, "0123456789ab", "feed")
    assert {k: json.loads(path.read_text())[k] for k in ("version", "code_version")} == {
        "version": "0123456789ab",
        "code_version": "feed",
    }
    for name, version, dataset in (
        ("robustness/mnist5k", robustness_evaluation.ROBUSTNESS_VERSION, "mnist5k"),
        ("deployment/mnist5k", deployment.DEPLOYMENT_VERSION, "mnist5k"),
        ("deployment/mnist5k-int8", runtime_int8.RUNTIME_INT8_VERSION, "mnist5k"),
        ("representation/fewshot-mnist5k-0to4", representation.REPRESENTATION_VERSION, "mnist5k-0to4"),
        ("representation/distillation-mnist5k", distill.DISTILLATION_VERSION, "mnist5k"),
    ):
        header = json.loads((DATA_DIR / f"{name}.json").read_text())
        assert (header["version"], header["code_version"]) == (version, code_version(dataset))


def test_a_latency_profile_of_another_model_version_is_not_used(store, monkeypatch):
    from scaling_core.cli.hardware import stored_or_fitted_profile

    options = MeasureOptions(threads=1)
    scores = Scores(1.0, 0.0, 1.0)
    model = LinearProfile(latency_model.FEATURES, tuple(1.0 for _ in latency_model.FEATURES))
    report = FitReport(model, LinearProfile(FLOPS_FEATURES, (2.0, 70.0)), scores, scores, 1.0, (), (), (), (), (), 0)
    saved = report.as_dict()
    assert saved["version"] == latency_model.LATENCY_MODEL_VERSION
    store.put_profile(profile_identity(options), saved)
    assert latency_model.stored_profile(store, options) == report
    unversioned = {k: v for k, v in saved.items() if k != "version"}
    store.put_profile(profile_identity(options), unversioned)  # fitted before profiles carried a version: 1
    assert latency_model.stored_profile(store, options) == report

    monkeypatch.setattr(latency_model, "LATENCY_MODEL_VERSION", 2)
    assert latency_model.stored_profile(store, options) is None
    refitted = object()
    monkeypatch.setattr(latency_model, "fit_latency", lambda options, store, progress=None: refitted)
    assert stored_or_fitted_profile(store, options) is refitted
