"""The one error type user input raises, so callers can show it and keep running."""

from __future__ import annotations

import math
from numbers import Integral
from typing import SupportsFloat


class ConfigError(ValueError):
    """A parameter outside its allowed range; the message names both."""

    def __init__(self, parameter: str, value: object, allowed: str) -> None:
        self.parameter = parameter
        self.value = value
        self.allowed = allowed
        super().__init__(f"{parameter} = {value!r} is invalid: allowed {allowed}")


def require_finite(
    parameter: str,
    value: SupportsFloat | str,
    *,
    minimum: float | None = None,
    exclusive: bool = False,
    maximum: float | None = None,
) -> float:
    """Return value as float if finite and within [minimum, maximum], else raise ConfigError."""
    lo = "-inf" if minimum is None else f"{minimum:g}"
    hi = "inf" if maximum is None else f"{maximum:g}"
    allowed = f"a finite number in {'(' if exclusive else '['}{lo}, {hi}{']' if maximum is not None else ')'}"
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(parameter, value, allowed) from None
    if not math.isfinite(number):
        raise ConfigError(parameter, value, allowed)
    if minimum is not None and (number <= minimum if exclusive else number < minimum):
        raise ConfigError(parameter, value, allowed)
    if maximum is not None and number > maximum:
        raise ConfigError(parameter, value, allowed)
    return number


def require_count(parameter: str, value: object, minimum: int = 1) -> int:
    """Return value as int if it is an integer ≥ minimum (bools excluded), else raise ConfigError."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ConfigError(parameter, value, f"an integer ≥ {minimum}")
    return int(value)
