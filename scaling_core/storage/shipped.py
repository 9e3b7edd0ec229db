"""Measurements that ship with the project (data/<kind>/<name>.json): written by the commands, read by the pages.

A shipped file holds a header (settings, the version of the computation that made it, provenance, date)
and one record per evaluated run; the pages show the results store's records where it has any, else
these if this code's version of the computation made them, and say which.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from scaling_core.core.paths import DATA_DIR


@lru_cache(maxsize=16)
def shipped_records(kind: str, name: str) -> tuple[dict | None, tuple[dict, ...]]:
    """The header and records of data/<kind>/<name>.json (None and nothing if it does not exist)."""
    path = DATA_DIR / kind / f"{name}.json"
    if not path.is_file():
        return None, ()
    document = json.loads(path.read_text())
    return {k: v for k, v in document.items() if k != "records"}, tuple(document["records"])


@dataclass(frozen=True)
class Maker:
    """The computation a shipped file comes from: its name, its version in this code, the command that re-makes it,
    and for an evaluation of lab runs the lab's code version its runs are trained by in this code."""

    computation: str
    version: str | int
    command: str
    trained_by: str | None = None


def stale_notice(path: str, header: dict, maker: Maker) -> str:
    """'' when this code's version of the computation (and of the training it evaluates) made the file, else why
    the file is not served."""
    made_by, trained_by = header.get("version"), header.get("code_version")
    if made_by != maker.version:
        change = f"was made by {maker.computation} version {made_by}, this code is version {maker.version}"
    elif maker.trained_by is not None and trained_by != maker.trained_by:
        change = f"evaluates networks trained by lab code {trained_by}, this code trains with {maker.trained_by}"
    else:
        return ""
    return f"not served: {path} {change}: re-make it with `{maker.command}`"


def stored_or_shipped(
    stored: Sequence[dict], kind: str, name: str, keep: Callable[[dict], bool], maker: Maker
) -> tuple[list[dict], str]:
    """The store's records where there are any, else the shipped ones `keep` accepts if `maker`'s version made them;
    and where they come from (or why the shipped file is not served)."""
    if stored:
        return list(stored), "measured here: the results store"
    header, shipped = shipped_records(kind, name)
    if header is None:
        return [], ""
    notice = stale_notice(f"data/{kind}/{name}.json", header, maker)
    if notice:
        return [], notice
    chosen = [r for r in shipped if keep(r)]
    if not chosen:
        return [], ""
    return chosen, (
        f"measured: shipped data/{kind}/{name}.json ({header['provenance']['hardware']['device_name']}, "
        f"{header['created']})"
    )


def save_records(
    path: str | Path, header: dict, records: Sequence[dict], provenance: dict, version: str, trained_by: str
) -> None:
    """Write records with their header, the computation's version, the lab code version that trained the runs it
    evaluates, the provenance given and today's date (how the shipped files are made)."""
    document = {
        **header,
        "version": version,
        "code_version": trained_by,
        "provenance": provenance,
        "created": time.strftime("%Y-%m-%d"),
        "records": list(records),
    }
    Path(path).write_text(json.dumps(document) + "\n")
