"""Few-sample calibration: a latency model for a new (device, runtime) pair from N measurements and the models the
store already holds for other pairs.

HELP (Lee et al., NeurIPS 2021) adapts a latency predictor to a new device from about ten measurements by starting
from what other devices taught it. Here, with a linear model of nine features (hardware/latency_model.py):
1. the prior: of the stored models, the one that, rescaled by one factor, best predicts the N measurements (mean
   relative error) — devices and runtimes differ first in speed, then in which operators cost what;
2. the fit: non-negative least squares on relative errors, as a full fit, plus a ridge penalty that pulls each
   feature's contribution to the median calibration network toward the prior's, λ · Σ_j (s_j (w_j − w0_j) / ŷ)²
   (s_j: feature j's median over the N networks, ŷ: their median latency), so the N measurements move only what
   they can tell apart;
3. λ by leave-one-out relative error over the N networks, from a grid (a large λ keeps the rescaled prior, a small
   one is the fit from scratch).
The study (`calibration_study`) takes each stored pair with a fitted profile in turn as the new one, the others as
its priors, calibrates on its first N training networks (N = 5, 10, 20) and scores on its held-out networks, beside a
model fitted from scratch on the same N, the FLOPs-only line on the same N, and the model fitted on all of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from scaling_core.core.errors import ConfigError
from scaling_core.hardware.latency_model import (
    FEATURES,
    FLOPS_FEATURES,
    LATENCY_MODEL_VERSION,
    FitReport,
    LinearProfile,
    feature_vector,
    fit_profile,
    named_plan,
    plan_networks,
    profile_identity,
    score,
)
from scaling_core.hardware.measure import MeasureOptions
from scaling_core.tasks.cost import count_task

DEFAULT_CALIBRATION = 10
RIDGE_GRID = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)


@dataclass(frozen=True)
class Calibrated:
    """A calibrated model, the stored model it started from (its index among the priors), that prior's speed factor
    and the ridge strength chosen."""

    model: LinearProfile
    prior: int
    factor: float
    ridge: float


def rescaled_prior(priors: list[LinearProfile], x: np.ndarray, y: np.ndarray) -> tuple[int, float]:
    """The prior that, times one factor (least squares in relative error), predicts y best; its index and factor."""
    best = (0, 1.0, np.inf)
    for index, prior in enumerate(priors):
        ratio = prior.predict(x) / y
        if not np.all(np.isfinite(ratio)) or not np.any(ratio > 0):
            continue
        factor = float(ratio.sum() / (ratio**2).sum())
        error = float(np.mean(np.abs(factor * ratio - 1.0)))
        if error < best[2]:
            best = (index, factor, error)
    if not np.isfinite(best[2]):
        raise ConfigError("priors", len(priors), "at least one stored latency model that predicts these networks")
    return best[0], best[1]


def shrunk_fit(x: np.ndarray, y: np.ndarray, prior: np.ndarray, ridge: float) -> np.ndarray:
    """NNLS on relative errors with each feature's median contribution pulled toward the prior's (weights)."""
    scale = np.median(x, axis=0) / np.median(y)
    penalty = np.sqrt(ridge) * np.diag(scale)
    rows = np.vstack([x / y[:, None], penalty])
    target = np.concatenate([np.ones_like(y), penalty @ prior])
    weights, _ = optimize.nnls(rows, target)
    return weights


def leave_one_out_error(x: np.ndarray, y: np.ndarray, prior: np.ndarray, ridge: float) -> float:
    """Mean relative error of each network predicted by the fit on the others."""
    errors = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        weights = shrunk_fit(x[keep], y[keep], prior, ridge)
        errors.append(abs(float(x[i] @ weights) / y[i] - 1.0))
    return float(np.mean(errors))


def calibrate(priors: list[LinearProfile], x: np.ndarray, y: np.ndarray) -> Calibrated:
    """The calibrated model of a new pair from its N measurements (x: feature rows, y: ms) and the stored models."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(y) < 2:
        raise ConfigError("calibration networks", len(y), "at least 2 measurements")
    if not priors:
        raise ConfigError("priors", 0, "a latency model of another device or runtime in the store (fit-latency first)")
    index, factor = rescaled_prior(priors, x, y)
    prior = factor * np.asarray(priors[index].weights)
    ridge = min(RIDGE_GRID, key=lambda r: leave_one_out_error(x, y, prior, r))
    weights = shrunk_fit(x, y, prior, ridge)
    return Calibrated(LinearProfile(FEATURES, tuple(float(w) for w in weights)), index, factor, ridge)


