"""Where a result was made: the versions of Python, this library (its commit from a checkout) and the key packages,
the machine's fingerprint, the time. Exports and shipped files carry it."""

from __future__ import annotations

import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from scaling_core import __version__
from scaling_core.hardware.fingerprint import fingerprint

PACKAGES = ("torch", "fvcore", "numpy", "pandas", "scipy", "plotly", "SQLAlchemy", "streamlit")
REPO = Path(__file__).resolve().parents[2]


def versions() -> dict[str, str]:
    """Versions of Python, this library (and its git commit when run from a checkout) and the key packages."""
    found = {"python": platform.python_version(), "scaling_core": __version__}
    try:
        found["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found


def provenance(device: str = "cpu") -> dict[str, Any]:
    """Where a configuration was made: versions, the machine's fingerprint, the time."""
    return {
        "versions": versions(),
        "hardware": fingerprint(device).as_dict(),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
