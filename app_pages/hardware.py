"""Hardware: measured latency on this machine, the latency model fitted here, and the best recipe under a budget."""

import os
from dataclasses import asdict, replace

import streamlit as st

from scaling_core.app.export import configuration_export
from scaling_core.app.plots.charts import error_histogram_figure, predicted_vs_measured_figure, throughput_figure
from scaling_core.app.state import FIELD_BY_NAME, with_network
from scaling_core.app.tables import Column, value_text
from scaling_core.app.views.hardware import (
    FIT_USES,
    budget_choices,
    cached_optimize,
    calibration_help,
    device_measurements,
    device_profile,
    evidence_table,
    explorer_network,
    fit_choices,
    fit_warning,
    held_out_frame,
    network_in_runtimes,
    options_of,
    plan_text,
    profile_label,
    runtime_label,
    throughput_frame,
    weights_text,
)
from scaling_core.hardware import latency_model
from scaling_core.hardware.calibration import DEFAULT_CALIBRATION, calibrate_latency, stored_priors
from scaling_core.hardware.fingerprint import fingerprint
from scaling_core.hardware.latency_model import fit_latency, named_plan
from scaling_core.hardware.measure import machine_of, measure_cached, stored_measurement
from scaling_core.hardware.optimize import HARDWARE_FRIENDLY, optimize_measured
from scaling_core.storage.store import shown_url
from scaling_core.tasks.heads import as_task
from ui.controls import device_picker, runtime_picker, scaling_controls
from ui.export import chart, figure
from ui.identity import current_identity, signed_in_reason
from ui.metrics import metric_row
from ui.notes import model_notes
from ui.runtimes import runtimes_section
from ui.session import bind, current_state, set_state, shown, start_page
from ui.share import share_panel
from ui.store import app_store
from ui.tables import table

RUNTIME_MEASURED_COLUMNS = {
    "runtime": Column("Runtime", "text"),
    "version": Column("Version", "text"),
    "median_ms": Column("Median (ms)", decimals=2, help="Measured on this machine."),
    "p10_ms": Column("p10 (ms)", decimals=2),
    "p90_ms": Column("p90 (ms)", decimals=2),
}
EVIDENCE_COLUMNS = {
    "predictor": Column("Predictor", "text"),
    "within ±10%": Column("Within ±10% (%)", "share", 0, help="Share of held-out networks predicted within ±10%."),
    "MAPE": Column("MAPE (%)", "share", help="Mean absolute percentage error on the held-out networks."),
    "Kendall τ": Column("Kendall τ", decimals=3, help="Rank agreement with the measured order (1 = same order)."),
}


scaling_controls(classification=True)
with st.sidebar:
    st.header("Measuring")
    cores = os.cpu_count() or 1
    spec = FIELD_BY_NAME["hw_threads"]
    st.number_input(
        "Threads",
        int(spec.minimum),
        int(spec.maximum),
        step=1,
        help=f"1 to {cores} on this machine (its logical cores).",
        **bind("hw_threads"),
    )
    st.number_input("Batch", 1, int(FIELD_BY_NAME["hw_batch"].maximum), step=1, **bind("hw_batch"))
    st.toggle("channels_last memory format", **bind("hw_channels_last"))
    runtime_picker()
    device = device_picker()

state = start_page(
    "Hardware",
    "Latency measured on this machine (torch.utils.benchmark), a latency model fitted "
    "on it, and the best recipe under a latency budget. Measurements and fitted profiles go to the "
    "results store, so the next visit (or a teammate on the same store) reuses them.",
    "hardware",
)
store = app_store()
options = shown(options_of, state)
share_panel(
    "hardware",
    lambda: configuration_export(
        state,
        "hardware",
        as_task(explorer_network(state)),
        extra={
            "measuring": asdict(options) if options else None,
            "measurement": stored_measurement(explorer_network(state), options, store) if options and store else None,
        },
    ),
)
if store is None or options is None:
    st.stop()
machine = fingerprint("cpu")
here = device is None or device.this_machine
runtime_machine = shown(machine_of, options)
if runtime_machine is None:
    st.stop()
st.caption(
    f"This machine: {machine.device_name}, {machine.logical_cores} logical cores, torch "
    f"{machine.torch_version}; runtime {runtime_label(current_state().hw_runtime)}"
    f"{' ' + runtime_machine.runtime_version if runtime_machine.runtime else ''} (fingerprint "
    f"{runtime_machine.id}). Store: {shown_url(store.url)}."
)
if not here:
    st.info(
        f"Shown: the device {device.label} (fingerprint {device.fingerprint_id}), measured on its own machine by "
        "`python -m scaling_core bench --fleet` and fitted there by `fit-latency --fleet`. Measuring and fitting "
        "from this page time this machine: pick it under Device to do so."
    )

