"""Everything the Tasks page shows, computed from the shared state (the page only renders it)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from scaling_core.app.state import CUSTOM, AppState
from scaling_core.core.base import base_rounding
from scaling_core.core.cost import CostReport
from scaling_core.core.recipe import Recipe
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import TaskArch, efficientdet_table, head_table, scale_detection_preset, scale_task
from scaling_core.tasks.law import check_law
from scaling_core.tasks.video import VideoModel, optimum_map

SNR_GRID_DB = np.linspace(-30.0, 30.0, 25)
MOTION_GRID_HZ = np.geomspace(0.1, 20.0, 25)


@dataclass(frozen=True)
class TaskView:
    """The task network of the state, its cost by part and component."""

    task: TaskArch
    report: CostReport
    parts: pd.DataFrame
    components: pd.DataFrame
    base_macs: int


def recipe_of(state: AppState) -> Recipe:
    """The shared recipe, with τ."""
    return Recipe(state.alpha, state.beta, state.gamma, state.tau)


def multipliers_caption(task: TaskArch, rules: str) -> str:
    """The continuous multipliers before rounding, with the detector's own resolution rule only under it."""
    m = task.multipliers
    text = (
        f"Continuous multipliers before rounding: d = {m.depth:.4f}, w = {m.width:.4f}, r = {m.resolution:.4f}, "
        f"t = {m.frames:.4f}"
    )
    if task.task == "detection" and rules == "efficientdet":
        return text + " (under EfficientDet's rules r is the detector's own 1 + φ/4)."
    return text + "."


@lru_cache(maxsize=128)
def task_view(state: AppState) -> TaskView:
    """The task network the state describes (a detection preset, or the recipe at φ); ConfigError if invalid."""
    if state.head == "detection" and state.det_preset != CUSTOM:
        task = scale_detection_preset(state.det_preset)
    else:
        task = scale_task(
            state.head,
            recipe_of(state),
            state.phi,
            base=state.base,
            policy=base_rounding(state.base, state.res_multiple),
            neck_scaling=state.neck_scaling,
        )
    report = count_task(task)
    total = int(report.macs)
    parts = pd.DataFrame(
        [
            {
                "part": p.name,
                "component": p.component,
                "output px": int(p.output_px),
                "MACs": int(p.counts.macs),
                "params": int(p.counts.params),
                "activations": int(p.counts.activations),
                "MACs share": int(p.counts.macs) / total,
            }
            for p in report.parts
        ]
    )
    components = pd.DataFrame(
        [
            {
                "component": name,
                "MACs": int(c.macs),
                "params": int(c.params),
                "activations": int(c.activations),
                "MACs share": int(c.macs) / total,
            }
            for name, c in report.by_component().items()
        ]
    )
    unscaled = scale_task(
        state.head,
        recipe_of(state),
        0.0,
        base=state.base,
        policy=base_rounding(state.base, state.res_multiple),
        neck_scaling=state.neck_scaling,
    )
    # Counts stay exact Python integers, past int64 too: the table formatter shows them whole.
    return TaskView(task, report, parts, components, int(count_task(unscaled).macs))


@lru_cache(maxsize=1)
def efficientdet_comparison() -> pd.DataFrame:
    """D0–D7: our exact counts beside the published params and MACs, with the differences."""
    rows = []
    for p in efficientdet_table()["presets"]:
        report = count_task(scale_detection_preset(p["name"]))
        params, macs = p["published_params_m"] * 1e6, p["published_gmacs"] * 1e9
        rows.append(
            {
                "variant": p["name"].upper(),
                "backbone": p["backbone"].upper(),
                "input (px)": p["resolution_px"],
                "BiFPN width": p["width"],
                "params (ours, modelled)": int(report.params),
                "params (published)": params,
                "params difference": int(report.params) / params - 1,
                "MACs (ours, modelled)": int(report.macs),
                "MACs (published)": macs,
                "MACs difference": int(report.macs) / macs - 1,
            }
        )
    return pd.DataFrame(rows)


def law_summary(head: str, neck_scaling: str) -> pd.DataFrame:
    """Fitted exponents (whole network and each component) beside the law's."""
    check = check_law(head, neck_scaling)
    rows = [{"fit": "law d·w²·r²" + ("·t" if head == "video" else ""), **check.law_exponents(), "R²": None}]
    rows.append({"fit": "whole network", **check.fit.exponents, "R²": check.fit.r_squared})
    rows += [{"fit": name, **fit.exponents, "R²": fit.r_squared} for name, fit in check.component_fits.items()]
    return pd.DataFrame(rows)


def video_model_of(state: AppState, width_cost_exponent: float = 2.0) -> VideoModel:
    """The video trade-off model with the state's parameters."""
    return VideoModel(
        snr_db=state.video_snr_db,
        motion_hz=state.video_motion_hz,
        clip_seconds=state.video_clip_s,
        model_noise_share=state.video_model_noise,
        width_noise_exponent=state.video_kappa,
        width_cost_exponent=width_cost_exponent,
        base_frames=head_table()["video"]["base_frames"],
    )


@lru_cache(maxsize=32)
def video_optimum_map(model: VideoModel) -> pd.DataFrame:
    """Best frame count over SNR × motion frequency for the model's other parameters."""
    return optimum_map(model, SNR_GRID_DB, MOTION_GRID_HZ)