@dataclass(frozen=True)
class PairData:
    """A stored (device, runtime) pair's fitted plan with one measuring setup: its label, the setup (threads, batch,
    memory format), profile, training and held-out measurements."""

    fingerprint_id: str
    label: str
    setup: tuple[int, int, str]
    report: FitReport
    train_x: np.ndarray
    train_ms: np.ndarray
    test_x: np.ndarray
    test_ms: np.ndarray


def stored_pairs(store) -> list[PairData]:
    """Every stored profile of the current model version whose training measurements are all in the store."""
    from scaling_core.hardware.fingerprint import Fingerprint
    from scaling_core.hardware.measure import stored_measurement

    pairs = []
    for row in store.all_profiles():
        raw = row["profile"]
        if raw.get("version", 1) != LATENCY_MODEL_VERSION or raw.get("plan") not in ("full", "quick"):
            continue
        report = FitReport.from_dict(raw)
        plan = named_plan(report.plan)
        networks = plan_networks(plan)[: plan["train"]]
        measured = store.measurements(row["fingerprint_id"])
        if not measured:
            continue
        machine = Fingerprint.from_dict(json.loads(measured[0]["fingerprint"]))
        options = MeasureOptions(
            row["batch_size"],
            row["threads"],
            row["memory_format"] == "channels_last",
            row["device"],
            runtime=machine.runtime or "eager",
            precision=machine.precision or "fp32",
        )
        rows = [stored_measurement(n, options, store, row["fingerprint_id"]) for n in networks]
        if any(r is None for r in rows) or len(rows) != report.train_size:
            continue
        test = plan_networks(plan)[plan["train"] : plan["train"] + plan["test"]]
        setup = (row["threads"], row["batch_size"], row["memory_format"])
        threads = "" if machine.threads else f" · {row['threads']} thread{'s' if row['threads'] > 1 else ''}"
        batch = "" if setup[1:] == (1, "contiguous") else f" · batch {setup[1]}, {setup[2]}"
        pairs.append(
            PairData(
                row["fingerprint_id"],
                f"{machine.label}{threads}{batch}",
                setup,
                report,
                np.array([feature_vector(count_task(n)) for n in networks]),
                np.array([r["best_ms"] for r in rows], dtype=float),
                np.array([feature_vector(count_task(n)) for n in test]),
                np.asarray(report.test_measured_ms, dtype=float),
            )
        )
    return pairs


def calibration_rows(pair: PairData, priors: list[LinearProfile], sizes: Sequence[int]) -> list[dict]:
    """For each N: held-out scores of the calibrated model, the model from scratch and the FLOPs-only line on the
    same N, and the model fitted on all the pair's training measurements."""
    rows = []
    for size in sizes:
        if size > len(pair.train_ms):
            continue
        x, y = pair.train_x[:size], pair.train_ms[:size]
        calibrated = calibrate(priors, x, y).model
        scratch = fit_profile(x, y, FEATURES, underdetermined=True)
        flops = fit_profile(flops_rows(x), y, FLOPS_FEATURES, underdetermined=True)
        for method, predicted in (
            ("calibrated from the stored models", calibrated.predict(pair.test_x)),
            ("from scratch on the same N", scratch.predict(pair.test_x)),
            ("FLOPs-only line on the same N", flops.predict(flops_rows(pair.test_x))),
        ):
            rows.append(_row(pair, size, method, predicted))
    full = pair.report.model_scores
    rows.append(
        {
            "pair": pair.label,
            "fingerprint_id": pair.fingerprint_id,
            "n": len(pair.train_ms),
            "method": "fitted on all training measurements",
            "within_10pct": full.within_10pct,
            "mape": full.mape,
            "kendall_tau": full.kendall_tau,
            "held_out": len(pair.test_ms),
            "noise_floor": pair.report.noise_floor,
        }
    )
    return rows


def flops_rows(x: np.ndarray) -> np.ndarray:
    """The FLOPs-only line's features from the model's: a constant and total GMACs (dense + depthwise + other)."""
    return np.column_stack([np.ones(len(x)), np.asarray(x)[:, 1:4].sum(axis=1)])


