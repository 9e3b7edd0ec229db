"""Deployment physics: a drone's latency budget and motion blur, thermal throttling, low-bit quantization noise."""

import json

import pandas as pd
import streamlit as st

from scaling_core.app.export import view_export
from scaling_core.app.plots.deployment import (
    blur_accuracy_figure,
    blur_figure,
    ceiling_figure,
    latency_figure,
    se_figure,
    sqnr_bits_figure,
    thermal_trace_figure,
    throughput_figure,
    transfer_figure,
)
from scaling_core.app.tables import Column, value_text
from scaling_core.app.views.deployment import (
    EnergyModel,
    blur_frame,
    drone_per_runtime,
    energy_frame,
    int8_claims_table,
    int8_records_for,
    modelled_sqnr,
    nearest_sweep,
    phi_grid,
    quantization_curves,
    quantization_fit,
    quantization_summary,
    records_for,
    runtime_models,
    se_comparison,
    thermal_choice,
    thermal_frame,
    thermal_trace,
)
from scaling_core.app.views.hardware import options_of, profile_label, runtime_label
from scaling_core.core.recipe import Recipe
from scaling_core.hardware.latency_model import LinearProfile, stored_profile
from scaling_core.hardware.measure import measure_cached
from scaling_core.hardware.optimize import network_at
from scaling_core.lab.data import dataset_info
from scaling_core.storage.store import default_store_url
from scaling_core.studies.deployment import drone, noise_model, thermal
from scaling_core.studies.deployment.drone import (
    best_resolution,
    blur_curves,
    blur_fit,
    blur_summary,
    dataset_spectrum,
    drone_choice,
    latency_frame,
    modelled_blur,
)
from scaling_core.studies.deployment.measurements import deployment_defaults, measure_settings
from scaling_core.studies.deployment.runtime_int8 import (
    CLAIM,
    SIMULATED_BITS,
    agreement,
    int8_claims,
    mean_by_point,
    paired_frame,
)
from scaling_core.studies.deployment.thermal import ThermalDevice
from scaling_core.studies.spectrum.motion_blur import Motion
from ui.controls import choice, number, runtime_picker, slider
from ui.export import chart, csv_button, figure
from ui.metrics import metric_row
from ui.notes import model_notes
from ui.sections import lazy_expander, lazy_tabs
from ui.session import shown, start_page
from ui.share import share_panel
from ui.store import app_store
from ui.tables import table

DEFAULTS = deployment_defaults()
THERMAL_COLUMNS = {
    "bytes_moved": Column("Bytes moved", "count", help="Modelled: weights read plus activations written and read."),
    "energy_mj": Column("Energy (mJ)", decimals=2, help="Modelled: pJ per MAC and per byte moved."),
    "ceiling_fps": Column("Ceiling (/s)", decimals=1, help="Modelled: the rate the device sustains at its throttle."),
    "latency_ms": Column("Latency (ms)", decimals=2),
    "power_w": Column("Power (W)", decimals=2),
    "unthrottled_steady_c": Column("Unthrottled steady (°C)", decimals=1),
    "max_c": Column("Max (°C)", decimals=1),
    "cold_fps": Column("Cold (/s)", decimals=1, help="Frames per second before the device heats."),
    "sustained_fps": Column("Sustained (/s)", decimals=1, help="Frames per second over the whole duration."),
    "sustained_over_cold": Column("Sustained / cold (%)", "share", 0),
}
RUNTIME_COLUMNS = {
    "runtime": Column("Runtime", "text"),
    "phi": Column("Largest φ", decimals=2, help="Modelled: the runtime's latency model."),
    "resolution_px": Column("Input (px)", "integer"),
    "macs": Column("MACs", "count", help="Modelled: exact count."),
    "predicted_ms": Column("Predicted (ms)", decimals=2, help="Modelled: the runtime's latency model."),
    "blur_px": Column("Blur (px)", decimals=2, help="Modelled: the motion's blur at that input."),
    "source": Column("Latency model", "text"),
}
INT8_CLAIM_COLUMNS = {
    "source": Column("Decided by", "text"),
    "difference": Column("Before − after (dB)", decimals=2, help="Mean over seeds of the paired SQNR difference."),
    "interval": Column("95% interval (dB)", "text", help="Student's t interval over seeds."),
    "seeds": Column("Seeds", "integer"),
    "verdict": Column("Verdict", "text"),
}
INT8_COLUMNS = {
    "recipe": Column("Recipe", "text"),
    "phi": Column("φ", decimals=0),
    "se_position": Column("SE position", "text"),
    "runtime_sqnr_db": Column("Int8 runtime SQNR (dB)", decimals=1, help="Measured: ONNX Runtime int8 logits."),
    "simulated_sqnr_db": Column("Simulated SQNR (dB)", decimals=1, help="Measured: the simulated quantizer."),
    "runtime_drop_points": Column("Int8 runtime drop (points)", decimals=1, help="Accuracy lost, measured."),
    "simulated_drop_points": Column("Simulated drop (points)", decimals=1, help="Accuracy lost, measured."),
}
SE_COLUMNS = {
    "se_position": Column("SE position", "text"),
    "after_depthwise": Column("SE after depthwise (dB)", decimals=1, help="Measured SQNR of the logits."),
    "before_depthwise": Column("SE before depthwise (dB)", decimals=1, help="Measured SQNR of the logits."),
    "before_minus_after_db": Column("Before − after (dB)", decimals=1),
}
THERMAL_SHOWN = [
    *("phi", "resolution_px", "latency_ms", "power_w", "max_c"),
    *("cold_fps", "sustained_fps", "sustained_over_cold", "ceiling_fps"),
]
MEASURED = DEFAULTS["measurement"]
SETTINGS = measure_settings()


