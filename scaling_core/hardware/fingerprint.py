"""A fingerprint of the machine a latency was measured on."""

from __future__ import annotations

import hashlib
import json
import os
import platform
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path

from scaling_core.core.errors import ConfigError

# Fields left out of the identity while empty (threads 0 included), in declaration order.
OPTIONAL_FIELDS = ("threads", "runtime", "runtime_version", "execution_provider", "precision")


@dataclass(frozen=True)
class Fingerprint:
    """What makes latencies comparable: CPU (or GPU) model, cores, torch version, device.

    `threads` is 0 for this machine measured at any thread count (the measuring options say how many), or the
    thread count a fleet worker is started with (`dask worker --nthreads N`): its CPU with N threads is a device
    of its own, so two workers on one host with different thread counts are told apart.

    `runtime` ("" for PyTorch eager), its version, execution provider and `precision` make a runtime on a device a
    device of its own (hardware/runtimes.py): measurements of different runtimes never mix, and each pair gets its
    own latency model. Empty fields are left out of the id, so eager measurements keep the ids they always had.
    """

    cpu_model: str
    logical_cores: int
    machine: str
    torch_version: str
    device: str
    device_name: str
    threads: int = 0
    runtime: str = ""
    runtime_version: str = ""
    execution_provider: str = ""
    precision: str = ""

    @property
    def id(self) -> str:
        """A short stable hash of all fields (`threads` only where set: ids made before it existed stay valid)."""
        return hashlib.sha256(json.dumps(self._identity(), sort_keys=True).encode()).hexdigest()[:16]

    def _identity(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v or k not in OPTIONAL_FIELDS}

    def as_dict(self) -> dict:
        """Fields plus the id."""
        return self._identity() | {"id": self.id}

    @staticmethod
    def from_dict(raw: dict) -> Fingerprint:
        """Back from as_dict (the id is recomputed, not read)."""
        return Fingerprint(
            raw["cpu_model"],
            int(raw["logical_cores"]),
            raw["machine"],
            raw["torch_version"],
            raw["device"],
            raw["device_name"],
            int(raw.get("threads", 0)),
            *(str(raw.get(k, "")) for k in OPTIONAL_FIELDS[1:]),
        )

    @property
    def label(self) -> str:
        """How a person tells devices apart: the GPU's name, or the CPU with its thread count where it has one."""
        if self.device == "cuda":
            return f"{self.device_name} (cuda){self.runtime_words}"
        threads = f" · {self.threads} thread{'s' if self.threads > 1 else ''}" if self.threads else ""
        return f"cpu{threads} · {self.cpu_model}{self.runtime_words}"

    def without_runtime(self) -> Fingerprint:
        """The device itself: this fingerprint with its runtime fields emptied (PyTorch eager's)."""
        return replace(self, runtime="", runtime_version="", execution_provider="", precision="")

    @property
    def runtime_words(self) -> str:
        """' · the runtime, its version and precision' ('' for PyTorch eager)."""
        if not self.runtime:
            return ""
        return f" · {self.runtime} {self.runtime_version} {self.precision}".rstrip()


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


NO_CUDA = "cpu on this machine (no CUDA device is available)"


def require_device(device: str, parameter: str = "device") -> None:
    """Refuse (one-line ConfigError) a torch device this machine lacks: "cuda" without a CUDA GPU, or no device."""
    if device not in ("cpu", "cuda"):
        raise ConfigError(parameter, device, "cpu or cuda")
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ConfigError(parameter, device, NO_CUDA)


@lru_cache(maxsize=16)
def fingerprint(device: str = "cpu", threads: int = 0, runtime: RuntimeStamp | None = None) -> Fingerprint:
    """This machine's fingerprint for a torch device ("cpu" or "cuda"); ConfigError for a device it lacks.

    `threads` (a fleet worker's thread count) makes the CPU with that many threads a device of its own; a GPU
    is the device whatever the threads, so it is ignored there. `runtime` (None: PyTorch eager) names the runtime
    that measures on it (hardware/runtimes.py).
    """
    import torch

    require_device(device)
    name = torch.cuda.get_device_name(0) if device == "cuda" else _cpu_model()
    threads = threads if device == "cpu" else 0
    stamp = runtime or RuntimeStamp()
    return Fingerprint(
        _cpu_model(),
        os.cpu_count() or 1,
        platform.machine(),
        torch.__version__,
        device,
        name,
        threads,
        stamp.runtime,
        stamp.version,
        stamp.execution_provider,
        stamp.precision,
    )


@dataclass(frozen=True)
class RuntimeStamp:
    """What a fingerprint records of a runtime other than PyTorch eager (all empty for eager)."""

    runtime: str = ""
    version: str = ""
    execution_provider: str = ""
    precision: str = ""


def default_threads() -> int:
    """The default thread count of the CLI and the Hardware page: one.

    One thread is the most repeatable setting on a shared machine. Measured here (2 logical
    cores, EfficientNet-B0, best block of torch.utils.benchmark over one session): 38–42 ms with one
    thread, 29–41 ms with two, whose runs stall whenever another tenant takes a core.
    """
    return 1
