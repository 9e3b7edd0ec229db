"""The `cover`, `fewshot` and `distill` commands: what scaling buys a representation, modelled and measured."""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict

from scaling_core.cli.arguments import (
    EPOCHS,
    LAB_PHIS,
    SEED,
    SEEDS,
    ItemList,
    add_store_argument,
    bounded_float,
    bounded_int,
    float_list,
)
from scaling_core.cli.lab import add_grid_arguments
from scaling_core.cli.study import SavedAs, StudyWords, add_run_arguments, grid_records, measured_records
from scaling_core.core.errors import ConfigError

FEWSHOT_WORDS = StudyWords(
    "evaluating", "evaluated {} backbones", "few-shot results", "evaluations of this grid in the store"
)
DISTILL_WORDS = StudyWords(
    "students", "evaluated {} students", "distillation results", "students of these settings in the store"
)


def _frame_json(frame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))


# Cover's count at N = ratio × d is a number of about N·log10(2) digits: at the largest load and dimension allowed
# (100 × 5,001 points) it has 150,000 digits, exact in Python but printed as a float with an exponent.
MAX_COVER_DIMENSION = 5000
MAX_LOAD = 100.0
# The Monte Carlo check solves one LP per trial and load over trials × N points in all: at most this many
# (about three minutes on one core at the default d = 64; the page draws 200 trials).
MAX_SIMULATED_POINTS = 5_000_000


def _run_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    add_store_argument(parser)
    add_run_arguments(parser, f"representation/{what}")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")


def add_representation_commands(commands) -> None:
    """Register `cover`, `fewshot` and `distill`."""
    from scaling_core.lab.data import dataset_names
    from scaling_core.studies.representation.distill import distill_settings
    from scaling_core.studies.representation.measurements import representation_defaults

    defaults = representation_defaults()
    cover, few = defaults["cover"], defaults["fewshot"]
    parser = commands.add_parser(
        "cover",
        help="Cover's count of linearly separable dichotomies (exact), a Monte "
        "Carlo check, and the lab backbones' measured feature capacity",
    )
    parser.add_argument(
        "--dimension",
        type=bounded_int(1, MAX_COVER_DIMENSION),
        default=cover["dimension"],
        help=f"the feature dimension d, 1 to {MAX_COVER_DIMENSION:,} "
        f"(default {cover['dimension']}: the lab base's head width)",
    )
    parser.add_argument(
        "--bias",
        action=argparse.BooleanOptionalAction,
        default=cover["bias"],
        help="hyperplanes with a bias (affine), i.e. Cover's count in d + 1 dimensions",
    )
    parser.add_argument(
        "--ratios",
        type=ItemList(bounded_float(0.0, MAX_LOAD, low_open=True), 32),
        default=[0.5, 1.0, 1.5, 1.8, 2.0, 2.2, 2.5, 3.0, 4.0],
        help=f"loads N/(d + 1) (or N/d without a bias) to tabulate, each in (0, {MAX_LOAD:g}]",
    )
    parser.add_argument(
        "--monte-carlo",
        type=bounded_int(0, 10_000),
        default=0,
        metavar="TRIALS",
        help=f"also draw TRIALS (up to 10,000) random Gaussian labellings per load and test them with the LP, for d "
        f"up to {cover['simulate_max_dimension']}",
    )
    parser.add_argument("--seed", type=SEED, default=defaults["seed"], help="the Monte Carlo seed")
    add_store_argument(
        parser,
        "SQLAlchemy URL of the results store, for the backbones' measured separability "
        "(default: SCALING_LAB_STORE_URL)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")

    parser = commands.add_parser(
        "fewshot",
        help="few-shot accuracy, linear probes and separability of the lab "
        "backbones' frozen features on unseen classes (measured), beside "
        "the Gaussian prototype model",
    )
    parser.add_argument(
        "--dataset",
        default=few["base_dataset"],
        choices=dataset_names(),
        help="the classes the backbones are trained on",
    )
    add_grid_arguments(parser, few["recipes"], few["phis"], few["seeds"])
    _run_arguments(parser, f"fewshot-{few['base_dataset']}.json")

    distill = distill_settings()
    parser = commands.add_parser(
        "distill",
        help="students trained alone and from larger-φ teachers "
        "(knowledge distillation), then magnitude-pruned (measured)",
    )
    parser.add_argument("--dataset", default=distill.dataset, choices=dataset_names(), help="the lab dataset")
    parser.add_argument(
        "--teacher-phis", type=LAB_PHIS, help="teachers' φ in [0, 8] (default: data/representation/settings.json)"
    )
    parser.add_argument("--student-phis", type=LAB_PHIS, help="students' φ in [0, 8]")
    parser.add_argument(
        "--seeds", type=SEEDS, help="seeds, 1 to 20 (the teacher of seed s teaches the student of seed s)"
    )
    # DistillSettings' own ranges, checked here too so a bad value stops the command before it opens the store.
    parser.add_argument(
        "--temperature",
        type=bounded_float(0.0, 100.0, low_open=True),
        help=f"softmax temperature T in (0, 100] (default {distill.temperature:g})",
    )
    parser.add_argument(
        "--alpha", type=bounded_float(0.0, 1.0), help=f"weight α of the teacher's term (default {distill.alpha:g})"
    )
    parser.add_argument(
        "--weight-decay", type=bounded_float(0.0, 1.0), help=f"AdamW weight decay (default {distill.weight_decay:g})"
    )
    parser.add_argument("--sparsities", type=float_list(0.0, 0.999), help="magnitude-pruning sparsities in [0, 0.999]")
    parser.add_argument("--epochs", type=EPOCHS, help="training epochs (default: the lab budget's)")
    _run_arguments(parser, f"distillation-{distill.dataset}.json")


