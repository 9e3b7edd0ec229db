"""What the Lab page's families section shows: each family's measured accuracy per recipe, and the rules' verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scaling_core.lab.families import families_results, family_claims

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
    rows = []
    for claim in family_claims(frame) if not frame.empty else []:
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
