"""One loader for every data/**/settings.json: read, validate against the caller's pydantic model, or ConfigError.

Each layer declares the model of its own settings file (subclassing `SettingsModel`); this module only reads
and reports. A bad file gives a ConfigError naming the file, the dotted key and what was expected, never a
KeyError or a pydantic ValidationError, so the CLI and the pages show it like any other bad input.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, PlainValidator, ValidationError

from scaling_core.core import paths
from scaling_core.core.errors import ConfigError


class SettingsModel(BaseModel):
    """Base of the settings models: strict JSON types (no "3" for 3), unknown keys refused (a misspelt key is an error).

    Fields may be frozen dataclasses of the layer that owns them (RoundingPolicy, Budget): their own checks
    run, and a ConfigError they raise is reported under the file's key. Frozen, so a cached settings object
    cannot be changed by one caller under another. Documentation keys ("note", "citation", ...) are declared
    as optional strings; `model_dump(exclude_unset=True)` gives back exactly the mapping the file holds.
    """

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


def _number(value: object) -> int | float:
    # An int stays an int: settings are part of cache keys, and 1 and 1.0 are different JSON.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("a number")
    return value


Number = Annotated[int | float, PlainValidator(_number)]
"""A JSON number kept as written (int or float), for values such as φ grids that may be either."""

Model = TypeVar("Model", bound=BaseModel)

# Limits every JSON file or upload is checked against before it is parsed (settings, base specs, imports):
# a parser recurses per nesting level, and Python refuses to convert integers of over 4,300 digits.
MAX_SETTINGS_BYTES = 1_000_000
MAX_JSON_DEPTH = 32
MAX_NUMBER_CHARACTERS = 100
_LONG_NUMBER = re.compile(rb"[-+0-9.eE]{%d,}" % (MAX_NUMBER_CHARACTERS + 1))


def check_json_text(raw: bytes, where: str, max_bytes: int) -> None:
    """ConfigError for a JSON text too large, nested too deep or holding too long a number, before it is parsed.

    Linear and without recursion (numpy over the bytes): the quotes that open and close strings are found (a
    quote after an odd run of backslashes is escaped), and outside strings the brackets are counted and the
    number tokens measured. Up to where a parser would stop on bad syntax, this is the parser's own view.
    """
    if len(raw) > max_bytes:
        raise ConfigError(f"{where} size", f"{len(raw):,} bytes", f"at most {max_bytes:,} bytes")
    codes = np.frombuffer(raw, dtype=np.uint8)
    index = np.arange(codes.size, dtype=np.int64)
    last_other = np.maximum.accumulate(np.where(codes == ord("\\"), -1, index))
    quotes = np.flatnonzero(codes == ord('"'))
    before = quotes[quotes > 0] - 1
    backslashes = np.zeros(quotes.size, dtype=np.int64)
    backslashes[quotes > 0] = before - last_other[before]
    toggles = np.zeros(codes.size, dtype=np.uint8)
    toggles[quotes[backslashes % 2 == 0]] = 1
    inside = np.bitwise_xor.accumulate(toggles).astype(bool)
    opening, closing = np.isin(codes, np.frombuffer(b"[{", np.uint8)), np.isin(codes, np.frombuffer(b"]}", np.uint8))
    brackets = np.flatnonzero((opening | closing) & ~inside)
    depth = int(np.cumsum(np.where(opening[brackets], 1, -1)).max(initial=0))
    if depth > MAX_JSON_DEPTH:
        raise ConfigError(f"{where} nesting", f"{depth:,} levels", f"at most {MAX_JSON_DEPTH} levels of [ ] and {{ }}")
    number = _LONG_NUMBER.search(np.where(inside, ord(" "), codes).astype(np.uint8).tobytes())
    if number:
        raise ConfigError(
            f"{where} number",
            f"{len(number.group()):,} characters long",
            f"numbers of at most {MAX_NUMBER_CHARACTERS} characters",
        )


def read_json_bytes(path: Path, where: str, max_bytes: int) -> bytes:
    """A JSON file's bytes, its size checked before it is read (and read no further), then `check_json_text`."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigError(where, str(path), f"a readable JSON file ({exc.strerror or type(exc).__name__})") from None
    check_json_text(raw, where, max_bytes)
    return raw


def load_settings(relative_path: str, model: type[Model], data_dir: Path | None = None) -> Model:
    """data/<relative_path> validated against model; ConfigError naming the file and the dotted key otherwise."""
    path = (data_dir or paths.DATA_DIR) / relative_path
    where = f"data/{relative_path}"
    raw = read_json_bytes(path, where, MAX_SETTINGS_BYTES)
    try:
        # JSON mode: strict types still read a JSON array as a tuple and an object as a dataclass.
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise validation_error(exc, f"{where}: ") from None


MISSING = ("missing", "missing_argument", "missing_keyword_only_argument")
UNKNOWN = ("extra_forbidden", "unexpected_keyword_argument")


def validation_error(exc: ValidationError, prefix: str = "") -> ConfigError:
    """The first problem of a validation error as a ConfigError naming its dotted key after `prefix` (and how many
    others there are): the one way every validated file or import reports."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    key = _dotted(first["loc"])
    more = f" ({len(errors) - 1} more problems in the file)" if len(errors) > 1 else ""
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, ConfigError):
        # A dataclass field's own check (e.g. RoundingPolicy's): its parameter is a key below this one.
        return ConfigError(f"{prefix}{key}.{cause.parameter}", cause.value, f"{cause.allowed}{more}")
    if first["type"] in MISSING:
        return ConfigError(f"{prefix}{key}", "<missing>", f"a value: the key is required{more}")
    if first["type"] in UNKNOWN:
        return ConfigError(f"{prefix}{key}", first["input"], f"no such key (misspelt?){more}")
    expected = first["msg"].removeprefix("Value error, ").removeprefix("Input should be ")
    return ConfigError(f"{prefix}{key}", first["input"], f"{expected}{more}")


def _dotted(loc: tuple[Any, ...]) -> str:
    """('budget', 'epochs') → budget.epochs; ('grid', 'phis', 2) → grid.phis[2]."""
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "(the whole file)"
