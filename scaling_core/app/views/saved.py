"""What the Saved results page shows: a result's key figures, and two results side by side."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from scaling_core.app.export import validated_payload
from scaling_core.app.tables import value_text
from scaling_core.core.errors import ConfigError


def saved_at(result: dict) -> str:
    """When a result was saved, in UTC."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(result["created_at"]))


def payload_problem(result: dict) -> str | None:
    """Why a saved result cannot be shown, in one line (its payload is not what this version reads), or None.

    Rows saved or imported before imports were validated may hold anything: they are named, never fatal.
    """
    try:
        validated_payload(result["payload"], "payload.")
    except ConfigError as exc:
        return f"Result #{result['id']} {result['name']!r} cannot be shown: {exc}."
    return None


def key_figures(result: dict) -> dict[str, Any]:
    """The figures a reader compares, flattened from a saved result's payload (those it lacks left out).

    The payload must pass `payload_problem`: absent and null parts are left out alike.
    """
    payload = result["payload"]
    figures: dict[str, Any] = {
        "name": result["name"],
        "author": result["author"],
        "page": result["page"],
        "saved": saved_at(result),
    }
    if "label" in payload:
        figures["network"] = payload["label"]
        figures.update({f"recipe {k}": v for k, v in (payload.get("recipe") or {}).items()})
        figures.update(
            {k: payload.get(key) for k, key in (("φ", "phi"), ("preset", "preset"), ("base", "base"), ("head", "head"))}
        )
        figures.update({f"{k} multiplier": v for k, v in (payload.get("multipliers") or {}).items()})
        costs = payload.get("costs") or {}
        figures.update(
            {
                label: costs.get(key)
                for label, key in (
                    ("input (px)", "resolution_px"),
                    ("MACs · modelled", "macs"),
                    ("params · modelled", "params"),
                    ("activations · modelled", "activations"),
                )
            }
        )
    accuracy = payload.get("accuracy") or {}
    if "top1" in accuracy:
        figures[f"top-1 (%) · {accuracy.get('source', 'unknown source')}"] = accuracy["top1"]
        if accuracy.get("error_points") is not None:
            figures["top-1 leave-one-out error (points)"] = accuracy["error_points"]
    pareto = payload.get("pareto") or {}
    if "front" in pareto:
        figures["Pareto front size"] = len(pareto["front"])
        figures["Pareto cost axis"] = pareto.get("cost")
    measurement = payload.get("measurement") or {}
    if "best_ms" in measurement:
        figures["latency best (ms) · measured"] = measurement["best_ms"]
    if payload.get("measurements"):
        figures["measured rows (your CSV)"] = len(payload["measurements"])
    provenance = payload.get("provenance") or {}
    hardware = provenance.get("hardware") or {}
    if hardware:
        figures["hardware"] = hardware.get("device_name")
        figures["hardware fingerprint"] = hardware.get("id")
    if provenance.get("versions"):
        figures["versions"] = ", ".join(f"{k} {v}" for k, v in provenance["versions"].items())
    figures["notes"] = result["notes"]
    return {k: v for k, v in figures.items() if v is not None}


def side_by_side(first: dict, second: dict) -> pd.DataFrame:
    """Two results' key figures in two columns, with the difference (second − first) where both are numbers."""
    a, b = key_figures(first), key_figures(second)
    rows = []
    for field in dict.fromkeys([*a, *b]):
        x, y = a.get(field), b.get(field)
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (x, y))
        rows.append(
            {
                "field": field,
                f"#{first['id']}": value_text(x),
                f"#{second['id']}": value_text(y),
                "difference": value_text(y - x) if numeric else ("" if x == y else "differs"),
            }
        )
    return pd.DataFrame(rows)


def results_table(results: list[dict]) -> pd.DataFrame:
    """The list of saved results: id, name, owner (who may delete it; only once someone has signed in), author,
    page, time, network."""
    owners = any(r.get("owner") for r in results)
    return pd.DataFrame(
        [
            {
                "id": r["id"],
                "name": r["name"],
                **({"owner": r.get("owner") or "—"} if owners else {}),
                "author": r["author"],
                "page": r["page"],
                "saved": saved_at(r),
                "network": str(r["payload"].get("label") or "") if isinstance(r["payload"], dict) else "",
            }
            for r in results
        ],
        columns=["id", "name", *(["owner"] if owners else []), "author", "page", "saved", "network"],
    )
