"""Families and rules side by side: each base scaled by each rule at FLOP scales, with its exact cost and its top-1
(published at s = 1, modelled beyond with its error), and the front across all of them.

Top-1 sources: a family preset's published top-1 (torchvision's IMAGENET1K_V1) at s = 1; beyond, the accuracy model
fitted across families (`accuracy.families`) from that published top-1, with the family's leave-one-out error;
EfficientNet-B0 uses its own calibration (`accuracy.model`) from its published 77.1%. A family with one published
member (ResNeXt, Wide ResNet) has no model: its scaled members show no top-1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scaling_core.accuracy.families import family_bases, family_errors, family_estimate, family_rows
from scaling_core.accuracy.model import estimate, reference_base_top1
from scaling_core.accuracy.pareto import non_dominated
from scaling_core.core.errors import ConfigError
from scaling_core.core.memo import memoized
from scaling_core.core.rules import COMPARED_RULES
from scaling_core.hardware.family_latency import (
    compared_networks,
    family_latency_settings,
    latency_frame,
    network_row,
    rank_verdict,
    shipped_comparison,
)
from scaling_core.hardware.measure import MeasureOptions

REFERENCE_BASE = "efficientnet-b0"
COMPARED_BASES = (REFERENCE_BASE, *family_bases())
RULE_CHOICES = COMPARED_RULES
RULE_TITLES = {
    "compound": "compound (α 1.2, β 1.1, γ 1.15)",
    "dwr": "dWr (α 0.8)",
    "depth": "depth only",
    "width": "width only",
    "resolution": "resolution only",
}
SCALES = (1.0, 2.0, 4.0, 8.0, 16.0)
COSTS = {
    "macs": "MACs",
    "activations": "activations",
    "params": "parameters",
    "latency_ms": "latency (ms, measured)",
}


BASES_ALLOWED = (
    "a comma-separated list of efficientnet-b0, efficientnetv2-s/m/l, resnet18…152, resnext50-32x4d, "
    "wide-resnet50-2, regnetx/y-400mf…32gf"
)
RULES_ALLOWED = f"a comma-separated list of {', '.join(RULE_CHOICES)}"


def parse_names(text: str, allowed: tuple[str, ...], parameter: str, words: str) -> tuple[str, ...]:
    """A comma-separated list of allowed names, in the allowed order, at least one (`words`: the allowed, said)."""
    names = [n.strip() for n in str(text).split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown or not names:
        raise ConfigError(parameter, unknown[0][:40] if unknown else "", words)
    return tuple(n for n in allowed if n in names)


def canonical_bases(text: str) -> str:
    """The bases of the comparison in canonical form."""
    return ",".join(parse_names(text, COMPARED_BASES, "fam_bases", BASES_ALLOWED))


def canonical_rules(text: str) -> str:
    """The rules of the comparison in canonical form."""
    return ",".join(parse_names(text, RULE_CHOICES, "fam_rules", RULES_ALLOWED))


@dataclass(frozen=True)
class Top1:
    """A point's top-1 and where it comes from."""

    value: float | None
    error: float | None
    source: str
    extrapolated: str = ""


def base_top1(base: str, d: float, w: float, r: float) -> Top1:
    """The top-1 of `base` scaled by applied (d, w, r): published at the preset itself, modelled from it elsewhere
    (see the module docstring)."""
    published = {row.base: row.point.top1 for row in family_rows()} | {REFERENCE_BASE: reference_base_top1()}
    if np.allclose((d, w, r), 1.0):
        return Top1(published[base], None, "published")
    if base == REFERENCE_BASE:
        e = estimate(d, w, r, reference_base_top1())
        return Top1(e.top1, e.error_points, "modelled", "d, w, r (hull)" if e.extrapolated else "")
    family = next(row.point.family for row in family_rows() if row.base == base)
    if family not in set(family_errors()["family"]):
        return Top1(None, None, "none: one published member")
    e = family_estimate(base, d, w, r)
    return Top1(e.top1, e.error_points, "modelled", e.extrapolated)


@memoized(maxsize=16)
def family_grid(bases: tuple[str, ...], rules: tuple[str, ...], scales: tuple[float, ...]) -> pd.DataFrame:
    """One row per base × rule × FLOP scale (the base once, at s = 1): cost, applied multipliers, top-1 with its
    source. The networks are those `families` times (hardware.family_latency.compared_networks)."""
    records = []
    for compared in compared_networks(bases, rules, scales):
        row = network_row(compared)
        top1 = base_top1(compared.base, row["depth_multiplier"], row["width_multiplier"], row["resolution_multiplier"])
        records.append(
            row
            | {
                "top1": top1.value,
                "top1_error": top1.error,
                "top1_source": top1.source,
                "extrapolated": top1.extrapolated,
            }
        )
    return pd.DataFrame(records)


def with_latency(grid: pd.DataFrame, store, options: MeasureOptions) -> tuple[pd.DataFrame, str]:
    """The grid with `latency_ms` (measured, the fastest block): this machine's stored measurements, else the
    shipped ones; and where they come from, in words."""
    keys = ["base", "rule", "flops_scale"]
    bases, rules = tuple(dict.fromkeys(grid["base"])), tuple(r for r in dict.fromkeys(grid["rule"]) if r != "base")
    compared = compared_networks(bases, rules, tuple(dict.fromkeys(grid["flops_scale"])))
    here = latency_frame(compared, options, store) if store is not None else None
    if here is not None and here["latency_ms"].notna().any():
        source = "measured on this machine (`python -m scaling_core families` measures what is missing)"
        measured = here
    else:
        shipped = shipped_comparison()
        if shipped is None:
            return grid.assign(latency_ms=np.nan), "not measured: run `python -m scaling_core families`"
        source = f"measured on {shipped.machine} (shipped: `{shipped.command}`)"
        measured = shipped.frame
    merged = grid.merge(measured[[*keys, "latency_ms"]], on=keys, how="left")
    return merged, source


@memoized(maxsize=4)
def measured_verdict(frame: pd.DataFrame, resamples: int, seed: int) -> str:
    """`rank_verdict` of a measured frame as JSON, kept by the frame's content: the page reruns on every widget, the
    bootstrap need not."""
    return json.dumps(rank_verdict(frame, resamples, seed).as_dict())


def latency_claim(store, options: MeasureOptions) -> tuple[dict, str] | None:
    """Dollár et al.'s claim on the whole comparison `families` measures (its settings' bases, rules and scales, not
    the page's choice): this machine's measurements when it has them all, else the shipped verdict; None without
    either. The verdict as `RankVerdict.as_dict`, and where it was measured."""
    settings = family_latency_settings()
    if store is not None:
        frame = latency_frame(compared_networks(settings.bases, settings.rules, settings.scales), options, store)
        if frame["latency_ms"].notna().all():
            return json.loads(measured_verdict(frame, settings.resamples, settings.seed)), "this machine"
    shipped = shipped_comparison()
    return None if shipped is None else (shipped.verdict, f"{shipped.machine} (shipped)")


def with_front(frame: pd.DataFrame, cost: str) -> pd.DataFrame:
    """The grid with `on_front`: no other point is at least as accurate for at most the same cost."""
    if cost not in COSTS:
        raise ConfigError("fam_cost", cost, f"one of {', '.join(COSTS)}")
    frame = frame.copy()
    frame["on_front"] = False
    known = frame[frame["top1"].notna() & frame[cost].notna()]
    if not known.empty:
        mask = non_dominated(known[cost].to_numpy(float), known["top1"].to_numpy(float))
        frame.loc[known.index[mask], "on_front"] = True
    return frame
