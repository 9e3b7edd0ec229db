"""A classifier that takes pixels in [0, 1]: the standardisation its training used happens inside it.

Attacks and corruptions work in pixel space (the ε ball and the valid range are those of the image), so
every evaluation of a trained network wraps it in `Normalised`.
"""

from __future__ import annotations

import torch


class Normalised(torch.nn.Module):
    """A model fed pixels in [0, 1]: it standardises them as its training did, then classifies."""

    def __init__(self, model: torch.nn.Module, mean: float, std: float) -> None:
        super().__init__()
        self.model, self.mean, self.std = model, float(mean), float(std)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.model((pixels - self.mean) / self.std)
