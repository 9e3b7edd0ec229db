"""The `cost` and `law` commands: a scaled architecture and its exact cost; the d·w²·r²(·t) law checked."""

from __future__ import annotations

import argparse
import json

from scaling_core.cli.arguments import bounded_float
from scaling_core.cli.network import (
    add_network_arguments,
    add_rule_arguments,
    resolve_arch,
    resolve_rule,
    resolve_rule_arch,
)
from scaling_core.core.arch import applied_multipliers, scale
from scaling_core.core.cost import count
from scaling_core.core.presets import fitted_phi, get_preset
from scaling_core.core.recipe import Multipliers
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import NECK_SCALINGS, TASKS, TaskArch, get_detection_preset
from scaling_core.tasks.summary import summary_dict, task_summary_dict


def add_cost_commands(commands) -> None:
    """Register `cost` and `law` on the CLI's sub-parsers."""
    cost = commands.add_parser("cost", help="architecture and exact cost of a preset or a recipe at phi")
    add_network_arguments(cost, many=False)
    add_rule_arguments(cost)
    cost.add_argument("--json", action="store_true", help="print JSON instead of a table")
    cost.add_argument(
        "--verify",
        action="store_true",
        help="also build the torch model, count it with fvcore, exit 1 on any difference",
    )
    cost.add_argument(
        "--memory-limit-gb",
        type=bounded_float(0.0, 4096.0, low_open=True),
        help="refuse to build a model whose modelled memory exceeds this (default: half the RAM)",
    )
    law = commands.add_parser("law", help="check MACs ∝ d·w²·r²(·t) for a whole task network over a recipe grid")
    law.add_argument("--head", default="detection", choices=TASKS)
    law.add_argument("--neck-scaling", default="efficientdet", choices=NECK_SCALINGS)
    law.add_argument("--json", action="store_true", help="print JSON instead of text")


def format_table(summary: dict) -> str:
    """The architecture and its costs as aligned text."""
    header = (
        f"{'part':<11}{'block':<21}{'k':>2}{'s':>3}{'in':>6}{'out':>6}{'exp':>6}{'se':>5}{'g':>5}{'rep':>5}"
        f"{'px':>6}{'MACs':>16}{'params':>13}{'activations':>14}"
    )
    lines = [summary["label"], f"source: {summary['source']}", header]
    for row in summary["parts"]:
        cells = {k: ("" if row[k] is None else row[k]) for k in row}
        lines.append(
            f"{cells['part']:<11}{cells['block']:<21}{cells['kernel']:>2}{cells['stride']:>3}"
            f"{cells['in_channels']:>6}{cells['out_channels']:>6}{cells['expanded_channels']:>6}"
            f"{cells['se_channels']:>5}{cells['groups']:>5}{cells['repeats']:>5}{cells['output_px']:>6}"
            f"{row['macs']:>16,}{row['params']:>13,}{row['activations']:>14,}"
        )
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
    lines = [
        summary["label"],
        f"source: {summary['source']}",
        f"{'part':<32}{'component':<10}{'px':>6}{'MACs':>18}{'params':>13}{'activations':>15}",
    ]
    lines += [
        f"{p['part']:<32}{p['component']:<10}{p['output_px']:>6}{p['macs']:>18,}{p['params']:>13,}"
        f"{p['activations']:>15,}"
        for p in summary["parts"]
    ]
    lines += [
        f"{name:<42}{c['macs']:>24,}{c['params']:>13,}{c['activations']:>15,}"
        for name, c in summary["components"].items()
    ]
    lines += [
        f"input {summary['resolution_px']} px, {summary['frames']} frame(s); MACs (multiply-adds) "
        f"{summary['macs']:,} (FLOPs = 2 × MACs = {summary['flops']:,}); params {summary['params']:,}; "
        f"activations {summary['activations']:,}",
        "MACs by operator " + ", ".join(f"{k} {v:,}" for k, v in summary["macs_by_op"].items()),
    ]
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
        summary["preset"] = {
            "name": preset.name,
            "nominal_phi": preset.phi,
            "fitted_phi": fitted_phi(preset),
            "reference_params": preset.reference_params,
            "reference_gmacs": preset.reference_gmacs,
            "reference_resolution_px": preset.reference_resolution_px,
        }
    elif args.rule is not None:
        summary |= rule_fields(task, args)
    elif args.preset is not None:
        published = get_detection_preset(args.preset)
        params, macs = published["published_params_m"] * 1e6, published["published_gmacs"] * 1e9
        summary["published"] = {
            "params": params,
            "macs": macs,
            "citation": "google/automl EfficientDet README",
            "params_difference": summary["params"] / params - 1,
            "macs_difference": summary["macs"] / macs - 1,
        }
    return summary


