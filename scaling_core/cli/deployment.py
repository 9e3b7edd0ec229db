"""The `drone`, `thermal` and `quantize` commands: deployment physics, modelled and measured."""

from __future__ import annotations

import argparse
import json

from scaling_core.cli.arguments import (
    EPOCHS,
    LAB_PHIS,
    SEEDS,
    add_measuring_arguments,
    add_store_argument,
    bounded_float,
    bounded_int,
    measuring_options,
)
from scaling_core.cli.hardware import stored_or_fitted_profile
from scaling_core.cli.network import COEFFICIENT
from scaling_core.cli.study import SavedAs, StudyWords, add_run_arguments, lab_budget, measured_records

WORDS = StudyWords(
    "evaluating", "evaluated {} runs", "deployment measurements", "evaluations of the measured grid in the store"
)
INT8_WORDS = StudyWords(
    "running in ONNX Runtime int8",
    "evaluated {} runs in int8",
    "int8 runtime measurements",
    "int8 evaluations of the measured grid in the store",
)


def _recipe_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--alpha", type=COEFFICIENT, default=1.2, help="depth coefficient α in (0, 4] (default EfficientNet's 1.2)"
    )
    parser.add_argument("--beta", type=COEFFICIENT, default=1.1, help="width coefficient β in (0, 4] (default 1.1)")
    parser.add_argument(
        "--gamma", type=COEFFICIENT, default=1.15, help="resolution coefficient γ in (0, 4] (default 1.15)"
    )
    parser.add_argument(
        "--phi-max",
        type=bounded_float(0.5, 8.0),
        help="largest φ tabulated, in [0.5, 8] (default: data/deployment/settings.json)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


def _measured_arguments(parser: argparse.ArgumentParser) -> None:
    from scaling_core.lab.data import dataset_names
    from scaling_core.studies.deployment.measurements import deployment_defaults

    measured = deployment_defaults()["measurement"]
    parser.add_argument(
        "--dataset", default=measured["dataset"], choices=dataset_names(), help="the lab dataset of the measured grid"
    )
    parser.add_argument("--phis", type=LAB_PHIS, default=measured["phis"], help="comma-separated φ values in [0, 8]")
    parser.add_argument("--seeds", type=SEEDS, default=measured["seeds"], help="seeds per configuration, 1 to 20")
    parser.add_argument(
        "--epochs", type=EPOCHS, help="override the lab budget's epochs (default: data/lab/settings.json)"
    )
    add_run_arguments(parser, "deployment/<dataset>.json")


def add_deployment_commands(commands) -> None:
    """Register `drone`, `thermal`, `quantize` and `quantize-int8`."""
    from scaling_core.studies.deployment.measurements import deployment_defaults
    from scaling_core.studies.spectrum.images import spectrum_settings

    defaults = deployment_defaults()
    drone, thermal = defaults["drone"], defaults["thermal"]
    parser = commands.add_parser(
        "drone",
        help="largest φ within a latency budget (modelled, then measured), motion "
        "blur against resolution, accuracy under blur (measured and modelled)",
    )
    _recipe_arguments(parser)
    motion = spectrum_settings().motion
    parser.add_argument(
        "--budget-ms",
        type=bounded_float(0.0, 100_000.0, low_open=True),
        default=drone["budget_ms"],
        help="latency budget (ms)",
    )
    parser.add_argument(
        "--angular-speed", type=bounded_float(0.0, 2000.0), default=motion["angular_speed_dps"], help="°/s, 0 to 2000"
    )
    parser.add_argument(
        "--exposure-ms", type=bounded_float(0.0, 1000.0), default=1000 * motion["exposure_s"], help="exposure (ms)"
    )
    parser.add_argument(
        "--fov", type=bounded_float(1.0, 180.0), default=motion["fov_deg"], help="horizontal field of view (°)"
    )
    parser.add_argument("--remeasure", action="store_true", help="time the chosen network even if the store has it")
    add_measuring_arguments(parser)
    _measured_arguments(parser)

    parser = commands.add_parser(
        "thermal",
        help="sustained against cold-start throughput per φ under a lumped "
        "thermal model with DVFS throttling (modelled)",
    )
    _recipe_arguments(parser)
    # The Thermal page's ranges: a device on a desk or outdoors, up to a day of simulated running.
    for name, key, low, high, what in (
        ("--ambient", "ambient_c", -40.0, 60.0, "ambient temperature (°C)"),
        ("--resistance", "resistance_k_per_w", 0.1, 1000.0, "thermal resistance (K/W)"),
        ("--capacitance", "capacitance_j_per_k", 0.1, 100_000.0, "thermal capacitance (J/K)"),
        ("--throttle", "throttle_c", 0.0, 150.0, "throttle temperature (°C)"),
        ("--hysteresis", "hysteresis_k", 0.1, 50.0, "hysteresis (K)"),
        ("--static-w", "static_w", 0.0, 100.0, "static power (W)"),
        ("--pj-per-mac", "pj_per_mac", 0.01, 10_000.0, "energy per MAC (pJ)"),
        ("--pj-per-byte", "pj_per_byte", 0.0, 100_000.0, "energy per byte (pJ)"),
        ("--target-fps", "target_fps", 0.0, 1000.0, "target frame rate (frames/s, 0: back to back)"),
        ("--required-fps", "required_fps", 0.0, 1000.0, "sustained frames/s the pick must meet"),
        ("--duration", "duration_s", 10.0, 100_000.0, "duration (s; sustained: the mean over the last third)"),
    ):
        parser.add_argument(
            name,
            type=bounded_float(low, high, what=what),
            default=thermal[key],
            help=f"{what}, {low:g} to {high:g} (default {thermal[key]:g})",
        )
    add_measuring_arguments(parser)

    parser = commands.add_parser(
        "quantize",
        help="fake-quantize the lab's networks (SE before or after the "
        "depthwise conv): output SQNR and accuracy against bits and φ "
        "(measured), and the noise-accumulation model",
    )
    bits = defaults["quantization"]["bits"]
    parser.add_argument(
        "--bits",
        type=bounded_int(1, max(bits)),
        default=4,
        choices=bits,
        help="the bit width of the SE comparison, one of those measured (default 4)",
    )
    parser.add_argument(
        "--gain",
        type=bounded_float(0.001, 1_000_000.0),
        default=defaults["quantization"]["gain"],
        help="the model's gain K (default: data/deployment/settings.json)",
    )
    add_store_argument(parser, "SQLAlchemy URL of the results store (default: SCALING_LAB_STORE_URL)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    _measured_arguments(parser)
    add_int8_command(commands)


def add_int8_command(commands) -> None:
    """Register `quantize-int8`: the quantization study's claim from ONNX Runtime int8."""
    parser = commands.add_parser(
        "quantize-int8",
        help="run the lab's trained networks (SE before or after the depthwise conv) in ONNX Runtime int8: SQNR and "
        "accuracy beside the simulated quantizer, and the claim's verdict from each",
    )
    add_store_argument(parser, "SQLAlchemy URL of the results store (default: SCALING_LAB_STORE_URL)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    _measured_arguments(parser)


def run_quantize_int8(args: argparse.Namespace) -> int:
    """Train and evaluate what the grids lack, then the int8 runtime's SQNR beside the simulation's and the claim."""
    from scaling_core.app.views.deployment import int8_records_for, records_for
    from scaling_core.storage.store import Store
    from scaling_core.studies.deployment.measurements import deployment_evaluation, deployment_grids
    from scaling_core.studies.deployment.runtime_int8 import (
        CLAIM,
        RUNTIME_INT8_VERSION,
        agreement,
        int8_claims,
        int8_evaluation,
        int8_settings,
        mean_by_point,
        paired_frame,
    )
    from scaling_core.studies.protocol import evaluate_runs

    store, budget = Store(args.store), lab_budget(args.epochs)
    measured = (args.dataset, args.phis, args.seeds, budget)
    records, source = measured_records(
        args,
        INT8_WORDS,
        lambda progress, scheduler: sum(  # the simulated quantizer's too, so the two are compared run for run
            evaluate_runs(
                evaluation(*measured), store, args.workers, progress, scheduler, train=deployment_grids(*measured)
            )
            for evaluation in (deployment_evaluation, int8_evaluation)
        ),
        lambda: int8_records_for(args.dataset, args.phis, args.seeds, store, budget),
        SavedAs(args.dataset, int8_settings().__dict__, RUNTIME_INT8_VERSION),
    )
    simulated, _ = records_for(args.dataset, args.phis, args.seeds, store, budget)
    frame = paired_frame(records, simulated)
    claims = int8_claims(frame)
    if args.json:
        print(
            json.dumps(
                {
                    "source": source,
                    "claim": CLAIM,
                    "verdicts": [c.__dict__ for c in claims],
                    "agreement": agreement(claims),
                    "per_point": _frame_json(mean_by_point(frame)),
                    "runs": _frame_json(frame),
                },
                indent=2,
            )
        )
        return 0
    print(f"ONNX Runtime int8 beside the simulated quantizer — {source}")
    print(mean_by_point(frame).to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print(f"\nclaim: {CLAIM} (SQNR with SE before minus after, dB, paired by recipe and φ > 0, per seed)")
    for claim in claims:
        interval = "—" if claim.interval is None else f"[{claim.interval[0]:+.2f}, {claim.interval[1]:+.2f}]"
        difference = "—" if claim.difference is None else f"{claim.difference:+.2f}"
        print(f"  {claim.source}: {difference} dB {interval}, {claim.seeds} seeds: {claim.verdict}")
    print(f"  {agreement(claims)}")
    return 0


def _phis(args: argparse.Namespace) -> list[float]:
    from scaling_core.app.views.deployment import phi_grid
    from scaling_core.studies.deployment.measurements import deployment_defaults

    return phi_grid(deployment_defaults()["drone"]["phi_max"] if args.phi_max is None else args.phi_max)


def _measured_records(args: argparse.Namespace, store) -> tuple[list[dict], str]:
    """Train and evaluate what the measured grids lack (unless --no-run), then the records and their source."""
    from scaling_core.app.views.deployment import records_for
    from scaling_core.studies.deployment.measurements import (
        DEPLOYMENT_VERSION,
        deployment_evaluation,
        deployment_grids,
        measure_settings,
    )
    from scaling_core.studies.protocol import evaluate_runs

    budget = lab_budget(args.epochs)
    measured = (args.dataset, args.phis, args.seeds, budget)
    return measured_records(
        args,
        WORDS,
        lambda progress, scheduler: evaluate_runs(
            deployment_evaluation(*measured),
            store,
            args.workers,
            progress,
            scheduler,
            train=deployment_grids(*measured),
        ),
        lambda: records_for(args.dataset, args.phis, args.seeds, store, budget),
        SavedAs(args.dataset, measure_settings().__dict__, DEPLOYMENT_VERSION),
    )


def _frame_json(frame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))


def run_drone(args: argparse.Namespace) -> int:
    """The largest φ within the budget (predicted, then measured), blur per φ, and accuracy under blur."""
    import pandas as pd

    from scaling_core.core.recipe import Recipe
    from scaling_core.hardware.measure import measure_cached
    from scaling_core.hardware.optimize import network_at
    from scaling_core.lab.data import dataset_info
    from scaling_core.storage.store import Store
    from scaling_core.studies.deployment.drone import (
        best_resolution,
        blur_curves,
        blur_fit,
        blur_summary,
        dataset_spectrum,
        drone_choice,
        latency_frame,
    )
    from scaling_core.studies.deployment.measurements import measure_settings
    from scaling_core.studies.spectrum.motion_blur import Motion

    recipe, motion = (
        Recipe(args.alpha, args.beta, args.gamma),
        Motion(args.angular_speed, args.exposure_ms / 1000, args.fov),
    )
    store, options = Store(args.store), measuring_options(args)
    profile = stored_or_fitted_profile(store, options).model
    choice = drone_choice(profile, recipe, args.budget_ms, motion)
    row, cached = measure_cached(
        network_at("classification", recipe, choice.phi), options, store, remeasure=args.remeasure
    )
    per_phi = latency_frame(profile, recipe, _phis(args), motion)
    records, source = _measured_records(args, store)
    sweeps = measure_settings().sweeps
    curves = blur_curves(records, sweeps)
    summary = blur_summary(curves)
    fit = blur_fit(curves, dataset_spectrum(args.dataset), 1.0 / dataset_info(args.dataset).classes)
    turns = [best_resolution(summary, s) for s in sweeps]
    result = {
        "budget_ms": args.budget_ms,
        "threads": options.threads,
        "sweep": motion.sweep,
        "choice": {
            **choice.__dict__,
            "measured_median_ms": row["median_ms"],
            "measured_best_ms": row["best_ms"],
            "meets_budget_measured": row["median_ms"] <= args.budget_ms,
            "measured_from_store": cached,
        },
        "per_phi": _frame_json(per_phi),
        "blur_source": source,
        "blur_measured": _frame_json(summary),
        "best_resolution": [r for t in turns for r in _frame_json(t)],
        "blur_model": fit.__dict__,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"largest φ within {args.budget_ms:g} ms (α={args.alpha:g}, β={args.beta:g}, γ={args.gamma:g}, "
        f"{options.threads} thread(s)): φ = {choice.phi:.3f} → {choice.resolution_px} px, predicted "
        f"{choice.predicted_ms:.1f} ms (modelled); measured median {row['median_ms']:.1f} ms, best "
        f"{row['best_ms']:.1f} ms{' (from the store; --remeasure to time it again)' if cached else ''}: "
        f"{'meets' if row['median_ms'] <= args.budget_ms else 'misses'} the budget"
    )
    print(f"blur at that size: {choice.blur_px:.2f} px (sweep ω·t/FOV = {motion.sweep:.4f}; modelled)\n")
    print(per_phi.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print(f"\naccuracy (%) under blur on the lab networks, mean over seeds — {source}")
    print(
        summary.pivot_table(
            index=["recipe", "phi", "resolution_px"], columns="sweep", values="accuracy_mean", sort=False
        ).to_string(float_format=lambda v: f"{v:.1f}")
    )
    print("\nbest input size per sweep (measured):")
    print(pd.concat(turns, ignore_index=True).to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print(
        "\nblur model (modelled, scaling_core/studies/deployment/drone.py): "
        f"RMS {fit.rms_points:.1f} points at κ = {fit.exponent:g}, "
        f"{fit.calibrated_rms_points:.1f} at the calibrated κ = {fit.calibrated_exponent:.2f}"
    )
    return 0


def run_thermal(args: argparse.Namespace) -> int:
    """Per φ: energy, latency, cold and sustained throughput; the largest φ that sustains the required rate."""
    from dataclasses import replace

    from scaling_core.app.views.deployment import default_device, default_energy, thermal_choice, thermal_frame
    from scaling_core.core.recipe import Recipe
    from scaling_core.storage.store import Store
    from scaling_core.studies.deployment.thermal import ThermalDevice

    device = ThermalDevice(
        args.ambient,
        args.resistance,
        args.capacitance,
        args.throttle,
        args.hysteresis,
        args.static_w,
        default_device().levels,
    )
    energy = replace(default_energy(), pj_per_mac=args.pj_per_mac, pj_per_byte=args.pj_per_byte)
    store, options = Store(args.store), measuring_options(args)
    profile = stored_or_fitted_profile(store, options).model
    frame = thermal_frame(
        profile, Recipe(args.alpha, args.beta, args.gamma), _phis(args), device, energy, args.target_fps, args.duration
    )
    pick = thermal_choice(frame, args.required_fps)
    if args.json:
        print(
            json.dumps(
                {
                    "device": device.__dict__,
                    "energy": energy.__dict__,
                    "target_fps": args.target_fps,
                    "required_fps": args.required_fps,
                    "per_phi": _frame_json(frame),
                    "choice": None if pick is None else json.loads(pick.to_json()),
                },
                indent=2,
            )
        )
        return 0
    print(
        f"thermal model (modelled, scaling_core/studies/deployment/thermal.py): R {device.resistance_k_per_w:g} K/W, C "
        f"{device.capacitance_j_per_k:g} J/K, throttle {device.throttle_c:g} °C, static {device.static_w:g} W; "
        f"{energy.pj_per_mac:g} pJ/MAC, {energy.pj_per_byte:g} pJ/byte; latency from this machine's model\n"
    )
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(
        f"\nlargest φ sustaining {args.required_fps:g} inferences/s: "
        + ("none" if pick is None else f"φ = {pick['phi']:g} ({pick['sustained_fps']:.1f}/s sustained)")
    )
    return 0


def run_quantize(args: argparse.Namespace) -> int:
    """Measured SQNR and accuracy drop against bits, φ and SE position; the noise model's fit."""
    from scaling_core.app.views.deployment import (
        quantization_curves,
        quantization_fit,
        quantization_summary,
        se_comparison,
    )
    from scaling_core.storage.store import Store

    records, source = _measured_records(args, Store(args.store))
    summary = quantization_summary(quantization_curves(records))
    comparison = se_comparison(summary, args.bits)
    fit = quantization_fit(summary, args.gain)
    calibrated = {f"{p}, {s}": k for (p, s), k in fit.calibrated.items()}
    if args.json:
        print(
            json.dumps(
                {
                    "source": source,
                    "bits": args.bits,
                    "se_comparison": _frame_json(comparison),
                    "summary": _frame_json(summary),
                    "model": {
                        "gain": fit.gain,
                        "rms_db": fit.rms_db,
                        "calibrated_gain": calibrated,
                        "calibrated_rms_db": fit.calibrated_rms_db,
                    },
                },
                indent=2,
            )
        )
        return 0
    print(f"output SQNR (dB) at {args.bits} bits, mean over seeds, SE after / before the depthwise conv — {source}")
    print(comparison.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print("\naccuracy drop (points) against bits, per tensor, mean over seeds:")
    chosen = summary[summary["scheme"] == "per_tensor"]
    print(
        chosen.pivot_table(
            index=["recipe", "se_position", "phi"], columns="bits", values="drop_points", sort=False
        ).to_string(float_format=lambda v: f"{v:.1f}")
    )
    print(
        "\nnoise model (modelled, scaling_core/studies/deployment/quantize.py): "
        f"RMS {fit.rms_db:.1f} dB at K = {fit.gain:g}; "
        f"{fit.calibrated_rms_db:.1f} dB with K calibrated per SE position and scheme: "
        + ", ".join(f"{k} {v:.2f}" for k, v in calibrated.items())
    )
    return 0


DEPLOYMENT_COMMANDS = {
    "drone": run_drone,
    "thermal": run_thermal,
    "quantize": run_quantize,
    "quantize-int8": run_quantize_int8,
}
