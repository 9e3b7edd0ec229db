"""The families on scenes: a dense base of EfficientNet, ResNet, RegNetY and EfficientNetV2, scaled by the same recipes
and trained alike on the dense tasks, so scaling rules are compared by a measured dense metric within each family.

Each dense base (data/bases/lab-dense*.json) takes the dense lab's 64 px colour input and reaches stride 32, so the
same FPN decoder taps strides 4 to 32 of every family; the study (`families` in the `dense` section of
data/lab/settings.json) trains each base × task × recipe × φ × seed with the dense study's budget. As in the families'
classification study (lab/families.py), a rule is compared with compound scaling at equal MACs within a family, never
across families: the bases differ in MACs at φ = 0, and none is tuned as the published ones were.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from scaling_core.lab.dense_runs import DensePoint, dense_runs, study_command, study_points
from scaling_core.lab.dense_settings import DenseFamiliesFile, dense_settings
from scaling_core.lab.families import FamilyClaim, rule_claims

FLAGS = "--families"  # the `lab study` flag of this study


def families_grid() -> DenseFamiliesFile:
    """The families' study on scenes: bases, tasks, recipes, φ and seeds."""
    return dense_settings().families


def families_file(dataset: str) -> str:
    """The name of the families' shipped dense runs of a dataset: data/lab/<name>.json."""
    return f"dense-families-{dataset}"


def shipped_as(dataset: str) -> tuple[str, str]:
    """The families' shipped file name and the command that makes it (dense_runs' `shipped_as`)."""
    return families_file(dataset), study_command(dataset, families_file(dataset), FLAGS)


def points_of_bases(
    bases: Sequence[str | None],
    tasks: Sequence[str],
    aliases: Sequence[str],
    phis: Sequence[float],
    classes: int,
    split: bool = False,
) -> list[DensePoint]:
    """Every base's study points (None: the dense lab's base), one base after another."""
    return [point for base in bases for point in study_points(tasks, aliases, phis, classes, split, base)]


def families_runs(dataset: str, classes: int, store=None) -> tuple[pd.DataFrame, str]:
    """The study's runs (dense_runs' rows, with base and family): the store's, and the shipped ones it lacks."""
    grid = families_grid()
    points = points_of_bases(grid.bases, grid.tasks, grid.recipes, [float(p) for p in grid.phis], classes)
    return dense_runs(dataset, points, store, dense_settings().budget, grid.seeds, shipped_as(dataset))


def dense_family_claims(runs: pd.DataFrame, task: str) -> list[FamilyClaim]:
    """Per family and other recipe of the task's grid: 'compound scaling beats it at equal MACs' on the task's
    primary metric (points)."""
    chosen = runs[(runs["task"] == task) & (runs["role"] == "grid")] if not runs.empty else runs
    if chosen.empty:
        return []
    frame = chosen.assign(metric=chosen["primary"].astype(float))
    return rule_claims(frame[["base", "family", "alias", "phi", "seed", "macs", "metric"]], "metric")