def rule_fields(task: TaskArch, args: argparse.Namespace) -> dict:
    """What a rule's network adds: the rule, its nominal multipliers, those rounding left (replacing the nominal
    ones under the usual names) and the MACs achieved over the base's at the same rounding."""
    arch = task.backbone
    base = scale(Multipliers(1.0, 1.0, 1.0), base=args.base, policy=arch.policy, num_classes=args.num_classes)
    applied = applied_multipliers(arch, base)
    nominal = arch.multipliers
    return {
        "rule": {
            "name": args.rule,
            "description": arch.label,
            "flops_scale": args.flops_scale,
            "exponents": dict(zip(("depth", "width", "resolution"), _exponents(args))),
        },
        "nominal_multipliers": {"depth": nominal.depth, "width": nominal.width, "resolution": nominal.resolution},
        "depth_multiplier": applied.depth,
        "width_multiplier": applied.width,
        "resolution_multiplier": applied.resolution,
        "macs_ratio_to_base": int(count(arch).macs) / int(count(base).macs),
    }


def _exponents(args: argparse.Namespace) -> tuple[float, float, float]:
    rule = resolve_rule(args)
    return rule.depth, rule.width, rule.resolution


def run_cost(args: argparse.Namespace) -> int:
    """The `cost` command; returns the exit status."""
    task = resolve_rule_arch(args) if args.rule is not None else resolve_arch(args)
    summary = describe(task, args)
    status = 0
    if args.verify:
        from scaling_core.nn.verify import verify  # torch and fvcore only when a model is built

        limit = None if args.memory_limit_gb is None else int(args.memory_limit_gb * 2**30)
        result = verify(task, memory_limit_bytes=limit)
        summary["verify"] = {
            "ok": result.ok,
            "differences": list(result.differences),
            "fvcore": {
                "macs_by_op": result.fvcore.macs_by_op,
                "macs": result.fvcore.macs,
                "params": result.fvcore.params,
                "activations": result.fvcore.activations,
            },
        }
        status = 0 if result.ok else 1
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(format_table(summary) if task.task == "classification" else format_parts(summary))
        if "published" in summary:
            pub = summary["published"]
            print(
                f"published ({pub['citation']}): params {pub['params']:,.0f} ({pub['params_difference']:+.1%} "
                f"ours vs published), MACs {pub['macs']:,.0f} ({pub['macs_difference']:+.1%})"
            )
        if args.verify:
            fv = summary["verify"]["fvcore"]
            print(
                f"fvcore: MACs {fv['macs']:,} ({', '.join(f'{k} {v:,}' for k, v in fv['macs_by_op'].items())}), "
                f"params {fv['params']:,}, activations {fv['activations']:,}"
            )
            print(
                "verify: analytic == fvcore"
                if status == 0
                else "verify: DIFFERENT\n  " + "\n  ".join(summary["verify"]["differences"])
            )
    return status


def run_law(args: argparse.Namespace) -> int:
    """The `law` command: fitted exponents, R² and the worst deviation from d·w²·r²(·t)."""
    from scaling_core.tasks.law import check_law

    result = check_law(args.head, args.neck_scaling).as_dict()
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    law = ", ".join(f"{k} {v:g}" for k, v in result["law_exponents"].items())
    fitted = ", ".join(f"{k} {v:.3f}" for k, v in result["exponents"].items())
    worst = result["worst_configuration"]
    print(f"{args.head} ({args.neck_scaling} neck rules where they apply), {result['configurations']} configurations")
    print(f"law exponents: {law}\nfitted:        {fitted}   R² = {result['r_squared']:.4f}")
    print(
        f"worst deviation from the law: {result['max_relative_deviation']:+.1%} at alpha={worst['alpha']:g}, "
        f"beta={worst['beta']:g}, gamma={worst['gamma']:g}, tau={worst['tau']:g}, phi={worst['phi']:g}"
    )
    for name, component in result["components"].items():
        exps = ", ".join(f"{k} {v:.3f}" for k, v in component["exponents"].items())
        print(f"  {name:<9} {exps}   R² = {component['r_squared']:.4f}")
    return 0


COST_COMMANDS = {"cost": run_cost, "law": run_law}
