"""Knowledge distillation and magnitude pruning of small lab students, measured against the same students alone.

Students are lab networks at small φ trained with the lab's budget (scaling_core.lab.train): alone
(the plain lab run), or from a larger-φ lab teacher's logits on the training images with the loss
α·T²·KL(teacher_T ‖ student_T) + (1 − α)·CE (Hinton et al. 2015); the teacher of seed s teaches the
student of seed s. Each student is then magnitude-pruned (global, unstructured, by |w| over every
conv and linear weight: torch.nn.utils.prune, Han et al. 2015) at each sparsity, and its accuracy
recorded before and after a short fine-tune with the pruned weights held at zero. Evaluations are
deterministic (one thread, seeded) and cached in the store like the lab's runs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, replace

from scaling_core.core.arch import ScaledArch
from scaling_core.core.errors import ConfigError, require_finite
from scaling_core.lab.evaluations import RunRef, evaluation_key
from scaling_core.lab.runs import code_version, lab_network, lab_recipe, lab_settings, network_key, run_key
from scaling_core.lab.train import Budget, Distillation, fit, split_at, train
from scaling_core.lab.train import evaluate as accuracy
from scaling_core.storage.keys import describe
from scaling_core.studies.protocol import Evaluation, LabGrid, evaluate_runs, stored_results, train_grids
from scaling_core.studies.representation.measurements import representation_defaults

# The version of this evaluation's computation: the student training with a teacher, pruning, fine-tuning and
# loading a trained run. With the run and the settings it keys every cached and shipped result. Bump it when a
# result would change (tests/test_versions.py's canary says when). Seeded with the digest the source-hash keys
# gave, so results made before versions were explicit stay current.
DISTILLATION_VERSION = "8abb3ac2587a"


@dataclass(frozen=True)
class DistillSettings:
    """Teachers, students, the loss's T and α, the weight decay and the pruning sweep."""

    dataset: str
    teacher_recipe: str
    teacher_phis: tuple[float, ...]
    student_recipe: str
    student_phis: tuple[float, ...]
    seeds: int
    temperature: float
    alpha: float
    weight_decay: float
    sparsities: tuple[float, ...]
    finetune_epochs: int
    finetune_lr_scale: float
    epochs: int

    def __post_init__(self) -> None:
        require_finite("temperature", self.temperature, minimum=0.0, exclusive=True, maximum=100.0)
        require_finite("alpha", self.alpha, minimum=0.0, maximum=1.0)
        require_finite("weight_decay", self.weight_decay, minimum=0.0, maximum=1.0)
        for s in self.sparsities:
            require_finite("sparsity", s, minimum=0.0, maximum=0.999)
        for name, low in (("seeds", 1), ("epochs", 1), ("finetune_epochs", 0)):
            if not low <= getattr(self, name) <= 100:
                raise ConfigError(name, getattr(self, name), f"an integer in [{low}, 100]")

    def measured_with(self) -> dict:
        """What a student's measurement depends on beyond its teacher, φ and seed (JSON-ready)."""
        return {
            "dataset": self.dataset,
            "teacher_recipe": self.teacher_recipe,
            "student_recipe": self.student_recipe,
            "temperature": self.temperature,
            "alpha": self.alpha,
            "weight_decay": self.weight_decay,
            "sparsities": list(self.sparsities),
            "finetune_epochs": self.finetune_epochs,
            "finetune_lr_scale": self.finetune_lr_scale,
            "epochs": self.epochs,
        }

    def budget(self) -> Budget:
        """The lab budget with these epochs and weight decay."""
        return replace(lab_settings().budget, epochs=self.epochs, weight_decay=self.weight_decay)


def distill_settings(**overrides) -> DistillSettings:
    """The shipped settings (data/representation/settings.json), with any field overridden."""
    raw = {k: v for k, v in representation_defaults()["distillation"].items() if k != "citation"}
    raw["epochs"] = lab_settings().budget.epochs
    raw.update({k: v for k, v in overrides.items() if v is not None})
    for name in ("teacher_phis", "student_phis", "sparsities"):
        raw[name] = tuple(float(v) for v in raw[name])
    return DistillSettings(**raw)


@dataclass(frozen=True)
class StudentJob:
    """What one call of `evaluate` needs beyond the run: the teacher (None: the student alone) and the settings."""

    teacher: ScaledArch | None
    settings: DistillSettings


