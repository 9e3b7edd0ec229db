"""The hardware commands: `bench` (measure), `fit-latency` (plan, measure, fit, score), `optimize`."""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import sys
from pathlib import Path

from scaling_core.cli.arguments import (
    SEED,
    OutputFile,
    SchedulerAddress,
    add_measuring_arguments,
    add_store_argument,
    bounded_float,
    bounded_int,
    measuring_options,
)
from scaling_core.cli.network import add_network_arguments, resolve_arch
from scaling_core.cli.progress import progress_bar
from scaling_core.core.base import available_bases
from scaling_core.core.errors import ConfigError
from scaling_core.core.rules import COMPARED_RULES

MAX_BENCH_NETWORKS = 64  # presets × φ measured by one bench: minutes, not hours


def add_fleet_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """--fleet and --scheduler: measure on every worker of a Dask cluster, each a device of its own."""
    parser.add_argument(
        "--fleet",
        action="store_true",
        help=f"{what} on every worker of the cluster at --scheduler, each with its own threads (or its GPU with "
        "--device cuda), stored per device fingerprint",
    )
    parser.add_argument(
        "--scheduler", type=SchedulerAddress(), help="the Dask scheduler of --fleet (default: SCALING_LAB_SCHEDULER)"
    )


def add_hardware_commands(commands) -> None:
    """Register bench, fit-latency and optimize on the CLI's sub-parsers."""
    from scaling_core.hardware.latency_model import FEATURES, PLANS, default_plan
    from scaling_core.hardware.optimize import OBJECTIVES

    bench = commands.add_parser("bench", help="measure the latency of one or many networks (stored, reused)")
    add_network_arguments(bench, many=True)
    add_measuring_arguments(bench)
    bench.add_argument("--remeasure", action="store_true", help="measure even if the store has this measurement")
    bench.add_argument(
        "--csv", type=OutputFile(), help="also write the rows to this CSV file (its folder checked before measuring)"
    )
    bench.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_fleet_arguments(bench, "measure the networks (always afresh)")

    fit = commands.add_parser("fit-latency", help="measure a sampling plan, fit the latency model, score it")
    add_measuring_arguments(fit)
    fit.add_argument(
        "--plan",
        default="full",
        choices=PLANS,
        help="the sampling plan: full (about 3 minutes on a quiet 2-core machine) or quick (under a minute, fewer "
        "networks and rounds over the same region; its profile is marked quick)",
    )
    fit.add_argument(
        "--train", type=bounded_int(len(FEATURES), 500), help="training configurations (default: the plan's)"
    )
    fit.add_argument("--test", type=bounded_int(2, 200), help="held-out configurations (default: the plan's)")
    fit.add_argument("--rounds", type=bounded_int(1, 10), help="interleaved measuring rounds (default: the plan's)")
    fit.add_argument("--seed", type=SEED, help="sampling seed (default: the plan's)")
    fit.add_argument(
        "--calibrate",
        type=bounded_int(2, 100),
        metavar="N",
        help="quick calibration of a new device or runtime: measure only the plan's first N networks (10 is "
        "typical) and its held-out ones, and adapt the models the store holds for other pairs (HELP's idea)",
    )
    fit.add_argument(
        "--calibration-study",
        action="store_true",
        help="measure nothing: for each stored pair as the new one, the held-out error of calibration from N "
        "measurements (N: data/hardware/settings.json's calibration_sizes) against a model from scratch on the same "
        "N and the model fitted on all",
    )
    fit.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_fleet_arguments(fit, "measure the plan and fit one latency model per device")

    families = commands.add_parser(
        "families",
        help="time every base × rule × FLOP scale on this machine; rank latency by MACs, activations, the model",
    )
    add_measuring_arguments(families)
    families.add_argument(
        "--bases",
        nargs="+",
        choices=available_bases(),
        metavar="BASE",
        help="bases to scale, of the shipped base specs (default: data/hardware/settings.json)",
    )
    families.add_argument("--rules", nargs="+", choices=COMPARED_RULES, help="the rules (default: all of them)")
    families.add_argument(
        "--scales", nargs="+", type=bounded_float(1.0, 64.0), help="FLOP scales in [1, 64] (default: 1 2 4)"
    )
    families.add_argument("--no-run", action="store_true", help="report what the store holds; measure nothing")
    add_fleet_arguments(families, "measure the networks and decide the claim")
    families.add_argument("--save-to", type=OutputFile(), help="also write the table and verdict as JSON here")
    families.add_argument("--json", action="store_true", help="print JSON instead of text")

    compared = commands.add_parser(
        "runtimes",
        help="fit a latency model per runtime (data/hardware/settings.json), the calibration study, and where the "
        "best recipe under a budget differs between runtimes",
    )
    add_store_argument(compared)
    compared.add_argument("--remeasure", action="store_true", help="fit even where the store has a current model")
    compared.add_argument("--save-to", type=OutputFile(), help="also write the comparison as JSON here")
    compared.add_argument("--json", action="store_true", help="print JSON instead of text")

    opt = commands.add_parser("optimize", help="best recipe and φ under a latency budget; the winner is measured")
    add_measuring_arguments(opt)
    opt.add_argument(
        "--budget-ms",
        type=bounded_float(0.0, 100_000.0, low_open=True),
        default=30.0,
        help="latency budget in milliseconds (default 30)",
    )
    opt.add_argument(
        "--head",
        default="classification",
        choices=default_plan()["heads"],
        help="a head the latency model was fitted on",
    )
    opt.add_argument("--objective", default="macs", choices=tuple(OBJECTIVES), help="what to maximise (default: macs)")
    opt.add_argument("--json", action="store_true", help="print JSON instead of text")


