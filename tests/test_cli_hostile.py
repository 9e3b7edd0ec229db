"""Every argument of every `scaling-lab` command, walked with hostile values: refused in one line, or accepted where
its declared bounds allow the value; never a traceback, never slow. The walk reads the parser `main` builds, so a
new option is walked as soon as it exists (and fails here if it takes a value with no declared bound)."""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
from pathlib import Path

import pytest

from scaling_core.cli import main as cli
from scaling_core.cli.arguments import (
    Bounded,
    InputFile,
    ItemList,
    NameOrFile,
    OneOf,
    OutputFile,
    SchedulerAddress,
    Text,
)
from scaling_core.core.errors import ConfigError

PARSER = cli.make_parser()
SECONDS_PER_CASE = 5
HUGE_DIGITS = "1" * 5000  # 10**5000-ish: over Python's 4,300-digit limit for int(str)
MISSING_FOLDER = "/no-such-folder/x.json"
HOSTILE = {  # class → values
    "non-finite": ["nan", "inf", "-inf"],
    "negative": ["-1"],
    "zero": ["0"],
    "huge": ["1e308", HUGE_DIGITS, "1000000000"],
    "empty": [""],
    "wrong type": ["abc"],
    "path": [MISSING_FOLDER, "<a directory>", "/dev/zero"],
}


def leaf_parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command words, parser) of every command that runs: `cost`, `lab run`, …"""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subparsers:
        yield path, parser
    for action in subparsers:
        for name, sub in action.choices.items():
            yield from leaf_parsers(sub, (*path, name))


def value_options():
    """(command words, action) of every argument that takes a value."""
    for path, parser in leaf_parsers(PARSER):
        for action in parser._actions:
            if action.nargs != 0 and not isinstance(action, argparse._SubParsersAction):
                yield path, action


OPTIONS = list(value_options())


def option_name(action: argparse.Action) -> str:
    return action.option_strings[-1] if action.option_strings else action.dest


def argv_for(path: tuple[str, ...], action: argparse.Action, value: str) -> list[str]:
    """The command line giving `value` to the option (`--x=value`, so '-inf' and '' reach it as values)."""
    if not action.option_strings:
        return [*path, "--", value]
    if isinstance(action.nargs, int) and action.nargs > 1:
        return [*path, action.option_strings[-1], *[value] * action.nargs]
    return [*path, f"{action.option_strings[-1]}={value}"]


def number(text: str, kind: type) -> float | None:
    """The value as the bound's kind reads it, independently of the type under test; None if it is not one."""
    if kind is int:
        return int(text) if re.fullmatch(r"[+-]?\d{1,30}", text.strip()) else None
    try:
        value = float(text) if len(text) <= 100 else math.inf
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def within(bound: Bounded, text: str) -> bool:
    value = number(text, bound.kind)
    if value is None:
        return False
    above = value > bound.low if bound.low_open else value >= bound.low
    below = value < bound.high if bound.high_open else value <= bound.high
    return above and below


def is_small_regular_file(text: str, file: InputFile) -> bool:
    try:
        status = os.stat(text)
    except (OSError, ValueError):
        return False
    return text.endswith(file.suffix) and Path(text).is_file() and status.st_size <= file.max_bytes


def writable_new_or_regular(text: str) -> bool:
    if not text:
        return False
    path = Path(text)
    try:
        if path.is_dir() or not path.parent.is_dir():
            return False
        return (path.is_file() if path.exists() else True) and os.access(
            path if path.exists() else path.parent, os.W_OK
        )
    except OSError:
        return False