@st.cache_data(ttl=60, show_spinner="Reading the evaluations…", max_entries=4)
def cached_records(dataset: str, url: str) -> tuple[list[dict], str]:
    """The measured grids' evaluations (the store's, else the shipped ones), read at most once a minute."""
    return records_for(dataset, MEASURED["phis"], MEASURED["seeds"], app_store())


@st.cache_data(show_spinner="Simulating the thermal model for each φ…", max_entries=16)
def cached_thermal(
    weights: tuple,
    features: tuple,
    recipe: Recipe,
    phis: tuple,
    device: ThermalDevice,
    energy: EnergyModel,
    target_fps: float,
    duration_s: float,
) -> pd.DataFrame:
    """thermal_frame, cached on every input (the simulation is exact but runs once per φ)."""
    return thermal_frame(LinearProfile(features, weights), recipe, list(phis), device, energy, target_fps, duration_s)


with st.sidebar:
    st.header("Deployment")
    slider("deploy_phi_max", "Largest φ shown", 0.25, "%.2f")
    runtime_picker("Latency in the runtime")
    st.caption(
        "The recipe is the Explorer's; latency comes from this machine's fitted model for the runtime (Hardware "
        "page) with the Hardware page's threads."
    )

state = start_page(
    "Deployment",
    "The physics between a scaled network and a device: a drone's latency budget and "
    "motion blur, a fanless device's thermal throttling, and low-bit quantization noise. Each section "
    "states its model, lets you change it, and sets it beside measurements on this machine and on "
    "the lab's trained networks.",
    "deployment",
)
recipe = Recipe(state.alpha, state.beta, state.gamma)
phis = phi_grid(state.deploy_phi_max)
store = app_store()
options = shown(options_of, state)
fitted = shown(stored_profile, store, options) if store is not None and options is not None else None
profile = fitted.model if fitted is not None else None
NO_MODEL = (
    f"No latency model of this machine in {runtime_label(state.hw_runtime)} with {state.hw_threads} thread(s) yet: "
    "fit one on the Hardware page "
    "(it offers a quick fit) or run `python -m scaling_core fit-latency`."
)
if fitted is not None:
    st.caption(
        f"Latencies on this page: modelled by this machine's {profile_label(fitted)} in "
        f"{runtime_label(state.hw_runtime)} (Hardware page)."
    )
else:
    st.info(
        NO_MODEL + " Until then the latencies, the drone's choice and the throttled throughput are not shown; "
        "the blur, the thermal ceiling and the measured results are."
    )
records, source = cached_records(MEASURED["dataset"], default_store_url())

# One study at a time: a tab's code runs (and its charts are drawn) only when it is open; the share box
# exports the open study's results.
picked = thermal_table = quant_fit = None


