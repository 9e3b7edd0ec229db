"""Base networks as data: the unscaled architecture that a recipe multiplies."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from scaling_core.core.errors import ConfigError
from scaling_core.core.paths import BASES_DIR
from scaling_core.core.regnet import STAGE_STRIDE, RegNetParams, regnet_stages
from scaling_core.core.rounding import RoundingPolicy
from scaling_core.core.settings import read_json_bytes, validation_error

Block = Literal["mbconv", "fused_mbconv", "basic", "bottleneck"]
SUPPORTED_BLOCKS = get_args(Block)
Activation = Literal["silu", "relu"]


@dataclass(frozen=True)
class BaseStem:
    """The first convolution (conv, batch norm, activation), then a max pool where pool_kernel > 0 (ResNet's)."""

    out_channels: int
    kernel: int
    stride: int
    pool_kernel: int = 0
    pool_stride: int = 1


@dataclass(frozen=True)
class BaseStage:
    """One stage of identical blocks before scaling; only the first block has the stride.

    mbconv and fused_mbconv read expand_ratio and se_ratio (of the block's input width); basic reads neither;
    bottleneck reads bottleneck_ratio (inner width = out_channels × ratio), group_width (channels per group of
    its k×k conv; 0: one group) and se_ratio (RegNetY's, of the block's input width)."""

    block: str
    expand_ratio: int
    kernel: int
    stride: int
    out_channels: int
    repeats: int
    se_ratio: float
    bottleneck_ratio: float = 1.0
    group_width: int = 0


@dataclass(frozen=True)
class BaseSpec:
    """An unscaled network: stem, stages, [1×1 head conv], pool, dropout, linear classifier.

    head_channels None: no head conv (ResNet, RegNet). family names the preset family a base belongs to; rounding
    is the family's own (how its stage depths, widths and input side are rounded when it is scaled)."""

    name: str
    resolution_px: int
    in_channels: int
    num_classes: int
    stem: BaseStem
    stages: tuple[BaseStage, ...]
    head_channels: int | None
    dropout: float
    description: str = ""
    citation: str = ""
    activation: str = "silu"
    family: str = ""
    rounding: RoundingPolicy = RoundingPolicy()

    @property
    def min_resolution_px(self) -> int:
        """The smallest input the strides allow: their product (one pixel left after the last stride)."""
        product = self.stem.stride * self.stem.pool_stride
        for stage in self.stages:
            product *= stage.stride
        return product


def available_bases() -> tuple[str, ...]:
    """Names of the base specs shipped in data/bases."""
    return tuple(sorted(p.stem for p in BASES_DIR.glob("*.json")))


def require_bases(bases: Sequence[str]) -> None:
    """Nothing when every name is a shipped base; a ConfigError naming the first that is not."""
    known = available_bases()
    for base in bases:
        if base not in known:
            raise ConfigError("bases", base, f"one of the bases in data/bases ({', '.join(known)})")


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
    pool_kernel: Annotated[int, Field(ge=0, le=31)] = 0
    pool_stride: Stride = 1


SeRatio = Annotated[float, Field(ge=0.0, le=1.0)]
Repeats = Annotated[int, Field(ge=1, le=10_000)]
BottleneckRatio = Annotated[float, Field(gt=0.0, le=1.0)]
GroupWidth = Annotated[int, Field(ge=0, le=1_000_000)]


class _StageFile(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    block: Block
    expand_ratio: Annotated[int, Field(ge=1, le=64)] = 1
    kernel: Kernel
    stride: Stride
    out_channels: Channels
    repeats: Repeats
    se_ratio: SeRatio = 0.0
    bottleneck_ratio: BottleneckRatio = 1.0
    group_width: GroupWidth = 0


class _RegNetFile(BaseModel):
    """RegNet's design space (Radosavovic et al., Designing Network Design Spaces, CVPR 2020, section 3.3)."""

    model_config = ConfigDict(strict=True, extra="forbid")
    depth: Repeats
    w0: Annotated[int, Field(ge=8, le=100_000, multiple_of=8)]
    wa: Annotated[float, Field(gt=0.0, le=100_000.0)]
    wm: Annotated[float, Field(gt=1.0, le=100.0)]
    group_width: Annotated[int, Field(ge=1, le=100_000)]
    bottleneck_ratio: BottleneckRatio = 1.0
    se_ratio: SeRatio = 0.0


class _RoundingFile(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    width_divisor: Annotated[int, Field(ge=1, le=256)]
    depth_rounding: Literal["ceil", "round"]
    resolution_multiple: Literal[1, 4, 8, 16, 32]


class _HeadFile(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    out_channels: Channels


class BaseSpecFile(BaseModel):
    """The schema of a base spec (data/bases/*.json, or a file given to --base): unknown keys are refused."""

    model_config = ConfigDict(strict=True, extra="forbid")
    name: str | None = None
    description: str = ""
    citation: str = ""
    family: str = ""
    resolution_px: Annotated[int, Field(ge=8, le=100_000)]
    in_channels: Channels
    num_classes: Channels
    activation: Activation = "silu"
    stem: _StemFile
    stages: Annotated[list[_StageFile], Field(min_length=1)] | None = None
    regnet: _RegNetFile | None = None
    head: _HeadFile | None
    dropout: Annotated[float, Field(ge=0.0, le=0.99)] = 0.0
    rounding: _RoundingFile | None = None

    @model_validator(mode="after")
    def _one_body(self) -> BaseSpecFile:
        if (self.stages is None) == (self.regnet is None):
            raise ValueError("either stages or regnet (the generator's parameters), not both")
        return self


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
    if spec.regnet is not None:
        params = RegNetParams(**spec.regnet.model_dump())
        stages = tuple(
            BaseStage(
                "bottleneck",
                1,
                3,
                STAGE_STRIDE,
                s.width,
                s.depth,
                params.se_ratio,
                params.bottleneck_ratio,
                s.group_width,
            )
            for s in regnet_stages(params)
        )
    else:
        stages = tuple(BaseStage(**s.model_dump()) for s in spec.stages or ())
    return BaseSpec(
        name=spec.name if spec.name is not None else Path(source).stem,
        resolution_px=spec.resolution_px,
        in_channels=spec.in_channels,
        num_classes=spec.num_classes,
        stem=BaseStem(**spec.stem.model_dump()),
        stages=stages,
        head_channels=None if spec.head is None else spec.head.out_channels,
        dropout=spec.dropout,
        description=spec.description,
        citation=spec.citation,
        activation=spec.activation,
        family=spec.family,
        rounding=RoundingPolicy() if spec.rounding is None else RoundingPolicy(**spec.rounding.model_dump()),
    )


def base_rounding(base: BaseSpec | str, resolution_multiple: int) -> RoundingPolicy:
    """The base's own rounding of depths and widths, with the input side to `resolution_multiple` (a page's)."""
    spec = load_base(base) if isinstance(base, str) else base
    return replace(spec.rounding, resolution_multiple=resolution_multiple)
