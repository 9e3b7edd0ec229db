"""Published top-1 of the family presets (EfficientNetV2, ResNet, ResNeXt, Wide ResNet, RegNet X/Y) and the accuracy
model calibrated across families.

Published (data/accuracy/families.json): torchvision's ImageNet-1K top-1 of each preset's IMAGENET1K_V1 weights,
with IMAGENET1K_V2's beside it where torchvision has them (a newer training recipe: labelled apart, never fitted).

Modelled: the model of `accuracy.model` (err = err_base · exp(−s_family · Σ a_i (1 − x_i^(−k_i)))), fitted across
families: the shape (a_i, k_i) is shared by every family and each family has its own gain s_family, as the
EfficientNet calibration already does for MobileNet and ResNet-50. Why across, not per family: a family has two
to seven members, too few for five parameters of its own; sharing the shape is the model's assumption, and the
leave-one-out error per family says how well it holds for each. A family member's (d, w, r) are the applied
multipliers over its series' first row (blocks, summed stage widths, input side), which measure what a designer
changed but not how (RegNet's members are separate points of a design space, not one network scaled). The
EfficientNet estimates elsewhere keep their own calibration (Tan & Le's rows alone), so adding families changes no
existing number. An estimate outside the range of (d, w, r) its family was fitted on, or for a family with no
fitted rows, is marked as extrapolated, with the reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import pandas as pd

from scaling_core.accuracy.model import Calibration, PublishedPoint, calibrate, published_points
from scaling_core.core.arch import ScaledArch, applied_multipliers, scale
from scaling_core.core.base import load_base
from scaling_core.core.cost import count
from scaling_core.core.errors import ConfigError
from scaling_core.core.paths import DATA_DIR
from scaling_core.core.recipe import Multipliers

FAMILIES_FILE = DATA_DIR / "accuracy" / "families.json"


@dataclass(frozen=True)
class FamilyRow:
    """A preset's published point (its d, w, r over its series' baseline), its base and its V2 top-1, if any."""

    point: PublishedPoint
    base: str
    top1_v2: float | None
    citation_v2: str


def as_specified(name: str) -> ScaledArch:
    """A base unscaled at its own input side."""
    base = load_base(name)
    return scale(Multipliers(1.0, 1.0, 1.0), base=base, policy=replace(base.rounding, resolution_multiple=1))


@lru_cache(maxsize=1)
def family_rows() -> tuple[FamilyRow, ...]:
    """Every published family row."""
    raw = json.loads(FAMILIES_FILE.read_text())
    rows = []
    for series in raw["series"]:
        baseline = as_specified(series["rows"][0]["base"])
        for row in series["rows"]:
            arch = as_specified(row["base"])
            m = applied_multipliers(arch, baseline)
            report = count(arch)
            point = PublishedPoint(
                series["id"],
                series["family"],
                row["base"],
                m.depth,
                m.width,
                m.resolution,
                float(row["top1"]),
                float(series["rows"][0]["top1"]),
                float(report.total.conv_linear_macs) / 1e9,
                float(report.params) / 1e6,
                raw["citations"][series["citation"]],
                "IMAGENET1K_V1",
                "table",
            )
            rows.append(
                FamilyRow(point, row["base"], row.get("top1_v2"), raw["citations"][series["alternative_citation"]])
            )
    return tuple(rows)


@lru_cache(maxsize=1)
def family_bases() -> tuple[str, ...]:
    """The presets with a published top-1 here (read without counting them: the app's state lists them)."""
    return tuple(row["base"] for series in json.loads(FAMILIES_FILE.read_text())["series"] for row in series["rows"])


def fitted_rows() -> list[PublishedPoint]:
    """The family rows the calibration uses: those of series with more than one member."""
    points = [r.point for r in family_rows()]
    sizes = pd.Series([p.series for p in points]).value_counts()
    return [p for p in points if sizes[p.series] > 1]


@lru_cache(maxsize=1)
def family_calibration() -> Calibration:
    """The model fitted across the EfficientNet table and the families (a few seconds; cached)."""
    return calibrate(list(published_points()) + fitted_rows())


def family_frame() -> pd.DataFrame:
    """One row per preset: family, published top-1 (V1 and V2), the leave-one-out estimate and its error."""
    cal = family_calibration()
    left_out = dict(zip(cal.loo_labels, cal.loo_errors))
    fitted = {p.series for p in fitted_rows()}
    records = []
    for row in family_rows():
        p = row.point
        error = left_out.get(f"{p.series}: {p.label}")
        role = "published only" if p.series not in fitted else ("baseline" if p.is_baseline else "fitted")
        records.append(
            {
                "base": row.base,
                "family": p.family,
                "role": role,
                "d": p.d,
                "w": p.w,
                "r": p.r,
                "gmacs": p.gmacs,
                "params_m": p.params_m,
                "top1": p.top1,
                "top1_v2": row.top1_v2,
                "loo_estimate": None if error is None else p.top1 + error,
                "loo_error": error,
            }
        )
    return pd.DataFrame(records)


def family_errors() -> pd.DataFrame:
    """Per family: its fitted gain, the rows fitted and their leave-one-out RMS and largest error (top-1 points).

    A family with one fitted row has no leave-one-out error: left out, nothing is left to fit its gain on (NaN)."""
    frame = family_frame().dropna(subset=["loo_error"])
    grouped = frame.groupby("family", sort=False)["loo_error"]
    rows = grouped.size()
    scorable = rows > 1
    return pd.DataFrame(
        {
            "rows": rows,
            "gain": [family_calibration().model.family_gain[f] for f in rows.index],
            "loo_rmse": grouped.apply(lambda e: float(np.sqrt(np.mean(np.square(e))))).where(scorable),
            "loo_max": grouped.apply(lambda e: float(np.max(np.abs(e)))).where(scorable),
        }
    ).reset_index()


@dataclass(frozen=True)
class FamilyEstimate:
    """A scaled family member's modelled top-1 (from its base's published top-1) and why it may be extrapolated."""

    top1: float
    base_top1: float
    error_points: float | None  # the family's leave-one-out RMS; None where one row was fitted
    extrapolated: str  # which of d, w, r lie beyond the range of the family's fitted members ("" if none)


def family_estimate(base: str, d: float, w: float, r: float) -> FamilyEstimate:
    """The modelled top-1 of `base` scaled by (d, w, r), from the base's published V1 top-1 and its family's gain."""
    rows = {row.base: row.point for row in family_rows()}
    if base not in rows:
        raise ConfigError("base", base, f"one of the presets with a published top-1: {', '.join(rows)}")
    own = rows[base]
    cal = family_calibration()
    errors = family_errors().set_index("family")
    if own.family not in errors.index:
        raise ConfigError("base", base, f"a family with more than one published member ({own.family} has one)")
    members = [p for p in fitted_rows() if p.family == own.family]
    # Multipliers over this base, expressed over the series' baseline, must lie within the fitted members' range.
    x = np.log([own.d * d, own.w * w, own.r * r])
    known = np.log([[p.d, p.w, p.r] for p in members])
    outside = [n for n, v, lo, hi in zip("dwr", x, known.min(0), known.max(0)) if not lo - 1e-9 <= v <= hi + 1e-9]
    where = ", ".join(outside)
    top1 = float(cal.model.predict(d, w, r, own.top1, own.family))
    error = errors.loc[own.family, "loo_rmse"]
    return FamilyEstimate(top1, own.top1, None if pd.isna(error) else float(error), where)
