"""Explorer: slide φ and the coefficients, see the scaled architecture and its exact cost."""

import streamlit as st

from scaling_core.accuracy.model import estimate
from scaling_core.app.export import configuration_export
from scaling_core.app.plots.charts import cost_curve_figure, stage_cost_figure
from scaling_core.app.plots.network import network_figure
from scaling_core.app.plots.style import count_text
from scaling_core.app.state import CUSTOM
from scaling_core.app.tables import Column
from scaling_core.app.views.explorer import (
    INTRODUCTION,
    RULE_NAMES,
    STARTING_POINTS,
    cost_curve,
    explore,
    explorer_rule,
    network_blocks,
    rule_cost_curve,
    top1_of,
)
from scaling_core.core import cost as cost_module
from scaling_core.core.presets import preset_table
from scaling_core.tasks.heads import as_task
from scaling_core.tasks.summary import COST_SOURCE
from ui.controls import scaling_controls
from ui.export import chart, figure
from ui.fvcore_panel import fvcore_panel
from ui.metrics import metric_row
from ui.notes import model_notes
from ui.onnx_download import onnx_section
from ui.pages import PAGES
from ui.sections import lazy_tabs
from ui.session import apply_changes, shown, start_page
from ui.share import share_panel, stop_page
from ui.tables import table

scaling_controls(classification=True, rules=RULE_NAMES)
state = start_page(
    "Explorer",
    "Depth d = α^φ, width w = β^φ, resolution r = γ^φ (Tan & Le, EfficientNet, ICML "
    "2019), rounded as the reference implementations do. Copy the address bar to share exactly "
    "this view.",
    "explorer",
)
with st.container(border=True):
    st.markdown(INTRODUCTION)
    starts = st.container(horizontal=True)  # each button as wide as its words: a narrow window wraps, never cuts
    for start in STARTING_POINTS:
        if starts.button(start.label, key=f"start_{start.key}", help=start.help, width="content"):
            apply_changes(**dict(start.changes))
            st.switch_page(PAGES[start.page].path)
view = shown(explore, state)
if view is None:
    stop_page("explorer")

arch, report = view.arch, view.report
st.subheader(arch.label or "Scaled architecture")
st.caption(f"Source of every cost figure on this page — {COST_SOURCE}.")
m = arch.multipliers
cols = metric_row(4)
cols[0].metric("depth d", f"{m.depth:.4f}", help="α^φ (or the official depth of a preset), before ceiling repeats.")
cols[1].metric("width w", f"{m.width:.4f}", help="β^φ (or the official width), before rounding to multiples of 8.")
cols[2].metric("resolution r", f"{m.resolution:.4f}", help="γ^φ (or official resolution / 224).")
cols[3].metric("input (px)", f"{arch.resolution_px:,}", help="The input resolution after rounding.")
# Counts in rows of three (a 14-digit count does not fit a quarter of the page); a row wraps in a narrow window.
cols = metric_row(3)
cols[0].metric(
    "MACs (multiply-adds) · modelled",
    count_text(report.macs),
    help="Exact analytic count; all operators fvcore counts (conv, linear, batch norm, pooling).",
)
cols[1].metric("FLOPs = 2 × MACs · modelled", count_text(report.flops))
cols[2].metric("parameters · modelled", count_text(report.params))
cols = metric_row(3)
cols[0].metric(
    "activations · modelled",
    count_text(report.activations),
    help="Output elements of all conv and linear layers (Dollár et al., CVPR 2021).",
)
cols[1].metric(
    "conv+linear MACs · modelled",
    count_text(report.total.conv_linear_macs),
    help="The figure papers and torchvision publish as FLOPs.",
)
cols[2].metric(
    "MACs vs base · modelled",
    f"{view.macs_ratio_to_base:,.3f}×",
    help="MACs relative to the base: achieved after rounding, against the unscaled base under the same rounding.",
)
cols = metric_row(4)
if state.ex_rule == "compound" or state.preset != CUSTOM:
    cols[0].metric(
        "law (α·β²·γ²)^φ · formula",
        f"{view.law_ratio(state.phi):,.3f}×",
        help=f"α·β²·γ² = {view.recipe.cost_factor:.4f} for the current recipe.",
    )
    cols[1].metric("2^φ · formula", f"{2**state.phi:,.3f}×")
else:
    rule = explorer_rule(state)
    cols[0].metric(
        "the rule's target s = 2^φ · formula",
        f"{2**state.phi:,.3f}×",
        help=f"d = s^{rule.depth:.3g}, w = s^{rule.width:.3g}, r = s^{rule.resolution:.3g}: d·w²·r² = s before "
        "rounding.",
    )