def int8_section() -> None:
    """The claim from ONNX Runtime int8 beside the simulated quantizer's, run for run."""
    st.subheader("On a runtime that ships: ONNX Runtime int8")
    int8, int8_source = int8_records_for(MEASURED["dataset"], MEASURED["phis"], MEASURED["seeds"], store)
    if not int8:
        st.info(
            (f"{int8_source}. " if int8_source else "")
            + "No int8 runtime measurements yet: `python -m scaling_core quantize-int8` runs the measured grid's "
            "networks in ONNX Runtime int8."
        )
        return
    frame = paired_frame(int8, records)
    claims = int8_claims(frame)
    st.caption(
        f"Source: {int8_source}. Each trained network exported to ONNX, quantized by ONNX Runtime (static QDQ, "
        "per-channel int8 weights, uint8 activations, calibrated on training images) and run by it; beside it the "
        f"simulated {SIMULATED_BITS}-bit per-channel quantizer. Every int8 graph runs integer convolutions "
        f"({int(frame['integer_convs'].min())}–{int(frame['integer_convs'].max())} per network)."
    )
    table(int8_claims_table(claims), INT8_CLAIM_COLUMNS)
    st.caption(
        f"Claim: {CLAIM}. Difference: SQNR with SE before minus after (dB), paired by recipe and φ > 0, per "
        f"seed, then Student's t 95% interval over seeds. {agreement(claims).capitalize()}."
    )
    table(mean_by_point(frame), INT8_COLUMNS)


