"""The families in the lab: tiny bases of EfficientNet, ResNet, RegNetY and EfficientNetV2, scaled by the same recipes
and trained alike, so scaling rules are compared by measured accuracy within each family.

Each tiny base (data/bases/lab-tiny*.json) takes the lab's 16 px grayscale input and is rounded by the lab's policy;
the study (the `families` section of data/lab/settings.json) trains each base × recipe × φ × seed with the lab's
budget. A rule is compared with compound scaling at equal MACs within a family (lab/comparisons.py), never across
families: the tiny bases differ in MACs at φ = 0, and no base here is tuned as the published ones were.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from scaling_core.lab.comparisons import decide, equal_macs_difference
from scaling_core.lab.runs import FamiliesStudy, code_version, lab_recipe, lab_report, lab_settings
from scaling_core.lab.shipped_results import lab_file_notice, shipped_lab_file

COMPOUND = "efficientnet"


def shipped_name(dataset: str) -> str:
    """The name of the families' shipped results of a dataset: data/lab/<name>.json."""
    return f"families-{dataset}"


def shipped_families(dataset: str) -> dict | None:
    """The shipped families' results of a dataset (`lab run --bases … --save-to`), if any."""
    return shipped_lab_file(shipped_name(dataset))


def families_notice(dataset: str) -> str:
    """'' when the shipped families' results are current (or none ship), else why they are not served."""
    return lab_file_notice(shipped_name(dataset), dataset)


def families_report(dataset: str, store, study: FamiliesStudy | None = None) -> pd.DataFrame:
    """The study's report from the store: lab_report's rows for every base, one after another."""
    study = study or lab_settings().families
    frames = [lab_report(dataset, list(study.recipes), list(study.phis), store, base=base) for base in study.bases]
    return pd.concat(frames, ignore_index=True)


def families_results(dataset: str, store=None) -> tuple[pd.DataFrame, str]:
    """The measured families' report and where it comes from: the store's where it holds every point the study
    names, else the shipped file while current; an empty frame when neither has them."""
    if store is not None:
        here = families_report(dataset, store)
        if here["seeds"].gt(0).all():
            return here, f"measured: the results store (code {code_version(dataset)})"
    document = shipped_families(dataset)
    if document is None or families_notice(dataset):
        return pd.DataFrame(), ""
    hardware = document["provenance"]["hardware"]["device_name"]
    return pd.DataFrame(document["report"]), f"measured: shipped data/lab/{shipped_name(dataset)}.json ({hardware})"


def run_rows(report: pd.DataFrame) -> pd.DataFrame:
    """One row per run: base, family, recipe alias, φ, seed, MACs and accuracy (a fraction)."""
    rows = [
        {
            "base": r["base"],
            "family": r["family"],
            "alias": r["alias"],
            "phi": r["phi"],
            "seed": seed,
            "macs": r["macs"],
            "accuracy": accuracy,
        }
        for _, r in report.iterrows()
        for seed, accuracy in zip(r["run_seeds"], r["run_accuracy"])
    ]
    return pd.DataFrame(rows, columns=["base", "family", "alias", "phi", "seed", "macs", "accuracy"])


@dataclass(frozen=True)
class FamilyClaim:
    """A rule against compound scaling in one family: the difference of the metric in points, its interval, the
    verdict."""

    family: str
    base: str
    claim: str
    difference: float | None
    interval: tuple[float, float] | None
    verdict: str
    seeds: int


def family_claims(report: pd.DataFrame) -> list[FamilyClaim]:
    """Per family and per other recipe of the study: 'compound scaling beats it at equal MACs', decided by the
    per-seed accuracy differences (points) at compound's budgets φ > 0."""
    return rule_claims(run_rows(report))


def rule_claims(runs: pd.DataFrame, metric: str = "accuracy") -> list[FamilyClaim]:
    """Per base and per other recipe in `runs` (one row per run: base, family, alias, phi, seed, macs and `metric`, a
    fraction): 'compound scaling beats it at equal MACs', decided by the per-seed differences in points at compound's
    budgets φ > 0."""
    claims = []
    compound = lab_recipe(COMPOUND).name
    for base, group in runs.groupby("base", sort=False):
        for alias in [a for a in group["alias"].unique() if a != COMPOUND]:
            decided = decide(equal_macs_difference(group, metric, COMPOUND, alias), scale=100.0)
            claims.append(
                FamilyClaim(
                    str(group["family"].iloc[0]),
                    str(base),
                    f"{compound} scaling beats {lab_recipe(alias).name} at equal MACs",
                    decided.difference,
                    decided.interval,
                    decided.verdict,
                    decided.seeds,
                )
            )
    return claims
