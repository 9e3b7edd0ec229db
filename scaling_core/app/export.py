"""A configuration as a portable JSON document (recipe, network, costs, accuracy, provenance), and its import."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from scaling_core.accuracy.model import AccuracyEstimate
from scaling_core.app.state import AppState, parse_query, to_query
from scaling_core.core.errors import ConfigError
from scaling_core.hardware.provenance import provenance
from scaling_core.storage.keys import describe
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import TaskArch
from scaling_core.tasks.summary import COST_SOURCE

FORMAT = "compound-scaling-lab/configuration"
VERSION = 1
MAX_IMPORT_BYTES = 5_000_000


def view_export(state: AppState, page: str, extra: dict | None = None) -> dict[str, Any]:
    """The JSON document of a page's view: its short link query (as the share link), provenance, what the page adds."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "page": page,
        "query": to_query(state, page),
        "provenance": provenance(),
        **(extra or {}),
    }


def configuration_export(
    state: AppState, page: str, network: TaskArch, accuracy: AccuracyEstimate | None = None, extra: dict | None = None
) -> dict[str, Any]:
    """The JSON document of one network's view: enough to rebuild the network, check its costs and reopen the page."""
    report = count_task(network)
    m = network.multipliers
    return view_export(
        state,
        page,
        {
            "label": network.label,
            # τ scales frames only: it belongs to a video network's recipe, not to the other heads'.
            "recipe": {"alpha": state.alpha, "beta": state.beta, "gamma": state.gamma}
            | ({"tau": state.tau} if network.task == "video" else {}),
            "phi": state.phi,
            "preset": state.preset,
            "base": state.base,
            "head": network.task,
            "multipliers": {"depth": m.depth, "width": m.width, "resolution": m.resolution, "frames": m.frames},
            "architecture": describe(network),
            "costs": {
                "source": COST_SOURCE,
                "macs": int(report.macs),
                "flops": 2 * int(report.macs),
                "params": int(report.params),
                "activations": int(report.activations),
                "macs_by_op": {op: int(v) for op, v in report.macs_by_op.items()},
                "resolution_px": int(network.resolution_px),
            },
            "accuracy": None if accuracy is None else asdict(accuracy),
            **(extra or {}),
        },
    )


# What an imported document must hold, by key: the type of the value (checked when the key is present).
SHAPE = {
    "page": str,
    "label": str,
    "recipe": dict,
    "multipliers": dict,
    "costs": dict,
    "accuracy": (dict, type(None)),
    "provenance": dict,
    "pareto": dict,
    "measurements": list,
    "measurement": (dict, type(None)),
}
NETWORK_KEYS = ("recipe", "multipliers", "costs")
COST_KEYS = ("macs", "params", "activations", "resolution_px")


def _check_shape(document: dict) -> None:
    for key, kind in SHAPE.items():
        if key in document and not isinstance(document[key], kind):
            raise ConfigError(
                key, type(document[key]).__name__, f"{getattr(kind, '__name__', 'an object')} in an export"
            )
    if "label" in document:
        missing = [k for k in NETWORK_KEYS if k not in document]
        if missing:
            raise ConfigError(missing[0], None, "present in an export that describes a network")
        for key in COST_KEYS:
            value = document["costs"].get(key)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"costs.{key}", value, "an integer")
    accuracy = document.get("accuracy")
    if accuracy and not (isinstance(accuracy.get("top1"), (int, float)) and isinstance(accuracy.get("source"), str)):
        raise ConfigError("accuracy", accuracy, "an object with top1 (a number) and source (a string)")


def parse_import(data: bytes | str) -> tuple[dict, AppState, list[str]]:
    """A teammate's export: the document, the state its query describes, and any query problems (as messages).

    ConfigError when the file is not such a document (too large, not JSON, wrong format or version).
    """
    raw = data.encode() if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_IMPORT_BYTES:
        raise ConfigError("file size", f"{len(raw):,} bytes", f"at most {MAX_IMPORT_BYTES:,} bytes")
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError("file", type(exc).__name__, "a JSON configuration exported by Compound Scaling Lab") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ConfigError(
            "format", document.get("format") if isinstance(document, dict) else type(document).__name__, FORMAT
        )
    if document.get("version") != VERSION:
        raise ConfigError("version", document.get("version"), f"{VERSION}")
    query = document.get("query")
    if not isinstance(query, dict) or not all(isinstance(v, str) for v in query.values()):
        raise ConfigError("query", type(query).__name__, "an object of URL parameters (strings)")
    _check_shape(document)
    state, problems = parse_query(query)
    return document, state, problems
