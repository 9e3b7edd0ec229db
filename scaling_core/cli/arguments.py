"""Argument types and option groups shared by several commands (public, so no command reaches into another).

Every option that takes a value declares its bounds through one of the types here, next to the option: argparse
applies them while parsing, so a bad value ends the command (one line, exit 2) before any work starts. Each type
is a frozen dataclass, so a test can read the bounds it declares (tests/test_cli_hostile.py walks them all).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scaling_core.core.errors import ECHO_CHARACTERS, ConfigError, echo
from scaling_core.hardware.fingerprint import default_threads
from scaling_core.hardware.measure import MeasureOptions
from scaling_core.hardware.runtimes import PRECISIONS, RUNTIMES

# Longer than any number an option takes: refused unparsed (a text of 5,000 digits is no number in range).
MAX_TOKEN_CHARS = 100
MAX_PATH_CHARS = 4096
_INTEGER = re.compile(r"[+-]?\d{1,30}")


def refused(text: str, allowed: str) -> argparse.ArgumentTypeError:
    """The error a type raises: the value (its first 40 characters) and what the option allows."""
    return argparse.ArgumentTypeError(f"{echo(text)} is invalid: allowed {allowed}")


def _number(value: float) -> str:
    return f"{value:,}" if float(value).is_integer() and abs(value) >= 1e4 else f"{value:g}"


@dataclass(frozen=True)
class Bounded:
    """An argparse type: an integer, or a finite number, in [low, high] (an end open where said)."""

    kind: type  # int or float
    low: float
    high: float
    low_open: bool = False
    high_open: bool = False
    what: str = ""  # the quantity, with its unit, where the option's name does not say it

    def allowed(self) -> str:
        """The allowed range in words, e.g. 'a finite number in (0, 4]'."""
        noun = "an integer" if self.kind is int else "a finite number"
        return f"{self.what + ', ' if self.what else ''}" + (
            f"{noun} in {'(' if self.low_open else '['}{_number(self.low)}, "
            f"{_number(self.high)}{')' if self.high_open else ']'}"
        )

    def contains(self, value: float) -> bool:
        """Whether a finite value lies within the bounds."""
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def __call__(self, text: str) -> int | float:
        value = self._parse(text)
        if value is None or not self.contains(value):
            raise refused(text, self.allowed())
        return value

    def _parse(self, text: str) -> int | float | None:
        text = text.strip()
        if self.kind is int:
            return int(text) if _INTEGER.fullmatch(text) else None
        if len(text) > MAX_TOKEN_CHARS:
            return None
        try:
            value = float(text)
        except ValueError:
            return None
        return value if math.isfinite(value) else None


def bounded_int(low: int, high: int) -> Bounded:
    """An argparse type: an integer in [low, high]."""
    return Bounded(int, low, high)


def bounded_float(
    low: float, high: float, *, low_open: bool = False, high_open: bool = False, what: str = ""
) -> Bounded:
    """An argparse type: a finite number in [low, high] (`low_open`/`high_open` exclude an end; `what` names it)."""
    return Bounded(float, low, high, low_open, high_open, what)


@dataclass(frozen=True)
class OneOf:
    """An argparse type: one of a fixed set of names (an item of a list; single options use `choices=`)."""

    choices: tuple[str, ...]
    noun: str = "value"

    def allowed(self) -> str:
        """The names allowed, in words."""
        return f"one of {', '.join(self.choices)}"

    def __call__(self, text: str) -> str:
        if text not in self.choices:
            # Named as the item so the line reads like a ConfigError: "recipe = 'x' is invalid: …".
            raise argparse.ArgumentTypeError(f"{self.noun} = {echo(text)} is invalid: allowed {self.allowed()}")
        return text


@dataclass(frozen=True)
class DatasetName(OneOf):
    """An argparse type: a shipped dataset's name, `scenes` (the dense tasks' generated scenes), or folder:PATH, a
    folder of your own images checked and decoded here, given back as its content name `folder:<digest>`: a folder
    with images/ and masks/ (at its top or under train/ and val/) is segmentation data (lab/mask_folders.py), any
    other one subfolder per class (lab/folders.py)."""

    def allowed(self) -> str:
        """The names and the folder allowed, in words."""
        return (
            f"one of {', '.join(self.choices)}, scenes, or folder:PATH (one subfolder per class, or images/ and masks/)"
        )

    def __call__(self, text: str) -> str:
        from scaling_core.lab.data import load_dataset
        from scaling_core.lab.dense_data import SCENES, is_mask_layout
        from scaling_core.lab.folders import PREFIX, open_folder

        if text == SCENES:
            return text
        if not text.startswith(PREFIX):
            return super().__call__(text)
        path = text.removeprefix(PREFIX)
        if not path.strip() or len(path) > MAX_PATH_CHARS or "\0" in path:
            raise refused(text, self.allowed())
        if is_mask_layout(path):  # checked by the command, which names each bad file on a line of its own
            return text
        try:  # every check, before any work
            return load_dataset(open_folder(path).name).info.name
        except ConfigError as exc:  # a folder refused: its lines, after argparse's "argument --dataset:"
            raise argparse.ArgumentTypeError(str(exc)) from None


@dataclass(frozen=True)
class ItemList:
    """An argparse type: a comma-separated list of 1 … max_items values, each checked by `item`."""

    item: Bounded | OneOf
    max_items: int = 16

    def allowed(self) -> str:
        """The list's bounds in words."""
        return f"1 to {self.max_items} comma-separated values, each {self.item.allowed()}"

    def __call__(self, text: str) -> list:
        parts = [part.strip() for part in text.split(",")]
        if not text.strip() or len(parts) > self.max_items or not all(parts):
            raise refused(text, self.allowed())
        try:
            return [self.item(part) for part in parts]
        except argparse.ArgumentTypeError as exc:
            raise argparse.ArgumentTypeError(f"{exc} (in the list {echo(text)})") from None


