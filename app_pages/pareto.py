"""Pareto: recipes × φ, accuracy (labelled by source) against a cost, budgets, the front; send a point on."""

import json

import pandas as pd
import streamlit as st

from scaling_core.accuracy import model as accuracy_module
from scaling_core.accuracy.model import calibration, published_frame
from scaling_core.accuracy.pareto import (
    COST_OBJECTIVES,
    CSV_RECIPE,
    NamedRecipe,
    format_user_recipes,
    parse_user_recipes,
    reference_cost,
)
from scaling_core.accuracy.user_csv import parse_measurements
from scaling_core.app.export import view_export
from scaling_core.app.plots.families import families_figure
from scaling_core.app.plots.pareto import pareto_figure
from scaling_core.app.report import comparison_report, front_table
from scaling_core.app.state import FIELD_BY_NAME, with_network
from scaling_core.app.tables import Column
from scaling_core.app.views.dense import source_title
from scaling_core.app.views.families import (
    COMPARED_BASES,
    COSTS,
    RULE_CHOICES,
    RULE_TITLES,
    SCALES,
    family_grid,
    latency_claim,
    with_front,
    with_latency,
)
from scaling_core.app.views.hardware import device_profile, options_of, profile_label, runtime_label
from scaling_core.app.views.pareto import (
    LAB_LATENCY,
    accuracy_axis_label,
    accuracy_caption,
    cost_axis_label,
    front_notice,
    page_recipes,
    page_result,
    recipes_frame,
    row_network,
    stored_latency,
)
from scaling_core.core.errors import ConfigError
from scaling_core.core.recipe import Recipe
from scaling_core.hardware.family_latency import PREDICTORS
from scaling_core.hardware.measure import measure_cached
from scaling_core.hardware.provenance import provenance
from scaling_core.lab.data import dataset_table
from ui.controls import choice, device_picker, multi_choice, runtime_picker, slider
from ui.export import chart, csv_button, figure
from ui.notes import model_notes
from ui.pages import PAGES
from ui.sections import lazy_expander
from ui.session import apply_changes, bind, measurements, set_measurements, set_state, shown, start_page
from ui.share import share_link, share_panel, stop_page
from ui.store import app_store
from ui.tables import table

UPLOAD = "upload"
MODELLED_COUNT = "Modelled: exact analytic count of the scaled network."
FRONT_COLUMNS = {
    "accuracy": Column("Accuracy (%)", decimals=2),
    "accuracy_error": Column("± (points)", decimals=2, help="Modelled: the accuracy model's leave-one-out error."),
    "macs": Column("MACs", "count", help=MODELLED_COUNT),
    "params": Column("Parameters", "count", help=MODELLED_COUNT),
    "activations": Column("Activations", "count", help=MODELLED_COUNT),
    "memory_mb": Column("Memory (MiB)", decimals=1, help="Modelled: float32 weights plus every activation at once."),
    "latency_predicted_ms": Column("Latency (ms, modelled)", decimals=2, help="Predicted by the fitted latency model."),
    "latency_measured_ms": Column("Latency (ms, measured)", decimals=2, help="Measured on the device shown."),
}
FAMILY_COLUMNS = {
    "flops_scale": Column("FLOP scale s", decimals=0, help="The rule's nominal target: d·w²·r² = s before rounding."),
    "resolution_px": Column("Input (px)", "integer"),
    "depth_multiplier": Column("d (applied)", decimals=2, help="Blocks over the base's, after rounding."),
    "width_multiplier": Column("w (applied)", decimals=2, help="Summed stage widths over the base's, after rounding."),
    "resolution_multiplier": Column("r (applied)", decimals=2),
    "macs": Column("MACs", "count", help=MODELLED_COUNT),
    "params": Column("Parameters", "count", help=MODELLED_COUNT),
    "activations": Column("Activations", "count", help=MODELLED_COUNT),
    "top1": Column("Top-1 (%)", decimals=2),
    "latency_ms": Column("Latency (ms, measured)", decimals=1, help="The fastest block, batch 1 (families)."),
    "top1_error": Column("± (points)", decimals=2, help="Modelled: the family's leave-one-out RMS error."),
    "top1_source": Column("Top-1 source", "text"),
    "extrapolated": Column(
        "Extrapolated in",
        "text",
        help="Which of d, w, r lie beyond the range of the family's fitted members (EfficientNet-B0: outside the hull "
        "of its calibration rows).",
    ),
    "on_front": Column("On the front", "flag"),
}
PUBLISHED_COLUMNS = {
    "d": Column("d", decimals=3),
    "w": Column("w", decimals=3),
    "r": Column("r", decimals=3),
    "gmacs": Column("MACs (G)", decimals=2, help="Published: the paper's 'FLOPs', which are multiply-adds."),
    "kind": Column("Kind", "text"),
}

