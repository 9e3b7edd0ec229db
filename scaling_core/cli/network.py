"""The options that name a network, shared by every command that takes one, and the network they describe."""

from __future__ import annotations

import argparse
import sys

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


class ArgumentParser(argparse.ArgumentParser):
    """Usage errors as one line on stderr and exit status 2."""

    def error(self, message: str) -> None:
        sys.stderr.write(f"error: {message}\n")
        raise SystemExit(2)


def add_network_arguments(parser: argparse.ArgumentParser, many: bool) -> None:
    """The options that name a network: a preset or a recipe at φ, head, rounding, classes."""
    nargs = "+" if many else None
    parser.add_argument("--head", default="classification", choices=TASKS, help="task head on the backbone")
    parser.add_argument(
        "--preset",
        nargs=nargs,
        help=f"published variant: {', '.join(preset_names())} (classification) or "
        f"{', '.join(detection_preset_names())} (detection)",
    )
    parser.add_argument("--alpha", type=float, help="depth coefficient α > 0")
    parser.add_argument("--beta", type=float, help="width coefficient β > 0")
    parser.add_argument("--gamma", type=float, help="resolution coefficient γ > 0")
    parser.add_argument("--phi", type=float, nargs=nargs, help="compound coefficient φ ≥ 0 (fractional allowed)")
    parser.add_argument("--tau", type=float, default=1.0, help="frames coefficient τ > 0 (video: t = τ^φ)")
    parser.add_argument(
        "--neck-scaling",
        default="efficientdet",
        choices=NECK_SCALINGS,
        help="detection: EfficientDet's own rules for neck, heads and input, or the recipe's",
    )
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
    return scale_task(
        args.head,
        Recipe(args.alpha, args.beta, args.gamma, args.tau),
        args.phi,
        base=args.base,
        policy=policy,
        num_classes=args.num_classes,
        neck_scaling=args.neck_scaling,
    )
