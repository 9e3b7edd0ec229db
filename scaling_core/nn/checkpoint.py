"""Trained weights from bytes (a lab run's checkpoint, read from a store others may write): tensors only, never code."""

from __future__ import annotations

import io

import torch

from scaling_core.core.errors import ConfigError

ALLOWED = "a plain state dict saved by torch.save (parameter names → tensors)"


def load_state_dict(checkpoint: bytes, where: str = "checkpoint") -> dict[str, torch.Tensor]:
    """A checkpoint's weights as a plain state dict, or a ConfigError; nothing in the file is ever run.

    `weights_only=True` is passed explicitly: torch's TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD only overrides a call
    that leaves it unset, so a pickled object planted in a shared store stays refused whatever the environment.
    """
    try:
        state = torch.load(io.BytesIO(checkpoint), map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - torch raises UnpicklingError, RuntimeError, EOFError... all the file's fault
        raise ConfigError(where, f"{len(checkpoint):,} bytes that are not weights only", ALLOWED) from None
    if not isinstance(state, dict):
        raise ConfigError(where, type(state).__name__, ALLOWED)
    for name, value in state.items():
        if not isinstance(name, str) or not isinstance(value, torch.Tensor):
            raise ConfigError(f"{where}[{name!r}]", type(value).__name__, ALLOWED)
    return state
