"""Command line: `python -m scaling_core cost ...` prints a scaled architecture and its exact cost."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from .cli_accuracy import ACCURACY_COMMANDS, add_accuracy_commands
from .cli_deployment import DEPLOYMENT_COMMANDS, add_deployment_commands
from .cli_hardware import HARDWARE_COMMANDS, add_hardware_commands
from .cli_lab import LAB_COMMANDS, add_lab_commands
from .cli_representation import REPRESENTATION_COMMANDS, add_representation_commands
from .cli_robustness import ROBUSTNESS_COMMANDS, add_robustness_commands
from .cli_spectrum import SPECTRUM_COMMANDS, add_spectrum_commands
from .errors import ConfigError, require_finite
from .presets import fitted_phi, get_preset, preset_names, scale_preset
from .recipe import Recipe
from .rounding import DEPTH_ROUNDINGS, RESOLUTION_MULTIPLES, RoundingPolicy
from .summary import summary_dict, task_summary_dict
from .task_cost import count_task
from .tasks import (NECK_SCALINGS, TASKS, TaskArch, as_task, detection_preset_names, get_detection_preset,
                    scale_detection_preset, scale_task)


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr and exit status 2."""

    def error(self, message: str) -> None:
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(2)


def make_parser() -> argparse.ArgumentParser:
    """The argument parser of `python -m scaling_core`."""
    parser = _Parser(prog="python -m scaling_core", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    cost = commands.add_parser("cost", help="architecture and exact cost of a preset or a recipe at phi")
    add_network_arguments(cost, many=False)
    cost.add_argument("--json", action="store_true", help="print JSON instead of a table")
    cost.add_argument("--verify", action="store_true",
                      help="also build the torch model, count it with fvcore, exit 1 on any difference")
    cost.add_argument("--memory-limit-gb", type=float,
                      help="refuse to build a model whose modelled memory exceeds this (default: half the RAM)")
    law = commands.add_parser("law", help="check MACs ∝ d·w²·r²(·t) for a whole task network over a recipe grid")
    law.add_argument("--head", default="detection", choices=TASKS)
    law.add_argument("--neck-scaling", default="efficientdet", choices=NECK_SCALINGS)
    law.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_hardware_commands(commands)
    add_accuracy_commands(commands)
    add_lab_commands(commands)
    add_spectrum_commands(commands)
    add_robustness_commands(commands)
    add_deployment_commands(commands)
    add_representation_commands(commands)
    return parser


def add_network_arguments(parser: argparse.ArgumentParser, many: bool) -> None:
    """The options that name a network: a preset or a recipe at φ, head, rounding, classes."""
    nargs = "+" if many else None
    parser.add_argument("--head", default="classification", choices=TASKS, help="task head on the backbone")
    parser.add_argument("--preset", nargs=nargs,
                        help=f"published variant: {', '.join(preset_names())} (classification) or "
                             f"{', '.join(detection_preset_names())} (detection)")
    parser.add_argument("--alpha", type=float, help="depth coefficient α > 0")
    parser.add_argument("--beta", type=float, help="width coefficient β > 0")
    parser.add_argument("--gamma", type=float, help="resolution coefficient γ > 0")
    parser.add_argument("--phi", type=float, nargs=nargs, help="compound coefficient φ ≥ 0 (fractional allowed)")
    parser.add_argument("--tau", type=float, default=1.0, help="frames coefficient τ > 0 (video: t = τ^φ)")
    parser.add_argument("--neck-scaling", default="efficientdet", choices=NECK_SCALINGS,
                        help="detection: EfficientDet's own rules for neck, heads and input, or the recipe's")
    parser.add_argument("--base", default="efficientnet-b0", help="base spec name or path to a .json spec")
    parser.add_argument("--num-classes", type=int, help="classifier outputs (default: the task's)")
    parser.add_argument("--resolution-multiple", type=int, default=8, choices=RESOLUTION_MULTIPLES)
    parser.add_argument("--depth-rounding", default="ceil", choices=DEPTH_ROUNDINGS)
    parser.add_argument("--width-divisor", type=int, default=8)


def resolve_arch(args: argparse.Namespace) -> TaskArch:
    """The network the arguments describe (a preset, or a recipe at φ), with its head."""
    recipe_args = {"alpha": args.alpha, "beta": args.beta, "gamma": args.gamma, "phi": args.phi}
    if args.preset is not None:
        given = [f"--{k}" for k, v in recipe_args.items() if v is not None]
        if given:
            raise ConfigError("--preset", args.preset, f"alone: it fixes the multipliers, drop {' '.join(given)}")
        if args.head == "detection":
            return scale_detection_preset(args.preset, num_classes=args.num_classes)
        if args.head != "classification":
            raise ConfigError("--preset", args.preset, "used with --head classification (b0…b7) or detection (d0…d7)")
        return as_task(scale_preset(args.preset, num_classes=args.num_classes))
    missing = [f"--{k}" for k, v in recipe_args.items() if v is None]
    if missing:
        raise ConfigError(missing[0], None, "a number (give --preset, or all of --alpha --beta --gamma --phi)")
    policy = RoundingPolicy(args.width_divisor, args.depth_rounding, args.resolution_multiple)
    return scale_task(args.head, Recipe(args.alpha, args.beta, args.gamma, args.tau), args.phi, base=args.base,
                      policy=policy, num_classes=args.num_classes, neck_scaling=args.neck_scaling)


def format_table(summary: dict) -> str:
    """The architecture and its costs as aligned text."""
    header = f"{'part':<11}{'block':<12}{'k':>2}{'s':>3}{'in':>6}{'out':>6}{'exp':>6}{'se':>5}{'rep':>5}" \
             f"{'px':>6}{'MACs':>16}{'params':>13}{'activations':>14}"
    lines = [summary["label"], f"source: {summary['source']}", header]
    for row in summary["parts"]:
        cells = {k: ("" if row[k] is None else row[k]) for k in row}
        lines.append(f"{cells['part']:<11}{cells['block']:<12}{cells['kernel']:>2}{cells['stride']:>3}"
                     f"{cells['in_channels']:>6}{cells['out_channels']:>6}{cells['expanded_channels']:>6}"
                     f"{cells['se_channels']:>5}{cells['repeats']:>5}{cells['output_px']:>6}"
                     f"{row['macs']:>16,}{row['params']:>13,}{row['activations']:>14,}")
    lines += [
        f"resolution {summary['resolution_px']} px; d = {summary['depth_multiplier']:.4f}, "
        f"w = {summary['width_multiplier']:.4f}, r = {summary['resolution_multiplier']:.4f}",
        f"MACs (multiply-adds) {summary['macs']:,}  (FLOPs = 2 × MACs = {summary['flops']:,}; "
        f"conv+linear {summary['conv_linear_macs']:,})",
        "MACs by operator " + ", ".join(f"{k} {v:,}" for k, v in summary["macs_by_op"].items()),
        f"params {summary['params']:,}   activations {summary['activations']:,}",
    ]
    return "\n".join(lines)


def format_parts(summary: dict) -> str:
    """A task network's parts and components as aligned text."""
    lines = [summary["label"], f"source: {summary['source']}",
             f"{'part':<32}{'component':<10}{'px':>6}{'MACs':>18}{'params':>13}{'activations':>15}"]
    lines += [f"{p['part']:<32}{p['component']:<10}{p['output_px']:>6}{p['macs']:>18,}{p['params']:>13,}"
              f"{p['activations']:>15,}" for p in summary["parts"]]
    lines += [f"{name:<42}{c['macs']:>24,}{c['params']:>13,}{c['activations']:>15,}"
              for name, c in summary["components"].items()]
    lines += [f"input {summary['resolution_px']} px, {summary['frames']} frame(s); MACs (multiply-adds) "
              f"{summary['macs']:,} (FLOPs = 2 × MACs = {summary['flops']:,}); params {summary['params']:,}; "
              f"activations {summary['activations']:,}",
              "MACs by operator " + ", ".join(f"{k} {v:,}" for k, v in summary["macs_by_op"].items())]
    return "\n".join(lines)


def describe(task: TaskArch, args: argparse.Namespace) -> dict:
    """The summary of a network, with the published figures of a preset beside ours."""
    report = count_task(task)
    if task.task == "classification":
        summary = summary_dict(task.backbone, report) | {"head": "classification"}
    else:
        summary = task_summary_dict(task, report)
    if args.preset is not None and task.task == "classification":
        preset = get_preset(args.preset)
        summary["preset"] = {"name": preset.name, "nominal_phi": preset.phi, "fitted_phi": fitted_phi(preset),
                             "reference_params": preset.reference_params, "reference_gmacs": preset.reference_gmacs,
                             "reference_resolution_px": preset.reference_resolution_px}
    elif args.preset is not None:
        published = get_detection_preset(args.preset)
        params, macs = published["published_params_m"] * 1e6, published["published_gmacs"] * 1e9
        summary["published"] = {"params": params, "macs": macs, "citation": "google/automl EfficientDet README",
                                "params_difference": summary["params"] / params - 1,
                                "macs_difference": summary["macs"] / macs - 1}
    return summary


def run_cost(args: argparse.Namespace) -> int:
    """The `cost` command; returns the exit status."""
    task = resolve_arch(args)
    summary = describe(task, args)
    status = 0
    if args.verify:
        from .verify import verify  # torch and fvcore only when a model is built
        limit = None
        if args.memory_limit_gb is not None:
            limit = int(require_finite("--memory-limit-gb", args.memory_limit_gb, minimum=0.0, exclusive=True) * 2**30)
        result = verify(task, memory_limit_bytes=limit)
        summary["verify"] = {"ok": result.ok, "differences": list(result.differences),
                             "fvcore": {"macs_by_op": result.fvcore.macs_by_op, "macs": result.fvcore.macs,
                                        "params": result.fvcore.params, "activations": result.fvcore.activations}}
        status = 0 if result.ok else 1
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_table(summary) if task.task == "classification" else format_parts(summary))
        if "published" in summary:
            pub = summary["published"]
            print(f"published ({pub['citation']}): params {pub['params']:,.0f} ({pub['params_difference']:+.1%} "
                  f"ours vs published), MACs {pub['macs']:,.0f} ({pub['macs_difference']:+.1%})")
        if args.verify:
            fv = summary["verify"]["fvcore"]
            print(f"fvcore: MACs {fv['macs']:,} ({', '.join(f'{k} {v:,}' for k, v in fv['macs_by_op'].items())}), "
                  f"params {fv['params']:,}, activations {fv['activations']:,}")
            print("verify: analytic == fvcore" if status == 0 else
                  "verify: DIFFERENT\n  " + "\n  ".join(summary["verify"]["differences"]))
    return status


