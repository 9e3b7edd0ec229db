"""Base networks as data: the unscaled architecture that a recipe multiplies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from scaling_core.core.errors import ConfigError
from scaling_core.core.paths import BASES_DIR
from scaling_core.core.settings import read_json_bytes, validation_error

Block = Literal["mbconv"]
SUPPORTED_BLOCKS = get_args(Block)


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


MAX_BASE_BYTES = 1_000_000


def _odd(kernel: int) -> int:
    if kernel % 2 == 0:
        raise ValueError("an odd integer (same padding)")
    return kernel


Kernel = Annotated[int, Field(ge=1, le=31), AfterValidator(_odd)]
Stride = Annotated[int, Field(ge=1, le=8)]
Channels = Annotated[int, Field(ge=1, le=1_000_000)]


class _StemFile(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    out_channels: Channels
    kernel: Kernel
    stride: Stride


class _StageFile(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    block: Block
    expand_ratio: Annotated[int, Field(ge=1, le=64)]
    kernel: Kernel
    stride: Stride
    out_channels: Channels
    repeats: Annotated[int, Field(ge=1, le=10_000)]
    se_ratio: Annotated[float, Field(ge=0.0, le=1.0)]


class _HeadFile(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    out_channels: Channels


class BaseSpecFile(BaseModel):
    """The schema of a base spec (data/bases/*.json, or a file given to --base): unknown keys are refused."""

    model_config = ConfigDict(strict=True, extra="forbid")
    name: str | None = None
    description: str = ""
    citation: str = ""
    resolution_px: Annotated[int, Field(ge=8, le=100_000)]
    in_channels: Channels
    num_classes: Channels
    stem: _StemFile
    stages: Annotated[list[_StageFile], Field(min_length=1)]
    head: _HeadFile
    dropout: Annotated[float, Field(ge=0.0, le=0.99)] = 0.0


@lru_cache(maxsize=32)
def _load_base_file(path: str) -> BaseSpec:
    raw = read_json_bytes(Path(path), "base", MAX_BASE_BYTES)
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError("base", path, f"a JSON base spec ({type(exc).__name__})") from None
    return parse_base(document, source=path)


def parse_base(raw: dict, source: str = "base") -> BaseSpec:
    """Validate a base spec mapping (the JSON format of data/bases) into a BaseSpec; ConfigError naming the field."""
    if not isinstance(raw, dict):
        raise ConfigError("base", source, "a JSON object in the base spec format (data/bases/*.json)")
    try:
        spec = BaseSpecFile.model_validate(raw)
    except ValidationError as exc:
        raise validation_error(exc) from None
    return BaseSpec(
        name=spec.name if spec.name is not None else Path(source).stem,
        resolution_px=spec.resolution_px,
        in_channels=spec.in_channels,
        num_classes=spec.num_classes,
        stem=BaseStem(spec.stem.out_channels, spec.stem.kernel, spec.stem.stride),
        stages=tuple(
            BaseStage(s.block, s.expand_ratio, s.kernel, s.stride, s.out_channels, s.repeats, s.se_ratio)
            for s in spec.stages
        ),
        head_channels=spec.head.out_channels,
        dropout=spec.dropout,
        description=spec.description,
        citation=spec.citation,
    )
