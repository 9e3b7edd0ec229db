"""The dense lab's settings (the `dense` section of data/lab/settings.json) as typed values, validated once."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, get_args

from pydantic import ConfigDict, PositiveInt, model_validator

from scaling_core.core.base import require_bases
from scaling_core.core.errors import ConfigError
from scaling_core.core.rounding import RoundingPolicy
from scaling_core.core.settings import Number, SettingsModel, load_settings

DenseTask = Literal["classification", "segmentation", "detection", "multitask"]
DENSE_TASKS: tuple[str, ...] = get_args(DenseTask)


@dataclass(frozen=True)
class DenseBudget:
    """What one dense run trains for: epochs, batch, AdamW's rate and decay, and how many of the dataset's train
    and validation images it uses (0: all; the quick setting uses the first few)."""

    epochs: int
    batch_size: int
    learning_rate: float
    weight_decay: float
    train_images: int = 0
    val_images: int = 0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            if not 1 <= getattr(self, name) <= 10_000:
                raise ConfigError(name, getattr(self, name), "an integer in [1, 10,000]")
        if not 0 < self.learning_rate <= 1:
            raise ConfigError("learning_rate", self.learning_rate, "a number in (0, 1]")
        for name in ("train_images", "val_images"):
            if getattr(self, name) < 0:
                raise ConfigError(name, getattr(self, name), "0 (all) or a positive count")


class DenseHeadsFile(SettingsModel):
    """The heads: the FPN decoder's base width (before × w), the strides it taps (levels) and its output level."""

    decoder_width: PositiveInt
    levels: tuple[PositiveInt, ...]
    output_level: PositiveInt


class DenseGridFile(SettingsModel):
    """A study's grid: tasks, recipes (lab aliases), φ budgets, seeds."""

    tasks: tuple[DenseTask, ...]
    recipes: tuple[str, ...]
    phis: tuple[Number, ...]
    seeds: PositiveInt


class DenseFamiliesFile(SettingsModel):
    """The families on scenes: a dense base of each family (data/bases), each trained on the grid of tasks, recipes
    (lab aliases), φ budgets and seeds."""

    note: str | None = None
    bases: tuple[str, ...]
    tasks: tuple[DenseTask, ...]
    recipes: tuple[str, ...]
    phis: tuple[Number, ...]
    seeds: PositiveInt

    @model_validator(mode="after")
    def _known(self) -> DenseFamiliesFile:
        require_bases(self.bases)
        return self


class DenseSplitFile(SettingsModel):
    """The multi-task comparisons' recipe (lab alias), and the budget split: the decoder base widths tried, each
    backbone the largest within the MACs of the recipe's multi-task network at phi."""

    recipe: str
    phi: Number
    decoder_widths: tuple[PositiveInt, ...]


class DenseSettingsFile(SettingsModel):
    """The schema of the `dense` section."""

    note: str | None = None
    base: str
    rounding: RoundingPolicy
    heads: DenseHeadsFile
    budget: DenseBudget
    quick_budget: DenseBudget
    study: DenseGridFile
    quick_study: DenseGridFile
    split: DenseSplitFile
    max_detections: PositiveInt
    samples: PositiveInt
    families: DenseFamiliesFile

    @model_validator(mode="after")
    def _aligned(self) -> DenseSettingsFile:
        # The losses and the decoding map output cell i to input pixels [i·s, (i+1)·s): true only where the
        # output stride s divides the input side (padding adds a partial cell otherwise).
        stride = 2**self.heads.output_level
        if self.rounding.resolution_multiple % stride:
            raise ConfigError(
                "dense.rounding.resolution_multiple",
                self.rounding.resolution_multiple,
                f"a multiple of the output stride {stride}",
            )
        return self


class _DenseSection(SettingsModel):
    # Only this section, as folders.py reads its own: runs.LabSettingsFile validates the whole file.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    dense: DenseSettingsFile


@lru_cache(maxsize=1)
def dense_settings() -> DenseSettingsFile:
    """The shipped `dense` section (ConfigError naming the key if it is malformed)."""
    return load_settings("lab/settings.json", _DenseSection).dense