def run_law(args: argparse.Namespace) -> int:
    """The `law` command: fitted exponents, R² and the worst deviation from d·w²·r²(·t)."""
    from .law import check_law
    result = check_law(args.head, args.neck_scaling).as_dict()
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    law = ", ".join(f"{k} {v:g}" for k, v in result["law_exponents"].items())
    fitted = ", ".join(f"{k} {v:.3f}" for k, v in result["exponents"].items())
    worst = result["worst_configuration"]
    print(f"{args.head} ({args.neck_scaling} neck rules where they apply), {result['configurations']} configurations")
    print(f"law exponents: {law}\nfitted:        {fitted}   R² = {result['r_squared']:.4f}")
    print(f"worst deviation from the law: {result['max_relative_deviation']:+.1%} at alpha={worst['alpha']:g}, "
          f"beta={worst['beta']:g}, gamma={worst['gamma']:g}, tau={worst['tau']:g}, phi={worst['phi']:g}")
    for name, component in result["components"].items():
        exps = ", ".join(f"{k} {v:.3f}" for k, v in component["exponents"].items())
        print(f"  {name:<9} {exps}   R² = {component['r_squared']:.4f}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; ConfigError becomes one line on stderr and exit status 2."""
    args = make_parser().parse_args(argv)
    try:
        return {"cost": run_cost, "law": run_law, **HARDWARE_COMMANDS, **ACCURACY_COMMANDS,
                **LAB_COMMANDS, **SPECTRUM_COMMANDS,
                **ROBUSTNESS_COMMANDS, **DEPLOYMENT_COMMANDS, **REPRESENTATION_COMMANDS}[args.command](args)
    except ConfigError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
