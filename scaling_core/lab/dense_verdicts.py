"""Verdicts of the dense study: each claim's measured difference, its seed-based interval and a verdict in words.

Recipes are compared at equal MACs (lab/comparisons.py), at the budgets of the first recipe (resolution-leaning);
differences are in the metric's own units (fractions, so 0.05 is five points).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scaling_core.lab.comparisons import decide, equal_macs_difference
from scaling_core.lab.dense_settings import dense_settings
from scaling_core.lab.runs import lab_recipe

RESOLUTION, WIDTH = "segmentation", "width"
METRIC_WORDS = {
    "top1": "top-1",
    "miou": "mIoU",
    "boundary_f1": "boundary F1",
    "miou_small": "mIoU on small objects",
    "ap50": "AP@0.5",
    "ap": "AP@[.5:.95]",
    "ap_small": "AP on small objects",
}


@dataclass(frozen=True)
class Claim:
    """A claim, the measured difference that decides it, its interval, the verdict and how many seeds it rests on."""

    claim: str
    task: str
    metric: str
    difference: float | None
    interval: tuple[float, float] | None
    verdict: str
    seeds: int
    how: str


def _grid(runs: pd.DataFrame, task: str) -> pd.DataFrame:
    """The task's recipe × φ runs (not the multi-task comparison's or the split's)."""
    if runs.empty:
        return runs
    return runs[(runs["task"] == task) & (runs["role"] == "grid")]


def recipe_difference(runs: pd.DataFrame, task: str, metric: str, first: str, second: str) -> dict[int, float]:
    """Per seed: `first`'s metric minus `second`'s at equal MACs, averaged over the reference budgets."""
    return equal_macs_difference(_grid(runs, task), f"metric_{metric}", first, second)


def _claim(claim: str, task: str, metric: str, per_seed: dict[int, float], how: str) -> Claim:
    """A claim decided by its per-seed differences."""
    decided = decide(per_seed)
    return Claim(claim, task, metric, decided.difference, decided.interval, decided.verdict, decided.seeds, how)


def _paired(first: dict[int, float], second: dict[int, float]) -> dict[int, float]:
    """Per seed both have: the first difference minus the second."""
    return {seed: first[seed] - second[seed] for seed in first if seed in second}


def _shared(runs: pd.DataFrame) -> pd.DataFrame:
    """The multi-task grid runs in the recipe the separate networks are compared with."""
    alias = dense_settings().split.recipe
    return runs[(runs["task"] == "multitask") & (runs["role"] == "grid") & (runs["alias"] == alias)]


def separate_macs_share(runs: pd.DataFrame) -> list[float]:
    """For each multi-task budget φ > 0: the MACs of its two separate networks together over the multi-task network's
    (each separate network is the largest within half, so the pair can fall short of the budget)."""
    if runs.empty:
        return []
    multi = _shared(runs)
    separate = runs[runs["role"] == "separate"].drop_duplicates(["task", "of_phi"])
    shares = []
    for phi, macs in multi[multi["phi"] > 0].drop_duplicates("phi")[["phi", "macs"]].itertuples(index=False):
        pair = separate[separate["of_phi"] == phi]
        if len(pair) == 2:
            shares.append(float(pair["macs"].sum()) / float(macs))
    return shares


def shared_backbone_difference(runs: pd.DataFrame) -> dict[int, float]:
    """Per seed: the multi-task network's (top-1 + mIoU)/2 minus that of the two single-task networks of at most half
    its MACs each, averaged over the multi-task budgets φ > 0."""
    if runs.empty:
        return {}
    multi = _shared(runs)
    multi = multi[multi["phi"] > 0]
    separate = runs[runs["role"] == "separate"]
    out: dict[int, list[float]] = {}
    for _, row in multi.iterrows():
        pair = separate[(separate["of_phi"] == row["phi"]) & (separate["seed"] == row["seed"])]
        cls = pair[pair["task"] == "classification"]
        seg = pair[pair["task"] == "segmentation"]
        if cls.empty or seg.empty:
            continue
        shared = (row["metric_top1"] + row["metric_miou"]) / 2
        apart = (cls["metric_top1"].iloc[0] + seg["metric_miou"].iloc[0]) / 2
        out.setdefault(int(row["seed"]), []).append(float(shared - apart))
    return {seed: float(np.mean(v)) for seed, v in out.items()}


EQUAL_MACS = "at equal MACs (interpolated in log MACs at the resolution-leaning budgets), per seed, then over seeds"


def dense_claims(runs: pd.DataFrame, task: str) -> list[Claim]:
    """The claims a task's runs decide (classification's baseline enters the 'more than classification' ones)."""
    classification = recipe_difference(runs, "classification", "top1", RESOLUTION, WIDTH)
    r = lab_recipe(RESOLUTION).recipe
    how = f"resolution-leaning (α {r.alpha:.3f}, β {r.beta:.3f}, γ {r.gamma:.3f}) minus width-only, {EQUAL_MACS}"
    if task == "classification":
        return [_claim("classification prefers resolution over width", task, "top1", classification, how)]
    if task == "multitask":
        shares = separate_macs_share(runs)
        shared = lab_recipe(dense_settings().split.recipe).name
        spent = f" (the pairs spent {min(shares):.0%}–{max(shares):.0%} of it)" if shares else ""
        return [
            _claim(
                "a shared backbone beats two separate ones at equal MACs",
                task,
                "(top1 + miou)/2",
                shared_backbone_difference(runs),
                f"one multi-task network ({shared}, φ > 0) minus a classification and a segmentation network "
                f"of at most half its MACs each{spent}, mean of top-1 and mIoU, per seed, then over seeds",
            )
        ]
    metrics = ("miou", "boundary_f1", "miou_small") if task == "segmentation" else ("ap50", "ap", "ap_small")
    main = recipe_difference(runs, task, metrics[0], RESOLUTION, WIDTH)
    claims = [_claim(f"{task} prefers resolution over width", task, metrics[0], main, how)]
    claims.append(
        _claim(
            f"{task} prefers resolution more than classification does",
            task,
            f"{metrics[0]} − top1",
            _paired(main, classification),
            f"the {METRIC_WORDS[metrics[0]]} difference minus classification's top-1 difference (both {how})",
        )
    )
    for metric in metrics[1:]:
        claims.append(
            _claim(
                f"{task} prefers resolution over width ({METRIC_WORDS[metric]})",
                task,
                metric,
                recipe_difference(runs, task, metric, RESOLUTION, WIDTH),
                how,
            )
        )
    return claims
