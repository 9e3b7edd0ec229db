"""A latency profile written by hand, so the deployment pages and commands run without minutes of measuring; a store
filled with one and a measurement."""

import json
import time

from scaling_core.app.state import AppState
from scaling_core.app.views.hardware import options_of
from scaling_core.app.views.pareto import row_network
from scaling_core.core.cost import count
from scaling_core.hardware.fingerprint import fingerprint
from scaling_core.hardware.latency_model import (
    FEATURES,
    FLOPS_FEATURES,
    FitReport,
    LinearProfile,
    Scores,
    profile_identity,
)
from scaling_core.storage.keys import describe, measurement_key

# 2 ms per call plus 100 ms per dense GMAC and 400 ms per depthwise GMAC: EfficientNet-B0 lands near 50 ms.
WEIGHTS = {"constant": 2.0, "dense_gmacs": 100.0, "depthwise_gmacs": 400.0}


def synthetic_profile() -> LinearProfile:
    """The hand-written latency model."""
    return LinearProfile(FEATURES, tuple(WEIGHTS.get(name, 0.0) for name in FEATURES))


def store_synthetic_profile(store, plan: str = "full") -> LinearProfile:
    """Save the hand-written model as this machine's profile for the app's default measuring setup."""
    model = synthetic_profile()
    scores = Scores(1.0, 0.0, 1.0)
    baseline = LinearProfile(FLOPS_FEATURES, (2.0, 70.0))
    report = FitReport(model, baseline, scores, scores, 1.0, (), (), (), (), (), 0, plan)
    store.put_profile(profile_identity(options_of(AppState())), report.as_dict())
    return model


FITTED_WEIGHTS = (1.0, 30.0, 30.0, 0.0, 1.5, 0.1, 10.0, 6.0, 1.3)
HELD_OUT = ((10.0, 10.5, 10.2, 12.0, 100), (20.0, 19.0, 21.0, 15.0, 200))  # measured, again, predicted, FLOPs, MACs


def fitted_report(held_out: int = 1, plan: str = "full") -> FitReport:
    """A report as a fit writes it: FITTED_WEIGHTS, their scores and noise floor, and `held_out` held-out networks."""
    return FitReport(
        LinearProfile(FEATURES, FITTED_WEIGHTS),
        LinearProfile(("constant", "gmacs"), (5.0, 40.0)),
        Scores(0.9, 0.05, 0.9),
        Scores(0.4, 0.2, 0.6),
        0.85,
        *(tuple(column) for column in zip(*HELD_OUT[:held_out])),
        10,
        plan,
    )


def fill_store(store) -> None:
    """A latency profile for this machine's default setup, and one measured network (B0: φ = 0 of every recipe)."""
    state = AppState()
    options = options_of(state)
    store.put_profile(profile_identity(options), fitted_report().as_dict())
    network = row_network({"alpha": 1.2, "beta": 1.1, "gamma": 1.15, "phi": 0.0}, state)
    machine = fingerprint(options.device)
    setup = (options.batch_size, options.threads, options.memory_format, options.device)
    counts = count(network.backbone)
    store.put_measurement(
        {
            "key": measurement_key(describe(network), machine.id, *setup),
            "network": json.dumps(describe(network)),
            "label": network.label,
            "head": network.task,
            "fingerprint_id": machine.id,
            "fingerprint": json.dumps(machine.as_dict()),
            "batch_size": options.batch_size,
            "threads": options.threads,
            "memory_format": options.memory_format,
            "device": options.device,
            "best_ms": 12.5,
            "median_ms": 13.0,
            "p10_ms": 12.6,
            "p90_ms": 14.0,
            "runs": 10,
            "blocks": 1,
            "macs": int(counts.macs),
            "params": int(counts.params),
            "activations": int(counts.activations),
            "measured_at": time.time(),
        }
    )


def small_plan(monkeypatch, train: int, test: int = 3) -> None:
    """fit-latency's plans replaced by one of small classification networks (the region's corner), `train` + `test`
    of them, timed for 0.02 s each: a fit or a calibration in seconds."""
    from scaling_core.hardware import latency_model

    plan = latency_model.named_plan("quick") | {
        "train": train,
        "test": test,
        "depth": [0.2, 0.4],
        "width": [0.2, 0.4],
        "resolution": [0.2, 0.3],
        "heads": ["classification"],
        "min_run_time_s": 0.02,
    }
    monkeypatch.setattr(latency_model, "named_plan", lambda name="full": dict(plan))