def single_network(args: argparse.Namespace, preset: str | None, phi: float | None) -> argparse.Namespace:
    """The arguments naming one of a bench's networks: one preset or one φ."""
    single = copy.copy(args)
    single.preset, single.phi = preset, phi
    return single


def run_bench(args: argparse.Namespace) -> int:
    """Measure every network the arguments name; rows from the store unless --remeasure."""
    import pandas as pd

    from scaling_core.app.export import csv_text
    from scaling_core.hardware.measure import measure_cached
    from scaling_core.storage.store import Store, shown_url

    variants = list(itertools.product(args.preset or [None], args.phi or [None]))
    if len(variants) > MAX_BENCH_NETWORKS:
        raise ConfigError("--preset × --phi", f"{len(variants)} networks", f"at most {MAX_BENCH_NETWORKS} per bench")
    networks = [resolve_arch(single_network(args, preset, phi)) for preset, phi in variants]  # all checked first
    store, options = Store(args.store), measuring_options(args)
    if args.fleet:
        return run_bench_fleet(args, networks, options, store)
    rows = []
    with progress_bar("measuring", unit="network") as progress:
        for network in networks:
            row, cached = measure_cached(network, options, store, remeasure=args.remeasure)
            machine = json.loads(row["fingerprint"])
            rows.append(
                row
                | {
                    "runtime": machine.get("runtime") or "eager",
                    "runtime_version": machine.get("runtime_version") or machine["torch_version"],
                    "precision": machine.get("precision") or "fp32",
                    "served_from_store": cached,
                    "fingerprint": machine,
                    "network": json.loads(row["network"]),
                }
            )
            progress(len(rows), len(networks))
    if args.csv:
        columns = [k for k in rows[0] if k not in ("network", "fingerprint")]
        # A label comes from the user's --base spec: written neutralised, like every CSV of the app.
        Path(args.csv).write_text(csv_text(pd.DataFrame(rows, columns=columns)), newline="")
    if args.json:
        print(json.dumps(rows if len(rows) > 1 else rows[0], indent=2, default=str))
    else:
        print(f"{'network':<48}{'best ms':>10}{'median':>10}{'p10':>10}{'p90':>10}{'runs':>7}  source")
        for row in rows:
            print(
                f"{row['label'][:47]:<48}{row['best_ms']:>10.2f}{row['median_ms']:>10.2f}{row['p10_ms']:>10.2f}"
                f"{row['p90_ms']:>10.2f}{row['runs']:>7}  {'store' if row['served_from_store'] else 'measured'}"
            )
        fp = rows[0]["fingerprint"]
        runtime = f"{rows[0]['runtime']} {rows[0]['runtime_version']} {rows[0]['precision']}"
        print(
            f"measured on {fp['device_name']} ({fp['logical_cores']} logical cores, {runtime}, "
            f"{options.threads} thread(s), batch {options.batch_size}, {options.memory_format}); "
            f"fingerprint {fp['id']}; store {shown_url(store.url)}"
        )
    return 0