with st.sidebar:
    st.header("Grid")
    slider("pareto_phi_max", "largest φ", 0.25, fmt="%.2f")
    choice("pareto_phi_step", "φ step")
    choice("pareto_cost", "cost axis", format_func=lambda k: COST_OBJECTIVES[k].label)
    choice(
        "pareto_source",
        "accuracy source",
        format_func=lambda s: (
            "ImageNet: published and modelled"
            if s == "imagenet"
            else "measured by the lab: "
            + (source_title(s[6:]) if s.startswith("dense:") else dataset_table()[s[4:]].title)
        ),
    )
    spec = FIELD_BY_NAME["base_top1"]
    st.number_input(
        "base network's top-1 (%)",
        spec.minimum,
        spec.maximum,
        step=0.1,
        format="%.1f",
        help="The accuracy the estimates start from. Default: EfficientNet-B0's published 77.1% "
        "(Tan & Le 2019, Table 2).",
        **bind("base_top1"),
    )
    st.header("Budgets (0 = none)")
    st.number_input(
        "MACs (G multiply-adds)",
        0.0,
        FIELD_BY_NAME["pareto_macs_budget_g"].maximum,
        step=0.5,
        **bind("pareto_macs_budget_g"),
    )
    st.number_input(
        "latency (ms)",
        0.0,
        FIELD_BY_NAME["pareto_latency_budget_ms"].maximum,
        step=5.0,
        help="Applies to the latency axis; on the other axes, to the predicted latency when a latency "
        "model is fitted for this machine (Hardware page).",
        **bind("pareto_latency_budget_ms"),
    )
    st.number_input(
        "memory (MiB, modelled)",
        0.0,
        FIELD_BY_NAME["pareto_memory_budget_mb"].maximum,
        step=50.0,
        help="Float32 parameters plus every conv/linear output at once (scaling_core/core/memory.py).",
        **bind("pareto_memory_budget_mb"),
    )
    st.header("Network")
    choice("res_multiple", "Resolution multiple (px)")
    spec = FIELD_BY_NAME["num_classes"]
    st.number_input("Classes", int(spec.minimum), int(spec.maximum), step=1, **bind("num_classes"))
    choice("base", "Base network")
    runtime_picker("Latency in the runtime")
    device = device_picker("Latency of the device")

state = start_page(
    "Pareto",
    "For a budget, which recipe and which φ? Every recipe is swept over φ; a point is on the "
    "front when no other point is at least as accurate for at most the same cost. Points over a "
    "budget are grey and take no part in the front (as in optuna's constrained Pareto plot).",
    "pareto",
)
results_area = st.container()  # drawn first, filled last: the inputs below change what it shows

st.subheader("Recipes")
recipes = shown(page_recipes, state)
if recipes is None:
    stop_page("pareto")
recipes_table = recipes_frame(recipes)
table(recipes_table)
user = [r for r in recipes if not r.builtin]
left, right = st.columns(2)
with left.form("add_recipe", clear_on_submit=True):
    st.write("Add a recipe")
    cols = st.columns(4)
    name = cols[0].text_input("name", max_chars=40)
    coefficients = [
        cols[i + 1].number_input(symbol, 0.5, 2.5, value=value, step=0.01, format="%.3f")
        for i, (symbol, value) in enumerate((("α", 1.2), ("β", 1.1), ("γ", 1.15)))
    ]
    normalise = st.checkbox(f"rescale to the built-ins' per-step cost α·β²·γ² = {reference_cost():.4f}", value=True)
    if st.form_submit_button("Add"):
        try:
            recipe = Recipe(*coefficients)
            recipe = recipe.rescaled(reference_cost()) if normalise else recipe
            text = format_user_recipes([*user, NamedRecipe(name.strip(), recipe, "yours", builtin=False)])
            parse_user_recipes(text)  # the same checks a link gets: name, range, growth
            apply_changes(pareto_recipes=text)
            st.rerun()
        except ConfigError as exc:
            st.error(str(exc))
