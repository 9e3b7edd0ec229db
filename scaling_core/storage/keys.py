"""Cache keys: a JSON-ready description of a frozen spec, and the digest every measurement, run and evaluation key is.

Standard library only, so any layer can key what it caches without pulling in the store.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields, is_dataclass
from typing import Any


def describe(value: Any) -> Any:
    """A JSON-ready, type-tagged description of a frozen spec (labels and continuous multipliers left out)."""
    if is_dataclass(value):
        skipped = {"label", "multipliers", "policy"}
        kept = [
            f
            for f in fields(value)
            if f.name not in skipped
            and not (f.metadata.get("omit_default_from_key") and getattr(value, f.name) == f.default)
        ]
        return {"type": type(value).__name__, **{f.name: describe(getattr(value, f.name)) for f in kept}}
    if isinstance(value, (tuple, list)):
        return [describe(v) for v in value]
    return value


def digest(obj: Any) -> str:
    """The SHA-256 hex digest of an object's JSON with sorted keys (so dict order never changes a key)."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def measurement_key(
    network_description: Any, fingerprint_id: str, batch_size: int, threads: int, memory_format: str, device: str
) -> str:
    """The unique key of a measurement: discrete network, hardware, batch, threads, format, device."""
    return digest([network_description, fingerprint_id, batch_size, threads, memory_format, device])