drone_tab, thermal_tab, quantization_tab = lazy_tabs(
    "deployment", ("Drone and robot perception", "Thermal throttling", "Quantization noise")
)
if drone_tab is not None:
    with drone_tab:
        cols = st.columns(4)
        number("hw_budget_ms", "Latency budget (ms)", 1.0, "%.1f", container=cols[0])
        number("motion_speed_dps", "Angular speed (°/s)", 10.0, "%.0f", container=cols[1])
        number("motion_exposure_ms", "Exposure (ms)", 1.0, "%.1f", container=cols[2])
        number("motion_fov_deg", "Field of view (°)", 5.0, "%.0f", container=cols[3])
        motion = shown(lambda: Motion(state.motion_speed_dps, state.motion_exposure_ms / 1000, state.motion_fov_deg))
        with st.expander("The model (modelled)"):
            model_notes(drone)
        picked = None
        if profile is not None and motion is not None:
            per_phi = latency_frame(profile, recipe, phis, motion)
            picked = shown(drone_choice, profile, recipe, state.hw_budget_ms, motion)
            measured_ms = None
            if picked is not None:
                cols = metric_row(4)
                cols[0].metric(
                    "Largest φ · modelled", f"{picked.phi:.3f}", help=f"Within the {state.hw_budget_ms:g} ms budget."
                )
                cols[1].metric(
                    "Input · modelled", f"{picked.resolution_px:,} px", help=f"{picked.macs / 1e9:.3f} GMACs"
                )
                cols[2].metric(
                    "Latency · modelled",
                    f"{value_text(picked.predicted_ms)} ms",
                    help="Predicted by the latency model.",
                )
                cols[3].metric("Blur · modelled", f"{picked.blur_px:.2f} px", help="The motion's blur at that input.")
                if st.button("Measure the chosen network on this machine", key="drone_measure"):
                    with st.spinner("Measuring…"):
                        row = shown(
                            lambda: measure_cached(network_at("classification", recipe, picked.phi), options, store)[0]
                        )
                    if row is not None:
                        measured_ms = row["median_ms"]
                        verdict = "meets" if measured_ms <= state.hw_budget_ms else "misses"
                        st.metric(
                            "Measured median · measured",
                            f"{value_text(measured_ms)} ms",
                            delta=f"{verdict} the {state.hw_budget_ms:g} ms budget",
                            delta_color="off",
                        )
            chart(
                figure(
                    latency_figure, per_phi, state.hw_budget_ms, None if picked is None else picked.phi, measured_ms
                ),
                "drone-latency",
            )
            lengths = {f"φ = {phis[-1]:g}": float(per_phi["blur_px"].iloc[-1])} if not per_phi.empty else {}
            if picked is not None:
                lengths = {f"chosen φ = {picked.phi:.2f}": picked.blur_px, **lengths}
            chart(figure(transfer_figure, lengths), "drone-transfer")
        elif motion is not None:
            st.info(
                "The drone's choice of φ needs this machine's latency model (Hardware page); the blur below needs none."
            )
            per_phi = blur_frame(recipe, phis, motion)
            left, right = st.columns(2)
            chart(figure(blur_figure, per_phi), "drone-blur", left)
            lengths = {f"φ = {phis[-1]:g}": float(per_phi["blur_px"].iloc[-1])} if not per_phi.empty else {}
            chart(figure(transfer_figure, lengths), "drone-transfer", right)
        if motion is not None and options is not None:
            runtime_tab = lazy_expander("drone_runtimes", "The largest φ within the budget in each runtime")
            if runtime_tab is not None:
                per_runtime = drone_per_runtime(runtime_models(store, options), recipe, state.hw_budget_ms, motion)
                if per_runtime.empty:
                    runtime_tab.info(
                        "No latency model of any runtime yet: fit one per runtime on the Hardware page, or run "
                        "`python -m scaling_core runtimes`."
                    )
                else:
                    table(per_runtime, RUNTIME_COLUMNS, container=runtime_tab)
                    runtime_tab.caption(
                        f"The Explorer's recipe at its largest φ predicted within {state.hw_budget_ms:g} ms by each "
                        "runtime's latency model (modelled; a runtime with no model here uses the shipped "
                        "comparison's). The sidebar's runtime is the one the rest of the page models and measures."
                    )

        st.subheader("Accuracy under blur, measured on the lab's networks")
        if not records and source:
            st.warning(source)  # a stale shipped file: why nothing is shown
        if not records:
            st.info(
                "No measured deployment results yet: run `python -m scaling_core quantize` (it trains the measured "
                "grid "
                "if needed, then evaluates blur and quantization)."
            )
        else:
            curves = blur_curves(records, SETTINGS.sweeps)
            summary = blur_summary(curves)
            sweep = motion.sweep if motion is not None else 0.0
            nearest = nearest_sweep(SETTINGS.sweeps, sweep)
            chance = 1.0 / dataset_info(MEASURED["dataset"]).classes
            spectrum = dataset_spectrum(MEASURED["dataset"])
            fit = blur_fit(curves, spectrum, chance)
            smallest = min(s for s in SETTINGS.sweeps if s > 0)
            inputs = summary["resolution_px"]
            st.caption(
                f"Source: {source}. {SETTINGS.test_images} test images, blurred along the width by sweep × input px "
                f"pixels. Your motion's sweep ω·t/FOV is {value_text(sweep)}: a blur of {sweep * inputs.min():.2g}–"
                f"{sweep * inputs.max():.2g} px at the lab's {inputs.min()}–{inputs.max()} px inputs. The nearest "
                f"measured "
                f"sweep, {nearest:g}, is shown, with the model at the same sweep (dashed, κ calibrated)."
            )
            if nearest == 0 and sweep > 0:
                st.info(
                    f"Your motion blurs these small inputs by under {smallest / 2 * inputs.max():.1g} px, nearer no "
                    "blur "
                    f"than the smallest measured sweep ({smallest:g}): the chart shows the sharp images. A faster turn "
                    "or a "
                    "longer exposure reaches the measured blurs (the table below has every sweep)."
                )
            chart(
                figure(
                    blur_accuracy_figure,
                    summary,
                    modelled_blur(curves, spectrum, chance, nearest, fit.calibrated_exponent),
                    nearest,
                    sweep,
                ),
                "drone-blur-accuracy",
            )
            turning = pd.concat([best_resolution(summary, s) for s in SETTINGS.sweeps], ignore_index=True)
            st.caption(
                "Where raising the input size stops paying, per measured sweep: the best input and what the largest "
                "input loses against it (measured, points)."
            )
            table(
                turning,
                {
                    "sweep": Column(
                        "Sweep (ω·t/FOV)",
                        decimals=3,
                        help="The share of the field of view the camera turns through in one exposure: the blur is "
                        "sweep × input px pixels long.",
                    ),
                    "best_px": Column("Best input (px)", "integer"),
                    "best_accuracy": Column("Best accuracy (%)", decimals=1),
                    "largest_px": Column("Largest input (px)", "integer"),
                    "loss_at_largest": Column("Loss at largest (points)", decimals=1),
                    "larger_inputs_lose": Column("Larger inputs lose", "flag"),
                },
            )
            cols = metric_row(2)
            cols[0].metric(
                "Blur model error, κ = 1 · modelled",
                f"{fit.rms_points:.1f} points",
                help="Root mean square difference from the measured accuracies, in accuracy points.",
            )
            cols[1].metric(
                f"Calibrated κ = {fit.calibrated_exponent:.2f} · modelled",
                f"{fit.calibrated_rms_points:.1f} points",
                help="The exponent κ fitted to the measurements, and its error in accuracy points.",
            )
            csv_button(summary, "deployment-blur", "Blur measurements as CSV")