if user:
    with right.form("remove_recipe"):
        gone = st.multiselect("Remove your recipes", [r.name for r in user])
        if st.form_submit_button("Remove") and gone:
            apply_changes(pareto_recipes=format_user_recipes([r for r in user if r.name not in gone]))
            st.rerun()

st.subheader("Accuracy: where it comes from")
upload = st.file_uploader(
    "Your measured accuracy (CSV)",
    type=["csv"],
    key="pareto_csv",
    help="Columns: accuracy (top-1 %), and d,w,r or alpha,beta,gamma,phi or recipe,phi; "
    "optional latency_ms and note. Matching grid points take your numbers.",
)
if upload is not None:
    parsed = shown(parse_measurements, upload.getvalue(), {r.name: r.recipe for r in recipes})
    set_measurements(None if parsed is None else parsed[0], UPLOAD)
    for problem in (parsed[1] if parsed else [])[:20]:
        st.warning(f"Skipped {problem}")
    if parsed and len(parsed[1]) > 20:
        st.warning(f"… and {len(parsed[1]) - 20} more rows skipped.")
elif measurements() is not None and measurements()[1] == UPLOAD:
    set_measurements(None)  # the user removed the file
in_use = measurements()
if in_use is not None:
    st.caption(f"{len(in_use[0])} measured rows in use ({in_use[1]}; this session: save a result to keep them).")
# Drawn only when opened (two tables and the model's notes): the page opens as fast as its chart.
accuracy_notes = lazy_expander("pareto_accuracy", "The accuracy model, its calibration and the published table")
if accuracy_notes is not None:
    with accuracy_notes:
        model_notes(accuracy_module)
        cal = calibration()
        st.write(f"Fitted parameters: {json.dumps(cal.model.as_dict(), indent=None)}")
        st.write(
            f"In-sample RMS error {cal.in_sample_rmse:.2f} points; leave-one-out RMS {cal.loo_rmse:.2f}, mean "
            f"absolute {cal.loo_mae:.2f}, worst {cal.loo_max:.2f} points over {cal.rows} rows."
        )
        table(
            pd.DataFrame({"published row (left out)": cal.loo_labels, "error when left out (points)": cal.loo_errors}),
            {"error when left out (points)": Column("Error when left out (points)", decimals=2)},
        )
        table(
            published_frame(),
            PUBLISHED_COLUMNS,
            first=("label", "d", "w", "r", "top1", "gmacs", "params_m", "citation", "where"),
            hide=("series", "family", "base_top1", "kind", "preset", "baseline"),
        )