def magnitude_prune(model, sparsity: float):
    """Zero the smallest-|w| share of all conv and linear weights together (masks stay until prune.remove)."""
    import torch
    from torch.nn.utils import prune

    parameters = [(m, "weight") for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    if sparsity > 0:
        prune.global_unstructured(parameters, pruning_method=prune.L1Unstructured, amount=float(sparsity))
    return parameters


def measured_sparsity(parameters) -> float:
    """The share of exactly-zero weights among the pruned tensors."""
    zeros = sum(int((getattr(m, name) == 0).sum()) for m, name in parameters)
    return zeros / sum(getattr(m, name).numel() for m, name in parameters)


def teacher_logits(dataset: str, teacher: ScaledArch, checkpoint: bytes):
    """The teacher's logits on the training images, each at the teacher's own input size and standardisation."""
    import torch

    from scaling_core.nn.build import build_model
    from scaling_core.nn.checkpoint import load_state_dict

    model = build_model(teacher)
    model.load_state_dict(load_state_dict(checkpoint))
    with torch.no_grad():
        return torch.cat(
            [model.eval()(b) for b in torch.split(split_at(dataset, teacher.resolution_px).train_x, 512)]
        ).numpy()


def evaluate(dataset: str, run: RunRef, checkpoint: bytes, job: StudentJob) -> dict:
    """One student (trained from the teacher's checkpoint, or loaded alone) and its accuracy at each sparsity."""
    import torch
    from torch.nn.utils import prune

    from scaling_core.nn.build import build_model
    from scaling_core.nn.checkpoint import load_state_dict

    torch.set_num_threads(1)
    settings = job.settings
    budget = settings.budget()
    if job.teacher is None:
        result = None
        student = build_model(run.network)
        student.load_state_dict(load_state_dict(checkpoint))
    else:
        logits = teacher_logits(dataset, job.teacher, checkpoint)
        result = train(
            dataset, run.network, run.seed, budget, Distillation(logits, settings.temperature, settings.alpha)
        )
        student = build_model(run.network)
        student.load_state_dict(load_state_dict(result.checkpoint))
    split = split_at(dataset, run.network.resolution_px)
    clean = accuracy(student, split.test_x, split.test_y)
    finetune = replace(
        budget, epochs=settings.finetune_epochs, learning_rate=budget.learning_rate * settings.finetune_lr_scale
    )
    pruning = []
    for sparsity in settings.sparsities:
        model = copy.deepcopy(student)
        parameters = magnitude_prune(model, sparsity)
        before = accuracy(model, split.test_x, split.test_y)
        after = before
        if sparsity > 0 and finetune.epochs > 0:
            torch.manual_seed(run.seed)
            curve, _ = fit(model, split, run.seed, finetune)
            after = curve[-1]["test_accuracy"]
        for module, name in parameters:
            if prune.is_pruned(module):
                prune.remove(module, name)
        pruning.append(
            {
                "sparsity": sparsity,
                "measured_sparsity": measured_sparsity(parameters),
                "accuracy": before,
                "accuracy_finetuned": after,
            }
        )
    return {"accuracy": clean, "curve": None if result is None else list(result.curve), "pruning": pruning}


def _settings_key(settings: DistillSettings, teacher: ScaledArch | None) -> dict:
    return {
        "teacher": None if teacher is None else describe(teacher),
        "temperature": settings.temperature,
        "alpha": settings.alpha,
        "sparsities": list(settings.sparsities),
        "finetune_epochs": settings.finetune_epochs,
        "finetune_lr_scale": settings.finetune_lr_scale,
    }


def student_runs(settings: DistillSettings, teacher_phi: float | None) -> tuple[StudentJob, list[RunRef]]:
    """The students of one teacher φ (None: alone), keyed; the checkpoint each loads is the teacher's or its own."""
    budget = settings.budget()
    teacher = None if teacher_phi is None else lab_network(settings.dataset, settings.teacher_recipe, teacher_phi)
    job = StudentJob(teacher, settings)
    runs = []
    for phi in settings.student_phis:
        student = lab_network(settings.dataset, settings.student_recipe, phi)
        for seed in range(settings.seeds):
            loads = run_key(settings.dataset, student if teacher is None else teacher, seed, budget)
            key = evaluation_key(
                loads,
                {
                    **_settings_key(settings, teacher),
                    "student": describe(student),
                    "seed": seed,
                    "budget": budget.__dict__,
                },
                DISTILLATION_VERSION,
            )
            runs.append(RunRef(settings.student_recipe, phi, seed, student, loads, key))
    return job, runs


def run_distillation(
    settings: DistillSettings,
    store,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    scheduler: str | None = None,
) -> int:
    """Train the teachers and students alone the store lacks, then every missing student evaluation; the number done.

    All of it runs in local worker processes, or on the Dask cluster at `scheduler`."""
    budget = settings.budget()
    grids = [
        LabGrid(settings.dataset, (recipe,), phis, settings.seeds, budget)
        for recipe, phis in (
            (settings.teacher_recipe, settings.teacher_phis),
            (settings.student_recipe, settings.student_phis),
        )
    ]
    train_grids(grids, store, workers, scheduler)
    done = 0
    for teacher_phi in (None, *settings.teacher_phis):
        job, runs = student_runs(settings, teacher_phi)
        evaluation = Evaluation("distillation", settings.dataset, tuple(runs), evaluate, job)
        done += evaluate_runs(evaluation, store, workers, progress, scheduler)
    return done


def distillation_records(settings: DistillSettings, store) -> list[dict]:
    """The stored students: one record per (teacher φ or alone, student φ, seed) with its pruning sweep."""
    records = []
    for teacher_phi in (None, *settings.teacher_phis):
        _, runs = student_runs(settings, teacher_phi)
        teacher_accuracy = _teacher_accuracy(settings, teacher_phi, store)
        for r, result in stored_results("distillation", runs, store):
            records.append(
                {
                    "recipe": lab_recipe(r.alias).name,
                    "student_phi": r.phi,
                    "seed": r.seed,
                    "teacher_phi": teacher_phi,
                    "teacher_accuracy": teacher_accuracy.get(r.seed),
                    "network_key": network_key(r.network),
                    "settings": settings.measured_with(),
                    **result,
                }
            )
    return records


def _teacher_accuracy(settings: DistillSettings, teacher_phi: float | None, store) -> dict[int, float]:
    if teacher_phi is None:
        return {}
    teacher = lab_network(settings.dataset, settings.teacher_recipe, teacher_phi)
    return {
        row["seed"]: row["accuracy"]
        for row in store.lab_runs_of(
            settings.dataset, network_key(teacher), settings.budget(), code_version(settings.dataset)
        )
    }
