"""The lab's shipped results (data/lab/<name>.json, written by `lab run --save-to`) and whether they are current."""

from __future__ import annotations

import json

from scaling_core.core.paths import DATA_DIR
from scaling_core.lab.runs import code_version
from scaling_core.storage.shipped import Maker, stale_notice


def shipped_lab_file(name: str) -> dict | None:
    """data/lab/<name>.json (a report with its command, budget, code version and provenance), if it exists."""
    path = DATA_DIR / "lab" / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def lab_file_notice(name: str, dataset: str) -> str:
    """'' when data/lab/<name>.json was trained by this code's lab (or does not exist), else why it is not served."""
    document = shipped_lab_file(name)
    if document is None:
        return ""
    maker = Maker("lab training", code_version(dataset), document["command"])
    return stale_notice(f"data/lab/{name}.json", {"version": document.get("code_version")}, maker)