with results_area:
    lab_source = state.pareto_source != "imagenet"
    store = app_store()
    options = shown(options_of, state)
    here = device is None or device.this_machine
    device_id = "" if here else device.fingerprint_id
    fitted = shown(device_profile, store, options, device_id) if store and options else None
    profile = fitted.model if fitted is not None else None
    lookup = None
    if state.pareto_cost == "latency_measured" and not lab_source and store is not None and options is not None:
        lookup = shown(stored_latency, store, options, device_id)

    result = shown(page_result, state, in_use[0] if in_use else None, profile, lookup, store)
    if result is None:
        stop_page("pareto")
    frame = result.frame
    cost = COST_OBJECTIVES[result.cost_key]
    if result.fallback:
        st.warning(result.fallback)
        if state.pareto_cost == "latency_predicted" and not lab_source:
            st.page_link(
                PAGES["hardware"].path, label="Fit a latency model on the Hardware page", icon=PAGES["hardware"].icon
            )
    cost_source = LAB_LATENCY if lab_source and cost.column.startswith("latency") else cost.source
    if fitted is not None and cost.column == "latency_predicted_ms" and not lab_source:
        where = f"this machine in {runtime_label(state.hw_runtime)}" if here else device.label
        cost_source += f", by {where}'s {profile_label(fitted)}"
    st.caption(
        f"{accuracy_caption(state)} Cost axis: {cost.label} — {cost_source}. "
        + (
            "Predicted latencies outside the latency model's fitted region are extrapolations "
            f"({int(frame['latency_extrapolated'].sum())} points here)."
            if "latency_extrapolated" in frame and cost.column == "latency_predicted_ms"
            else ""
        )
    )
    for note in result.notes:
        st.warning(note)
    if result.dropped:
        st.caption(
            f"{result.dropped} configurations are left out: their resolution rounds below the base's smallest input."
        )

    if lookup is not None and here:  # a fleet device is measured on its own machine (`bench --fleet`)
        missing = frame[frame["latency_measured_ms"].isna() & (frame["over_budget"] == "")]

        @st.fragment
        def measure_missing() -> None:
            """Measuring runs in a fragment: the rest of the page does not wait for it."""
            if missing.empty:
                return
            if st.button(
                f"Measure the {len(missing)} points without a measurement",
                key="measure_missing",
                help="Builds each network and times it on this machine (stored, so only once).",
            ):
                bar = st.progress(0.0)
                for done, (_, row) in enumerate(missing.iterrows(), start=1):
                    if shown(measure_cached, row_network(row, state), options, store) is None:
                        break
                    bar.progress(done / len(missing), text=f"Measured {done} of {len(missing)}")
                st.rerun(scope="app")

        measure_missing()

    budget = {"macs": state.pareto_macs_budget_g * 1e9}.get(result.cost_column) or (
        state.pareto_latency_budget_ms if result.cost_column.startswith("latency") else None
    )
    pareto = figure(
        pareto_figure,
        frame,
        result.cost_column,
        cost_axis_label(state, result.cost_key),
        result.published,
        accuracy_axis_label(state, in_use is not None),
        budget or None,
    )
    event = chart(pareto, "pareto", on_select="rerun", selection_mode="points")
    front = front_table(frame, result.cost_column)
    if notice := front_notice(result, state):
        st.warning(notice)
    st.subheader(f"The front: {len(front)} configurations")
    first = ["recipe", "phi", "accuracy", "accuracy_error", "accuracy_source", result.cost_column]
    # The recipe's coefficients and multipliers (in the recipes table and the Explorer), and the costs that are not
    # the chosen axis, stay in the CSV: the front's table fits the page.
    costs = ("activations", "memory_mb", "latency_predicted_ms", "latency_measured_ms")
    hidden = ("alpha", "beta", "gamma", "depth_multiplier", "width_multiplier", "resolution_multiplier")
    if lab_source:  # measured points are never extrapolated: the column would only say "no"
        hidden += ("extrapolated",)
    table(front, FRONT_COLUMNS, first=first, hide=[*hidden, *(c for c in costs if c != result.cost_column)])

    picked = [
        i for p in (event.selection.points if event else []) if (i := p.get("customdata", [None])[0]) in frame.index
    ]
    choice_index = st.selectbox(
        "Send a configuration to the Explorer",
        [None, *dict.fromkeys(picked + list(front.index))],
        format_func=lambda i: (
            "choose a point (or click one in the chart)"
            if i is None
            else f"{frame.loc[i, 'recipe']} at φ = {frame.loc[i, 'phi']:g} — {frame.loc[i, 'accuracy']:.2f}% "
            f"({frame.loc[i, 'accuracy_source']}), {int(frame.loc[i, 'macs']):,} MACs"
        ),
        index=1 if picked else 0,
        key="pareto_pick",
    )
    if lab_source:
        st.caption("Lab points are networks of the lab base: open them on the Lab page, not in the Explorer.")
    elif choice_index is not None and st.button("Open it in the Explorer", key="to_explorer"):
        row = frame.loc[choice_index]
        sent = shown(with_network, state, row["alpha"], row["beta"], row["gamma"], row["phi"])
        if sent is not None:
            set_state(sent)
            st.switch_page(PAGES["explorer"].path)
    if CSV_RECIPE in set(frame["recipe"]):
        st.caption(f"'{CSV_RECIPE}' points are your rows that match no grid point: α, β, γ are their d, w, r at φ = 1.")

    evidence = f"{accuracy_caption(state)} Cost: {cost.label} — {cost_source}."
    settings = {
        k: v
        for k, v in state.__dict__.items()
        if k.startswith(("pareto", "lab")) or k in ("base", "base_top1", "res_multiple", "num_classes")
    }
    cols = st.columns(3)
    csv_button(front, "pareto-front", "Front as CSV", cols[0])
    csv_button(frame, "pareto-grid", "Whole grid as CSV", cols[1])
    cols[2].download_button(
        "Report (self-contained HTML)",
        key="report",
        on_click="ignore",
        file_name="pareto-report.html",
        mime="text/html",
        data=lambda: comparison_report(
            "Compound Scaling Lab — Pareto comparison",
            figure,
            front,
            recipes_table,
            evidence,
            settings,
            provenance(),
            share_link(state, "pareto"),
        ),
    )

