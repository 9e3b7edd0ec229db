"""The one error type user input raises, so callers can show it and keep running."""

from __future__ import annotations

import math
from decimal import Decimal
from numbers import Integral
from typing import SupportsFloat

ECHO_CHARACTERS = 40  # an offending value is echoed this far: enough to recognise it, not a wall of text


def echo(value: object, limit: int = ECHO_CHARACTERS) -> str:
    """A value as an error message shows it: its first `limit` characters (… marks a cut), a text quoted.

    An integer too long for Python to write in decimal (over 4,300 digits) is described by its length."""
    if isinstance(value, str):
        return repr(value if len(value) <= limit else value[:limit] + "…")  # as links echo a bad value
    try:
        text = repr(value)
    except ValueError:
        return f"an integer of about {len(format(value, 'x')) * math.log10(16):,.0f} digits"
    return text if len(text) <= limit else text[:limit] + "…"


class ConfigError(ValueError):
    """A parameter outside its allowed range; the one-line message names both and echoes (the start of) the value."""

    def __init__(self, parameter: str, value: object, allowed: str) -> None:
        self.parameter = parameter
        self.value = value
        self.allowed = allowed
        super().__init__(f"{parameter} = {echo(value)} is invalid: allowed {allowed}")


class StoreError(ConfigError):
    """A store that cannot do what was asked (full, unreachable, read-only): one line naming it whole and why.

    A ConfigError, so the CLI and the pages show it like any other; store is the URL as people may see it
    (storage.store.shown_url), not shortened, since telling two stores apart is the point."""

    def __init__(self, store: str, reason: str) -> None:
        super().__init__("store", store, reason)
        self.args = (f"store {store}: {reason}",)


def number_text(value: SupportsFloat) -> str:
    """A number as a message writes it (a range's ends): a whole number with thousands separators (2,147,483,647,
    never 2.14748e+09), any other in its shortest exact decimal form (0.00001, never 1e-05)."""
    number = float(value)
    if not math.isfinite(number):
        return str(number)
    if number.is_integer():
        return f"{int(number):,}"
    return format(Decimal(repr(number)), ",f")


def require_finite(
    parameter: str,
    value: SupportsFloat | str,
    *,
    minimum: float | None = None,
    exclusive: bool = False,
    maximum: float | None = None,
) -> float:
    """Return value as float if finite and within [minimum, maximum], else raise ConfigError."""
    lo = "-inf" if minimum is None else number_text(minimum)
    hi = "inf" if maximum is None else number_text(maximum)
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
