"""Command line: `python -m scaling_core COMMAND` (or `scaling-lab COMMAND`); one module per group of commands."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from scaling_core.cli.accuracy import ACCURACY_COMMANDS, add_accuracy_commands
from scaling_core.cli.cost import COST_COMMANDS, add_cost_commands
from scaling_core.cli.deployment import DEPLOYMENT_COMMANDS, add_deployment_commands
from scaling_core.cli.export import EXPORT_COMMANDS, add_export_commands
from scaling_core.cli.hardware import HARDWARE_COMMANDS, add_hardware_commands
from scaling_core.cli.lab import LAB_COMMANDS, add_lab_commands
from scaling_core.cli.network import ArgumentParser, UsageError
from scaling_core.cli.representation import REPRESENTATION_COMMANDS, add_representation_commands
from scaling_core.cli.robustness import ROBUSTNESS_COMMANDS, add_robustness_commands
from scaling_core.cli.spectrum import SPECTRUM_COMMANDS, add_spectrum_commands
from scaling_core.core.errors import ConfigError

# Each group registers its sub-commands and names their handlers; `main` dispatches through this table.
GROUPS = (
    (add_cost_commands, COST_COMMANDS),
    (add_export_commands, EXPORT_COMMANDS),
    (add_hardware_commands, HARDWARE_COMMANDS),
    (add_accuracy_commands, ACCURACY_COMMANDS),
    (add_lab_commands, LAB_COMMANDS),
    (add_spectrum_commands, SPECTRUM_COMMANDS),
    (add_robustness_commands, ROBUSTNESS_COMMANDS),
    (add_deployment_commands, DEPLOYMENT_COMMANDS),
    (add_representation_commands, REPRESENTATION_COMMANDS),
)
HANDLERS = {name: handler for _, commands in GROUPS for name, handler in commands.items()}


def make_parser() -> ArgumentParser:
    """The argument parser of `python -m scaling_core`."""
    parser = ArgumentParser(prog="scaling-lab", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=ArgumentParser)
    for register, _ in GROUPS:
        register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; a refused argument (UsageError, while parsing) or ConfigError becomes one line on stderr and
    exit status 2. Every bound is checked while parsing or before a handler's first piece of work."""
    try:
        args = make_parser().parse_args(argv)
        return HANDLERS[args.command](args)
    except (UsageError, ConfigError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2


def run() -> None:
    """The `scaling-lab` console script: `main` with its exit status."""
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # A reader that stopped early (`| head`): no traceback (the recipe in Python's signal module docs).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 1
    sys.exit(status)
