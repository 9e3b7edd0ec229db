"""A configuration as a portable JSON document (recipe, network, costs, accuracy, provenance), and its import;
tables as CSV that a spreadsheet cannot run."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scaling_core.accuracy.model import AccuracyEstimate
from scaling_core.app.state import AppState, parse_query, to_query
from scaling_core.core.errors import ConfigError
from scaling_core.core.settings import check_json_text, validation_error
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


Finite = Annotated[float, Field(allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0)]


class _Part(BaseModel):
    """Strict JSON types (no "3" for 3), keys this version does not read kept as they are."""

    model_config = ConfigDict(strict=True, extra="allow")


class Costs(_Part):
    source: str | None = None
    macs: Count | None = None
    flops: Count | None = None
    params: Count | None = None
    activations: Count | None = None
    resolution_px: Count | None = None
    macs_by_op: dict[str, Count] | None = None


class Accuracy(_Part):
    top1: Finite
    source: str
    error_points: Finite | None = None


class ParetoView(_Part):
    cost: str | None = None
    front: list[dict[str, Any]] = []
    recipes: list[dict[str, Any]] | None = None


class Measurement(_Part):
    best_ms: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] | None = None


class MeasuredRow(_Part):
    """A row of the user's accuracy CSV as the Pareto page uses it (scaling_core/accuracy/user_csv.py's ranges)."""

    d: Annotated[float, Field(gt=0.0, le=100.0)]
    w: Annotated[float, Field(gt=0.0, le=100.0)]
    r: Annotated[float, Field(gt=0.0, le=100.0)]
    accuracy: Annotated[float, Field(gt=0.0, le=100.0)]
    latency_ms: Annotated[float, Field(gt=0.0, le=1e7)] | None = None
    note: str = ""
    line: Count | None = None


class Hardware(_Part):
    device_name: str | None = None
    id: str | None = None


class Provenance(_Part):
    versions: dict[str, str] | None = None
    hardware: Hardware | None = None
    created_at: str | None = None


class SavedPayload(_Part):
    """What the Saved results page and "Open the … view" read from a saved result: each part optional, typed."""

    page: str | None = None
    label: str | None = None
    recipe: dict[str, Finite] | None = None
    phi: Finite | None = None
    preset: str | None = None
    base: str | None = None
    head: str | None = None
    multipliers: dict[str, Finite] | None = None
    costs: Costs | None = None
    accuracy: Accuracy | None = None
    pareto: ParetoView | None = None
    measurement: Measurement | None = None
    measurements: list[MeasuredRow] | None = None
    provenance: Provenance | None = None


class ExportDocument(SavedPayload):
    """A teammate's export file: our format and version, the page's link query, then a saved payload."""

    format: Literal[FORMAT]
    version: Literal[VERSION]
    query: dict[str, str]


NETWORK_KEYS = ("recipe", "multipliers", "costs")
COST_KEYS = ("macs", "params", "activations", "resolution_px")


def validated_payload(payload: object, prefix: str = "") -> SavedPayload:
    """A saved payload checked against what this version reads; ConfigError naming the first bad field."""
    try:
        return SavedPayload.model_validate(payload)
    except ValidationError as exc:
        raise validation_error(exc, prefix) from None


def parse_import(data: bytes | str) -> tuple[dict, AppState, list[str]]:
    """A teammate's export: the document, the state its query describes, and any query problems (as messages).

    The file imports whole or not at all: ConfigError when it is too large or too deeply nested, not JSON, of
    another format or version, or when any field this version reads has the wrong type (the first one named).
    """
    raw = data.encode() if isinstance(data, str) else bytes(data)
    check_json_text(raw, "file", MAX_IMPORT_BYTES)
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError("file", type(exc).__name__, "a JSON configuration exported by Compound Scaling Lab") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ConfigError(
            "format", document.get("format") if isinstance(document, dict) else type(document).__name__, FORMAT
        )
    try:
        checked = ExportDocument.model_validate(document)
    except ValidationError as exc:
        raise validation_error(exc) from None
    if checked.label is not None:
        for key in NETWORK_KEYS:
            if getattr(checked, key) is None:
                raise ConfigError(key, "<missing>", "present in an export that describes a network")
        for key in COST_KEYS:
            if getattr(checked.costs, key) is None:
                raise ConfigError(f"costs.{key}", "<missing>", "an integer")
    state, problems = parse_query(checked.query)
    return document, state, problems


# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV injection").
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, with a leading ' (shown as text); anything else as it is."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_LEADS) else value


def csv_text(frame: pd.DataFrame) -> str:
    """A table as CSV (no index), every text cell and column name neutralised; numbers, negative ones too, unchanged.

    Every CSV the app or the CLI writes goes through here.
    """
    numeric = pd.api.types.is_numeric_dtype
    safe = pd.DataFrame(
        {i: column if numeric(column) else column.map(neutralised) for i, (_, column) in enumerate(frame.items())},
        index=frame.index,
    )
    safe.columns = [neutralised(c) for c in frame.columns]
    # RFC 4180's CRLF: a cell holding a carriage return is then quoted, so it cannot start a row of its own.
    return safe.to_csv(index=False, lineterminator="\r\n")