def run_distill(args: argparse.Namespace) -> int:
    """Students alone and distilled, their accuracy and the teacher's, and accuracy against sparsity."""
    from scaling_core.app.views.distillation import pruning_summary, student_frame, student_summary, students_for
    from scaling_core.storage.store import Store
    from scaling_core.studies.representation.distill import DISTILLATION_VERSION, distill_settings, run_distillation

    settings = distill_settings(
        dataset=args.dataset,
        teacher_phis=args.teacher_phis,
        student_phis=args.student_phis,
        seeds=args.seeds,
        temperature=args.temperature,
        alpha=args.alpha,
        weight_decay=args.weight_decay,
        sparsities=args.sparsities,
        epochs=args.epochs,
    )
    store = Store(args.store)
    records, source = measured_records(
        args,
        DISTILL_WORDS,
        lambda progress, scheduler: run_distillation(settings, store, args.workers, progress, scheduler),
        lambda: students_for(settings, store),
        SavedAs(settings.dataset, settings.measured_with(), DISTILLATION_VERSION),
    )
    summary, pruning = student_summary(student_frame(records)), pruning_summary(records)
    if args.json:
        print(
            json.dumps(
                {
                    "source": source,
                    "settings": settings.measured_with(),
                    "records": records,
                    "summary": _frame_json(summary),
                    "pruning": _frame_json(pruning),
                },
                indent=2,
            )
        )
        return 0
    print(
        f"students' test accuracy (%), mean over seeds — {source}; T = {settings.temperature:g}, "
        f"α = {settings.alpha:g}, weight decay {settings.weight_decay:g}"
    )
    print(summary.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    print("\naccuracy (%) against magnitude-pruning sparsity, before and after fine-tuning:")
    print(pruning.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    return 0


def check_simulation(trials: int, dimension: int, points_per_trial: int) -> None:
    """ConfigError unless the Monte Carlo check stays within the page's dimensions and MAX_SIMULATED_POINTS."""
    from scaling_core.studies.representation.measurements import representation_defaults

    max_dimension = representation_defaults()["cover"]["simulate_max_dimension"]
    if dimension > max_dimension:
        raise ConfigError("--dimension", dimension, f"at most {max_dimension} with --monte-carlo (one LP costs ~d^2.5)")
    if trials * points_per_trial > MAX_SIMULATED_POINTS:
        raise ConfigError(
            "--monte-carlo",
            trials,
            f"at most {MAX_SIMULATED_POINTS // points_per_trial:,} trials for these loads and d "
            f"({points_per_trial:,} points per trial, {MAX_SIMULATED_POINTS:,} in all)",
        )


def count_text(count: int) -> str:
    """An exact count in decimal; past Python's 4,300-digit limit for str(int), six digits and an exponent."""
    if count.bit_length() < 14_000:  # under 4,215 decimal digits
        return str(count)
    shift = count.bit_length() - 64  # the top 64 bits give the leading digits; the shift, the magnitude
    log10 = math.log10(count >> shift) + shift * math.log10(2)
    exponent = math.floor(log10)
    return f"{10 ** (log10 - exponent):.6f}e+{exponent}"


def run_cover(args: argparse.Namespace) -> int:
    """Cover's exact separable share at each load, optionally simulated, and the backbones' measured capacity."""
    from scaling_core.app.views.representation import capacity_table, records_for
    from scaling_core.storage.store import Store
    from scaling_core.studies.representation.cover import (
        cover_count,
        monte_carlo_separability,
        separable_probability_float,
    )
    from scaling_core.studies.representation.measurements import representation_defaults

    dimension = args.dimension + 1 if args.bias else args.dimension
    points = [max(1, round(ratio * dimension)) for ratio in args.ratios]
    if args.monte_carlo:
        check_simulation(args.monte_carlo, args.dimension, sum(points))
    rows = []
    for n in points:
        row = {
            "n": n,
            "load": n / dimension,
            "separable_count": count_text(cover_count(n, dimension)),
            "probability": separable_probability_float(n, dimension),
        }
        if args.monte_carlo:
            estimate = monte_carlo_separability(n, args.dimension, args.monte_carlo, args.seed, args.bias)
            row.update(simulated=estimate.fraction, ci_low=estimate.ci_low, ci_high=estimate.ci_high)
        rows.append(row)
    few = representation_defaults()["fewshot"]
    records, source = records_for(few["base_dataset"], few["recipes"], few["phis"], few["seeds"], Store(args.store))
    capacity = capacity_table(records) if records else None
    if args.json:
        print(
            json.dumps(
                {
                    "dimension": args.dimension,
                    "bias": args.bias,
                    "rows": rows,
                    "backbones": {"source": source, "rows": _frame_json(capacity)} if records else None,
                },
                indent=2,
            )
        )
        return 0
    import pandas as pd

    print(
        f"random labellings of N points in general position in R^{args.dimension}"
        f"{' with a bias' if args.bias else ''}: C(N, {dimension}) separable of 2^N (exact, Cover 1965)"
    )
    print(pd.DataFrame(rows).drop(columns="separable_count").to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if args.monte_carlo:
        print(
            f"simulated: {args.monte_carlo} labellings of standard Gaussian points per load, LP test, seed "
            f"{args.seed}; 95% Clopper-Pearson interval"
        )
    if records:
        print(f"\nthe lab backbones' features (trained on {few['base_dataset']}) — {source}:")
        print(capacity.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    return 0


def run_fewshot_command(args: argparse.Namespace) -> int:
    """Train and evaluate what is missing (unless --no-run), then print few-shot, model, probe and capacity tables."""
    from scaling_core.app.views.representation import (
        capacity_table,
        dichotomy_frame,
        fewshot_frame,
        fewshot_summary,
        fitted_laws,
        model_check,
        probe_frame,
        records_for,
    )
    from scaling_core.storage.store import Store
    from scaling_core.studies.representation.measurements import (
        REPRESENTATION_VERSION,
        fewshot_evaluation,
        fewshot_settings,
        representation_defaults,
    )

    saved = SavedAs(args.dataset, asdict(fewshot_settings()), REPRESENTATION_VERSION)
    records, source = grid_records(args, Store(args.store), FEWSHOT_WORDS, fewshot_evaluation, records_for, saved)
    ways = representation_defaults()["fewshot"]["ways"]
    summary = fewshot_summary(fewshot_frame(records))
    check, rms = model_check(summary, ways)
    laws = {
        alias: fitted_laws(records, alias)
        for alias in dict.fromkeys(r["alias"] for r in records)
        if len({r["phi"] for r in records if r["alias"] == alias}) > 1
    }
    probes, dichotomies, capacity = probe_frame(records), dichotomy_frame(records), capacity_table(records)
    if args.json:
        print(
            json.dumps(
                {
                    "source": source,
                    "ways": ways,
                    "summary": _frame_json(summary),
                    "model_check": {"rows": _frame_json(check), "rms_points": rms},
                    "laws": laws,
                    "probes": _frame_json(probes),
                    "dichotomies": _frame_json(dichotomies),
                    "capacity": _frame_json(capacity),
                    "records": records,
                },
                indent=2,
            )
        )
        return 0
    points = {"float_format": lambda v: f"{v:.2f}", "index": False}
    print(f"{ways}-way few-shot accuracy (%) on unseen classes, mean and range over seeds — {source}")
    print(summary.to_string(**points))
    print(
        f"\nthe Gaussian prototype model fed each network's measured effective Δ/σ and dimension (modelled): "
        f"RMS gap {rms:.2f} points"
    )
    print(check.to_string(**points))
    if laws:
        print("\nlaws fitted to the measured statistics: Δ/σ = s0·e^(ηφ), d_eff = d0·e^(ζφ)")
        for alias, fit in laws.items():
            print(
                f"  {alias}: s0 = {fit['snr0']:.3f}, η = {fit['eta']:.3f}, d0 = {fit['dim0']:.3f}, "
                f"ζ = {fit['zeta']:.3f}"
            )
    print("\nlinear probes (%) with few labels per class: frozen features against raw pixels, mean over seeds")
    print(probes.to_string(**points))
    print("\nrandom dichotomies of the unseen classes' features: share separable against Cover at the rank")
    print(dichotomies.to_string(**points))
    print("\ncapacity per network")
    print(capacity.to_string(**points))
    return 0


REPRESENTATION_COMMANDS = {"cover": run_cover, "fewshot": run_fewshot_command, "distill": run_distill}
