"""Accuracy the user measured: a CSV of configurations and their top-1, validated row by row.

Columns (names case-insensitive): `accuracy` (top-1 in %, 0–100) and one way to name the
configuration — `d,w,r` (multipliers), `alpha,beta,gamma,phi`, or `recipe,phi` (a recipe shown on
the Pareto page); optional `latency_ms` (> 0) and `note`. A row replaces the estimate of the grid
point whose d, w and r agree with it to 4 decimals; a row that matches no grid point is shown as a
point of its own.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from scaling_core.core.errors import ConfigError
from scaling_core.core.recipe import Recipe

MAX_BYTES = 1_000_000
MAX_ROWS = 10_000
MATCH_DECIMALS = 4
WAYS = (("d", "w", "r"), ("alpha", "beta", "gamma", "phi"), ("recipe", "phi"))
SOURCE = "measured (your CSV)"


def _number(row: Mapping, column: str, low: float, high: float, *, open_low: bool = True) -> float:
    raw = row[column]
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value < low or (open_low and value == low) or value > high:
        raise ConfigError(column, raw, f"a number in {'(' if open_low else '['}{low:g}, {high:g}]")
    return value


def _multipliers(row: Mapping, columns: set[str], recipes: Mapping[str, Recipe]) -> tuple[float, float, float]:
    if {"d", "w", "r"} <= columns and all(pd.notna(row[c]) and str(row[c]).strip() for c in "dwr"):
        return tuple(_number(row, c, 0.0, 100.0) for c in "dwr")
    phi = _number(row, "phi", -10.0, 10.0, open_low=False) if "phi" in columns else None
    if {"alpha", "beta", "gamma"} <= columns and pd.notna(row["alpha"]):
        recipe = Recipe(*(_number(row, c, 0.0, 10.0) for c in ("alpha", "beta", "gamma")))
    elif "recipe" in columns and pd.notna(row["recipe"]):
        name = str(row["recipe"]).strip()
        if name not in recipes:
            raise ConfigError("recipe", name, f"one of {', '.join(recipes)}")
        recipe = recipes[name]
    else:
        raise ConfigError("configuration", None, "d,w,r or alpha,beta,gamma,phi or recipe,phi")
    if phi is None:
        raise ConfigError("phi", None, "a number in [-10, 10] (with alpha,beta,gamma or recipe)")
    return tuple(float(v) for v in np.power((recipe.alpha, recipe.beta, recipe.gamma), phi))


def parse_measurements(data: bytes | str, recipes: Mapping[str, Recipe]) -> tuple[pd.DataFrame, list[str]]:
    """Valid rows (d, w, r, accuracy, latency_ms, note, line) and one message per bad row.

    ConfigError when the file as a whole cannot be used (too big, not CSV, no accuracy column,
    no way to name a configuration, too many rows).
    """
    raw = data.encode() if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_BYTES:
        raise ConfigError("CSV size", f"{len(raw):,} bytes", f"at most {MAX_BYTES:,} bytes")
    try:
        table = pd.read_csv(io.BytesIO(raw), dtype=str, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ConfigError(
            "CSV",
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            "a comma-separated file with a header row",
        ) from None
    table.columns = [str(c).strip().lower() for c in table.columns]
    columns = set(table.columns)
    if len(columns) < len(table.columns):
        repeated = sorted({c for c in table.columns if list(table.columns).count(c) > 1})
        raise ConfigError("CSV columns", repeated, "each column once (names are compared ignoring case)")
    if "accuracy" not in columns:
        raise ConfigError("CSV columns", sorted(columns), "an accuracy column (top-1 in %)")
    if not any(set(way) <= columns for way in WAYS):
        raise ConfigError("CSV columns", sorted(columns), "d,w,r or alpha,beta,gamma,phi or recipe,phi")
    if len(table) > MAX_ROWS:
        raise ConfigError("CSV rows", len(table), f"at most {MAX_ROWS:,}")
    rows, errors, seen = [], [], {}
    for i, row in table.iterrows():
        line = int(i) + 2  # the header is line 1
        try:
            d, w, r = _multipliers(row, columns, recipes)
            accuracy = _number(row, "accuracy", 0.0, 100.0)
            latency = (
                _number(row, "latency_ms", 0.0, 1e7)
                if "latency_ms" in columns and pd.notna(row["latency_ms"])
                else math.nan
            )
        except ConfigError as exc:
            errors.append(f"line {line}: {exc}")
            continue
        key = match_key(d, w, r)
        if key in seen:
            errors.append(
                f"line {line}: the same configuration (d, w, r = {d:g}, {w:g}, {r:g}) as line {seen[key]}, "
                "which is kept"
            )
            continue
        seen[key] = line
        note = str(row["note"]) if "note" in columns and pd.notna(row["note"]) else ""
        rows.append({"d": d, "w": w, "r": r, "accuracy": accuracy, "latency_ms": latency, "note": note, "line": line})
    return pd.DataFrame(rows, columns=["d", "w", "r", "accuracy", "latency_ms", "note", "line"]), errors


def match_key(d, w, r) -> pd.Series | tuple:
    """The key a configuration is matched on: d, w, r rounded to 4 decimals."""
    if isinstance(d, pd.Series):
        return pd.Series(
            list(zip(d.round(MATCH_DECIMALS), w.round(MATCH_DECIMALS), r.round(MATCH_DECIMALS))), index=d.index
        )
    return tuple(round(float(v), MATCH_DECIMALS) for v in (d, w, r))
