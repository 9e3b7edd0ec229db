"""What a lab backbone's frozen features are worth beyond its training task: few-shot, linear probes, separability.

Backbones are lab runs (scaling_core.lab.runs) trained on some classes of a dataset (digits 0–4 by
default). Their features — the head conv's output, globally pooled, what the classifier reads —
are measured on classes they never saw (digits 5–9) and on another dataset (scikit-learn's 8×8
digits, resampled to the network's input):

- few-shot: N-way K-shot episodes classified by the nearest class mean of the supports
  (scaling_core.studies.representation.fewshot), with the embedding statistics the Gaussian model assumes (Δ, σ,
  effective dimension);
- linear probes: logistic regression on standardised features with a few labels per class, mean
  over draws of the labelled images; the same probe on raw pixels at the same size as a reference;
- separability: whether the base classes are linearly separable one-vs-rest in feature space
  (a linear program), the probe's training accuracy, and random dichotomies of the held-out
  features at N = ratio·(rank + 1) against Cover's count (scaling_core.studies.representation.cover).

Evaluations are deterministic and cached in the store, keyed by the run, the settings and REPRESENTATION_VERSION.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Annotated

import numpy as np
from pydantic import Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt

from scaling_core.core.settings import Number, SettingsModel, load_settings
from scaling_core.lab.evaluations import RunRef, grid_runs
from scaling_core.lab.runs import lab_settings
from scaling_core.lab.train import Budget
from scaling_core.studies.protocol import GRID_RUN_COLUMNS, Evaluation, LabGrid, run_records

# The version of this evaluation's computation: few-shot episodes, probes, dichotomies and loading a trained run.
# With the run and the settings it keys every cached and shipped result. Bump it when a result would change
# (tests/test_versions.py's canary says when). Seeded with the digest the source-hash keys gave, so results
# made before versions were explicit stay current.
REPRESENTATION_VERSION = "81c440039301"

Share = Annotated[float, Field(ge=0.0, le=1.0)]
# What a record says of its backbone's run, before the evaluation's result (studies.protocol.RUN_COLUMNS).
RECORD_COLUMNS = (*GRID_RUN_COLUMNS, "resolution_px")


class _FewShotFile(SettingsModel):
    base_dataset: str
    novel_dataset: str
    recipes: list[str]
    phis: list[Number]
    seeds: PositiveInt
    ways: PositiveInt
    shots: list[PositiveInt]
    queries: PositiveInt
    episodes: PositiveInt


class _ProbeFile(SettingsModel):
    transfer_dataset: str
    labels_per_class: list[PositiveInt]
    draws: PositiveInt


class _SeparabilityFile(SettingsModel):
    ratios: list[PositiveFloat]
    trials: PositiveInt


class _CoverFile(SettingsModel):
    dimension: PositiveInt
    bias: bool
    trials: PositiveInt
    simulate_max_dimension: PositiveInt
    note: str | None = None


class _ModelFile(SettingsModel):
    snr0: PositiveFloat
    eta: float
    dim0: PositiveFloat
    zeta: float
    note: str | None = None


class _DistillationFile(SettingsModel):
    dataset: str
    teacher_recipe: str
    teacher_phis: list[Number]
    student_recipe: str
    student_phis: list[Number]
    seeds: PositiveInt
    temperature: PositiveFloat
    alpha: Share
    weight_decay: NonNegativeFloat
    sparsities: list[Share]
    finetune_epochs: NonNegativeInt
    finetune_lr_scale: PositiveFloat
    citation: str | None = None


class RepresentationSettingsFile(SettingsModel):
    """The schema of data/representation/settings.json."""

    note: str | None = None
    fewshot: _FewShotFile
    probe: _ProbeFile
    separability: _SeparabilityFile
    seed: NonNegativeInt
    cover: _CoverFile
    model: _ModelFile
    distillation: _DistillationFile


@lru_cache(maxsize=1)
def representation_defaults() -> dict:
    """data/representation/settings.json as shipped, once validated (ConfigError naming the key if malformed)."""
    return load_settings("representation/settings.json", RepresentationSettingsFile).model_dump(exclude_unset=True)


@dataclass(frozen=True)
class FewShotSettings:
    """What one backbone's evaluation measures (part of every cache key)."""

    novel_dataset: str
    transfer_dataset: str
    ways: int
    shots: tuple[int, ...]
    queries: int
    episodes: int
    labels_per_class: tuple[int, ...]
    draws: int
    ratios: tuple[float, ...]
    trials: int
    seed: int


def fewshot_settings() -> FewShotSettings:
    """The shipped measurement settings."""
    raw = representation_defaults()
    few, probe, sep = raw["fewshot"], raw["probe"], raw["separability"]
    return FewShotSettings(
        few["novel_dataset"],
        probe["transfer_dataset"],
        few["ways"],
        tuple(few["shots"]),
        few["queries"],
        few["episodes"],
        tuple(probe["labels_per_class"]),
        probe["draws"],
        tuple(sep["ratios"]),
        sep["trials"],
        raw["seed"],
    )


