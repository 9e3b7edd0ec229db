"""The quantization study on a runtime that ships: the lab's trained networks in ONNX Runtime int8.

Each run of the deployment grids (squeeze-excite after the depthwise conv, EfficientNet's order, and before it) is
exported to ONNX with its trained weights (nn/onnx_export.py), quantized by ONNX Runtime's static QDQ quantization
(per-channel int8 weights, uint8 activations, MinMax ranges; nn/onnx_int8.py) calibrated on `calibration_images`
images of the dataset's training split at the network's input size, and run by ONNX Runtime on the first
`test_images` test images: the SQNR of its logits against the float PyTorch model's and its accuracy, with the
count of integer convolutions in the graph ONNX Runtime runs (the int8 graph really computes in integers).

The claim (the seed's): squeeze-excite before the depthwise conv protects the signal from quantization noise
better than after it. Decided per seed: SQNR with SE before minus after, paired by recipe and φ > 0 and averaged
over them, then Student's t 95% interval over the seeds; the same difference from the simulated 8-bit per-channel
quantizer (measurements.py) beside it, so simulation and runtime are compared claim for claim.

Results are cached in the store under the deployment kind, keyed by the run, these settings and
RUNTIME_INT8_VERSION, apart from the simulated quantizer's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import metadata

import numpy as np
import pandas as pd

from scaling_core.lab.comparisons import decide
from scaling_core.lab.evaluations import RunRef, grid_runs
from scaling_core.lab.runs import lab_settings
from scaling_core.lab.train import Budget
from scaling_core.storage.keys import digest
from scaling_core.studies.deployment.measurements import RECORD_COLUMNS, deployment_defaults, measured_grids
from scaling_core.studies.protocol import Evaluation, model_and_test_images, run_records

# The version of this evaluation: export, quantization, calibration images and `evaluate_int8` (INT8_CODE: bump it
# when a result would change; tests/test_versions.py's canary says when), with the versions of the packages that
# export, quantize and run the graph, so an upgrade of any of them re-evaluates instead of serving old results.
INT8_CODE = 1
INT8_PACKAGES = ("onnx", "onnxscript", "onnxruntime")


def _installed(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:  # the pages import this module; a missing runtime is refused when used
        return "not installed"


RUNTIME_INT8_VERSION = digest([INT8_CODE, [_installed(p) for p in INT8_PACKAGES]])[:12]
CLAIM = "squeeze-excite before the depthwise conv protects the signal better than after it"
SIMULATED_BITS = 8


@dataclass(frozen=True)
class Int8Settings:
    """What an int8 evaluation depends on (part of its cache key)."""

    runtime: str
    test_images: int
    calibration_images: int


def int8_settings() -> Int8Settings:
    """The shipped settings: the deployment study's test images, the export settings' calibration count."""
    from scaling_core.nn.onnx_export import export_settings

    return Int8Settings(
        "onnxruntime-int8",
        deployment_defaults()["measurement"]["test_images"],
        export_settings().int8.calibration_images,
    )


def evaluate_int8(dataset: str, run: RunRef, checkpoint: bytes, settings: Int8Settings) -> dict:
    """One trained network in ONNX Runtime int8: logits' SQNR against float PyTorch, accuracy, integer kernels."""
    import tempfile
    from pathlib import Path

    import torch

    from scaling_core.lab.data import load_dataset, resample
    from scaling_core.nn.onnx_export import onnx_session, write_onnx
    from scaling_core.nn.onnx_int8 import int8_kernels, quantize_int8, require_int8
    from scaling_core.studies.deployment.quantize import sqnr_db
    from scaling_core.tasks.heads import as_task

    model, x, y = model_and_test_images(dataset, run, checkpoint, settings.test_images)
    train = load_dataset(dataset).train_x[: settings.calibration_images]
    calibration = resample(train, run.network.resolution_px).clamp(0.0, 1.0).numpy()
    with tempfile.TemporaryDirectory() as folder:
        fp32, int8 = Path(folder) / "fp32.onnx", Path(folder) / "int8.onnx"
        write_onnx(as_task(run.network), fp32, model)
        quantize_int8(fp32, int8, calibration)
        kernels = require_int8(int8_kernels(int8), run.network.label)
        session = onnx_session(int8, threads=1)
        output = torch.as_tensor(session.run(None, {session.get_inputs()[0].name: x.numpy()})[0])
    with torch.no_grad():
        reference = model(x)
    return {
        "clean": float((reference.argmax(1) == y).float().mean()),
        "int8_accuracy": float((output.argmax(1) == y).float().mean()),
        "int8_sqnr_db": sqnr_db(reference, output),
        "integer_convs": kernels.integer_convs,
        "float_convs": kernels.float_convs,
    }


