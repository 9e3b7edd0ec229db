"""The options that name a network, shared by every command that takes one, and the network they describe."""

from __future__ import annotations

import argparse

from scaling_core.cli.arguments import InputFile, NameOrFile, bounded_float, bounded_int, shortened_message
from scaling_core.core.base import available_bases
from scaling_core.core.errors import ConfigError
from scaling_core.core.presets import preset_names, scale_preset
from scaling_core.core.recipe import Recipe
from scaling_core.core.rounding import DEPTH_ROUNDINGS, RESOLUTION_MULTIPLES, RoundingPolicy
from scaling_core.tasks.heads import (
    NECK_SCALINGS,
    TASKS,
    TaskArch,
    as_task,
    detection_preset_names,
    scale_detection_preset,
    scale_task,
)


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
        default=8,
        choices=RESOLUTION_MULTIPLES,
    )
    parser.add_argument("--depth-rounding", default="ceil", choices=DEPTH_ROUNDINGS)
    parser.add_argument("--width-divisor", type=bounded_int(1, 256), default=8, help="channel divisor in [1, 256]")


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
    return scale_task(
        args.head,
        Recipe(args.alpha, args.beta, args.gamma, args.tau),
        args.phi,
        base=args.base,
        policy=policy,
        num_classes=args.num_classes,
        neck_scaling=args.neck_scaling,
    )
