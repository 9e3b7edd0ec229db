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
    """The computation a shipped file comes from: its name, its version in this code, the command that re-makes it."""

    computation: str
    version: str | int
    command: str


def stale_notice(path: str, made_by: object, maker: Maker) -> str:
    """'' when this code's version of the computation made the file, else why the file is not served."""
    if made_by == maker.version:
        return ""
    return (
        f"not served: {path} was made by {maker.computation} version {made_by}, this code is version "
        f"{maker.version}: re-make it with `{maker.command}`"
    )


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
    notice = stale_notice(f"data/{kind}/{name}.json", header.get("version"), maker)
    if notice:
        return [], notice
    chosen = [r for r in shipped if keep(r)]
    if not chosen:
        return [], ""
    return chosen, (
        f"measured: shipped data/{kind}/{name}.json ({header['provenance']['hardware']['device_name']}, "
        f"{header['created']})"
    )


def save_records(path: str | Path, header: dict, records: Sequence[dict], provenance: dict, version: str) -> None:
    """Write records with their header, the computation's version, the provenance given and today's date (how the
    shipped files are made)."""
    document = {
        **header,
        "version": version,
        "provenance": provenance,
        "created": time.strftime("%Y-%m-%d"),
        "records": list(records),
    }
    Path(path).write_text(json.dumps(document) + "\n")