if thermal_tab is not None:
    with thermal_tab:
        with st.expander("The model (modelled)"):
            model_notes(thermal)
            st.caption(DEFAULTS["thermal"]["note"] + " Energy defaults: " + DEFAULTS["thermal"]["energy_citation"])
        cols = st.columns(4)
        for i, (name, label, step) in enumerate(
            (
                ("thermal_ambient_c", "Ambient (°C)", 1.0),
                ("thermal_resistance_k_per_w", "Thermal resistance (K/W)", 1.0),
                ("thermal_capacitance_j_per_k", "Heat capacity (J/K)", 1.0),
                ("thermal_throttle_c", "Throttle at (°C)", 1.0),
                ("thermal_hysteresis_k", "Hysteresis (K)", 0.5),
                ("thermal_static_w", "Static power (W)", 0.1),
                ("thermal_pj_per_mac", "Energy per MAC (pJ)", 0.1),
                ("thermal_pj_per_byte", "Energy per byte (pJ)", 10.0),
                ("thermal_target_fps", "Target rate (/s, 0: back to back)", 1.0),
                ("thermal_required_fps", "Required sustained rate (/s)", 1.0),
                ("thermal_duration_s", "Run (s)", 60.0),
                ("thermal_phi", "φ of the trace", 0.25),
            )
        ):
            number(name, label, step, "%g", container=cols[i % 4])  # "1800", "4.6": whole in a quarter of 1000 px
        device = shown(
            lambda: ThermalDevice(
                state.thermal_ambient_c,
                state.thermal_resistance_k_per_w,
                state.thermal_capacitance_j_per_k,
                state.thermal_throttle_c,
                state.thermal_hysteresis_k,
                state.thermal_static_w,
                tuple(DEFAULTS["thermal"]["levels"]),
            )
        )
        energy = EnergyModel(
            state.thermal_pj_per_mac, state.thermal_pj_per_byte, DEFAULTS["thermal"]["bytes_per_value"]
        )
        thermal_table = None
        ceiling = shown(energy_frame, recipe, phis, device, energy) if device is not None else None
        if ceiling is not None and not ceiling.empty:
            reach = ceiling[ceiling["ceiling_fps"] >= max(state.thermal_required_fps, 1e-12)]
            st.metric(
                f"Largest φ under the thermal ceiling at {state.thermal_required_fps:g}/s · modelled",
                "none" if reach.empty else f"{reach['phi'].max():g}",
                help="Whatever the latency: the rate at which the device reaches its throttle temperature at full "
                "clock "
                "is ((T_th − T_amb)/R − P_static) / energy per inference. The latency may lower it further.",
            )
            if not (ceiling["ceiling_fps"] > 0).any():
                st.info(
                    "The static power alone heats the device past its throttle temperature: no rate is sustainable "
                    "unthrottled. Lower the static power or the thermal resistance, or raise the throttle temperature."
                )
        elif device is not None:
            st.info(f"No φ up to {phis[-1]:g} fits the machine's memory plan: lower the largest φ shown.")
        if profile is not None and device is not None:
            thermal_table = shown(
                cached_thermal,
                profile.weights,
                profile.features,
                recipe,
                tuple(phis),
                device,
                energy,
                state.thermal_target_fps,
                state.thermal_duration_s,
            )
        elif device is not None:
            st.info(
                "The throttled throughput and the temperature trace need this machine's latency model (Hardware page); "
                "the thermal ceiling below needs none."
            )
        if thermal_table is not None and not thermal_table.empty:
            pick = thermal_choice(thermal_table, state.thermal_required_fps)
            st.metric(
                f"Largest φ sustaining {state.thermal_required_fps:g}/s · modelled",
                "none" if pick is None else f"{pick['phi']:g}",
                help=None
                if pick is None
                else f"{value_text(pick['sustained_fps'])}/s sustained, {value_text(pick['cold_fps'])}/s cold",
            )
            left, right = st.columns(2)
            chart(figure(throughput_figure, thermal_table, state.thermal_required_fps), "thermal-throughput", left)
            trace = shown(
                thermal_trace,
                profile,
                recipe,
                state.thermal_phi,
                device,
                energy,
                state.thermal_target_fps,
                state.thermal_duration_s,
            )
            if trace is not None:
                chart(figure(thermal_trace_figure, trace, device.throttle_c, state.thermal_phi), "thermal-trace", right)
            else:
                right.info(f"No trace at φ = {state.thermal_phi:g}: see the message above.")
            # What decides the pick, at full width; the energy figures behind the ceiling: in the table without a model.
            table(
                thermal_table,
                THERMAL_COLUMNS,
                first=THERMAL_SHOWN,
                hide=[c for c in thermal_table if c not in THERMAL_SHOWN],
            )
        elif ceiling is not None and not ceiling.empty:
            chart(figure(ceiling_figure, ceiling, state.thermal_required_fps), "thermal-ceiling")
            table(ceiling, THERMAL_COLUMNS)