network = shown(explorer_network, state)
if network is None:
    st.stop()


@st.fragment
def measure_section() -> None:
    """Measuring runs in a fragment: the sliders never wait for it."""
    if not here:
        throughput_section()
        return
    st.subheader("The Explorer's network, measured")
    st.write(
        f"{network.label} at {network.resolution_px} px; {options.threads} thread(s), batch "
        f"{options.batch_size}, {options.memory_format}."
    )
    if st.button("Measure (or reuse the stored measurement)", key="measure"):
        with st.spinner("Building, warming up and timing…"):
            result = shown(measure_cached, network, options, store)
        if result is not None:
            row, cached = result
            cols = metric_row(5)
            cols[0].metric("best · measured", f"{value_text(row['best_ms'])} ms")
            cols[1].metric("median · measured", f"{value_text(row['median_ms'])} ms")
            cols[2].metric("p10 · measured", f"{value_text(row['p10_ms'])} ms")
            cols[3].metric("p90 · measured", f"{value_text(row['p90_ms'])} ms")
            cols[4].metric("calls timed", f"{row['runs']:,}")
            st.caption("Served from the store." if cached else "Measured now and stored.")
    # Read the store after the measurement above (in the same fragment run), so a new one shows at once.
    in_runtimes = shown(network_in_runtimes, store, network, options)
    if in_runtimes is not None and len(in_runtimes) > 1:
        st.caption("This network in each runtime it has been measured in here (measured, from the store):")
        table(in_runtimes, RUNTIME_MEASURED_COLUMNS)
    throughput_section()


def throughput_section() -> None:
    """The stored measurements of the device shown: achieved throughput against size."""
    st.subheader("Achieved throughput on this machine" if here else f"Achieved throughput on {device.label}")
    frame = throughput_frame(device_measurements(store, "" if here else device.fingerprint_id, options))
    if frame.empty:
        st.info("No measurements of this machine in the store yet: measure the network above, or fit the model.")
        return
    st.caption(
        f"Measured: MACs × batch over the best time, for the {len(frame):,} networks measured here. Below the "
        "plateau a network is overhead-bound (per-layer and per-call costs); on it, compute-bound."
    )
    chart(figure(throughput_figure, frame), "throughput")


measure_section()

st.subheader("The latency model fitted on this machine" if here else f"The latency model fitted on {device.label}")
with st.expander("The latency model and its assumptions (modelled)"):
    model_notes(latency_model)
report = shown(device_profile, store, options, "" if here else device.fingerprint_id)
choices = fit_choices(report)
# Fitting replaces the profile every session on this machine and store uses.
fit_refused = signed_in_reason(current_identity(), "fit (and so replace) this machine's shared latency profile")


def fit_button(name: str, label: str, key: str) -> None:
    """A button that measures the named plan with progress, fits, stores the profile and reruns the page."""
    if not st.button(label, key=key, help=fit_refused or choices[name], disabled=fit_refused is not None):
        return
    plan = named_plan(name)
    bar = st.progress(0.0, text=f"Timing the {name} plan: {plan_text(plan)}…")
    fitted = shown(
        fit_latency,
        options_of(state, plan["min_run_time_s"]),
        store,
        plan,
        lambda done, total: bar.progress(done / total, text=f"{done:,} of {total:,} timings ({plan_text(plan)})"),
    )
    if fitted is not None:
        st.rerun()


def calibrate_button() -> None:
    """Quick calibration: ten networks and the held-out ones measured, the store's other models adapted."""
    priors = stored_priors(store, excluding=runtime_machine.id)
    reason = fit_refused or (None if priors else "Needs another device's or runtime's latency model in the store.")
    if not st.button(
        f"Quick calibration ({DEFAULT_CALIBRATION} networks)",
        key="calibrate",
        help=reason or calibration_help(len(priors)),
        disabled=reason is not None,
    ):
        return
    plan = named_plan("quick")
    bar = st.progress(0.0, text="Timing the calibration networks…")
    fitted = shown(
        calibrate_latency,
        options_of(state, plan["min_run_time_s"]),
        store,
        DEFAULT_CALIBRATION,
        plan,
        lambda done, total: bar.progress(done / total, text=f"{done:,} of {total:,} timings"),
    )
    if fitted is not None:
        st.rerun()


