"""The largest φ satisfying a condition that holds on one interval of φ (coarse scan, then bisection)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def largest_feasible(
    feasible: Callable[[float], bool], low: float, high: float, step: float, tolerance: float = 1e-3
) -> float | None:
    """The largest φ in [low, high] with feasible(φ), to within tolerance; None if no scanned φ is feasible.

    Assumes the feasible φ form one interval (a cost that never falls as φ grows, inside a region
    that is itself an interval): the scan finds its top cell, bisection refines it.
    """
    scan = np.arange(low, high + 1e-9, step)
    fits = [float(phi) for phi in scan if feasible(float(phi))]
    if not fits:
        return None
    lo = max(fits)
    if lo >= high:
        return lo
    hi = min(lo + step, high)
    while hi - lo > tolerance:
        middle = (lo + hi) / 2
        lo, hi = (middle, hi) if feasible(middle) else (lo, middle)
    return lo
