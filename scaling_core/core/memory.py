"""Modelled memory of a scaled model, and the limit under which models may be built."""

from __future__ import annotations

import os

from scaling_core.core.cost import CostReport
from scaling_core.core.errors import ConfigError, require_finite

MEMORY_LIMIT_ENV = "SCALING_LAB_MEMORY_LIMIT_GB"
DEFAULT_SHARE_OF_RAM = 0.5
BYTES_PER_FLOAT32 = 4


def estimate_memory_bytes(report: CostReport, batch_size: int = 1) -> int:
    """Modelled memory to build and run the float32 model once: 4 B × (params + batch × activations).

    Assumptions: weights are float32 and live once; every conv/linear output of the forward
    pass is alive at the same time (an upper bound for inference, which frees them as it
    goes; the batch-norm and SiLU outputs that reuse those shapes are not added). Gradients and
    optimiser state are not included: this guards building and counting, not training.
    """
    return BYTES_PER_FLOAT32 * (int(report.params) + int(batch_size) * int(report.activations))


def physical_memory_bytes() -> int:
    """Installed RAM as the OS reports it."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def default_memory_limit_bytes() -> int:
    """SCALING_LAB_MEMORY_LIMIT_GB if set, else half the machine's RAM."""
    value = os.environ.get(MEMORY_LIMIT_ENV)
    if value is not None:
        return int(require_finite(MEMORY_LIMIT_ENV, value, minimum=0.0, exclusive=True) * 2**30)
    return int(physical_memory_bytes() * DEFAULT_SHARE_OF_RAM)


def check_memory(report: CostReport, limit_bytes: int | None = None, batch_size: int = 1) -> int:
    """The modelled bytes, or ConfigError naming the limit if they exceed it."""
    limit = default_memory_limit_bytes() if limit_bytes is None else limit_bytes
    needed = estimate_memory_bytes(report, batch_size)
    if needed > limit:
        raise ConfigError(
            "memory",
            f"{needed / 2**30:.2f} GiB (modelled)",
            f"≤ {limit / 2**30:.2f} GiB, the memory limit (set {MEMORY_LIMIT_ENV} to change it); "
            "lower phi or the coefficients",
        )
    return needed
