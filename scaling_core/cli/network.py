"""The options that name a network, shared by every command that takes one, and the network they describe."""

from __future__ import annotations

import argparse
from dataclasses import replace

from scaling_core.cli.arguments import InputFile, NameOrFile, bounded_float, bounded_int, shortened_message
from scaling_core.core.arch import scale
from scaling_core.core.base import available_bases, load_base
from scaling_core.core.errors import ConfigError
from scaling_core.core.presets import preset_names, scale_preset
from scaling_core.core.recipe import Recipe
from scaling_core.core.rounding import DEPTH_ROUNDINGS, RESOLUTION_MULTIPLES, RoundingPolicy
from scaling_core.core.rules import DWR_ALPHA, RULES, ScalingRule, compound_rule, dwr_rule, single_rule
from scaling_core.tasks.heads import (
    NECK_SCALINGS,
    TASKS,
    TaskArch,
    as_task,
    detection_preset_names,
    scale_detection_preset,
    scale_task,
)

AS_IS = Recipe(1.0, 1.0, 1.0)  # at φ = 0 any recipe gives the base; this one says so


class UsageError(Exception):
    """A refused command line: its one-line message (argument, allowed values, the value shortened)."""


class ArgumentParser(argparse.ArgumentParser):
    """Usage errors as a UsageError, which `main` turns into one line on stderr and exit status 2."""

    def error(self, message: str) -> None:
        raise UsageError(shortened_message(message))


COEFFICIENT = bounded_float(0.0, 4.0, low_open=True)  # α, β, γ, τ: 4 quadruples a dimension per unit of φ
# A shipped base spec's name, or a spec file checked (exists, regular, a few kB) before it is read.
BASE_SPEC = NameOrFile(available_bases(), InputFile(1_000_000, ".json"), "a base spec")


def add_network_arguments(parser: argparse.ArgumentParser, many: bool) -> None:
    """The options that name a network: a preset or a recipe at φ, head, rounding, classes."""
    nargs = "+" if many else None
    parser.add_argument("--head", default="classification", choices=TASKS, help="task head on the backbone")
    parser.add_argument(
        "--preset",
        nargs=nargs,
        choices=(*preset_names(), *detection_preset_names()),
        help=f"published variant: {', '.join(preset_names())} (classification) or "
        f"{', '.join(detection_preset_names())} (detection)",
    )
    parser.add_argument("--alpha", type=COEFFICIENT, help="depth coefficient α in (0, 4]")
    parser.add_argument("--beta", type=COEFFICIENT, help="width coefficient β in (0, 4]")
    parser.add_argument("--gamma", type=COEFFICIENT, help="resolution coefficient γ in (0, 4]")
    parser.add_argument(
        "--phi",
        type=bounded_float(0.0, 20.0),
        nargs=nargs,
        help="compound coefficient φ in [0, 20] (fractional allowed)",
    )
    parser.add_argument("--tau", type=COEFFICIENT, default=1.0, help="frames coefficient τ in (0, 4] (video: t = τ^φ)")
    parser.add_argument(
        "--neck-scaling",
        default="efficientdet",
        choices=NECK_SCALINGS,
        help="detection: EfficientDet's own rules for neck, heads and input, or the recipe's",
    )
    parser.add_argument(
        "--base", type=BASE_SPEC, default="efficientnet-b0", help="base spec name or path to a .json spec"
    )
    parser.add_argument(
        "--num-classes", type=bounded_int(1, 100_000), help="classifier outputs in [1, 100,000] (default: the task's)"
    )
    parser.add_argument(
        "--resolution-multiple",
        type=bounded_int(1, max(RESOLUTION_MULTIPLES)),
        choices=RESOLUTION_MULTIPLES,
        help="round the input side to a multiple of this (default: the base's own rounding)",
    )
    parser.add_argument(
        "--depth-rounding", choices=DEPTH_ROUNDINGS, help="stage depths: ceil or round (default: the base's own)"
    )
    parser.add_argument(
        "--width-divisor",
        type=bounded_int(1, 256),
        help="channel divisor in [1, 256] (default: the base's own)",
    )


def rounding_of(args: argparse.Namespace) -> RoundingPolicy:
    """The rounding the arguments give; an option left out is the base's own (EfficientNet's 8, ceil, 8 unless its
    spec says otherwise)."""
    own = load_base(args.base).rounding
    return RoundingPolicy(
        own.width_divisor if args.width_divisor is None else args.width_divisor,
        own.depth_rounding if args.depth_rounding is None else args.depth_rounding,
        own.resolution_multiple if args.resolution_multiple is None else args.resolution_multiple,
    )