def linear_probe(
    train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray
) -> tuple[float, float]:
    """Training and test accuracy of a logistic regression on standardised features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(train_x, train_y)
    return float(probe.score(train_x, train_y)), float(probe.score(test_x, test_y))


def few_label_probe(train_x, train_y, test_x, test_y, per_class: int, draws: int, seed: int) -> float:
    """Mean test accuracy of linear probes trained on `per_class` labelled images per class, over draws."""
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(draws):
        chosen = np.concatenate(
            [rng.choice(np.flatnonzero(train_y == c), per_class, replace=False) for c in np.unique(train_y)]
        )
        scores.append(linear_probe(train_x[chosen], train_y[chosen], test_x, test_y)[1])
    return float(np.mean(scores))


def _probes(classifier, px: int, dataset: str, settings: FewShotSettings) -> dict:
    from scaling_core.lab.data import load_dataset, resample
    from scaling_core.lab.evaluations import embed

    data = load_dataset(dataset)
    train_px, test_px = resample(data.train_x, px).clamp(0, 1), resample(data.test_x, px).clamp(0, 1)
    views = {
        "features": (embed(classifier, train_px), embed(classifier, test_px)),
        "pixels": (train_px.flatten(1).numpy(), test_px.flatten(1).numpy()),
    }
    return {
        name: {
            str(k): few_label_probe(tr, data.train_y, te, data.test_y, k, settings.draws, settings.seed)
            for k in settings.labels_per_class
        }
        for name, (tr, te) in views.items()
    }


STATISTICS = ("sigma", "delta", "snr", "effective_dim", "effective_snr", "dims")


def _scalar_statistics(statistics) -> dict:
    """The embedding statistics a record keeps (the class means stay with the features)."""
    return {name: float(getattr(statistics, name)) for name in STATISTICS}


def evaluate(dataset: str, run: RunRef, checkpoint: bytes, settings: FewShotSettings) -> dict:
    """One backbone's few-shot accuracy, embedding statistics, probes and separability on unseen classes."""
    import torch

    from scaling_core.lab.data import load_dataset, resample
    from scaling_core.lab.evaluations import embed, trained_classifier
    from scaling_core.studies.representation.cover import dichotomy_separability, is_linearly_separable, whiten
    from scaling_core.studies.representation.fewshot import embedding_statistics, episode_accuracy

    torch.set_num_threads(1)
    classifier, base = trained_classifier(dataset, run.network, checkpoint)
    px = run.network.resolution_px
    base_train = embed(classifier, resample(base.train_x, px).clamp(0, 1))
    base_test = embed(classifier, resample(base.test_x, px).clamp(0, 1))
    novel = load_dataset(settings.novel_dataset)
    novel_x = embed(classifier, resample(np.concatenate([novel.train_x, novel.test_x]), px).clamp(0, 1))
    novel_y = np.concatenate([novel.train_y, novel.test_y])
    fewshot = {
        str(k): asdict(
            episode_accuracy(novel_x, novel_y, settings.ways, k, settings.queries, settings.episodes, settings.seed)
        )
        for k in settings.shots
    }
    train_accuracy, test_accuracy = linear_probe(base_train, base.train_y, base_test, base.test_y)
    whitened = whiten(base_train)
    separable = [
        is_linearly_separable(whitened, np.where(base.train_y == c, 1, -1), bias=True) for c in np.unique(base.train_y)
    ]
    rank = int(np.linalg.matrix_rank(novel_x - novel_x.mean(0)))
    dichotomies = dichotomy_separability(
        novel_x, [int(round(r * (rank + 1))) for r in settings.ratios], settings.trials, settings.seed
    )
    return {
        "dims": int(base_train.shape[1]),
        "clean": test_accuracy,
        "fewshot": fewshot,
        "statistics": _scalar_statistics(embedding_statistics(novel_x, novel_y)),
        "base_probe": {
            "train_accuracy": train_accuracy,
            "test_accuracy": test_accuracy,
            "separable_classes": float(np.mean(separable)),
        },
        "probes": {
            settings.novel_dataset: _probes(classifier, px, settings.novel_dataset, settings),
            settings.transfer_dataset: _probes(classifier, px, settings.transfer_dataset, settings),
        },
        "dichotomies": json.loads(dichotomies.to_json(orient="records")),
    }


def fewshot_grid(
    dataset: str, aliases: Sequence[str], phis: Sequence[float], seeds: int, budget: Budget
) -> list[RunRef]:
    """The backbones' runs keyed for their representation evaluation."""
    return grid_runs(dataset, aliases, phis, seeds, budget, asdict(fewshot_settings()), REPRESENTATION_VERSION)


def fewshot_evaluation(grid: LabGrid) -> Evaluation:
    """The backbones' representation study: their runs keyed for it, `evaluate` and the shipped settings."""
    runs = fewshot_grid(grid.dataset, grid.recipes, grid.phis, grid.seeds, grid.budget)
    return Evaluation("representation", grid.dataset, tuple(runs), evaluate, fewshot_settings())


def fewshot_records(
    dataset: str, aliases: Sequence[str], phis: Sequence[float], seeds: int, store, budget: Budget | None = None
) -> list[dict]:
    """The stored evaluations of a grid: one record per run, with its recipe, φ, seed and network's costs."""
    runs = fewshot_grid(dataset, aliases, phis, seeds, budget or lab_settings().budget)
    return run_records("representation", runs, store, RECORD_COLUMNS)
