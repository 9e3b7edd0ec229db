"""A fingerprint of the machine a latency was measured on."""

from __future__ import annotations

import hashlib
import json
import os
import platform
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from scaling_core.core.errors import ConfigError


@dataclass(frozen=True)
class Fingerprint:
    """What makes latencies comparable: CPU (or GPU) model, cores, torch version, device."""

    cpu_model: str
    logical_cores: int
    machine: str
    torch_version: str
    device: str
    device_name: str

    @property
    def id(self) -> str:
        """A short stable hash of all fields."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]

    def as_dict(self) -> dict:
        """Fields plus the id."""
        return asdict(self) | {"id": self.id}


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


@lru_cache(maxsize=4)
def fingerprint(device: str = "cpu") -> Fingerprint:
    """This machine's fingerprint for a torch device ("cpu" or "cuda"); ConfigError for a device it lacks."""
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device", "cuda", "cpu on this machine (no CUDA device is available)")
    name = torch.cuda.get_device_name(0) if device == "cuda" else _cpu_model()
    return Fingerprint(_cpu_model(), os.cpu_count() or 1, platform.machine(), torch.__version__, device, name)


def default_threads() -> int:
    """The default thread count of the CLI and the Hardware page: one.

    One thread is the most repeatable setting on a shared machine. Measured here (2 logical
    cores, EfficientNet-B0, best block of torch.utils.benchmark over one session): 38–42 ms with one
    thread, 29–41 ms with two, whose runs stall whenever another tenant takes a core.
    """
    return 1