def run_fit_latency(args: argparse.Namespace) -> int:
    """Plan, measure, fit and score the latency model; print the held-out figures and the noise floor."""
    from scaling_core.hardware.latency_model import fit_latency, named_plan, plan_timings
    from scaling_core.storage.store import Store, shown_url

    plan = named_plan(args.plan)
    for name in ("train", "test", "rounds", "seed"):
        if getattr(args, name) is not None:
            plan[name] = getattr(args, name)
    options = measuring_options(args, plan["min_run_time_s"])
    store = Store(args.store)
    if args.calibration_study:
        return print_calibration_study(store, args.json)
    if args.calibrate is not None:
        if args.fleet:
            raise ConfigError("--calibrate", args.calibrate, "without --fleet (one new pair at a time)")
        return run_calibrate(args, plan, options, store)
    if args.fleet:
        return run_fit_fleet(args, plan, options, store)
    with progress_bar(f"measuring the {args.plan} plan ({plan_timings(plan)} timings)", unit="timing") as progress:
        report = fit_latency(options, store, plan, progress)
    result = {
        "noise_floor_within_10pct": report.noise_floor,
        "model": report.model_scores.__dict__,
        "flops_only_baseline": report.baseline_scores.__dict__,
        "model_weights": dict(zip(report.model.features, report.model.weights)),
        "baseline_weights": dict(zip(report.baseline.features, report.baseline.weights)),
        "train": report.train_size,
        "test": len(report.test_measured_ms),
        "plan": args.plan,
        "rounds": plan["rounds"],
        "min_run_time_s": options.min_run_time_s,
        "threads": options.threads,
        "store": shown_url(store.url),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    m, b = report.model_scores, report.baseline_scores
    print(
        f"{report.train_size} training and {len(report.test_measured_ms)} held-out networks, "
        f"{options.threads} thread(s); profile saved in {shown_url(store.url)}"
    )
    print(f"noise floor (re-measurement within ±10%): {report.noise_floor:.1%}")
    print_scores("our model", m, b)
    return 0


def print_scores(name: str, model, baseline) -> None:
    """A model's held-out scores and the FLOPs-only line's, a line each."""
    for label, scores in ((name, model), ("FLOPs-only line", baseline)):
        print(
            f"{label + ':':<17}within ±10% {scores.within_10pct:.1%}   MAPE {scores.mape:.1%}   "
            f"Kendall τ {scores.kendall_tau:.3f}"
        )


def run_calibrate(args: argparse.Namespace, plan: dict, options, store) -> int:
    """Quick calibration of this machine's runtime and setup; its held-out scores and what it started from."""
    from scaling_core.hardware.calibration import calibrate_latency
    from scaling_core.hardware.measure import machine_of
    from scaling_core.storage.store import shown_url

    timings = plan["rounds"] * (args.calibrate + 2 * plan["test"])
    with progress_bar(f"measuring {args.calibrate} networks and the held-out ones ({timings} timings)") as progress:
        report, calibrated = calibrate_latency(options, store, args.calibrate, plan, progress)
    m, b = report.model_scores, report.baseline_scores
    result = {
        "device": machine_of(options).label,
        "calibration_networks": args.calibrate,
        "held_out": len(report.test_measured_ms),
        "noise_floor_within_10pct": report.noise_floor,
        "model": m.__dict__,
        "flops_only_same_n": b.__dict__,
        "prior_speed_factor": calibrated.factor,
        "ridge": calibrated.ridge,
        "plan": report.plan,
        "store": shown_url(store.url),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"{result['device']}: calibrated from {args.calibrate} measurements and the store's other models "
        f"(nearest ×{calibrated.factor:.2f}, ridge {calibrated.ridge:g}); profile saved in {result['store']}"
    )
    print(
        f"held out: {len(report.test_measured_ms)} networks; noise floor (re-measurement within ±10%): "
        f"{report.noise_floor:.1%}"
    )
    print_scores("calibrated", m, b)
    return 0


def print_calibration_study(store, as_json: bool) -> int:
    """The calibration study from the store's fitted pairs (nothing measured)."""
    from scaling_core.hardware.calibration import calibration_study
    from scaling_core.hardware.runtime_comparison import runtime_settings

    study = calibration_study(store, runtime_settings().calibration_sizes)
    if as_json:
        print(study.to_json(orient="records", indent=2))
        return 0
    for pair, rows in study.groupby("pair", sort=False):
        print(f"{pair} (held out: {rows['held_out'].iloc[0]} networks, noise floor {rows['noise_floor'].iloc[0]:.0%})")
        for row in rows.itertuples():
            print(
                f"  N = {row.n:>3}  {row.method:<36} within ±10% {row.within_10pct:>6.1%}   MAPE {row.mape:>6.1%}   "
                f"Kendall τ {row.kendall_tau:.3f}"
            )
    return 0


def run_runtimes(args: argparse.Namespace) -> int:
    """Fit (or read) each compared runtime's latency model, then the calibration study and the best recipes."""
    import time

    from scaling_core.hardware.calibration import calibration_study
    from scaling_core.hardware.latency_model import fit_latency, named_plan, stored_profile
    from scaling_core.hardware.measure import MeasureOptions, machine_of
    from scaling_core.hardware.provenance import provenance
    from scaling_core.hardware.runtime_comparison import (
        RuntimeModel,
        accuracy_frame,
        best_recipes,
        runtime_name,
        runtime_settings,
    )
    from scaling_core.storage.store import Store

    settings, store, started = runtime_settings(), Store(args.store), time.perf_counter()
    plan = named_plan(settings.plan)
    models = []
    for entry in settings.compared:
        options = MeasureOptions(
            threads=settings.threads,
            min_run_time_s=plan["min_run_time_s"],
            runtime=entry.runtime,
            precision=entry.precision,
        )
        try:
            machine = machine_of(options)
        except ConfigError as missing:  # a runtime not installed here: said, and the others go on
            sys.stderr.write(f"skipped {runtime_name(entry.runtime, entry.precision)}: {missing}\n")
            continue
        report = None if args.remeasure else stored_profile(store, options)
        if report is None or report.plan != settings.plan:
            name = runtime_name(entry.runtime, entry.precision)
            with progress_bar(f"fitting {name} ({settings.plan} plan)", unit="timing") as progress:
                report = fit_latency(options, store, plan, progress)
        version = machine.runtime_version or machine.torch_version
        models.append(RuntimeModel(entry.runtime, entry.precision, version, machine.id, report))
    if not models:
        raise ConfigError("runtimes", "none installed", "at least one of data/hardware/settings.json's runtimes")
    accuracy = accuracy_frame(models)
    ids = {m.fingerprint_id for m in models}
    calibration = None
    if len(models) > 1:
        calibration = calibration_study(store, settings.calibration_sizes, ids, settings.threads)
        calibration["runtime"] = calibration["fingerprint_id"].map({m.fingerprint_id: m.name for m in models})
    best = best_recipes(models, settings.budgets_ms)
    document = {
        "command": "python -m scaling_core runtimes --save-to data/hardware/runtimes-latency.json",
        "threads": settings.threads,
        "plan": settings.plan,
        "wall_time_s": round(time.perf_counter() - started, 1),
        "provenance": provenance(),
        "accuracy": json.loads(accuracy.to_json(orient="records")),
        "calibration": [] if calibration is None else json.loads(calibration.to_json(orient="records")),
        "best_recipes": json.loads(best.to_json(orient="records")),
        "models": {m.name: {"features": m.report.model.features, "weights": m.report.model.weights} for m in models},
    }
    if args.save_to:
        Path(args.save_to).write_text(json.dumps(document, indent=1))
    if args.json:
        print(json.dumps(document, indent=2))
        return 0
    print(f"latency models per runtime ({settings.plan} plan, {settings.threads} thread(s)), held out:")
    for row in accuracy.itertuples():
        print(
            f"  {row.runtime:<24} model within ±10% {row.model_within_10pct:5.1f}%  MAPE {row.model_mape:5.1f}%  "
            f"τ {row.model_kendall_tau:.3f} | FLOPs-only {row.flops_within_10pct:5.1f}%  MAPE {row.flops_mape:5.1f}%"
            f" | re-measurement floor {row.noise_floor:5.1f}%"
        )
    if calibration is not None:
        print("few-sample calibration (each pair in turn the new one; held-out MAPE):")
        for (pair, n), rows in calibration.groupby(["pair", "n"], sort=False):
            cells = "  ".join(f"{r.method}: {r.mape:.1%}" for r in rows.itertuples())
            print(f"  {pair}, N = {n}: {cells}")
    print("best recipe under each budget, by each runtime's model:")
    for row in best.itertuples():
        flag = "  (differs from eager)" if getattr(row, "differs_from_eager", False) is True else ""
        print(f"  {row.budget_ms:>5g} ms  {row.runtime:<24} {row.recipe}, φ {row.phi}{flag}")
    return 0


def fleet_address(args: argparse.Namespace) -> str:
    """The scheduler --fleet measures on: --scheduler, else SCALING_LAB_SCHEDULER; ConfigError if neither."""
    from scaling_core.executor.cluster import ALLOWED, scheduler_address

    address = scheduler_address(args.scheduler)
    if address is None:
        raise ConfigError("--scheduler", "", f"with --fleet, {ALLOWED} (or SCALING_LAB_SCHEDULER)")
    return address


def network_name(network) -> str:
    """A network's label, or (a recipe without one) its head, resolution and multipliers."""
    from scaling_core.tasks.heads import as_task

    task = as_task(network)
    m = task.multipliers
    return task.label or f"{task.task} {task.backbone.resolution_px} px d×{m.depth:.2f} w×{m.width:.2f}"


def report_failures(results) -> int:
    """Say on stderr which devices failed and why; the exit code (1 if any did)."""
    for result in results:
        if result.error:
            sys.stderr.write(f"worker {result.worker.address} ({result.worker.host}): {result.error}\n")
    return 1 if any(result.error for result in results) else 0


def run_bench_fleet(args: argparse.Namespace, networks: list, options, store) -> int:
    """Measure the networks on every device of the cluster, store them per fingerprint, print device × network."""
    import pandas as pd

    from scaling_core.app.export import csv_text
    from scaling_core.executor.cluster import connect
    from scaling_core.hardware.fleet import measure_fleet, store_fleet
    from scaling_core.hardware.measure import measurement_row
    from scaling_core.storage.store import shown_url
    from scaling_core.tasks.heads import as_task

    address = fleet_address(args)
    with connect(address) as client, progress_bar("measuring the fleet", unit="device") as progress:
        results = measure_fleet(client, networks, options, progress=progress)
    store_fleet(networks, results, store)
    measured = [r for r in results if r.fingerprint is not None]
    if args.csv and measured:
        rows = [measurement_row(as_task(n), m) for r in measured for n, m in zip(networks, r.measurements)]
        columns = [k for k in rows[0] if k not in ("network", "fingerprint")]
        Path(args.csv).write_text(csv_text(pd.DataFrame(rows, columns=columns)), newline="")
    if args.json:
        devices = [
            {
                "worker": r.worker.address,
                "host": r.worker.host,
                "threads": r.worker.threads,
                "fingerprint": r.fingerprint.as_dict() if r.fingerprint else None,
                "label": r.fingerprint.label if r.fingerprint else None,
                "measurements": [
                    {"network": network_name(n)} | {k: v for k, v in m.as_dict().items() if k != "fingerprint"}
                    for n, m in zip(networks, r.measurements)
                ],
                "error": r.error or None,
            }
            for r in results
        ]
        print(json.dumps(devices, indent=2))
        return report_failures(results)
    table = pd.DataFrame(
        [[m.median_ms for m in r.measurements] for r in measured],
        index=[f"{r.fingerprint.label} [{r.fingerprint.id}]" for r in measured],  # whole: a cut label names no device
        columns=[network_name(n)[:40] for n in networks],
    )
    if measured:
        print("median ms per call (measured), device × network:")
        print(table.to_string(float_format=lambda v: f"{v:.2f}"))
    print(
        f"{len(measured)} of {len(results)} device(s) measured on {address}, batch {options.batch_size}, "
        f"{options.memory_format}; store {shown_url(store.url)}"
    )
    return report_failures(results)


def run_fit_fleet(args: argparse.Namespace, plan: dict, options, store) -> int:
    """Measure the plan on every device of the cluster and fit one latency model per device fingerprint."""
    from scaling_core.executor.cluster import connect
    from scaling_core.hardware.fleet import fit_fleet
    from scaling_core.storage.store import shown_url

    address = fleet_address(args)
    with connect(address) as client, progress_bar(f"measuring the {args.plan} plan on the fleet", unit="device") as p:
        fitted = fit_fleet(client, options, store, plan, p)
    devices = [
        {
            "worker": result.worker.address,
            "threads": result.worker.threads,
            "fingerprint_id": result.fingerprint.id if result.fingerprint else None,
            "label": result.fingerprint.label if result.fingerprint else None,
            "noise_floor_within_10pct": report.noise_floor if report else None,
            "model": report.model_scores.__dict__ if report else None,
            "flops_only_baseline": report.baseline_scores.__dict__ if report else None,
            "error": result.error or None,
        }
        for result, report in fitted
    ]
    if args.json:
        print(json.dumps({"plan": args.plan, "store": shown_url(store.url), "devices": devices}, indent=2))
        return report_failures([result for result, _ in fitted])
    for device, (_, report) in zip(devices, fitted):
        if report is None:
            continue
        m = report.model_scores
        print(
            f"{device['label']} [{device['fingerprint_id']}]: within ±10% {m.within_10pct:.1%}, MAPE {m.mape:.1%}, "
            f"Kendall τ {m.kendall_tau:.3f} (noise floor {report.noise_floor:.1%})"
        )
    models = sum(report is not None for _, report in fitted)
    print(f"{models} latency model(s) fitted ({args.plan} plan) on {address}; profiles saved in {shown_url(store.url)}")
    return report_failures([result for result, _ in fitted])


def stored_or_fitted_profile(store, options):
    """The store's latency profile for this machine and setup, fitted first (minutes, with progress) if missing or
    fitted by another version of the model."""
    from scaling_core.hardware.latency_model import fit_latency, stored_profile

    report = stored_profile(store, options)
    if report is not None:
        return report
    sys.stderr.write("no current latency profile for this machine and setup in the store: running fit-latency first\n")
    with progress_bar("fitting", unit="timing") as progress:
        return fit_latency(options, store, progress=progress)


def run_optimize(args: argparse.Namespace) -> int:
    """Best recipe under the budget by the stored profile (fitted first if missing, rescaled to a fresh
    measurement of the unscaled network), then the winner measured."""
    from scaling_core.hardware.latency_model import default_plan
    from scaling_core.hardware.optimize import optimize_measured
    from scaling_core.storage.store import Store

    store, options = Store(args.store), measuring_options(args, default_plan()["min_run_time_s"])
    report = stored_or_fitted_profile(store, options)
    picked = optimize_measured(report.model, args.budget_ms, options, store, args.head, args.objective)
    choice, row, factor = picked.choice, picked.measured, picked.recalibration_factor
    m = choice.network.multipliers
    result = {
        "budget_ms": args.budget_ms,
        "head": args.head,
        "objective": args.objective,
        "alpha": choice.recipe.alpha,
        "beta": choice.recipe.beta,
        "gamma": choice.recipe.gamma,
        "phi": choice.phi,
        "depth_multiplier": m.depth,
        "width_multiplier": m.width,
        "resolution_multiplier": m.resolution,
        "resolution_px": choice.network.resolution_px,
        "objective_value": choice.objective,
        "predicted_ms": choice.predicted_ms,
        "measured_best_ms": row["best_ms"],
        "measured_median_ms": row["median_ms"],
        "measured_p10_ms": row["p10_ms"],
        "measured_p90_ms": row["p90_ms"],
        "meets_budget_measured": row["best_ms"] <= args.budget_ms,
        "threads": options.threads,
        "recalibration_factor": factor,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"best {args.objective} within {args.budget_ms:g} ms: α={choice.recipe.alpha:g}, β={choice.recipe.beta:g}, "
        f"γ={choice.recipe.gamma:g} at φ={choice.phi:.3f} → {choice.network.resolution_px} px, "
        f"{choice.objective:,.0f} {args.objective}"
    )
    print(f"profile rescaled by {factor:.3f} to a fresh measurement of the unscaled network")
    print(
        f"predicted {choice.predicted_ms:.2f} ms (modelled); measured best {row['best_ms']:.2f} ms, median "
        f"{row['median_ms']:.2f} ms (p10 {row['p10_ms']:.2f}, p90 {row['p90_ms']:.2f})"
    )
    return 0


def run_families(args: argparse.Namespace) -> int:
    """Measure the families × rules the store lacks on this machine, then the table and the verdict on Dollár et
    al.'s claim (activations rank latency better than MACs)."""
    import time

    from scaling_core.hardware.family_latency import (
        compared_networks,
        family_latency_settings,
        latency_frame,
        rank_verdict,
    )
    from scaling_core.hardware.latency_model import stored_profile
    from scaling_core.hardware.measure import measure_missing
    from scaling_core.hardware.provenance import provenance
    from scaling_core.storage.store import Store

    settings = family_latency_settings()
    compared = compared_networks(
        args.bases or settings.bases, args.rules or settings.rules, args.scales or settings.scales
    )
    store, options = Store(args.store), measuring_options(args, settings.min_run_time_s)
    if args.fleet:
        return run_families_fleet(args, compared, options, store)
    started = time.perf_counter()
    measured = 0
    if not args.no_run:
        with progress_bar("measuring", unit="timing") as progress:
            networks = [c.network for c in compared]
            measured = measure_missing(networks, options, store, settings.rounds, progress)
    fitted = stored_profile(store, options)
    frame = latency_frame(compared, options, store, None if fitted is None else fitted.model)
    verdict = rank_verdict(frame, settings.resamples, settings.seed)
    document = {
        "source": "measured on this machine (torch.utils.benchmark, the fastest block); costs modelled (exact count)",
        "command": "python -m scaling_core families" + (f" --save-to {args.save_to}" if args.save_to else ""),
        "measured_now": measured,
        "wall_time_s": round(time.perf_counter() - started, 1),
        "options": {"batch_size": options.batch_size, "threads": options.threads, "device": options.device},
        "latency_model": None if fitted is None else "the fitted latency model of this machine (Hardware page)",
        "verdict": verdict.as_dict(),
        "networks": json.loads(frame.to_json(orient="records")),
        "provenance": provenance(options.device),
    }
    if args.save_to:
        Path(args.save_to).write_text(json.dumps(document, indent=1) + "\n")
    if args.json:
        print(json.dumps(document, indent=2))
        return 0
    print(frame.round(3).to_string(index=False))
    rho = ", ".join(f"{k} {v:+.3f}" for k, v in verdict.correlations.items())
    low, high = verdict.interval
    print(f"Spearman ρ of latency with: {rho} ({verdict.networks} networks, {measured} measured now)")
    print(f"activations − MACs: {verdict.difference:+.3f} [{low:+.3f}, {high:+.3f}] (95% bootstrap): {verdict.verdict}")
    equal = verdict.equal_macs
    if equal.get("difference") is not None:
        low, high = equal["interval"]
        print(
            f"at equal MACs ({len(equal['groups'])} groups of one base and scale): ρ activations "
            f"{equal['mean_activations']:+.3f}, MACs {equal['mean_macs']:+.3f}; difference {equal['difference']:+.3f} "
            f"[{low:+.3f}, {high:+.3f}]: {equal['verdict']}"
        )
    return 0


def run_families_fleet(args: argparse.Namespace, compared: list, options, store) -> int:
    """The families × rules measured on every device of the cluster, and the claim decided per device."""
    from dataclasses import replace

    from scaling_core.executor.cluster import connect
    from scaling_core.hardware.family_latency import family_latency_settings, latency_frame, rank_verdict
    from scaling_core.hardware.fleet import device_options, measure_fleet, store_fleet

    if args.no_run:
        raise ConfigError("--no-run", True, "without --fleet (a fleet's devices are found by measuring on them)")
    settings, networks = family_latency_settings(), [c.network for c in compared]
    address = fleet_address(args)
    with connect(address) as client, progress_bar("measuring the fleet", unit="device") as progress:
        results = measure_fleet(client, networks, options, settings.rounds, progress)
    store_fleet(networks, results, store)
    # Alike workers of two hosts are one device (one fingerprint): decided once.
    machines = {r.fingerprint.id: (r.fingerprint, r.worker.threads) for r in results if r.fingerprint is not None}
    devices = []
    for machine, threads in machines.values():
        # Stored under the worker's own threads, whatever the device (a GPU's fingerprint has none).
        setup = replace(device_options(options, machine), threads=threads or options.threads)
        try:
            verdict = rank_verdict(
                latency_frame(compared, setup, store, None, machine.id), settings.resamples, settings.seed
            )
        except ConfigError as error:  # a device whose measurements failed: said, the others decided
            devices.append(
                {"device": machine.label, "fingerprint_id": machine.id, "verdict": None, "error": str(error)}
            )
            continue
        devices.append({"device": machine.label, "fingerprint_id": machine.id, "verdict": verdict.as_dict()})
    if args.json:
        print(json.dumps({"scheduler": address, "devices": devices}, indent=2))
        return report_failures(results)
    for device in devices:
        verdict = device["verdict"]
        if verdict is None:
            print(f"{device['device']} [{device['fingerprint_id']}]: {device['error']}")
            continue
        rho = ", ".join(f"{k} {v:+.3f}" for k, v in verdict["spearman"].items() if v is not None)
        low, high = verdict["interval"]
        print(f"{device['device']} [{device['fingerprint_id']}]: Spearman ρ {rho}")
        print(f"  activations − MACs: {verdict['difference']:+.3f} [{low:+.3f}, {high:+.3f}]: {verdict['verdict']}")
    return report_failures(results)


HARDWARE_COMMANDS = {
    "bench": run_bench,
    "fit-latency": run_fit_latency,
    "optimize": run_optimize,
    "families": run_families,
    "runtimes": run_runtimes,
}