families = lazy_expander(
    "pareto_families", "Families and rules: EfficientNetV2, ResNet and RegNet beside EfficientNet, scaled by each rule"
)
if families is not None:
    with families:
        st.caption(
            "Each base is scaled by each rule to FLOP scales s = 2, 4, 8 … (exponents of s with d·w²·r² = s; each "
            "family rounds as its own code does). Costs are modelled: the exact count. Top-1 is published at each "
            "base (torchvision's IMAGENET1K_V1 weights; EfficientNet-B0: Tan & Le 2019) and modelled beyond it, from "
            "that published top-1, with the family's leave-one-out error (the model fitted across families: "
            "`scaling_core/accuracy/families.py`). Training recipes differ between the papers, so a front across "
            "families compares their published recipes as well as their designs."
        )
        multi_choice("fam_bases", "Bases", COMPARED_BASES)
        cols = st.columns([3, 1, 2])
        multi_choice("fam_rules", "Rules", RULE_CHOICES, cols[0], format_func=RULE_TITLES.get)
        with cols[1]:
            choice("fam_scale_max", "largest s", format_func=lambda s: f"{s:g}")
        with cols[2]:
            choice("fam_cost", "cost axis", format_func=COSTS.get)
        grid = shown(
            family_grid,
            tuple(state.fam_bases.split(",")),
            tuple(state.fam_rules.split(",")),
            tuple(s for s in SCALES if s <= state.fam_scale_max),
        )
        if grid is not None and state.fam_cost == "latency_ms":
            grid, latency_source = shown(with_latency, grid, store, options) or (grid.assign(latency_ms=None), "")
            missing = int(grid["latency_ms"].isna().sum())
            st.caption(
                f"Latency: {latency_source}; the fastest block of torch.utils.benchmark at batch 1."
                + (f" {missing} networks have no measurement and are left out of the chart." if missing else "")
            )
            claim = shown(latency_claim, store, options)
            if claim is not None:
                verdict, where = claim
                rho = ", ".join(f"{PREDICTORS[k]} {v:+.2f}" for k, v in verdict["spearman"].items())
                low, high = verdict["interval"]
                st.write(
                    f"**Do activations predict runtime better than FLOPs (Dollár et al. 2021)?** Over all "
                    f"{verdict['networks']} networks `families` times (measured on {where}): Spearman ρ of latency "
                    f"with {rho}; activations − MACs {verdict['difference']:+.2f} [{low:+.2f}, {high:+.2f}] (95% "
                    f"bootstrap): {verdict['verdict']}."
                )
                equal = verdict["equal_macs"]
                if equal.get("difference") is not None:
                    low, high = equal["interval"]
                    st.write(
                        f"**At equal MACs** (each base's rules at one FLOP scale, {len(equal['groups'])} groups): mean "
                        f"ρ with activations {equal['mean_activations']:+.2f}, with MACs {equal['mean_macs']:+.2f}; "
                        f"difference {equal['difference']:+.2f} [{low:+.2f}, {high:+.2f}]: {equal['verdict']}."
                    )
        if grid is not None:
            compared = with_front(grid, state.fam_cost)
            chart(figure(families_figure, compared, state.fam_cost, COSTS[state.fam_cost]), "families")
            table(
                compared,
                FAMILY_COLUMNS,
                first=("base", "rule", "flops_scale", "top1", "top1_error", "top1_source", state.fam_cost),
                # The applied multipliers stay in the hover and the CSV: the table fits the page.
                hide=[c for c in COSTS if c != state.fam_cost]
                + ["family", "depth_multiplier", "width_multiplier", "resolution_multiplier", "resolution_px"],
            )
            csv_button(compared, "families-and-rules", "Families and rules as CSV")

share_panel(
    "pareto",
    lambda: view_export(
        state,
        "pareto",
        {
            "pareto": {
                "cost": state.pareto_cost,
                "front": json.loads(front.to_json(orient="records")),
                "recipes": json.loads(recipes_table.to_json(orient="records")),
                "accuracy_evidence": evidence,
            },
            "measurements": json.loads(in_use[0].to_json(orient="records")) if in_use else [],
        },
    ),
)