def float_list(low: float, high: float, max_items: int = 16) -> ItemList:
    """An argparse type: a comma-separated list of finite numbers in [low, high]."""
    return ItemList(bounded_float(low, high), max_items)


def name_list(choices: Sequence[str], noun: str) -> ItemList:
    """An argparse type: a comma-separated list of names from `choices`."""
    return ItemList(OneOf(tuple(choices), noun), len(choices))


@dataclass(frozen=True)
class Text:
    """An argparse type: a non-empty text of at most max_chars (a URL, a name checked later by its owner)."""

    what: str
    max_chars: int = 2048

    def allowed(self) -> str:
        """The text allowed, in words."""
        return f"{self.what} of 1 to {self.max_chars} characters"

    def __call__(self, text: str) -> str:
        if not text.strip() or len(text) > self.max_chars:
            raise refused(text, self.allowed())
        return text


@dataclass(frozen=True)
class InputFile:
    """An argparse type: an existing regular file of at most max_bytes, checked without reading it."""

    max_bytes: int
    suffix: str = ""

    def allowed(self) -> str:
        """The file allowed, in words."""
        kind = f"a {self.suffix} file" if self.suffix else "a file"
        return f"{kind} of at most {self.max_bytes:,} bytes"

    def __call__(self, text: str) -> str:
        if not text or len(text) > MAX_PATH_CHARS or (self.suffix and not text.endswith(self.suffix)):
            raise refused(text, self.allowed())
        try:
            status = os.stat(text)
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
            raise refused(text, f"an existing {self.allowed()[2:]} ({getattr(exc, 'strerror', None) or exc})") from None
        if not stat.S_ISREG(status.st_mode):
            # A folder, a device (/dev/zero) or a pipe: none has a size to check before reading.
            raise refused(text, f"a regular file, {self.allowed()}")
        if status.st_size > self.max_bytes:
            raise refused(text, f"{self.allowed()} (it has {status.st_size:,})")
        return text


@dataclass(frozen=True)
class NameOrFile:
    """An argparse type: one of a set of shipped names, or a file checked by `file` (named by its suffix)."""

    names: tuple[str, ...]
    file: InputFile
    what: str

    def allowed(self) -> str:
        """The names and the file allowed, in words."""
        return f"{self.what}: one of {', '.join(self.names)}, or {self.file.allowed()}"

    def __call__(self, text: str) -> str:
        if text in self.names:
            return text
        if text.endswith(self.file.suffix):
            return self.file(text)
        raise refused(text, self.allowed())


def read_checked(path: str, max_bytes: int) -> bytes:
    """A file's bytes, at most max_bytes + 1 of them (a file that grew after its check is refused by its size)."""
    with open(path, "rb") as handle:
        return handle.read(max_bytes + 1)


@dataclass(frozen=True)
class OutputFile:
    """An argparse type: a path a command may write: a regular file or a new name, in an existing writable folder."""

    def allowed(self) -> str:
        """The path allowed, in words."""
        return "a file path in an existing, writable folder"

    def __call__(self, text: str) -> Path:
        if not text or len(text) > MAX_PATH_CHARS or "\0" in text:
            raise refused(text, self.allowed())
        try:
            problem = self._problem(Path(text))
        except OSError as exc:  # a name too long for the file system, say
            problem = f" ({exc.strerror})"
        if problem is not None:
            raise refused(text, self.allowed() + problem)
        return Path(text)

    @staticmethod
    def _problem(path: Path) -> str | None:
        """What keeps the command from writing there (appended to the allowed text), or None."""
        if path.is_dir():
            return ", not a folder"
        if not path.parent.is_dir():
            return f" (the folder {echo(str(path.parent))} does not exist)"
        if path.exists() and not path.is_file():
            return ", a regular file (not a device or pipe)"
        if not os.access(path if path.exists() else path.parent, os.W_OK):
            return " (not writable here)"
        return None


