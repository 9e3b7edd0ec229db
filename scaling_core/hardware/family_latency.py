"""Measured latency of families scaled by rules, and whether activations or MACs predict it (Dollár et al. 2021).

Dollár, Singh & Girshick ("Fast and Accurate Model Scaling", CVPR 2021) report that at equal FLOPs compound
scaling grows activations faster than width-heavy scaling, and that activations, not FLOPs, predict runtime on
accelerators. Here: each base is scaled by each rule to the same FLOP scales, so the networks of one scale have
about equal MACs and differ in activations; every network is timed on this machine; the Spearman rank correlation
of the measured latency with MACs, with activations and with the fitted latency model's prediction (where this
machine has one) is computed over all of them. The claim "activations predict runtime better than FLOPs" is
decided by ρ(activations) − ρ(MACs), its 95% interval a paired bootstrap over the networks
(scipy.stats.bootstrap): it holds where the interval is above zero, does not where below, and is inconclusive
otherwise. Pooled over families and sizes that mostly asks which networks are big; the claim is about equal FLOPs,
so it is also decided within each base's group of one FLOP scale (the rules' networks of about equal MACs): the
mean over groups of ρ(latency, activations) − ρ(latency, MACs), its 95% interval a bootstrap over the groups.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from scaling_core.core.arch import ScaledArch, applied_multipliers, scale
from scaling_core.core.base import available_bases, load_base
from scaling_core.core.errors import ConfigError
from scaling_core.core.paths import DATA_DIR
from scaling_core.core.recipe import Multipliers
from scaling_core.core.rules import COMPARED_RULES, compared_rule
from scaling_core.core.verdicts import interval_verdict
from scaling_core.hardware.latency_model import LinearProfile, predict_ms
from scaling_core.hardware.measure import MeasureOptions, stored_measurement
from scaling_core.hardware.settings import FamilyLatencyFile, hardware_settings
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import as_task

CONFIDENCE = 0.95
SHIPPED_FILE = "hardware/families-latency.json"  # `families --save-to data/hardware/families-latency.json`
PREDICTORS = {"macs": "MACs", "activations": "activations", "params": "parameters", "predicted_ms": "latency model"}


def family_latency_settings() -> FamilyLatencyFile:
    """The shipped `families` section (ConfigError naming the key if the file is malformed)."""
    return hardware_settings().families


@dataclass(frozen=True)
class ComparedNetwork:
    """One network of the comparison: its base, rule ("base" at s = 1) and FLOP scale."""

    base: str
    rule: str
    flops_scale: float
    network: ScaledArch


def compared_networks(bases: Sequence[str], rules: Sequence[str], scales: Sequence[float]) -> list[ComparedNetwork]:
    """Every base at s = 1 once, and scaled by every rule to every other scale (each base's own rounding)."""
    unknown = [b for b in bases if b not in available_bases()]
    if unknown:
        raise ConfigError("--bases", unknown[0][:40], f"names of {', '.join(available_bases())}")
    bad = [r for r in rules if r not in COMPARED_RULES]
    if bad:
        raise ConfigError("--rules", bad[0][:40], f"names of {', '.join(COMPARED_RULES)}")
    networks = []
    for base in bases:
        spec = load_base(base)
        networks.append(ComparedNetwork(base, "base", 1.0, scale(Multipliers(1.0, 1.0, 1.0), base=spec)))
        for rule in rules:
            for s in (float(s) for s in scales if s > 1):
                label = f"{base}: {rule}, s = {s:g}"
                networks.append(
                    ComparedNetwork(base, rule, s, scale(compared_rule(rule).multipliers(s), base=spec, label=label))
                )
    return networks


def network_row(compared: ComparedNetwork) -> dict:
    """A compared network's base, family, rule, scale, input side, applied multipliers and exact costs."""
    arch = compared.network
    report = count_task(as_task(arch))
    m = applied_multipliers(arch, scale(Multipliers(1.0, 1.0, 1.0), base=compared.base, policy=arch.policy))
    return {
        "base": compared.base,
        "family": load_base(compared.base).family,
        "rule": compared.rule,
        "flops_scale": compared.flops_scale,
        "resolution_px": arch.resolution_px,
        "depth_multiplier": m.depth,
        "width_multiplier": m.width,
        "resolution_multiplier": m.resolution,
        "macs": int(report.macs),
        "params": int(report.params),
        "activations": int(report.activations),
    }


def latency_frame(
    compared: Sequence[ComparedNetwork],
    options: MeasureOptions,
    store,
    profile: LinearProfile | None = None,
    fingerprint_id: str | None = None,
) -> pd.DataFrame:
    """One row per network (`network_row`) with its measured latency (the fastest block: what interference cannot
    inflate) and the latency model's prediction where there is one."""
    rows = []
    for c in compared:
        measured = stored_measurement(c.network, options, store, fingerprint_id)
        rows.append(
            network_row(c)
            | {
                "latency_ms": None if measured is None else float(measured["best_ms"]),
                "predicted_ms": None if profile is None else predict_ms(profile, as_task(c.network)),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class RankVerdict:
    """Spearman's ρ of latency with each predictor, and the claim decided by ρ(activations) − ρ(MACs), pooled and
    within groups of equal MACs."""

    correlations: dict[str, float]
    difference: float
    interval: tuple[float, float]
    networks: int
    verdict: str
    equal_macs: dict

    def as_dict(self) -> dict:
        """JSON-ready."""
        return {
            "claim": "activations predict runtime better than FLOPs (Dollár et al. 2021)",
            "spearman": self.correlations,
            "difference": self.difference,
            "interval": list(self.interval),
            "networks": self.networks,
            "verdict": self.verdict,
            "equal_macs": self.equal_macs,
        }


def _advantage(lat, act, macs) -> float:
    return stats.spearmanr(lat, act).statistic - stats.spearmanr(lat, macs).statistic


def equal_macs_verdict(measured: pd.DataFrame, resamples: int, seed: int) -> dict:
    """Within each base's networks of one FLOP scale (s > 1, three or more rules): ρ(latency, activations) and
    ρ(latency, MACs); their mean difference over the groups with a bootstrap interval over the groups."""
    groups = []
    for (base, s), group in measured[measured["flops_scale"] > 1].groupby(["base", "flops_scale"]):
        if len(group) >= 3:
            columns = [group[c].to_numpy(float) for c in ("latency_ms", "activations", "macs")]
            groups.append(
                {
                    "base": base,
                    "flops_scale": float(s),
                    "networks": len(group),
                    "activations": float(stats.spearmanr(columns[0], columns[1]).statistic),
                    "macs": float(stats.spearmanr(columns[0], columns[2]).statistic),
                }
            )
    differences = np.array([g["activations"] - g["macs"] for g in groups])
    differences = differences[np.isfinite(differences)]
    if len(differences) < 3:
        return {"groups": groups, "difference": None, "interval": None, "verdict": "not measured: under 3 groups"}
    boot = stats.bootstrap(
        (differences,),
        np.mean,
        n_resamples=resamples,
        confidence_level=CONFIDENCE,
        random_state=np.random.default_rng(seed),
        method="percentile",
    )
    low, high = float(boot.confidence_interval.low), float(boot.confidence_interval.high)
    return {
        "groups": groups,
        "mean_activations": float(np.mean([g["activations"] for g in groups])),
        "mean_macs": float(np.mean([g["macs"] for g in groups])),
        "difference": float(differences.mean()),
        "interval": [low, high],
        "verdict": interval_verdict(low, high),
    }


def rank_verdict(frame: pd.DataFrame, resamples: int, seed: int) -> RankVerdict:
    """The rank correlations over the measured networks and the claim's verdict, pooled and at equal MACs."""
    measured = frame.dropna(subset=["latency_ms"])
    if len(measured) < 4:
        raise ConfigError("measured networks", len(measured), "at least 4 (run `families` first)")
    latency = measured["latency_ms"].to_numpy(float)
    correlations = {
        name: float(stats.spearmanr(latency, measured[name].to_numpy(float)).statistic)
        for name in PREDICTORS
        if name in measured and measured[name].notna().all()
    }
    columns = (latency, measured["activations"].to_numpy(float), measured["macs"].to_numpy(float))
    boot = stats.bootstrap(
        columns,
        _advantage,
        paired=True,
        vectorized=False,
        n_resamples=resamples,
        confidence_level=CONFIDENCE,
        random_state=np.random.default_rng(seed),
        method="percentile",
    )
    low, high = float(boot.confidence_interval.low), float(boot.confidence_interval.high)
    difference = correlations["activations"] - correlations["macs"]
    equal = equal_macs_verdict(measured, resamples, seed) if "flops_scale" in measured else {}
    return RankVerdict(correlations, difference, (low, high), len(measured), interval_verdict(low, high), equal)


@dataclass(frozen=True)
class ShippedComparison:
    """The comparison as shipped: its networks' measured latency, the verdict, and the machine it was measured on."""

    frame: pd.DataFrame
    verdict: dict
    machine: str
    command: str


@lru_cache(maxsize=1)
def shipped_comparison() -> ShippedComparison | None:
    """The shipped measurements of the families × rules (None where none ship)."""
    path = DATA_DIR / SHIPPED_FILE
    if not path.is_file():
        return None
    document = json.loads(path.read_text())
    hardware = document["provenance"]["hardware"]
    machine = f"{hardware['cpu_model']}, {document['options']['threads']} thread(s)"
    return ShippedComparison(pd.DataFrame(document["networks"]), document["verdict"], machine, document["command"])
