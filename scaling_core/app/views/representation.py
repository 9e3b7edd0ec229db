"""What the Representation page and the fewshot command show of the backbones: tables over seeds, the
Gaussian few-shot model checked against them, and its φ laws fitted to them.

Modelled numbers here come from scaling_core.studies.representation.fewshot's Gaussian prototype model, fed either each
network's measured (effective Δ/σ, effective dimension) — the check — or the laws
Δ/σ = s0·e^{ηφ}, d_eff = d0·e^{ζφ} — the curve. The model needs the class means on a simplex, so
d ≥ N − 1: an effective dimension below N − 1 (trained backbones collapse their features onto few
directions) is raised to N − 1, and others are rounded to the nearest integer. Simulated with
MODEL_EPISODES episodes of 20 queries per class, so a modelled accuracy is within about ±0.5 points
(95%) of the model's exact value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from scaling_core.core.memo import memoized
from scaling_core.lab.runs import code_version
from scaling_core.lab.train import Budget
from scaling_core.storage.shipped import Maker, stored_or_shipped
from scaling_core.studies.representation.fewshot import effective_dim_law, fit_log_linear, modelled_accuracy, snr_law
from scaling_core.studies.representation.measurements import REPRESENTATION_VERSION, fewshot_records, fewshot_settings

MODEL_EPISODES = 1000
KEYS = ["recipe", "alias", "phi"]


def records_for(
    dataset: str, aliases: Sequence[str], phis: Sequence[float], seeds: int, store, budget: Budget | None = None
) -> tuple[list[dict], str]:
    """The store's evaluations of the grid where it holds any, else the shipped ones; and where they come from."""
    stored = fewshot_records(dataset, aliases, phis, seeds, store, budget) if store is not None else []
    phis = set(map(float, phis))
    name = f"fewshot-{dataset}"
    command = f"python -m scaling_core fewshot --dataset {dataset} --save-to data/representation/{name}.json"
    return stored_or_shipped(
        stored,
        "representation",
        name,
        lambda r: r["alias"] in aliases and r["phi"] in phis and r["seed"] < seeds,
        Maker("few-shot", REPRESENTATION_VERSION, command, code_version(dataset)),
    )


def model_dimension(effective_dim: float, ways: int) -> int:
    """The integer dimension the model is fed: the effective dimension rounded, at least ways − 1."""
    return max(ways - 1, int(round(effective_dim)))


def model_accuracy(snr: float, effective_dim: float, shots: int, ways: int) -> float:
    """Modelled N-way K-shot accuracy (%) for an effective Δ/σ and dimension (see the module doc)."""
    return 100 * modelled_accuracy(snr, model_dimension(effective_dim, ways), shots, ways, episodes=MODEL_EPISODES)


def fewshot_frame(records: Sequence[dict]) -> pd.DataFrame:
    """One row per run and number of shots: measured accuracy (%) with its episode interval, and the statistics."""
    rows = []
    for r in records:
        for shots, estimate in r["fewshot"].items():
            rows.append(
                {
                    **{k: r[k] for k in (*KEYS, "seed", "macs")},
                    "shots": int(shots),
                    "accuracy": 100 * estimate["mean"],
                    "ci_low": 100 * estimate["ci_low"],
                    "ci_high": 100 * estimate["ci_high"],
                    **r["statistics"],
                }
            )
    return pd.DataFrame(rows)


@memoized(maxsize=32)
def fewshot_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per recipe, φ and shots: accuracy (%) mean over seeds, the seeds' range (seed_min … seed_max) and the
    mean over seeds of each run's 95% half-interval over its episodes (episode_ci, points)."""
    frame = frame.assign(episode_ci=(frame["ci_high"] - frame["ci_low"]) / 2)
    table = (
        frame.groupby([*KEYS, "shots"], sort=False)
        .agg(
            macs=("macs", "first"),
            seeds=("seed", "count"),
            accuracy=("accuracy", "mean"),
            seed_min=("accuracy", "min"),
            seed_max=("accuracy", "max"),
            episode_ci=("episode_ci", "mean"),
            effective_snr=("effective_snr", "mean"),
            effective_dim=("effective_dim", "mean"),
        )
        .reset_index()
    )
    return table.sort_values(["recipe", "shots", "phi"]).reset_index(drop=True)


def statistics_frame(records: Sequence[dict]) -> pd.DataFrame:
    """Per recipe and φ: the embedding statistics mean over seeds (Δ, σ, Δ/σ, effective Δ/σ and dimension)."""
    frame = pd.DataFrame([{**{k: r[k] for k in (*KEYS, "seed", "macs")}, **r["statistics"]} for r in records])
    columns = ["delta", "sigma", "snr", "effective_snr", "effective_dim", "dims"]
    return frame.groupby(KEYS, sort=False)[["macs", *columns]].mean().reset_index()


