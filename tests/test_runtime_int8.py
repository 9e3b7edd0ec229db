"""The quantization claim on ONNX Runtime int8: a trained lab network runs in int8 (integer convolutions) with its
SQNR and accuracy measured against the float model; the claim's arithmetic pairs SE before and after per seed; the
shipped study is current and gives a verdict from the runtime and from the simulation."""

from __future__ import annotations

import math

import pytest

from scaling_core.app.views.deployment import int8_records_for, records_for
from scaling_core.lab.runs import lab_settings, run_grid
from scaling_core.storage.store import Store
from scaling_core.studies.deployment.measurements import deployment_defaults
from scaling_core.studies.deployment.runtime_int8 import (
    agreement,
    before_minus_after,
    evaluate_int8,
    int8_claims,
    int8_runs,
    int8_settings,
    paired_frame,
)

MEASURED = deployment_defaults()["measurement"]


def test_a_trained_network_runs_in_int8_close_to_its_float_self(tmp_path):
    """The lab base trained on mnist5k (the lab budget), exported and quantized: integer convolutions only, an SQNR
    of tens of dB and the accuracy within a few points of the float model's."""
    store = Store(f"sqlite:///{tmp_path / 'lab.sqlite'}")
    budget = lab_settings().budget
    run_grid("mnist5k", ["efficientnet"], [0.0], 1, store, budget, workers=1)
    run = next(r for r in int8_runs("mnist5k", [0.0], 1, budget) if r.alias == "efficientnet")
    result = evaluate_int8("mnist5k", run, store.lab_checkpoint(run.run_key), int8_settings())
    assert result["integer_convs"] > 0 and result["float_convs"] == 0
    assert 15 < result["int8_sqnr_db"] < math.inf
    assert abs(result["clean"] - result["int8_accuracy"]) < 0.05 and result["clean"] > 0.8


def _records(gain_db: dict[int, float]) -> tuple[list[dict], list[dict]]:
    """Synthetic int8 and simulated records: SE before beats after by gain_db[seed] at every recipe and φ > 0."""
    int8, simulated = [], []
    for seed, gain in gain_db.items():
        for alias in ("efficientnet", "depth"):
            for phi in (0.0, 1.0, 2.0):
                for position in ("after_depthwise", "before_depthwise"):
                    sqnr = 30.0 + phi + (gain if position == "before_depthwise" else 0.0)
                    run = {"alias": alias, "recipe": alias, "phi": phi, "seed": seed, "se_position": position}
                    int8.append(
                        run
                        | {
                            "clean": 0.9,
                            "int8_accuracy": 0.89,
                            "int8_sqnr_db": sqnr,
                            "integer_convs": 9,
                            "float_convs": 0,
                        }
                    )
                    per_channel = [{"bits": 8, "sqnr_db": sqnr - 1.0, "accuracy": 0.88}]
                    simulated.append(run | {"clean": 0.9, "quantization": {"per_channel": per_channel}})
    return int8, simulated


def test_the_claim_pairs_se_before_and_after_per_seed():
    frame = paired_frame(*_records({0: 1.5, 1: 2.0, 2: 2.5}))
    assert before_minus_after(frame, "runtime_sqnr_db") == pytest.approx({0: 1.5, 1: 2.0, 2: 2.5})
    runtime, simulated = int8_claims(frame)
    assert runtime.difference == pytest.approx(2.0) and runtime.verdict.startswith("holds")
    assert simulated.difference == pytest.approx(2.0) and agreement([runtime, simulated]).startswith("simulation and")
    assert frame["runtime_drop_points"].iloc[0] == pytest.approx(1.0)
    worse = int8_claims(paired_frame(*_records({0: -1.5, 1: -2.0, 2: -2.5})))[0]
    assert worse.verdict.startswith("does not hold")
    one = int8_claims(paired_frame(*_records({0: 2.0})))[0]
    assert one.interval is None and one.verdict.startswith("inconclusive")


def test_the_shipped_int8_study_is_current_and_decides_the_claim():
    int8, source = int8_records_for(MEASURED["dataset"], MEASURED["phis"], MEASURED["seeds"], None)
    assert int8, f"data/deployment/{MEASURED['dataset']}-int8.json is made by `quantize-int8 --save-to`: {source}"
    simulated, _ = records_for(MEASURED["dataset"], MEASURED["phis"], MEASURED["seeds"], None)
    frame = paired_frame(int8, simulated)
    assert (frame["integer_convs"] > 0).all() and frame["simulated_sqnr_db"].notna().all()
    assert set(frame["se_position"]) == {"after_depthwise", "before_depthwise"}
    runtime, sim = int8_claims(frame)
    assert runtime.seeds == sim.seeds == MEASURED["seeds"] and runtime.interval is not None
    assert frame["runtime_drop_points"].between(-5, 100).all() and frame["runtime_sqnr_db"].gt(0).all()
