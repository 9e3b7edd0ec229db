"""A latency model fitted on this machine's measurements, and its held-out evaluation.

Features (all from the exact analytic count, so a prediction costs microseconds):
- dense conv MACs: compute-bound work;
- depthwise conv MACs: little arithmetic per byte, so far more time per MAC than dense convs;
- other MACs (batch norm, pooling, upsampling, linear): elementwise, bandwidth-bound;
- activations (conv/linear output elements): memory traffic, the term Dollár et al. (2021) show
  tracks GPU/CPU runtime better than FLOPs; and separately the activations of the neck and of the
  heads, whose feature maps also pass through elementwise work that has no MACs (BiFPN's weighted
  fusion, resizing, the decoder's sums), so an element there costs more than in the backbone;
- parameters: weights read once per call;
- layers (conv/linear calls): fixed per-call overhead of the framework and the kernel launch;
- a constant: per-inference overhead.
Fit: non-negative least squares (scipy.optimize.nnls) on rows divided by the measured latency,
i.e. minimising squared relative error, which is what the ±10% metric rewards; non-negative
weights keep the prediction monotone in every feature. The FLOPs-only baseline is the same fit
with the constant and total MACs only.
Evaluation on held-out configurations: nn-Meter's share of predictions within ±10%, the mean
absolute percentage error, and Kendall's τ between predicted and measured (rank agreement, HELP).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, replace
from functools import lru_cache

import numpy as np
from scipy import optimize, stats
from scipy.stats import qmc

from scaling_core.core.cost import CostReport
from scaling_core.core.errors import ConfigError
from scaling_core.core.paths import DATA_DIR
from scaling_core.core.recipe import Recipe
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import TaskArch, scale_task

FEATURES = (
    "constant",
    "dense_gmacs",
    "depthwise_gmacs",
    "other_gmacs",
    "mega_activations",
    "mega_params",
    "layers_hundreds",
    "neck_mega_activations",
    "head_mega_activations",
)
FLOPS_FEATURES = ("constant", "gmacs")
TOLERANCE = 0.10
# The version of the features and the fit, written into every fitted profile: bump it when either changes, so a
# profile fitted by another version counts as missing and is re-fitted, never used (profiles without one are 1).
LATENCY_MODEL_VERSION = 1


def feature_vector(report: CostReport) -> np.ndarray:
    """The model's features of one network (units chosen so weights are of order one)."""
    total = report.total
    conv = total.op_macs("conv")
    depthwise = total.depthwise_macs
    components = report.by_component()
    by_component = [int(components[c].activations) / 1e6 if c in components else 0.0 for c in ("neck", "head")]
    return np.array(
        [
            1.0,
            (conv - depthwise) / 1e9,
            depthwise / 1e9,
            (int(total.macs) - conv) / 1e9,
            int(total.activations) / 1e6,
            int(total.params) / 1e6,
            int(total.layers) / 100.0,
            *by_component,
        ]
    )


def flops_vector(report: CostReport) -> np.ndarray:
    """The baseline's features: a constant and total MACs."""
    return np.array([1.0, int(report.macs) / 1e9])