if report is None and not here:
    st.info(
        f"No latency model of {device.label} with batch {options.batch_size}, {options.memory_format} yet: run "
        "`python -m scaling_core fit-latency --fleet --scheduler ADDRESS` with the cluster that holds it."
    )
elif report is None:
    st.info(
        f"No profile yet for this machine in {runtime_label(state.hw_runtime)} with {options.threads} thread(s), "
        f"batch {options.batch_size}, "
        f"{options.memory_format}. {FIT_USES}"
    )
    st.markdown("\n".join(f"- {text}" for text in choices.values()))
    st.caption("Or run `python -m scaling_core fit-latency` in a terminal. A full fit replaces a quick one.")
    if fit_refused:
        st.info(fit_refused)
    left, middle, right = st.columns(3)
    with left:
        calibrate_button()
    with middle:
        fit_button("quick", "Quick fit now", "fit_quick")
    with right:
        fit_button("full", "Full fit now", "fit")
else:
    st.caption(f"Fitted on {'this machine' if here else device.label}: {profile_label(report)}. {FIT_USES}")
    if report.plan != "full" and here:
        fit_button("full", "Refine: full fit now", "fit")
        if fit_refused:
            st.info(fit_refused)
    table(evidence_table(report), EVIDENCE_COLUMNS)
    warning = fit_warning(report)
    if warning:
        st.warning(warning)
    held_out = held_out_frame(report)
    left, right = st.columns(2)
    chart(figure(predicted_vs_measured_figure, held_out), "predicted-vs-measured", left)
    chart(figure(error_histogram_figure, held_out), "latency-errors", right)
    st.caption(f"The fitted weights (modelled): {weights_text(report.model)}.")

    st.subheader("Best recipe under a latency budget")
    st.select_slider(  # a log scale: 1–2–3–5 ms in each decade
        "latency budget (ms)",
        budget_choices(current_state().hw_budget_ms),
        format_func=lambda ms: f"{ms:g}",
        help=f"1–2–3–5 steps in each decade. Allowed: {FIELD_BY_NAME['hw_budget_ms'].allowed()}.",
        **bind("hw_budget_ms"),
    )
    budget = current_state().hw_budget_ms
    choice = shown(cached_optimize, report.model.weights, report.model.features, budget)
    if choice is not None:
        m = choice.network.multipliers
        st.write(
            f"Most MACs (the capacity proxy until accuracy estimates plug in) predicted within {budget:g} ms: "
            f"α={choice.recipe.alpha:g}, β={choice.recipe.beta:g}, γ={choice.recipe.gamma:g} at "
            f"φ={choice.phi:.3f} (d={m.depth:.3f}, w={m.width:.3f}, r={m.resolution:.3f}, "
            f"{choice.network.resolution_px} px), {choice.objective / 1e9:.3f} GMACs, predicted "
            f"**{value_text(choice.predicted_ms)} ms** "
            f"(modelled{', quick profile' if report.plan == 'quick' else ''}). "
            "A negative φ scales the base down by the same recipe."
        )
        left, right = st.columns(2)
        if here and left.button(  # a fleet device is measured on its own machine, not from here
            "Rescale to this moment, choose and measure",
            key="measure_winner",
            help="Measures the unscaled network now, rescales the profile to it (a shared machine's "
            "speed drifts), re-runs the optimiser and measures its winner.",
        ):
            with st.spinner("Measuring…"):
                picked = shown(optimize_measured, report.model, budget, options, store)
            if picked is not None:
                c = picked.choice
                left.write(
                    f"Rescaled by {picked.recalibration_factor:.3f}: α={c.recipe.alpha:g}, "
                    f"β={c.recipe.beta:g}, γ={c.recipe.gamma:g}, φ={c.phi:.3f}, {c.network.resolution_px} px."
                )
                left.metric(
                    "measured best · measured",
                    f"{value_text(picked.measured['best_ms'])} ms",
                    delta=f"{value_text(picked.measured['best_ms'] - c.predicted_ms, signed=True)} ms vs predicted "
                    f"{value_text(c.predicted_ms)} ms (modelled)",
                    delta_color="off",
                )
        if right.button("Open it in the Explorer", key="to_explorer"):
            sent = shown(
                with_network,
                replace(
                    state,
                    res_multiple=HARDWARE_FRIENDLY.resolution_multiple,
                    base=choice.network.backbone.base_name,
                    num_classes=choice.network.backbone.classifier.num_classes,
                ),
                m.depth,
                m.width,
                m.resolution,
                1.0,
            )
            if sent is not None:
                set_state(sent)
                st.switch_page("app_pages/explorer.py")

runtimes_section()
