"""Argument types and option groups shared by several commands (public, so no command reaches into another)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from scaling_core.hardware.fingerprint import default_threads
from scaling_core.hardware.measure import MeasureOptions


def comma_list(kind: Callable[[str], Any]) -> Callable[[str], list]:
    """An argparse type: a comma-separated list of `kind` values."""

    def parse(text: str) -> list:
        try:
            return [kind(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"a comma-separated list of {getattr(kind, '__name__', 'values')} values, got {text[:40]!r}"
            ) from None

    return parse


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer ≥ minimum."""

    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below the allowed minimum {minimum}")
        return value

    return parse


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text[:40]} is not a finite number > 0")
    return value


def add_measuring_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a latency measurement: batch, threads, memory format, device, run time, store."""
    parser.add_argument("--batch", type=at_least(1), default=1, help="batch size (default 1)")
    parser.add_argument(
        "--threads",
        type=at_least(1),
        default=default_threads(),
        help="torch threads (default 1, the most repeatable on a shared machine)",
    )
    parser.add_argument("--channels-last", action="store_true", help="channels_last memory format")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--min-run-time", type=float, help="seconds of timed runs per measurement")
    parser.add_argument(
        "--store",
        help="SQLAlchemy URL of the results store (default: SCALING_LAB_STORE_URL or "
        "the SQLite file under ~/.local/share/compound-scaling-lab)",
    )


def measuring_options(args: argparse.Namespace, default_run_time: float = 0.5) -> MeasureOptions:
    """The measurement options the arguments name (`default_run_time` where --min-run-time is not given)."""
    return MeasureOptions(
        args.batch,
        args.threads,
        args.channels_last,
        args.device,
        default_run_time if args.min_run_time is None else args.min_run_time,
    )