def fitted_laws(records: Sequence[dict], alias: str) -> dict[str, float]:
    """The laws' parameters fitted (log-linear least squares over every seed) to one recipe's measured statistics."""
    chosen = [r for r in records if r["alias"] == alias]
    phis = [r["phi"] for r in chosen]
    snr0, eta = fit_log_linear(phis, [r["statistics"]["effective_snr"] for r in chosen])
    dim0, zeta = fit_log_linear(phis, [r["statistics"]["effective_dim"] for r in chosen])
    return {"snr0": snr0, "eta": eta, "dim0": dim0, "zeta": zeta}


def modelled_curve(
    snr0: float, eta: float, dim0: float, zeta: float, phis: Sequence[float], shots: Sequence[int], ways: int
) -> pd.DataFrame:
    """Modelled accuracy (%) against φ through the laws Δ/σ = s0·e^{ηφ}, d_eff = d0·e^{ζφ}."""
    return pd.DataFrame(
        [
            {
                "phi": float(phi),
                "shots": int(k),
                "snr": snr_law(phi, snr0, eta),
                "effective_dim": effective_dim_law(phi, dim0, zeta),
                "accuracy": model_accuracy(snr_law(phi, snr0, eta), effective_dim_law(phi, dim0, zeta), k, ways),
            }
            for k in shots
            for phi in phis
        ]
    )


def model_check(summary: pd.DataFrame, ways: int) -> tuple[pd.DataFrame, float]:
    """Each (recipe, φ, shots) modelled from its measured statistics beside its measured accuracy; and the RMS gap."""
    check = summary[[*KEYS, "shots", "accuracy", "effective_snr", "effective_dim"]].copy()
    check["modelled"] = [
        model_accuracy(s, d, int(k), ways)
        for s, d, k in zip(check["effective_snr"], check["effective_dim"], check["shots"])
    ]
    return check, float(np.sqrt(np.mean((check["modelled"] - check["accuracy"]) ** 2)))


def probe_frame(records: Sequence[dict]) -> pd.DataFrame:
    """Per recipe, φ, target and labels per class: probe accuracy (%) on frozen features and pixels, mean over seeds."""
    rows = [
        {
            **{k: r[k] for k in KEYS},
            "seed": r["seed"],
            "target": target,
            "labels_per_class": int(k),
            "features": 100 * views["features"][k],
            "pixels": 100 * views["pixels"][k],
        }
        for r in records
        for target, views in r["probes"].items()
        for k in views["features"]
    ]
    return (
        pd.DataFrame(rows)
        .groupby([*KEYS, "target", "labels_per_class"], sort=False)[["features", "pixels"]]
        .mean()
        .reset_index()
    )


def dichotomy_frame(records: Sequence[dict]) -> pd.DataFrame:
    """Per recipe, φ and load N/(rank + 1): share of random dichotomies separable, mean over seeds, beside Cover."""
    ratios = fewshot_settings().ratios
    # N was rounded from ratio·(rank + 1): the nearest ratio of the settings is the one asked for.
    rows = [
        {
            **{k: r[k] for k in KEYS},
            "seed": r["seed"],
            "ratio": min(ratios, key=lambda q: abs(q - d["n"] / (d["rank"] + 1))),
            **d,
        }
        for r in records
        for d in r["dichotomies"]
    ]
    return (
        pd.DataFrame(rows)
        .groupby([*KEYS, "ratio"], sort=False)
        .agg(
            n=("n", "mean"),
            rank=("rank", "mean"),
            dims=("dims", "first"),
            separable=("separable", "mean"),
            cover_rank=("cover_rank", "mean"),
            trials=("trials", "sum"),
        )
        .reset_index()
    )


def capacity_table(records: Sequence[dict]) -> pd.DataFrame:
    """Per recipe and φ: the head's width d, Cover's capacity 2(d + 1) for points in general position
    (modelled), the unseen classes' feature rank and within-class effective dimension (measured), and how
    separable the training classes are (measured, %; mean over seeds)."""
    rows = [
        {
            **{k: r[k] for k in KEYS},
            "head_width": r["dims"],
            "cover_capacity_modelled": 2 * (r["dims"] + 1),
            "rank": r["dichotomies"][0]["rank"],
            "within_class_effective_dim": r["statistics"]["effective_dim"],
            "classes_separable": 100 * r["base_probe"]["separable_classes"],
            "probe_train_accuracy": 100 * r["base_probe"]["train_accuracy"],
            "clean_accuracy": 100 * r["clean"],
        }
        for r in records
    ]
    return pd.DataFrame(rows).groupby(KEYS, sort=False).mean().reset_index()
