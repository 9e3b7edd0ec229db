"""Measured robustness of the lab's trained networks: attacks, corruptions, margins and gradient norms.

Each lab run (a network trained on a dataset with a seed, scaling_core.lab.runs) is loaded from its
checkpoint in the results store and evaluated on the first `test_images` of the dataset's fixed test
split, at the network's own input size (data/robustness/settings.json; the attacks are described in
scaling_core.studies.robustness.attacks). Evaluations are deterministic (one thread, seeded noise and random starts) and
cached in the store, keyed by the run, the settings and ROBUSTNESS_VERSION.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from pydantic import NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt

from scaling_core.core.settings import SettingsModel, load_settings
from scaling_core.lab.evaluations import RunRef, grid_runs
from scaling_core.lab.runs import lab_settings
from scaling_core.lab.train import Budget
from scaling_core.studies.protocol import GRID_RUN_COLUMNS, Evaluation, LabGrid, model_and_test_images, run_records

# The version of this evaluation's computation: the attacks, the corruptions, loading a trained run and `evaluate`.
# With the run and the settings it keys every cached and shipped result. Bump it when a result would change
# (tests/test_versions.py's canary says when). Seeded with the digest the source-hash keys gave, so results
# made before versions were explicit stay current.
ROBUSTNESS_VERSION = "a78504d8e37e"

ATTACKS = ("fgsm", "pgd")
# What a record says of its run, before the evaluation's result (studies.protocol.RUN_COLUMNS).
RECORD_COLUMNS = (*GRID_RUN_COLUMNS, "resolution_multiplier", "resolution_px")


@dataclass(frozen=True)
class RobustnessSettings:
    """data/robustness/settings.json as typed values."""

    eps: tuple[float, ...]
    pgd_steps: int
    pgd_step_size: float
    corruptions: dict[str, tuple[float, ...]]
    test_images: int
    seed: int
    neutral: dict[str, float]

    def as_dict(self) -> dict:
        """The settings an evaluation depends on, as JSON-ready data (part of every cache key)."""
        return {
            "eps": list(self.eps),
            "pgd_steps": self.pgd_steps,
            "pgd_step_size": self.pgd_step_size,
            "corruptions": {k: list(v) for k, v in self.corruptions.items()},
            "test_images": self.test_images,
            "seed": self.seed,
        }


class _PgdFile(SettingsModel):
    steps: PositiveInt
    step_size: PositiveFloat


class RobustnessSettingsFile(SettingsModel):
    """The schema of data/robustness/settings.json."""

    note: str | None = None
    eps: tuple[NonNegativeFloat, ...]
    pgd: _PgdFile
    corruptions: dict[str, tuple[float, ...]]
    test_images: PositiveInt
    seed: NonNegativeInt
    neutral: dict[str, float]
    neutral_note: str | None = None


@lru_cache(maxsize=1)
def robustness_settings() -> RobustnessSettings:
    """The shipped settings (ConfigError naming the key if the file is malformed)."""
    raw = load_settings("robustness/settings.json", RobustnessSettingsFile)
    return RobustnessSettings(
        raw.eps,
        raw.pgd.steps,
        raw.pgd.step_size,
        dict(raw.corruptions),
        raw.test_images,
        raw.seed,
        dict(raw.neutral),
    )


def evaluate(dataset: str, run: RunRef, checkpoint: bytes, settings: RobustnessSettings) -> dict:
    """One trained network's clean accuracy, FGSM and PGD curves, corruption curves, margins and gradient norms."""
    import torch

    from scaling_core.core.base import load_base
    from scaling_core.studies.robustness.attacks import accuracy, corrupt, fgsm, margins_and_gradients, pgd

    model, x, y = model_and_test_images(dataset, run, checkpoint, settings.test_images)
    px = run.network.resolution_px
    generator = torch.Generator().manual_seed(settings.seed)
    curves = {
        "fgsm": [accuracy(model, fgsm(model, x, y, eps), y) for eps in settings.eps],
        "pgd": [
            accuracy(model, pgd(model, x, y, eps, settings.pgd_steps, settings.pgd_step_size, generator), y)
            for eps in settings.eps
        ],
    }
    scale = px / load_base(lab_settings().base).resolution_px
    for name, severities in settings.corruptions.items():
        levels = [s * scale if name == "gaussian_blur" else s for s in severities]
        curves[name] = [accuracy(model, corrupt(name, x, s, generator), y) for s in levels]
    margin, gradient = margins_and_gradients(model, x, y)
    return {
        "clean": accuracy(model, x, y),
        "curves": curves,
        "margins": margin.tolist(),
        "gradient_norms": gradient.tolist(),
    }


def robustness_grid(
    dataset: str, aliases: Sequence[str], phis: Sequence[float], seeds: int, budget: Budget
) -> list[RunRef]:
    """The grid's runs keyed for their robustness evaluation."""
    return grid_runs(dataset, aliases, phis, seeds, budget, robustness_settings().as_dict(), ROBUSTNESS_VERSION)


def robustness_evaluation(grid: LabGrid) -> Evaluation:
    """The grid's robustness study: its runs keyed for it, `evaluate` and the shipped settings (studies.protocol)."""
    runs = robustness_grid(grid.dataset, grid.recipes, grid.phis, grid.seeds, grid.budget)
    return Evaluation("robustness", grid.dataset, tuple(runs), evaluate, robustness_settings())


def robustness_runs(
    dataset: str, aliases: Sequence[str], phis: Sequence[float], seeds: int, store, budget: Budget | None = None
) -> list[dict]:
    """The stored evaluations of a grid: one record per run, with its recipe, φ, seed and network's costs."""
    runs = robustness_grid(dataset, aliases, phis, seeds, budget or lab_settings().budget)
    return run_records("robustness", runs, store, RECORD_COLUMNS)
