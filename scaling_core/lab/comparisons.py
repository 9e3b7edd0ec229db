"""How the lab compares two recipes from their runs: per-seed differences at equal MACs, and their seed interval.

Recipes are compared at equal MACs, not at equal φ (rounding gives each recipe its own MACs at a φ): for each seed,
each recipe's metric is interpolated linearly in log MACs between its measured budgets, at the MACs of the first
recipe at each φ > 0 (clipped to the range both recipes measured), and the differences are averaged over those
budgets. The interval is Student's t 95% interval of the per-seed differences (n − 1 degrees of freedom); a claim
holds when the interval lies above zero, is refuted when it lies below, and is inconclusive otherwise (or with one
seed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from scaling_core.core.verdicts import interval_verdict

CONFIDENCE = 0.95


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


@dataclass(frozen=True)
class SeedDecision:
    """A claim decided by its per-seed differences: their mean, Student-t interval, the verdict and how many seeds."""

    difference: float | None
    interval: tuple[float, float] | None
    verdict: str
    seeds: int


def decide(per_seed: dict[int, float], scale: float = 1.0) -> SeedDecision:
    """The decision of per-seed differences (each times `scale`, e.g. 100 for percentage points)."""
    difference, interval = seed_interval([scale * v for v in per_seed.values()])
    return SeedDecision(difference, interval, verdict_words(difference, interval, len(per_seed)), len(per_seed))


def equal_macs_difference(runs: pd.DataFrame, column: str, first: str, second: str) -> dict[int, float]:
    """Per seed: `first`'s `column` minus `second`'s at equal MACs, averaged over `first`'s budgets φ > 0.

    `runs` holds one row per run of one comparison (columns alias, phi, seed, macs and `column`)."""
    if runs.empty or column not in runs:
        return {}
    reference = runs[(runs["phi"] > 0) & (runs["alias"] == first)]["macs"].unique()
    differences = {}
    for seed, group in runs.groupby("seed"):
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
