"""What the Lab page's families section shows: each family's measured accuracy per recipe, and the rules' verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scaling_core.app.views.dense import seed_statistics
from scaling_core.lab.dense_data import SCENES
from scaling_core.lab.dense_families import dense_family_claims, families_grid, families_runs
from scaling_core.lab.families import FamilyClaim, families_results, family_claims
from scaling_core.lab.scenes import scene_settings

ACCURACY_COLUMNS = ("accuracy_mean", "accuracy_std", "accuracy_min", "accuracy_max")


def families_frame(dataset: str, store=None) -> tuple[pd.DataFrame, str]:
    """The families' measured report with accuracy in % (never a fraction), and where it comes from."""
    frame, source = families_results(dataset, store)
    if frame.empty:
        return frame, source
    frame = frame[frame["seeds"] > 0].copy()
    for column in ACCURACY_COLUMNS:
        frame[column] = 100.0 * frame[column].astype(float)
    return frame.reset_index(drop=True), source


def family_claims_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per family and rule: compound scaling's accuracy minus the rule's at equal MACs (points), its
    seed interval written out, the verdict and why."""
    return claims_rows(family_claims(frame) if not frame.empty else [])


def claims_rows(claims: list[FamilyClaim]) -> pd.DataFrame:
    """The families' verdicts as table rows: family, claim, difference (points), interval written out, seeds, verdict
    and why."""
    rows = []
    for claim in claims:
        low, high = claim.interval if claim.interval else (np.nan, np.nan)
        rows.append(
            {
                "family": claim.family,
                "claim": claim.claim,
                "difference": np.nan if claim.difference is None else claim.difference,
                "interval": "—" if claim.interval is None else f"[{low:+.1f}, {high:+.1f}]",
                "seeds": claim.seeds,
                "verdict": claim.verdict.split(":")[0],
                "why": claim.verdict.split(": ", 1)[-1],
            }
        )
    return pd.DataFrame(rows)


FAILED_POINTS = 10.0  # a scaled network this far below its base's accuracy did not train in the budget


def failed_to_train(frame: pd.DataFrame) -> list[str]:
    """The scaled networks whose mean accuracy lies more than FAILED_POINTS below their family's base (φ = 0): the
    budget did not train them, which a verdict against them also measures."""
    if frame.empty:
        return []
    base = frame[frame["phi"] == 0].drop_duplicates("base").set_index("base")["accuracy_mean"]
    low = frame[(frame["phi"] > 0) & (frame["accuracy_mean"] < frame["base"].map(base) - FAILED_POINTS)]
    return [f"{r.family} {r.recipe} φ = {r.phi:g} ({r.accuracy_mean:.0f}%)" for r in low.itertuples()]


def dense_families_frame(task: str, store=None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The families on scenes for a task: per base, recipe and φ, the task's primary metric in % (mean, sd, min and
    max over seeds, under the accuracy_* names the families' figure and table read), input, costs and latency; the
    runs it summarises; and where they come from."""
    runs, source = families_runs(SCENES, len(scene_settings().classes), store)
    if runs.empty:
        return pd.DataFrame(), runs, source
    runs = runs[(runs["task"] == task) & (runs["role"] == "grid")]
    if runs.empty:
        return pd.DataFrame(), runs, source
    rows = []
    for _, group in runs.groupby(["base", "alias", "phi"], sort=False):
        first = group.iloc[0]
        rows.append(
            {
                **{k: first[k] for k in ("base", "family", "recipe", "alias", "phi", "macs", "params")},
                "resolution_px": int(first["resolution"]),
                "latency_ms": first["latency_ms"],
                **seed_statistics(group["primary"], "accuracy"),
                "seeds": int(group["primary"].notna().sum()),
            }
        )
    grid = families_grid()
    order = {"base": {b: i for i, b in enumerate(grid.bases)}, "alias": {a: i for i, a in enumerate(grid.recipes)}}
    frame = pd.DataFrame(rows).sort_values(
        ["base", "alias", "phi"], key=lambda column: column.map(order[column.name]) if column.name in order else column
    )
    return frame.reset_index(drop=True), runs, source


def dense_family_claims_table(runs: pd.DataFrame, task: str) -> pd.DataFrame:
    """The families on scenes' verdicts for a task (points of its primary metric), as table rows."""
    return claims_rows(dense_family_claims(runs, task))
