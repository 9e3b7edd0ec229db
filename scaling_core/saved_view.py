"""What the Saved results page shows: a result's key figures, and two results side by side."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd


def key_figures(result: dict) -> dict[str, Any]:
    """The figures a reader compares, flattened from a saved result's payload (missing ones left out)."""
    payload = result["payload"]
    figures: dict[str, Any] = {
        "name": result["name"], "author": result["author"], "page": result["page"],
        "saved": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(result["created_at"])),
    }
    if "label" in payload:
        figures["network"] = payload["label"]
        figures.update({f"recipe {k}": v for k, v in payload["recipe"].items()})
        figures.update({"φ": payload["phi"], "preset": payload["preset"], "base": payload["base"],
                        "head": payload["head"]})
        figures.update({f"{k} multiplier": v for k, v in payload["multipliers"].items()})
        costs = payload["costs"]
        figures.update({"input (px)": costs["resolution_px"], "MACs · modelled": costs["macs"],
                        "params · modelled": costs["params"], "activations · modelled": costs["activations"]})
    accuracy = payload.get("accuracy")
    if accuracy:
        figures[f"top-1 (%) · {accuracy['source']}"] = accuracy["top1"]
        if accuracy.get("error_points") is not None:
            figures["top-1 leave-one-out error (points)"] = accuracy["error_points"]
    front = payload.get("pareto", {}).get("front")
    if front is not None:
        figures["Pareto front size"] = len(front)
        figures["Pareto cost axis"] = payload["pareto"]["cost"]
    provenance = payload.get("provenance", {})
    if provenance:
        figures["hardware"] = provenance["hardware"].get("device_name")
        figures["hardware fingerprint"] = provenance["hardware"].get("id")
        figures["versions"] = ", ".join(f"{k} {v}" for k, v in provenance["versions"].items())
    figures["notes"] = result["notes"]
    return figures


def side_by_side(first: dict, second: dict) -> pd.DataFrame:
    """Two results' key figures in two columns, with the difference (second − first) where both are numbers."""
    a, b = key_figures(first), key_figures(second)
    rows = []
    for field in dict.fromkeys([*a, *b]):
        x, y = a.get(field), b.get(field)
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (x, y))
        rows.append({"field": field, f"#{first['id']}": _text(x), f"#{second['id']}": _text(y),
                     "difference": _text(y - x) if numeric else ("" if x == y else "differs")})
    return pd.DataFrame(rows)


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.6g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def results_table(results: list[dict]) -> pd.DataFrame:
    """The list of saved results: id, name, author, page, time, network."""
    return pd.DataFrame([{"id": r["id"], "name": r["name"], "author": r["author"], "page": r["page"],
                          "saved": key_figures(r)["saved"], "network": r["payload"].get("label", "")}
                         for r in results], columns=["id", "name", "author", "page", "saved", "network"])
