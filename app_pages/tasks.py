"""Tasks: detection, segmentation, multi-task and video networks on the shared recipe; the law checked on them."""

import streamlit as st

from scaling_core.app.export import configuration_export
from scaling_core.app.plots.charts import (
    budget_figure,
    component_figure,
    law_deviation_figure,
    video_curve_figure,
    video_map_figure,
)
from scaling_core.app.plots.style import count_text
from scaling_core.app.state import CUSTOM, FIELD_BY_NAME
from scaling_core.app.tables import Column, value_text
from scaling_core.app.views.tasks import (
    efficientdet_comparison,
    law_summary,
    multipliers_caption,
    task_view,
    video_model_of,
    video_optimum_map,
)
from scaling_core.core.memory import estimate_memory_bytes
from scaling_core.tasks import cost as task_cost
from scaling_core.tasks import video as video_module
from scaling_core.tasks.budget import compare_at_budget
from scaling_core.tasks.heads import efficientdet_table, head_table
from scaling_core.tasks.law import check_law
from scaling_core.tasks.summary import COST_SOURCE
from scaling_core.tasks.video import best_split, tradeoff_curve
from ui.controls import choice, scaling_controls, slider
from ui.dense import measured_section
from ui.export import chart, figure
from ui.fvcore_panel import fvcore_panel
from ui.metrics import metric_row
from ui.notes import model_notes
from ui.sections import lazy_tabs
from ui.session import bind, current_state, shown, start_page
from ui.share import share_panel
from ui.tables import table

OURS, PAPER = "Modelled: exact count of the architecture built here.", "Published (Tan, Pang & Le 2020; automl README)."
# Short headers, the provenance in each column's help: long ones pushed the MACs out of view at 1400 px.
EFFICIENTDET_COLUMNS = {
    "BiFPN width": Column("BiFPN width", "integer"),
    "params (ours, modelled)": Column("Params: ours", "count", help=OURS),
    "params (published)": Column("Params: paper", "count", help=PAPER),
    "params difference": Column("Δ params (%)", "share", 2),
    "MACs (ours, modelled)": Column("MACs: ours", "count", help=OURS),
    "MACs (published)": Column("MACs: paper", "count", help=PAPER),
    "MACs difference": Column("Δ MACs (%)", "share", 2),
}
HEAD_LABELS = {
    "classification": "classification",
    "detection": "detection (EfficientDet)",
    "segmentation": "segmentation (FPN decoder)",
    "multitask": "multi-task (classification + segmentation)",
    "video": "video (frames × 2D backbone + temporal head)",
}

scaling_controls(classification=False)
with st.sidebar:
    st.header("Task")
    choice("head", "Head", format_func=HEAD_LABELS.get)
    head = current_state().head
    if head == "detection":
        choice(
            "det_preset",
            "Published detector",
            format_func=lambda p: "custom recipe" if p == CUSTOM else f"EfficientDet-{p.upper()} (official)",
        )
        st.radio(
            "Neck, head and input rules",
            FIELD_BY_NAME["neck_scaling"].choices,
            format_func={
                "efficientdet": "EfficientDet's own (width {w}·{g}^φ, {r} + φ repeats, input {px} + {step}·φ)".format(
                    w=efficientdet_table()["base_width"],
                    g=efficientdet_table()["width_growth"],
                    r=efficientdet_table()["base_bifpn_repeats"],
                    px=efficientdet_table()["base_resolution_px"],
                    step=efficientdet_table()["resolution_step_px"],
                ),
                "recipe": "the recipe's d, w, r for everything",
            }.get,
            **bind("neck_scaling"),
        )
    if head == "video":
        slider("tau", "τ (frames: t = τ^φ)", 0.001)

state = start_page(
    "Tasks",
    "A backbone is rarely deployed alone. The same recipe scales a detector, a segmenter, "
    "a multi-task network or a video model; every cost below is the exact count of that whole "
    "network.",
    "tasks",
)
view = shown(task_view, state)
share_panel("tasks", None if view is None else lambda: configuration_export(state, "tasks", view.task))
if view is None:
    st.stop()

task, report = view.task, view.report
st.subheader(task.label)
heads_data, det_rules = head_table(), efficientdet_table()
st.caption(
    f"Source of every cost figure — {COST_SOURCE}. Class counts are the task's defaults "
    f"(detection {det_rules['num_classes']}, segmentation {heads_data['segmentation']['num_classes']}, "
    f"multi-task {heads_data['multitask']['num_classes']} + {heads_data['multitask']['segmentation_classes']}, "
    f"video {heads_data['video']['num_classes']}; data/tasks/)."
)
cols = metric_row(4)
cols[0].metric("input (px)", f"{task.resolution_px:,}")
cols[1].metric("frames per clip", f"{task.frames:,}")
# Counts in rows of three (a 14-digit count does not fit a quarter of the page); a row wraps in a narrow window.
cols = metric_row(3)
cols[0].metric("MACs (multiply-adds) · modelled", count_text(report.macs), help="Exact analytic count.")
cols[1].metric("FLOPs = 2 × MACs · modelled", count_text(report.flops))
cols[2].metric("parameters · modelled", count_text(report.params))
cols = metric_row(3)
cols[0].metric("activations · modelled", count_text(report.activations))
m = task.multipliers
cols[1].metric("law d·w²·r²·t · formula", f"{m.cost_factor:,.3f}×", help="The cost the law predicts relative to φ = 0.")
cols[2].metric(
    "MACs vs unscaled · modelled",
    f"{int(report.macs) / view.base_macs:,.3f}×",
    help="Real MACs after rounding against the same network at φ = 0.",
)
rules = "efficientdet" if head == "detection" and state.det_preset != CUSTOM else state.neck_scaling
st.caption(multipliers_caption(task, rules))