if quantization_tab is not None:
    with quantization_tab:
        with st.expander("The quantizer and the noise model (modelled)"):
            model_notes(noise_model)
            st.caption(DEFAULTS["quantization"]["note"])
        cols = st.columns(3)
        with cols[0]:
            choice("quant_bits", "Bits of the SE comparison")
        with cols[1]:
            choice("quant_scheme", "Weights quantized", format_func=lambda s: s.replace("_", " "))
        number(
            "quant_gain",
            "Model gain K",
            0.5,
            "%.3f",
            container=cols[2],
            help="K: the mean of each quantizer's downstream gain times its signal's squared crest factor.",
        )
        quant_fit = None
        if records:
            summary = quantization_summary(quantization_curves(records))
            comparison = se_comparison(summary, state.quant_bits)
            quant_fit = shown(quantization_fit, summary, state.quant_gain)
            st.caption(
                f"Source: {source}. The lab's EfficientNet and depth-only networks trained with squeeze-excite after "
                "the depthwise conv (EfficientNet's order) and again with it before; "
                f"{SETTINGS.test_images} test images; SQNR of the logits against the float model; mean over seeds."
            )
            chart(
                figure(sqnr_bits_figure, summary, modelled_sqnr(summary, state.quant_gain), state.quant_scheme),
                "quant-sqnr",
            )
            chart(figure(se_figure, comparison, state.quant_bits), "quant-se")
            table(comparison, SE_COLUMNS)
            st.caption("Accuracy drop (points, measured) against bits:")
            chosen = summary[summary["scheme"] == state.quant_scheme]
            drops = chosen.pivot_table(
                index=["recipe", "se_position", "phi"], columns="bits", values="drop_points", sort=False
            )
            drops.columns = [f"{bits} bits" for bits in drops.columns]
            table(drops.reset_index(), SE_COLUMNS | {c: Column(c, decimals=1) for c in drops.columns})
            if quant_fit is not None:
                cols = metric_row(2)
                cols[0].metric(
                    f"Model error at K = {value_text(state.quant_gain)} · modelled",
                    f"{quant_fit.rms_db:.1f} dB",
                    help="Root mean square difference from the measured SQNR at 4 bits or more.",
                )
                cols[1].metric(
                    "Calibrated K per SE position and scheme · modelled",
                    f"{quant_fit.calibrated_rms_db:.1f} dB",
                    help=", ".join(f"{p}, {s}: K = {k:.2f}" for (p, s), k in quant_fit.calibrated.items()),
                )
            csv_button(summary, "deployment-quantization", "Quantization measurements as CSV")
        int8_section()

share_panel(
    "deployment",
    lambda: view_export(
        state,
        "deployment",
        {
            "measured_source": source,
            "drone": None if picked is None else picked.__dict__,
            "thermal": None if thermal_table is None else json.loads(thermal_table.to_json(orient="records")),
            "quantization_model": None
            if quant_fit is None
            else {"gain": quant_fit.gain, "rms_db": quant_fit.rms_db, "calibrated_rms_db": quant_fit.calibrated_rms_db},
        },
    ),
)