def accepts(action: argparse.Action, text: str) -> bool:
    """Whether the option's declared bounds allow this value (decided here, not by calling the type)."""
    kind = action.type
    if action.choices is not None:
        return text in {str(c) for c in action.choices} and (not isinstance(kind, Bounded) or within(kind, text))
    if isinstance(kind, Bounded):
        return within(kind, text)
    if isinstance(kind, ItemList):  # every hostile value is a one-item list
        item = kind.item
        return within(item, text) if isinstance(item, Bounded) else text in item.choices
    if isinstance(kind, OneOf):
        return text in kind.choices
    if isinstance(kind, Text):
        return bool(text.strip()) and len(text) <= kind.max_chars
    if isinstance(kind, InputFile):
        return is_small_regular_file(text, kind)
    if isinstance(kind, NameOrFile):
        return text in kind.names or is_small_regular_file(text, kind.file)
    if isinstance(kind, OutputFile):
        return writable_new_or_regular(text)
    if isinstance(kind, SchedulerAddress):
        return re.fullmatch(r"local:0*([1-9]|[1-5]\d|6[0-4])|(tcp|tls)://[\w.\-\[\]:]+:\d{1,5}", text) is not None
    raise AssertionError(f"{option_name(action)} takes a value with no declared bound (type {kind!r})")


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout


@pytest.fixture
def walk(monkeypatch, tmp_path, capsys):
    """Run one command line through `main` with the handlers stubbed (an accepted value must not start the
    command's work: the bounds are what is walked), one parser built once, and a per-case time limit."""
    monkeypatch.chdir(tmp_path)  # "abc" and friends name no file here; an output file may be created here
    monkeypatch.setattr(cli, "make_parser", lambda: PARSER)
    monkeypatch.setattr(cli, "HANDLERS", {name: (lambda args: 0) for name in cli.HANDLERS})
    previous = signal.signal(signal.SIGALRM, _alarm)

    def run(argv: list[str]) -> tuple[int, str]:
        capsys.readouterr()
        signal.alarm(SECONDS_PER_CASE)
        try:
            status = cli.main(argv)
        finally:
            signal.alarm(0)
        captured = capsys.readouterr()
        return status, captured.err

    yield run
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("path, action", OPTIONS, ids=[f"{' '.join(p)} {option_name(a)}" for p, a in OPTIONS])
def test_every_argument_refuses_hostile_values_in_one_line(walk, tmp_path, path, action):
    name = option_name(action)
    failures = []
    for values in HOSTILE.values():
        for value in values:
            value = str(tmp_path) if value == "<a directory>" else value
            expected = accepts(action, value)
            try:
                status, err = walk(argv_for(path, action, value))
            except Timeout:
                failures.append(f"{value[:20]!r}: over {SECONDS_PER_CASE} s")
                continue
            if expected:
                if (status, err) != (0, ""):
                    failures.append(f"{value[:20]!r}: allowed by its bounds, got {status} {err[:200]!r}")
                continue
            problems = [
                status != 2 and f"exit {status}",
                (err.count("\n") != 1 or not err.endswith("\n")) and "not exactly one line",
                name not in err and f"{name} not named",
                "Traceback" in err and "a traceback",
                len(value) > 41 and value[:41] in err and "the value echoed past 40 characters",
            ]
            if any(problems):
                failures.append(f"{value[:20]!r}: {', '.join(p for p in problems if p)}: {err[:300]!r}")
    assert not failures, f"{' '.join(path)} {name}:\n" + "\n".join(failures)


def test_the_walk_covers_every_command_and_reports_its_counts():
    """Every command is walked, with every class of value; the counts are the note's figures."""
    commands = {" ".join(path) for path, _ in leaf_parsers(PARSER)}
    walked = {" ".join(path) for path, _ in OPTIONS}
    assert commands == walked and len(commands) >= 16
    cases = len(OPTIONS) * sum(len(v) for v in HOSTILE.values())
    assert cases >= 2000  # 172 options × 13 values when written


# The failures the issue names, each through the real handler (no stub), each before any work.


def refused(capsys, argv: list[str], name: str) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and name in err and "Traceback" not in err, err


