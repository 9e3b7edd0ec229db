"""What the Representation page and the distill command show of the students: tables over seeds."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from scaling_core.core.memo import memoized
from scaling_core.lab.runs import code_version
from scaling_core.storage.shipped import Maker, stored_or_shipped
from scaling_core.studies.representation.distill import DISTILLATION_VERSION, DistillSettings, distillation_records

ALONE = "alone"


def teacher_label(teacher_phi: float | None) -> str:
    """How a student's teacher is named in tables and legends."""
    return ALONE if teacher_phi is None else f"teacher φ = {teacher_phi:g}"


def students_for(settings: DistillSettings, store) -> tuple[list[dict], str]:
    """The store's students for these settings where it holds any, else the matching shipped ones; and their source."""
    stored = distillation_records(settings, store) if store is not None else []
    teachers = {None, *settings.teacher_phis}
    name = f"distillation-{settings.dataset}"
    command = f"python -m scaling_core distill --dataset {settings.dataset} --save-to data/representation/{name}.json"
    return stored_or_shipped(
        stored,
        "representation",
        name,
        lambda r: (
            r["settings"] == settings.measured_with()
            and r["teacher_phi"] in teachers
            and r["student_phi"] in settings.student_phis
            and r["seed"] < settings.seeds
        ),
        Maker("distillation", DISTILLATION_VERSION, command, code_version(settings.dataset)),
    )


def student_frame(records: Sequence[dict]) -> pd.DataFrame:
    """One row per student: its teacher, φ, seed, accuracy and its teacher's accuracy."""
    return pd.DataFrame(
        [
            {
                "teacher": teacher_label(r["teacher_phi"]),
                "teacher_phi": r["teacher_phi"],
                "student_phi": r["student_phi"],
                "seed": r["seed"],
                "accuracy": r["accuracy"],
                "teacher_accuracy": r["teacher_accuracy"],
            }
            for r in records
        ]
    )


@memoized(maxsize=32)
def student_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per teacher and student φ: accuracy (%) mean and spread over seeds, and the gain over the student alone."""
    table = (
        frame.groupby(["student_phi", "teacher"], sort=False)
        .agg(
            teacher_phi=("teacher_phi", "first"),
            seeds=("seed", "count"),
            accuracy=("accuracy", "mean"),
            accuracy_sd=("accuracy", "std"),
            teacher_accuracy=("teacher_accuracy", "mean"),
        )
        .reset_index()
    )
    for column in ("accuracy", "accuracy_sd", "teacher_accuracy"):
        table[column] = table[column] * 100
    alone = table[table["teacher"] == ALONE].set_index("student_phi")["accuracy"]
    table["gain_points"] = table["accuracy"] - table["student_phi"].map(alone)
    return table


@memoized(maxsize=32)
def pruning_summary(records: Sequence[dict]) -> pd.DataFrame:
    """Per teacher, student φ and sparsity: accuracy (%) before and after fine-tuning, mean over seeds."""
    rows = [
        {"teacher": teacher_label(r["teacher_phi"]), "student_phi": r["student_phi"], "seed": r["seed"], **p}
        for r in records
        for p in r["pruning"]
    ]
    table = (
        pd.DataFrame(rows)
        .groupby(["student_phi", "teacher", "sparsity"], sort=False)
        .agg(
            measured_sparsity=("measured_sparsity", "mean"),
            accuracy=("accuracy", "mean"),
            accuracy_finetuned=("accuracy_finetuned", "mean"),
        )
        .reset_index()
    )
    table[["accuracy", "accuracy_finetuned"]] *= 100
    return table