def int8_runs(dataset: str, phis: Sequence[float], seeds: int, budget: Budget) -> list[RunRef]:
    """Every run of the deployment grids, keyed for its int8 evaluation."""
    settings = asdict(int8_settings())
    return [
        run
        for grid in measured_grids()
        for run in grid_runs(
            dataset, grid.recipes, phis, seeds, budget, settings, RUNTIME_INT8_VERSION, grid.se_position
        )
    ]


def int8_evaluation(dataset: str, phis: Sequence[float], seeds: int, budget: Budget) -> Evaluation:
    """The int8 evaluation of the deployment grids' runs (stored under the deployment kind, keyed apart)."""
    return Evaluation(
        "deployment", dataset, tuple(int8_runs(dataset, phis, seeds, budget)), evaluate_int8, int8_settings()
    )


def int8_records(dataset: str, phis: Sequence[float], seeds: int, store, budget: Budget | None = None) -> list[dict]:
    """The stored int8 evaluations: one record per run, with its recipe, φ, seed and SE position."""
    return run_records(
        "deployment", int8_runs(dataset, phis, seeds, budget or lab_settings().budget), store, RECORD_COLUMNS
    )


def paired_frame(int8: Sequence[dict], simulated: Sequence[dict]) -> pd.DataFrame:
    """One row per run: the int8 runtime's SQNR and accuracy drop beside the simulated 8-bit per-channel ones."""
    simulated_by_run = {
        (r["alias"], r["phi"], r["seed"], r["se_position"]): next(
            q for q in r["quantization"]["per_channel"] if q["bits"] == SIMULATED_BITS
        )
        | {"clean": r["clean"]}
        for r in simulated
    }
    rows = []
    for r in int8:
        key = (r["alias"], r["phi"], r["seed"], r["se_position"])
        sim = simulated_by_run.get(key)
        rows.append(
            {
                "alias": r["alias"],
                "recipe": r["recipe"],
                "phi": r["phi"],
                "seed": r["seed"],
                "se_position": r["se_position"],
                "runtime_sqnr_db": r["int8_sqnr_db"],
                "runtime_drop_points": 100.0 * (r["clean"] - r["int8_accuracy"]),
                "simulated_sqnr_db": None if sim is None else sim["sqnr_db"],
                "simulated_drop_points": None if sim is None else 100.0 * (sim["clean"] - sim["accuracy"]),
                "integer_convs": r["integer_convs"],
                "float_convs": r["float_convs"],
            }
        )
    return pd.DataFrame(rows)


def before_minus_after(frame: pd.DataFrame, column: str) -> dict[int, float]:
    """Per seed: the column with SE before minus after the depthwise conv, paired by recipe and φ > 0, averaged."""
    if frame.empty:
        return {}
    used = frame[(frame["phi"] > 0) & frame[column].notna()]
    wide = used.pivot_table(index=["seed", "alias", "phi"], columns="se_position", values=column)
    if not {"before_depthwise", "after_depthwise"} <= set(wide.columns):
        return {}
    difference = (wide["before_depthwise"] - wide["after_depthwise"]).dropna()
    return {int(seed): float(values.mean()) for seed, values in difference.groupby(level="seed")}


@dataclass(frozen=True)
class Int8Claim:
    """The claim decided by one measure (runtime or simulated SQNR, dB): difference, interval, verdict, seeds."""

    source: str
    difference: float | None
    interval: tuple[float, float] | None
    verdict: str
    seeds: int


def int8_claims(frame: pd.DataFrame) -> list[Int8Claim]:
    """The claim from ONNX Runtime int8's SQNR and from the simulated 8-bit per-channel quantizer's."""
    claims = []
    for source, column in (
        ("ONNX Runtime int8 (measured)", "runtime_sqnr_db"),
        (f"simulated {SIMULATED_BITS}-bit per channel (measured)", "simulated_sqnr_db"),
    ):
        decided = decide(before_minus_after(frame, column))
        claims.append(Int8Claim(source, decided.difference, decided.interval, decided.verdict, decided.seeds))
    return claims


def agreement(claims: Sequence[Int8Claim]) -> str:
    """Whether simulation and runtime reach the same verdict, in words."""
    runtime, simulated = (c.verdict.split(":")[0] for c in claims)
    if "not measured" in (runtime, simulated):
        return "simulation and runtime cannot be compared: one of them is not measured"
    if runtime == simulated:
        return f"simulation and runtime agree: {runtime}"
    return f"simulation and runtime disagree: the runtime says {runtime}, the simulation {simulated}"


def mean_by_point(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean over seeds per recipe, φ and SE position of the runtime's and the simulation's SQNR and drop."""
    columns = ["runtime_sqnr_db", "simulated_sqnr_db", "runtime_drop_points", "simulated_drop_points"]
    return (
        frame.groupby(["recipe", "phi", "se_position"], sort=False)[columns]
        .agg(lambda v: float(np.nanmean(v.astype(float))) if v.notna().any() else np.nan)
        .reset_index()
    )