@dataclass(frozen=True)
class LinearProfile:
    """A fitted non-negative linear latency model (milliseconds)."""

    features: tuple[str, ...]
    weights: tuple[float, ...]

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predicted latency in ms for feature rows x."""
        return np.asarray(x, dtype=float) @ np.asarray(self.weights)


def fit_profile(
    x: np.ndarray, latency_ms: np.ndarray, names: tuple[str, ...], underdetermined: bool = False
) -> LinearProfile:
    """NNLS on relative errors (with fewer networks than features only when `underdetermined` is asked: the
    few-sample calibration's from-scratch comparison)."""
    x, y = np.asarray(x, dtype=float), np.asarray(latency_ms, dtype=float)
    if len(y) < len(names) and not underdetermined:
        raise ConfigError("training configurations", len(y), f"at least {len(names)} (one per feature)")
    weights, _ = optimize.nnls(x / y[:, None], np.ones_like(y))
    return LinearProfile(names, tuple(float(w) for w in weights))


@dataclass(frozen=True)
class Scores:
    """Held-out accuracy of a latency predictor."""

    within_10pct: float
    mape: float
    kendall_tau: float


def score(predicted_ms: np.ndarray, measured_ms: np.ndarray) -> Scores:
    """Share within ±10%, mean absolute percentage error, Kendall's τ."""
    predicted, measured = np.asarray(predicted_ms, dtype=float), np.asarray(measured_ms, dtype=float)
    relative = np.abs(predicted / measured - 1.0)
    tau = stats.kendalltau(predicted, measured).statistic
    return Scores(float(np.mean(relative <= TOLERANCE)), float(np.mean(relative)), float(tau))


@lru_cache(maxsize=1)
def default_plan() -> dict:
    """The default sampling plan (data/hardware/latency_plan.json)."""
    return json.loads((DATA_DIR / "hardware" / "latency_plan.json").read_text())


PLANS = ("full", "quick")


def named_plan(name: str = "full") -> dict:
    """The full sampling plan, or the quick one: fewer networks, rounds and seconds per timing over the same
    region (so the optimiser's fitted region is the same); the result carries its name."""
    if name not in PLANS:
        raise ConfigError("plan", name, "one of " + ", ".join(PLANS))
    plan = {k: v for k, v in default_plan().items() if k != "quick"}
    if name == "quick":
        plan.update(default_plan()["quick"])
    return {**plan, "name": name}


def plan_timings(plan: dict) -> int:
    """How many timings a plan takes: every round times each network once, the held-out ones twice (their
    second, independent copy gives the noise floor)."""
    return plan["rounds"] * (plan["train"] + 2 * plan["test"])


def sample_networks(n: int, seed: int, plan: dict | None = None) -> list[TaskArch]:
    """n networks from scrambled Halton points over (log d, log w, log r, head) (any n, unlike Sobol)."""
    plan = plan or default_plan()
    if n < 1:
        raise ConfigError("configurations", n, "≥ 1")
    heads = plan["heads"]
    points = qmc.Halton(d=4, scramble=True, seed=seed).random(n)
    networks = []
    for p in points:
        d, w, r = (
            float(np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo))))
            for u, (lo, hi) in zip(p[:3], (plan["depth"], plan["width"], plan["resolution"]))
        )
        head = heads[min(int(p[3] * len(heads)), len(heads) - 1)]
        r *= plan["head_resolution_scale"][head]
        networks.append(scale_task(head, Recipe(d, w, r), 1.0, neck_scaling="recipe"))
    return networks


@dataclass(frozen=True)
class FitReport:
    """A fitted profile, the FLOPs-only baseline, their held-out scores and the noise floor."""

    model: LinearProfile
    baseline: LinearProfile
    model_scores: Scores
    baseline_scores: Scores
    noise_floor: float
    test_measured_ms: tuple[float, ...]
    test_remeasured_ms: tuple[float, ...]
    test_predicted_ms: tuple[float, ...]
    test_baseline_ms: tuple[float, ...]
    test_macs: tuple[int, ...]
    train_size: int
    plan: str = "full"  # the sampling plan it was fitted on: "full", or "quick" (fewer networks and rounds)
    fit_seconds: float | None = None  # measured: building, timing and fitting, as the fit ran (None before it was kept)

    @property
    def below_noise_floor(self) -> bool:
        """Whether the model agrees with the held-out networks less often than a re-measurement agrees with itself."""
        return self.model_scores.within_10pct < self.noise_floor

    def as_dict(self) -> dict:
        """JSON-ready, with the model's version (what the store keeps as the machine's profile)."""
        return {**asdict(self), "version": LATENCY_MODEL_VERSION}

    @staticmethod
    def from_dict(raw: dict) -> FitReport:
        """Back from as_dict."""
        return FitReport(
            LinearProfile(tuple(raw["model"]["features"]), tuple(raw["model"]["weights"])),
            LinearProfile(tuple(raw["baseline"]["features"]), tuple(raw["baseline"]["weights"])),
            Scores(**raw["model_scores"]),
            Scores(**raw["baseline_scores"]),
            raw["noise_floor"],
            *(
                tuple(raw[k])
                for k in (
                    "test_measured_ms",
                    "test_remeasured_ms",
                    "test_predicted_ms",
                    "test_baseline_ms",
                    "test_macs",
                )
            ),
            raw["train_size"],
            raw.get("plan", "full"),
            raw.get("fit_seconds"),
        )


def noise_floor(first_ms, second_ms) -> float:
    """Share of configurations whose independent re-measurement lands within ±10% of the first."""
    first, second = np.asarray(first_ms, dtype=float), np.asarray(second_ms, dtype=float)
    return float(np.mean(np.abs(second / first - 1.0) <= TOLERANCE))