def top1_text(estimate_) -> str:
    """A top-1 as a metric shows it (its source is in the label): "79.8% ± 0.7", or "77.1%" when published."""
    if estimate_.source == "published" or estimate_.error_points is None:
        return f"{estimate_.top1:.1f}%"
    return f"{estimate_.top1:.1f}% ± {estimate_.error_points:.1f}"


top1 = shown(top1_of, state, arch)
if top1 is None:
    st.caption(
        f"No ImageNet accuracy is shown for {state.base} with {state.num_classes:,} classes: published top-1 and the "
        "accuracy models describe EfficientNet-B0 and the family presets with an ImageNet head (a family of one "
        "published member, ResNeXt or Wide ResNet, only as it is)."
    )
else:
    cols = metric_row(4)
    cols[0].metric(
        f"ImageNet top-1 · {top1.source}{', extrapolated' if top1.extrapolated else ''}",
        top1_text(top1),
        help=top1.citation
        + (
            f". Modelled from the base's {top1.base_top1:g}%"
            + (" (set it on the Pareto page)" if state.base == "efficientnet-b0" else " (published)")
            + "; extrapolated means outside the (d, w, r) region of the rows it was fitted on."
            if top1.source == "modelled"
            else "."
        ),
    )
    if top1.source == "published" and state.base == preset_table().base:
        modelled = estimate(m.depth, m.width, m.resolution, state.base_top1)
        cols[1].metric("ImageNet top-1 · modelled", top1_text(modelled), help=modelled.citation)

PRESET_COLUMNS = {
    "row": Column("Network", "text"),
    "MACs (multiply-adds)": Column(
        "MACs", "count", help="All operators fvcore counts (conv, linear, batch norm, pooling)."
    ),
    "conv+linear MACs": Column("Conv+linear MACs", "count", help="The figure papers and torchvision publish as FLOPs."),
}
if view.preset_comparison is not None:
    presets = preset_table()
    st.subheader("Official variant vs the formula")
    st.caption(
        f"The published variants are not exactly α^φ, β^φ, γ^φ. The official multipliers are explained best "
        f"by φ = {view.fitted_phi:.2f} (least squares in log space). "
        f"Official multipliers: {presets.citation}. Published figures: {presets.reference_citation}; "
        f"{presets.paper_citation}."
    )
    table(view.preset_comparison, PRESET_COLUMNS)

st.subheader("Stage by stage")
st.caption(
    "Layout of each stage's first block (later blocks take the stage's output width and stride 1); "
    "costs are the whole stage's."
)
# A column no part of this family fills (groups for an EfficientNet, expansion or squeeze-excite for a ResNet) is
# left out: the table fits the page.
empty = view.parts.columns[(view.parts.isna() | view.parts.eq(0)).all()]
table(view.parts, hide=("expand_ratio", *empty))
# One picture at a time (lazy tabs): the page opens as fast as one chart, the others are a click away.
network_tab, cost_tab, growth_tab = lazy_tabs(
    "explorer", ("What scaling did to the network", "Where the cost lives", "Cost growth with φ")
)
if network_tab is not None:
    chart(figure(network_figure, network_blocks(view.base, arch)), "network", network_tab)
if cost_tab is not None:
    chart(figure(stage_cost_figure, view.parts), "stage-cost", cost_tab)
if growth_tab is not None:
    if state.ex_rule == "compound" or state.preset != CUSTOM:
        curve = cost_curve(view.recipe, state.base, state.res_multiple, state.num_classes)
        chart(figure(cost_curve_figure, curve, state.phi), "cost-curve", growth_tab)
    else:
        curve = rule_cost_curve(state)
        chart(figure(cost_curve_figure, curve, state.phi, "s = 2^φ (the rule's target)"), "cost-curve", growth_tab)
    if curve.attrs["dropped"]:
        growth_tab.caption(
            f"{curve.attrs['dropped']} values of φ in [0, 8] are left out of the curve: their resolution rounds "
            "below the base's smallest input (the product of its strides), or their counts exceed what a vectorised "
            "sweep holds exactly."
        )

fvcore_panel(arch, view.memory_bytes)
onnx_section(as_task(arch))

with st.expander("How these numbers are counted"):
    model_notes(cost_module)

share_panel("explorer", lambda: configuration_export(state, "explorer", as_task(arch), top1))
