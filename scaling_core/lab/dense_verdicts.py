"""Verdicts of the dense study: each claim's measured difference, its seed-based interval and a verdict in words.

Recipes are compared at equal MACs, not at equal φ (rounding gives each recipe its own MACs at a φ): for each seed,
each recipe's metric is interpolated linearly in log MACs between its measured budgets, at the MACs of the first
recipe (resolution-leaning) at each φ > 0 (clipped to the range both recipes measured), and the differences are
averaged over those budgets. The interval is Student's t 95% interval of the
per-seed differences (n − 1 degrees of freedom); a claim holds when the interval lies above zero, is refuted when it
lies below, and is inconclusive otherwise (or with one seed). Differences are in the metric's own units (fractions,
so 0.05 is five points).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from scaling_core.core.verdicts import interval_verdict
from scaling_core.lab.dense_settings import dense_settings
from scaling_core.lab.runs import lab_recipe

CONFIDENCE = 0.95
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


def seed_interval(values) -> tuple[float | None, tuple[float, float] | None]:
    """The mean of per-seed values and its Student-t interval (None with fewer than two finite values)."""
    values = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    if len(values) == 0:
        return None, None
    mean = float(values.mean())
    if len(values) < 2:
        return mean, None
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))
    return mean, (mean - half, mean + half)


def verdict_words(difference: float | None, interval: tuple[float, float] | None, seeds: int) -> str:
    """holds, does not hold or inconclusive, with why."""
    if difference is None:
        return "not measured: no runs of this comparison are stored"
    if interval is None:
        return f"inconclusive: {seeds} seed gives no interval"
    return interval_verdict(*interval)


def _grid(runs: pd.DataFrame, task: str) -> pd.DataFrame:
    """The task's recipe × φ runs (not the multi-task comparison's or the split's)."""
    if runs.empty:
        return runs
    return runs[(runs["task"] == task) & (runs["role"] == "grid")]


def recipe_difference(runs: pd.DataFrame, task: str, metric: str, first: str, second: str) -> dict[int, float]:
    """Per seed: `first`'s metric minus `second`'s at equal MACs, averaged over the reference budgets."""
    grid = _grid(runs, task)
    column = f"metric_{metric}"
    if grid.empty or column not in grid:
        return {}
    reference = grid[(grid["phi"] > 0) & (grid["alias"] == first)]["macs"].unique()
    differences = {}
    for seed, group in grid.groupby("seed"):
        curves = {}
        for alias in (first, second):
            points = group[group["alias"] == alias].sort_values("macs")
            points = points[points[column].notna()]
            if len(points) < 2:
                break
            curves[alias] = (np.log(points["macs"].to_numpy(float)), points[column].to_numpy(float))
        if len(curves) < 2 or not len(reference):
            continue
        top = min(curves[first][0].max(), curves[second][0].max())
        bottom = max(curves[first][0].min(), curves[second][0].min())
        at = np.unique(np.clip(np.log(reference.astype(float)), bottom, top))
        values = [np.interp(at, *curves[alias]) for alias in (first, second)]
        differences[int(seed)] = float(np.mean(values[0] - values[1]))
    return differences


def _claim(claim: str, task: str, metric: str, per_seed: dict[int, float], how: str) -> Claim:
    """A claim decided by its per-seed differences."""
    difference, interval = seed_interval(list(per_seed.values()))
    return Claim(
        claim,
        task,
        metric,
        difference,
        interval,
        verdict_words(difference, interval, len(per_seed)),
        len(per_seed),
        how,
    )


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