@dataclass(frozen=True)
class SchedulerAddress:
    """An argparse type: where a command's jobs run, `local:N` or tcp://HOST:PORT (executor.cluster checks it)."""

    max_chars: int = 300

    def allowed(self) -> str:
        """The addresses allowed, in words."""
        from scaling_core.executor.cluster import ALLOWED

        return ALLOWED

    def __call__(self, text: str) -> str:
        from scaling_core.executor.cluster import parse_scheduler

        if len(text) > self.max_chars:
            raise refused(text, self.allowed())
        try:
            return parse_scheduler(text)
        except ConfigError:
            raise refused(text, self.allowed()) from None


STORE_URL = Text("a SQLAlchemy database URL")
SEEDS = bounded_int(1, 20)  # seeds per configuration, as the lab's grid allows
EPOCHS = bounded_int(1, 100)  # the lab budget's override, as lab_budget allows
WORKERS = bounded_int(1, 64)  # training processes
SEED = bounded_int(0, 2**32 - 1)  # numpy's seed range
LAB_PHIS = float_list(0.0, 8.0)  # φ of the lab's trained networks (the app's φ slider range)


def add_store_argument(parser: argparse.ArgumentParser, help_text: str | None = None) -> None:
    """The --store option: the results store's SQLAlchemy URL."""
    parser.add_argument(
        "--store",
        type=STORE_URL,
        help=help_text
        or "SQLAlchemy URL of the results store (default: SCALING_LAB_STORE_URL or "
        "the SQLite file under ~/.local/share/compound-scaling-lab)",
    )


def add_scheduler_argument(parser: argparse.ArgumentParser) -> None:
    """The --scheduler option: run the command's jobs on a Dask cluster instead of local processes."""
    parser.add_argument(
        "--scheduler",
        type=SchedulerAddress(),
        help="run the jobs on a Dask cluster: tcp://HOST:PORT of a running scheduler, or local:N for a cluster of "
        "N worker processes here (default: SCALING_LAB_SCHEDULER, else local processes)",
    )


def add_training_device_arguments(parser: argparse.ArgumentParser) -> None:
    """--device and --amp of training: a CUDA GPU, and mixed precision on it (both recorded in the run keys)."""
    parser.add_argument(
        "--device", default="cpu", choices=("cpu", "cuda"), help="train on the CPU (default) or a CUDA GPU"
    )
    parser.add_argument(
        "--amp", action="store_true", help="automatic mixed precision (float16 autocast; with --device cuda only)"
    )


def add_measuring_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a latency measurement: batch, threads, memory format, device, run time, store."""
    parser.add_argument("--batch", type=bounded_int(1, 256), default=1, help="batch size (default 1)")
    parser.add_argument(
        "--threads",
        type=bounded_int(1, 256),
        default=default_threads(),
        help="torch threads (default 1, the most repeatable on a shared machine)",
    )
    parser.add_argument("--channels-last", action="store_true", help="channels_last memory format")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument(
        "--min-run-time", type=bounded_float(0.0, 60.0, low_open=True), help="seconds of timed runs per measurement"
    )
    parser.add_argument(
        "--runtime",
        default="eager",
        choices=RUNTIMES,
        help="what runs the network: PyTorch eager (default), torch.compile, ONNX Runtime or OpenVINO (an exported "
        "ONNX file); each runtime on a device is a device of its own in the store",
    )
    parser.add_argument(
        "--precision",
        default="fp32",
        choices=PRECISIONS,
        help="fp32 (default) or int8 (ONNX Runtime's static QDQ quantization, calibrated on natural images)",
    )
    add_store_argument(parser)


def measuring_options(args: argparse.Namespace, default_run_time: float = 0.5) -> MeasureOptions:
    """The measurement options the arguments name (`default_run_time` where --min-run-time is not given)."""
    return MeasureOptions(
        args.batch,
        args.threads,
        args.channels_last,
        args.device,
        default_run_time if args.min_run_time is None else args.min_run_time,
        args.runtime,
        args.precision,
    )


# argparse's own messages that echo what was typed, whole: the typed part is cut to ECHO_CHARACTERS.
_ARGPARSE_ECHOES = (
    re.compile(r"(?P<head>.*?invalid choice: )(?P<value>.*?)(?P<tail> \(choose from .*\))"),
    re.compile(r"(?P<head>.*?unrecognized arguments: )(?P<value>.*)(?P<tail>)"),
    re.compile(r"(?P<head>.*?invalid \w+ value: )(?P<value>.*)(?P<tail>)"),
)


def shortened_message(message: str) -> str:
    """An argparse message on one line with what was typed cut to ECHO_CHARACTERS (as ConfigError echoes it)."""
    message = message.replace("\r", " ").replace("\n", " ")
    for pattern in _ARGPARSE_ECHOES:
        match = pattern.fullmatch(message)
        if match and len(match["value"]) > ECHO_CHARACTERS:
            message = f"{match['head']}{match['value'][:ECHO_CHARACTERS]}…{match['tail']}"
            break
    # Any other long run of text (an ambiguous --option=value, say) is cut too; echoed values are shorter than this.
    return re.sub(rf"\S{{{ECHO_CHARACTERS + 4},}}", lambda m: m.group(0)[:ECHO_CHARACTERS] + "…", message)