def fit_and_evaluate(train: list[TaskArch], train_ms, test: list[TaskArch], test_ms, test_remeasured_ms) -> FitReport:
    """Fit both predictors on the training set and score them on the held-out set."""
    train_reports = [count_task(t) for t in train]
    test_reports = [count_task(t) for t in test]
    model = fit_profile(np.array([feature_vector(r) for r in train_reports]), train_ms, FEATURES)
    baseline = fit_profile(np.array([flops_vector(r) for r in train_reports]), train_ms, FLOPS_FEATURES)
    predicted = model.predict(np.array([feature_vector(r) for r in test_reports]))
    predicted_baseline = baseline.predict(np.array([flops_vector(r) for r in test_reports]))
    return FitReport(
        model,
        baseline,
        score(predicted, test_ms),
        score(predicted_baseline, test_ms),
        noise_floor(test_ms, test_remeasured_ms),
        tuple(map(float, test_ms)),
        tuple(map(float, test_remeasured_ms)),
        tuple(map(float, predicted)),
        tuple(map(float, predicted_baseline)),
        tuple(int(r.macs) for r in test_reports),
        len(train),
    )


def predict_ms(model: LinearProfile, network: TaskArch) -> float:
    """Predicted latency of one network."""
    return float(model.predict(feature_vector(count_task(network))[None, :])[0])


def recalibrated(model: LinearProfile, reference: TaskArch, measured_ms: float) -> tuple[LinearProfile, float]:
    """The profile rescaled so it predicts a reference network's fresh measurement, and the factor.

    A shared machine's speed drifts by tens of percent between sessions (re-measuring the plan's
    networks minutes after a fit landed 0.94–1.24× the first figures here). The profile's shape
    (what costs time relative to what) is stable; one fresh reference measurement corrects its scale.
    """
    factor = measured_ms / predict_ms(model, reference)
    return LinearProfile(model.features, tuple(w * factor for w in model.weights)), factor


def profile_identity(options, fingerprint_id: str | None = None) -> dict:
    """The store's key for a profile: machine (this one, or the device `fingerprint_id`) and measuring setup."""
    from scaling_core.hardware.measure import machine_of

    return {
        "fingerprint_id": fingerprint_id or machine_of(options).id,
        "batch_size": options.batch_size,
        "threads": options.threads,
        "memory_format": options.memory_format,
        "device": options.device,
    }


def stored_profile(store, options, fingerprint_id: str | None = None) -> FitReport | None:
    """The store's profile for this machine (or the device `fingerprint_id`) and setup if this version of the model
    fitted it, else None."""
    raw = store.get_profile(profile_identity(options, fingerprint_id))
    if raw is None or raw.get("version", 1) != LATENCY_MODEL_VERSION:
        return None
    return FitReport.from_dict(raw)


def plan_networks(plan: dict) -> list[TaskArch]:
    """What a plan measures, in order: its training networks, its held-out ones, and the held-out ones again
    (their second, independent copy gives the noise floor)."""
    networks = sample_networks(plan["train"] + plan["test"], plan["seed"], plan)
    return networks + networks[plan["train"] :]


def save_measured(networks: list[TaskArch], measured: list, store) -> None:
    """Store each network's measurement (replacing an older one of the same network, device and setup)."""
    from scaling_core.hardware.measure import measurement_row

    for network, measurement in zip(networks, measured):
        store.put_measurement(measurement_row(network, measurement), replace=True)


def save_fit(plan: dict, measured: list, store, fit_seconds: float | None = None) -> FitReport:
    """Fit and score the plan's measurements (in plan_networks' order); store them and the profile (with the time the
    fit took, when measured) under the device and setup they were measured on; the report."""

    networks = plan_networks(plan)
    train_size, first_size = plan["train"], plan["train"] + plan["test"]
    train, test = networks[:train_size], networks[train_size:first_size]
    first, second = measured[:first_size], measured[first_size:]
    save_measured(networks, first, store)
    first_ms = [m.best_ms for m in first]
    report = fit_and_evaluate(train, first_ms[:train_size], test, first_ms[train_size:], [m.best_ms for m in second])
    report = replace(report, plan=plan.get("name", "full"), fit_seconds=fit_seconds)
    store.put_profile(profile_identity(first[0].options, first[0].fingerprint.id), report.as_dict())
    return report


def fit_latency(options, store, plan: dict | None = None, progress=None) -> FitReport:
    """Plan, measure in interleaved rounds, fit, score on the held-out set, and save the profile.

    The held-out networks are built and measured twice within the same interleaved rounds: the
    second, independent copy gives the noise floor under the same machine conditions, so a slow
    spell of a shared machine cannot pass for model error, nor model error for noise.
    """
    from scaling_core.hardware.measure import measure_interleaved

    plan = plan or default_plan()
    started = time.perf_counter()
    measured = measure_interleaved(plan_networks(plan), options, plan["rounds"], progress)
    return save_fit(plan, measured, store, time.perf_counter() - started)
