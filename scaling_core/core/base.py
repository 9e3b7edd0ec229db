"""Base networks as data: the unscaled architecture that a recipe multiplies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from scaling_core.core.errors import ConfigError
from scaling_core.core.paths import BASES_DIR

SUPPORTED_BLOCKS = ("mbconv",)


@dataclass(frozen=True)
class BaseStem:
    """The first convolution (conv, batch norm, SiLU)."""

    out_channels: int
    kernel: int
    stride: int


@dataclass(frozen=True)
class BaseStage:
    """One stage of identical blocks before scaling; only the first block has the stride."""

    block: str
    expand_ratio: int
    kernel: int
    stride: int
    out_channels: int
    repeats: int
    se_ratio: float


@dataclass(frozen=True)
class BaseSpec:
    """An unscaled network: stem, stages, 1×1 head conv, pool, dropout, linear classifier."""

    name: str
    resolution_px: int
    in_channels: int
    num_classes: int
    stem: BaseStem
    stages: tuple[BaseStage, ...]
    head_channels: int
    dropout: float
    description: str = ""
    citation: str = ""

    @property
    def min_resolution_px(self) -> int:
        """The smallest input the strides allow: their product (one pixel left after the last stride)."""
        product = self.stem.stride
        for stage in self.stages:
            product *= stage.stride
        return product


def available_bases() -> tuple[str, ...]:
    """Names of the base specs shipped in data/bases."""
    return tuple(sorted(p.stem for p in BASES_DIR.glob("*.json")))


def load_base(name_or_path: str | Path = "efficientnet-b0") -> BaseSpec:
    """A base spec by shipped name, or from a JSON file in the same format."""
    path = Path(name_or_path)
    if path.suffix != ".json" or not path.is_file():
        if str(name_or_path) not in available_bases():
            raise ConfigError(
                "base", str(name_or_path), f"one of {', '.join(available_bases())} or a path to a base spec .json file"
            )
        path = BASES_DIR / f"{name_or_path}.json"
    return _load_base_file(str(path.resolve()))


@lru_cache(maxsize=32)
def _load_base_file(path: str) -> BaseSpec:
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError("base", path, f"a readable JSON base spec ({exc})") from None
    return parse_base(raw, source=path)


def parse_base(raw: dict, source: str = "base") -> BaseSpec:
    """Validate a base spec mapping (the JSON format of data/bases) into a BaseSpec."""
    if not isinstance(raw, dict):
        raise ConfigError("base", source, "a JSON object in the base spec format (data/bases/*.json)")

    def field(mapping: object, key: str, where: str, kind: type, minimum: float, maximum: float = 1e6):
        if not isinstance(mapping, dict) or key not in mapping:
            raise ConfigError(f"{where}.{key}", None, f"present in {source}")
        value = mapping[key]
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and minimum <= value <= maximum
        if kind is int:
            ok = ok and float(value).is_integer()
        if not ok:
            raise ConfigError(
                f"{where}.{key}", value, f"{'an integer' if kind is int else 'a number'} in [{minimum:g}, {maximum:g}]"
            )
        return kind(value)

    def odd_kernel(mapping: object, where: str) -> int:
        kernel = field(mapping, "kernel", where, int, 1, 31)
        if kernel % 2 == 0:
            raise ConfigError(f"{where}.kernel", kernel, "an odd integer (same padding)")
        return kernel

    stem = BaseStem(
        field(raw.get("stem"), "out_channels", "stem", int, 1),
        odd_kernel(raw.get("stem"), "stem"),
        field(raw.get("stem"), "stride", "stem", int, 1, 8),
    )
    stages_raw = raw.get("stages")
    if not isinstance(stages_raw, list) or not stages_raw:
        raise ConfigError("stages", stages_raw, f"a non-empty list in {source}")
    stages = []
    for i, s in enumerate(stages_raw):
        where = f"stages[{i}]"
        block = s.get("block") if isinstance(s, dict) else None
        if block not in SUPPORTED_BLOCKS:
            raise ConfigError(f"{where}.block", block, f"one of {', '.join(SUPPORTED_BLOCKS)}")
        stages.append(
            BaseStage(
                block,
                field(s, "expand_ratio", where, int, 1, 64),
                odd_kernel(s, where),
                field(s, "stride", where, int, 1, 8),
                field(s, "out_channels", where, int, 1),
                field(s, "repeats", where, int, 1, 10_000),
                field(s, "se_ratio", where, float, 0, 1),
            )
        )
    dropout = field(raw, "dropout", "base", float, 0, 0.99) if "dropout" in raw else 0.0
    return BaseSpec(
        name=str(raw.get("name", Path(source).stem)),
        resolution_px=field(raw, "resolution_px", "base", int, 8, 100_000),
        in_channels=field(raw, "in_channels", "base", int, 1),
        num_classes=field(raw, "num_classes", "base", int, 1),
        stem=stem,
        stages=tuple(stages),
        head_channels=field(raw.get("head"), "out_channels", "head", int, 1),
        dropout=dropout,
        description=str(raw.get("description", "")),
        citation=str(raw.get("citation", "")),
    )