def add_rule_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a scaling rule at a FLOP scale (core/rules.py)."""
    parser.add_argument(
        "--rule",
        choices=RULES,
        help="scale the base by a rule at --flops-scale: compound (with --alpha --beta --gamma), dwr (--dwr-alpha), "
        "depth, width or resolution only, or exponents (--exponents)",
    )
    parser.add_argument(
        "--flops-scale", type=bounded_float(1.0, 1e6), help="the rule's nominal FLOP scale s in [1, 10^6] (1: the base)"
    )
    parser.add_argument(
        "--dwr-alpha",
        type=bounded_float(0.0, 1.0),
        default=DWR_ALPHA,
        help=f"dWr: the share of the FLOP growth in width, in [0, 1] (default {DWR_ALPHA}: d ∝ s^0.1, w ∝ s^0.4, "
        "r ∝ s^0.05)",
    )
    parser.add_argument(
        "--exponents",
        type=bounded_float(-4.0, 4.0),
        nargs=3,
        metavar=("E_D", "E_W", "E_R"),
        help="exponents rule: d = s^E_D, w = s^E_W, r = s^E_R with E_D + 2·E_W + 2·E_R = 1",
    )


def resolve_rule(args: argparse.Namespace) -> ScalingRule:
    """The rule the arguments name."""
    if args.rule == "compound":
        missing = [f"--{k}" for k in ("alpha", "beta", "gamma") if getattr(args, k) is None]
        if missing:
            raise ConfigError(missing[0], None, "a number (--rule compound takes --alpha --beta --gamma)")
        return compound_rule(Recipe(args.alpha, args.beta, args.gamma))
    if args.rule == "dwr":
        return dwr_rule(args.dwr_alpha)
    if args.rule == "exponents":
        if args.exponents is None:
            raise ConfigError("--exponents", None, "three numbers E_D E_W E_R (--rule exponents)")
        return ScalingRule(
            "exponents", *args.exponents, "exponents d = s^{:g}, w = s^{:g}, r = s^{:g}".format(*args.exponents)
        )
    return single_rule(args.rule)


def resolve_rule_arch(args: argparse.Namespace) -> TaskArch:
    """The base scaled by a rule at the FLOP scale the arguments give (classification)."""
    if args.preset is not None or args.phi is not None:
        given = "--preset" if args.preset is not None else "--phi"
        raise ConfigError(given, args.preset or args.phi, "left out with --rule (the rule takes --flops-scale)")
    if args.flops_scale is None:
        raise ConfigError("--flops-scale", None, "a number in [1, 10^6] (--rule scales the base by it)")
    if args.head != "classification":
        raise ConfigError(
            "--head", args.head, "classification with --rule (task heads take --alpha --beta --gamma --phi)"
        )
    rule = resolve_rule(args)
    arch = scale(
        rule.multipliers(args.flops_scale),
        base=args.base,
        policy=rounding_of(args),
        num_classes=args.num_classes,
        label=f"{args.base}: {rule.description}, s = {args.flops_scale:g}",
    )
    return as_task(arch)


def resolve_arch(args: argparse.Namespace) -> TaskArch:
    """The network the arguments describe (a preset, a recipe at φ, or the base as it is), with its head."""
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
    if len(missing) == len(recipe_args):
        # Nothing scales it: the base as its spec gives it (its own input side, whatever the multiple).
        policy = replace(rounding_of(args), resolution_multiple=1)
        task = scale_task(
            args.head,
            AS_IS,
            0.0,
            base=args.base,
            policy=policy,
            num_classes=args.num_classes,
            neck_scaling=args.neck_scaling,
        )
        label = f"{load_base(args.base).name} as specified"
        return replace(task, label=label, backbone=replace(task.backbone, label=label))
    if missing:
        raise ConfigError(
            missing[0], None, "a number (give --preset, all of --alpha --beta --gamma --phi, or none for the base)"
        )
    policy = rounding_of(args)
    return scale_task(
        args.head,
        Recipe(args.alpha, args.beta, args.gamma, args.tau),
        args.phi,
        base=args.base,
        policy=policy,
        num_classes=args.num_classes,
        neck_scaling=args.neck_scaling,
    )