def test_bench_checks_its_csv_and_every_network_before_measuring(capsys, tmp_path, monkeypatch):
    import scaling_core.hardware.measure as measure

    def no_measuring(*args, **kwargs):
        raise AssertionError("measured before the arguments were checked")

    monkeypatch.setattr(measure, "measure_cached", no_measuring)
    store = f"sqlite:///{tmp_path / 's.sqlite'}"
    recipe = ["--alpha", "1.2", "--beta", "1.1", "--gamma", "1.15", "--store", store]
    refused(capsys, ["bench", *recipe, "--phi", "1", "--csv", str(tmp_path / "missing" / "rows.csv")], "--csv")
    refused(capsys, ["bench", *recipe, "--phi", "1", "--csv", str(tmp_path)], "--csv")
    # The second network is too large to build: found before the first is measured.
    refused(capsys, ["bench", *recipe, "--alpha", "4", "--phi", "0", "20"], "phi")
    many = [str(p / 10) for p in range(65)]
    refused(capsys, ["bench", *recipe, "--phi", *many], "--phi")


def test_cover_at_the_largest_dimension_prints_its_counts(capsys, tmp_path):
    store = f"sqlite:///{tmp_path / 's.sqlite'}"
    assert cli.main(["cover", "--dimension", "5000", "--ratios", "0.5,4", "--store", store, "--json"]) == 0
    import json

    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows[0]["separable_count"] == str(2**2500)  # every labelling of N ≤ d points is separable
    assert re.fullmatch(r"\d\.\d{6}e\+\d+", rows[1]["separable_count"])  # 20,004 points: too long for decimal


def test_cover_simulation_is_bounded_before_it_starts(capsys, tmp_path):
    store = f"sqlite:///{tmp_path / 's.sqlite'}"
    refused(capsys, ["cover", "--monte-carlo", "10000", "--store", store], "--monte-carlo")
    refused(capsys, ["cover", "--dimension", "500", "--monte-carlo", "1", "--store", store], "--dimension")


def test_files_are_checked_before_they_are_read(capsys, tmp_path, monkeypatch):
    from scaling_core.studies.spectrum.images import spectrum_settings

    big = tmp_path / "big.png"
    with open(big, "wb") as handle:  # sparse: its size is what is checked, no byte of it is read
        handle.truncate(spectrum_settings().upload.max_bytes + 1)
    refused(capsys, ["spectrum", str(big)], "images")
    refused(capsys, ["spectrum", "/dev/zero"], "images")
    refused(capsys, ["cost", "--preset", "b0", "--base", "/dev/zero"], "--base")
    many = tmp_path / "tiny.png"
    many.write_bytes(b"x")
    limit = spectrum_settings().upload.max_files
    refused(capsys, ["spectrum", *[str(many)] * (limit + 1)], "images")


def test_output_paths_are_checked_before_any_training(capsys, tmp_path, monkeypatch):
    import scaling_core.lab.runs as runs

    monkeypatch.setattr(runs, "run_grid", lambda *a, **k: pytest.fail("trained before --save-to was checked"))
    store = f"sqlite:///{tmp_path / 's.sqlite'}"
    refused(capsys, ["lab", "run", "--save-to", str(tmp_path), "--store", store], "--save-to")
    refused(capsys, ["lab", "run", "--save-to", "/dev/zero", "--store", store], "--save-to")
    refused(capsys, ["robustness", "--save-to", str(tmp_path / "no" / "r.json"), "--store", store], "--save-to")


def test_a_progress_bar_never_glues_to_the_error_line(capsys, tmp_path, monkeypatch):
    """On a terminal the bar is drawn; an error raised under it starts on a line of its own."""
    import io

    import scaling_core.lab.runs as runs

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def fails_midway(dataset, aliases, phis, seeds, store, budget, workers, progress, **options):
        progress(1, 4)
        raise ConfigError("grid", "planted", "a grid that trains")

    monkeypatch.setattr(runs, "run_grid", fails_midway)
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    status = cli.main(["lab", "run", "--store", f"sqlite:///{tmp_path / 's.sqlite'}"])
    text = terminal.getvalue()
    assert status == 2 and "1/4" in text
    assert re.search(r"(^|\n)error: grid = 'planted'", text) and text.endswith("\n"), repr(text)