# One section at a time (lazy tabs): a section's code runs and its charts are drawn only when it is open.
cost_tab, measured_tab, law_tab, budget_tab, video_tab = lazy_tabs(
    "tasks",
    (
        "Cost by component",
        "Measured: which recipe?",
        "Does it scale as d·w²·r²?",
        "Recipes at one budget",
        "Video: wider or more frames?",
    ),
)
if cost_tab is not None:
    with cost_tab:
        # The components table gets the full width: beside the parts table its counts would scroll out of view.
        table(view.components)
        left, right = st.columns([1, 2])
        chart(figure(component_figure, view.parts), "components", left)
        # Tall enough for every part (35 px a row and the header), never taller: no blank rows under a short table.
        table(view.parts, container=right, height=min(420, 38 + 35 * len(view.parts)))

        if head == "detection":
            st.subheader("EfficientDet D0–D7: ours beside the published figures")
            st.caption(
                f"Published: {efficientdet_table()['citation']}. Ours: the exact count of the same architecture "
                "built here (modelled, equal to fvcore on the built model)."
            )
            table(efficientdet_comparison(), EFFICIENTDET_COLUMNS)
if measured_tab is not None:
    with measured_tab:
        measured_section(head)
if law_tab is not None:
    with law_tab:
        check = check_law(head, state.neck_scaling)
        worst = check.worst
        st.caption(
            f"{len(check.table)} configurations (data/tasks/law_grid.json), each counted exactly. Fit: log MACs = c + "
            f"a·log d + b·log w + g·log r{' + k·log t' if head == 'video' else ''}. Worst deviation from "
            f"MACs₀·d·w²·r²: {check.max_deviation:+.1%} at α={worst['alpha']:g}, β={worst['beta']:g}, "
            f"γ={worst['gamma']:g}, φ={worst['phi']:g}. Component fits show where it breaks: a head of fixed depth "
            "has depth exponent ≈ 0, EfficientDet's 1.35^φ width rule ignores β, ceiling the repeats jumps at small φ."
        )
        table(law_summary(head, state.neck_scaling))
        chart(figure(law_deviation_figure, check.table, state.alpha, state.beta, state.gamma), "law-deviation")
if budget_tab is not None:
    with budget_tab:
        budget = int(report.macs)
        st.caption(
            f"Budget: this network's {budget:,} MACs. Each recipe takes the largest φ whose exact MACs fit. "
            "EfficientNet's coefficients are published (Tan & Le 2019); the two task-leaning recipes are ours "
            "(data/tasks/recipes.json)."
        )
        comparison = shown(compare_at_budget, head, budget, None, state.neck_scaling)
        if comparison is not None:
            # The per-component MACs are drawn just below (and kept in the CSV): in the table they scrolled out of view.
            table(comparison, hide=[c for c in comparison.columns if c.startswith("MACs: ")])
            chart(figure(budget_figure, comparison), "budget")
if video_tab is not None:
    with video_tab:
        st.caption("Modelled, not measured. The formula and its assumptions:")
        model_notes(video_module)
        cols = st.columns(5)
        with cols[0]:
            slider("video_snr_db", "signal-to-noise (dB)", 0.5, fmt="%.1f")
        with cols[1]:
            slider("video_motion_hz", "motion frequency (Hz)", 0.1, fmt="%.1f")
        with cols[2]:
            slider("video_clip_s", "clip length (s)", 0.1, fmt="%.1f")
        with cols[3]:
            slider("video_model_noise", "share of model noise", 0.01, fmt="%.2f")
        with cols[4]:
            slider("video_kappa", "κ: model noise ∝ 1/w^κ", 0.05, fmt="%.2f")
        width_exponent = check_law("video").fit.exponents["width"]
        model = video_model_of(current_state(), width_exponent)
        best = best_split(model)
        st.write(
            f"Cost per clip taken as ∝ w^{width_exponent:.2f}·T (the width exponent fitted on exact counts of the "
            f"video network above). At the base budget ({head_table()['video']['base_frames']} frames at width 1) the "
            f"best split is **{best['frames']} frames at width {best['width']:.2f}** (relative error "
            f"{value_text(best['relative_error'])}, modelled)."
        )
        left, right = st.columns(2)
        chart(figure(video_curve_figure, tradeoff_curve(model), best["frames"]), "video-tradeoff", left)
        chart(figure(video_map_figure, video_optimum_map(model)), "video-map", right)

fvcore_panel(task, estimate_memory_bytes(report))

with st.expander("How these numbers are counted"):
    model_notes(task_cost)
