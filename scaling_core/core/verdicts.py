"""A claim's verdict from the 95% interval of the difference that decides it: the words every study uses."""

from __future__ import annotations


def interval_verdict(low: float, high: float) -> str:
    """holds (the whole interval above zero), does not hold (below) or inconclusive (across), with why."""
    if low > 0:
        return "holds: the whole interval is above zero"
    if high < 0:
        return "does not hold: the whole interval is below zero (the opposite is measured)"
    return "inconclusive: the interval includes zero"
