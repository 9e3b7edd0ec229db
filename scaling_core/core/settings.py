"""One loader for every data/**/settings.json: read, validate against the caller's pydantic model, or ConfigError.

Each layer declares the model of its own settings file (subclassing `SettingsModel`); this module only reads
and reports. A bad file gives a ConfigError naming the file, the dotted key and what was expected, never a
KeyError or a pydantic ValidationError, so the CLI and the pages show it like any other bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, TypeVar

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


def load_settings(relative_path: str, model: type[Model], data_dir: Path | None = None) -> Model:
    """data/<relative_path> validated against model; ConfigError naming the file and the dotted key otherwise."""
    path = (data_dir or paths.DATA_DIR) / relative_path
    where = f"data/{relative_path}"
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(where, str(path), f"a readable settings file ({exc})") from None
    try:
        # JSON mode: strict types still read a JSON array as a tuple and an object as a dataclass.
        return model.model_validate_json(text)
    except ValidationError as exc:
        raise _config_error(where, exc) from None


MISSING = ("missing", "missing_argument", "missing_keyword_only_argument")
UNKNOWN = ("extra_forbidden", "unexpected_keyword_argument")


def _config_error(where: str, exc: ValidationError) -> ConfigError:
    """The first problem of a validation error as a ConfigError (with how many others there are)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    key = _dotted(first["loc"])
    more = f" ({len(errors) - 1} more problems in the file)" if len(errors) > 1 else ""
    cause = first.get("ctx", {}).get("error")
    if isinstance(cause, ConfigError):
        # A dataclass field's own check (e.g. RoundingPolicy's): its parameter is a key below this one.
        return ConfigError(f"{where}: {key}.{cause.parameter}", cause.value, f"{cause.allowed}{more}")
    if first["type"] in MISSING:
        return ConfigError(f"{where}: {key}", "<missing>", f"a value: the key is required{more}")
    if first["type"] in UNKNOWN:
        return ConfigError(f"{where}: {key}", first["input"], f"no such key: not a setting (misspelt?){more}")
    expected = first["msg"].removeprefix("Value error, ").removeprefix("Input should be ")
    return ConfigError(f"{where}: {key}", first["input"], f"{expected}{more}")


def _dotted(loc: tuple[Any, ...]) -> str:
    """('budget', 'epochs') → budget.epochs; ('grid', 'phis', 2) → grid.phis[2]."""
    key = ""
    for part in loc:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "(the whole file)"