def _row(pair: PairData, size: int, method: str, predicted: np.ndarray) -> dict:
    scores = score(predicted, pair.test_ms)
    return {
        "pair": pair.label,
        "fingerprint_id": pair.fingerprint_id,
        "n": size,
        "method": method,
        "within_10pct": scores.within_10pct,
        "mape": scores.mape,
        "kendall_tau": scores.kendall_tau,
        "held_out": len(pair.test_ms),
        "noise_floor": pair.report.noise_floor,
    }


def calibration_study(
    store, sizes: Sequence[int], fingerprint_ids: set[str] | None = None, threads: int | None = None
) -> pd.DataFrame:
    """Each stored pair (of `fingerprint_ids` and measured with `threads`, when given) as the new one, the others as
    priors (leave one pair out): calibration_rows for every pair."""
    pairs = [
        p
        for p in stored_pairs(store)
        if (fingerprint_ids is None or p.fingerprint_id in fingerprint_ids)
        and (threads is None or p.setup[0] == threads)
    ]
    if len(pairs) < 2:
        raise ConfigError(
            "stored latency models",
            len(pairs),
            "at least 2 (device, runtime) pairs with a fitted plan (fit-latency, e.g. with --runtime onnxruntime)",
        )
    rows = []
    for pair in pairs:
        priors = [p.report.model for p in pairs if (p.fingerprint_id, p.setup) != (pair.fingerprint_id, pair.setup)]
        rows.extend(calibration_rows(pair, priors, sizes))
    return pd.DataFrame(rows)


def stored_priors(store, excluding: str) -> list[LinearProfile]:
    """The models of every stored pair but `excluding` (the pair being calibrated), of the current model version."""
    return [
        FitReport.from_dict(row["profile"]).model
        for row in store.all_profiles()
        if row["fingerprint_id"] != excluding and row["profile"].get("version", 1) == LATENCY_MODEL_VERSION
    ]


def calibrate_latency(
    options: MeasureOptions,
    store,
    count: int = DEFAULT_CALIBRATION,
    plan: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[FitReport, Calibrated]:
    """Bring up a new (device, runtime) pair: measure the plan's first `count` training networks and its held-out ones
    (twice, for the noise floor) in interleaved rounds, calibrate from the other pairs' stored models, score on the
    held-out networks beside the FLOPs-only line on the same N, and store the pair's profile (plan "calibrated-N")."""
    import time

    from scaling_core.hardware.latency_model import noise_floor, save_measured
    from scaling_core.hardware.measure import machine_of, measure_interleaved

    plan = plan or named_plan("quick")
    if not 2 <= count <= plan["train"]:
        raise ConfigError(
            "calibration networks", count, f"an integer in [2, {plan['train']}] (the plan's training networks)"
        )
    machine = machine_of(options)
    priors = stored_priors(store, excluding=machine.id)
    if not priors:
        raise ConfigError(
            "calibration networks", count, "a store holding another pair's latency model (fit-latency first)"
        )
    networks = plan_networks(plan)
    train, test = networks[:count], networks[plan["train"] : plan["train"] + plan["test"]]
    started = time.perf_counter()
    measured = measure_interleaved(train + test + test, options, plan["rounds"], progress)
    save_measured(train + test, measured[: count + len(test)], store)
    train_ms = np.asarray([m.best_ms for m in measured[:count]])
    test_ms = np.asarray([m.best_ms for m in measured[count : count + len(test)]])
    train_x = np.array([feature_vector(count_task(n)) for n in train])
    test_x = np.array([feature_vector(count_task(n)) for n in test])
    calibrated = calibrate(priors, train_x, train_ms)
    baseline = fit_profile(flops_rows(train_x), train_ms, FLOPS_FEATURES, underdetermined=True)
    predicted, predicted_baseline = calibrated.model.predict(test_x), baseline.predict(flops_rows(test_x))
    report = FitReport(
        calibrated.model,
        baseline,
        score(predicted, test_ms),
        score(predicted_baseline, test_ms),
        noise_floor(test_ms, [m.best_ms for m in measured[count + len(test) :]]),
        tuple(map(float, test_ms)),
        tuple(float(m.best_ms) for m in measured[count + len(test) :]),
        tuple(map(float, predicted)),
        tuple(map(float, predicted_baseline)),
        tuple(int(count_task(n).macs) for n in test),
        count,
        plan=f"calibrated-{count}",
        fit_seconds=time.perf_counter() - started,
    )
    store.put_profile(profile_identity(options, machine.id), report.as_dict())
    return report, calibrated
