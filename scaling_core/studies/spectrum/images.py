"""Images for spectra: the domains that ship inside packages (data/spectrum/domains.json) and validated uploads.

Loaders are a table keyed by an image's `source`; nothing is downloaded. An upload is checked before it is
decoded: its size in bytes, its format read from its content (PNG, JPEG or TIFF, whatever its name says),
and its pixel count from the header (a decompression bomb is refused before its pixels are expanded).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

import numpy as np
from pydantic import Field, NonNegativeFloat, PositiveFloat

from scaling_core.core.errors import ConfigError
from scaling_core.core.paths import DATA_DIR
from scaling_core.core.settings import Number, SettingsModel, load_settings

SPECTRUM_DIR = DATA_DIR / "spectrum"


@dataclass(frozen=True)
class ImageSource:
    """One packaged image: the package function that returns it, and where it comes from."""

    name: str
    source: str
    function: str
    citation: str
    item: int | None = None


@dataclass(frozen=True)
class Domain:
    """A named set of packaged images."""

    name: str
    title: str
    images: tuple[ImageSource, ...]


@dataclass(frozen=True)
class UploadLimits:
    """What an upload may be."""

    formats: tuple[str, ...]
    max_bytes: int
    max_pixels: int
    min_side: int
    max_files: int


@dataclass(frozen=True)
class SpectrumSettings:
    """Defaults of the spectrum analysis (data/spectrum/settings.json)."""

    slope_band: tuple[float, float]
    detail_band: tuple[float, float]
    detail_band_why: str
    target_share: float
    law_target: float
    phi_max: float
    motion: dict
    motion_why: str
    upload: UploadLimits


@dataclass(frozen=True)
class NamedImage:
    """An image (H, W) or (H, W, C) with its label and where it comes from."""

    name: str
    pixels: np.ndarray
    citation: str


def _skimage(image: ImageSource) -> np.ndarray:
    import skimage.data

    return getattr(skimage.data, image.function)()


def _sklearn(image: ImageSource) -> np.ndarray:
    from sklearn.datasets import load_sample_image

    return load_sample_image(image.function)


LOADERS: dict[str, Callable[[ImageSource], np.ndarray]] = {"skimage": _skimage, "sklearn": _sklearn}


class _MotionFile(SettingsModel):
    angular_speed_dps: NonNegativeFloat
    exposure_s: NonNegativeFloat
    fov_deg: Annotated[float, Field(gt=0.0, lt=180.0)]


class SpectrumSettingsFile(SettingsModel):
    """The schema of data/spectrum/settings.json."""

    note: str | None = None
    slope_band_cycles_per_px: tuple[Number, Number]
    detail_band_cycles_per_image: tuple[Number, Number]
    detail_band_why: str
    target_share: Annotated[float, Field(gt=0.0, le=1.0)]
    law_target: PositiveFloat
    phi_max: NonNegativeFloat
    motion: _MotionFile
    motion_why: str
    upload: UploadLimits


@lru_cache(maxsize=1)
def spectrum_settings() -> SpectrumSettings:
    """The shipped defaults and upload limits (ConfigError naming the key if the file is malformed)."""
    raw = load_settings("spectrum/settings.json", SpectrumSettingsFile)
    return SpectrumSettings(
        raw.slope_band_cycles_per_px,
        raw.detail_band_cycles_per_image,
        raw.detail_band_why,
        raw.target_share,
        raw.law_target,
        raw.phi_max,
        raw.motion.model_dump(),
        raw.motion_why,
        raw.upload,
    )


@lru_cache(maxsize=1)
def domain_table() -> dict[str, Domain]:
    """The packaged domains by name."""
    raw = json.loads((SPECTRUM_DIR / "domains.json").read_text())["domains"]
    return {d["name"]: Domain(d["name"], d["title"], tuple(ImageSource(**i) for i in d["images"])) for d in raw}


def domain(name: str) -> Domain:
    """A domain by name; ConfigError naming the choices."""
    found = domain_table().get(name)
    if found is None:
        raise ConfigError("domain", name, f"one of {', '.join(domain_table())}")
    return found


@lru_cache(maxsize=32)
def load_image(source: ImageSource) -> NamedImage:
    """A packaged image's pixels (read once per process)."""
    pixels = LOADERS[source.source](source)
    if source.item is not None:
        pixels = pixels[source.item]
    return NamedImage(source.name, np.asarray(pixels), source.citation)


def domain_images(name: str) -> list[NamedImage]:
    """Every image of a packaged domain."""
    return [load_image(source) for source in domain(name).images]


# Characters of a file name or an offending value that a message shows (the rest becomes "…").
SHOWN_CHARACTERS = 40


def shortened(text: str, limit: int = SHOWN_CHARACTERS) -> str:
    """A name or value for a one-line message: its first `limit` characters, on one line."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "…"


def decode_upload(filename: str, data: bytes, limits: UploadLimits | None = None) -> NamedImage:
    """An uploaded file's pixels, or a ConfigError that names the file (shortened) and what it must be.

    Whatever a damaged file makes the decoder raise becomes that one ConfigError: a bad upload never stops
    the caller, and its message never carries the decoder's own text.
    """
    from PIL import Image, UnidentifiedImageError

    limits = limits or spectrum_settings().upload
    formats = ", ".join(limits.formats)
    parameter = f"image {shortened(filename)}"
    if len(data) > limits.max_bytes:
        raise ConfigError(parameter, f"{len(data):,} bytes", f"at most {limits.max_bytes:,} bytes")
    try:
        with Image.open(io.BytesIO(data)) as image:
            # The header gives the size before any pixel is decoded: refuse bombs here, not after expanding them.
            width, height = image.size
            # A phone's JPEG is often a multi-picture file (MPO): its first picture is the photograph.
            kind = "JPEG" if image.format == "MPO" else image.format
            if kind not in limits.formats:
                raise ConfigError(parameter, image.format, f"a {', '.join(limits.formats)} image")
            if width * height > limits.max_pixels:
                raise ConfigError(
                    parameter,
                    f"{width} × {height} px",
                    f"at most {limits.max_pixels:,} pixels (a guard against decompression bombs)",
                )
            if min(width, height) < limits.min_side:
                raise ConfigError(parameter, f"{width} × {height} px", f"both sides at least {limits.min_side} px")
            bits = max(image.tag_v2.get(258, (8,))) if kind == "TIFF" else 8
            if bits > 8 and image.mode not in GRAY_DEEP_MODES:
                # Pillow reads 16-bit colour TIFFs as 8-bit RGB, which would quietly change the spectrum.
                raise ConfigError(parameter, f"{bits}-bit colour ({image.mode})", "8-bit colour or 16-bit grayscale")
            pixels = _as_array(image)
    except ConfigError:
        raise
    except Image.DecompressionBombError:
        raise ConfigError(
            parameter,
            "more pixels than Pillow's guard allows",
            f"at most {limits.max_pixels:,} pixels (a guard against decompression bombs)",
        ) from None
    except UnidentifiedImageError:
        raise ConfigError(parameter, "unreadable", f"a {formats} image file") from None
    except Exception:  # noqa: BLE001 - a damaged file can make Pillow raise anything; it is the file's fault
        raise ConfigError(parameter, "corrupt", f"a complete {formats} image") from None
    if not np.all(np.isfinite(pixels)):
        raise ConfigError(parameter, "non-finite pixels", "finite pixel values")
    return NamedImage(filename, pixels, "your upload")


GRAY_DEEP_MODES = ("I", "I;16", "I;16B", "I;16L", "F")


def _as_array(image) -> np.ndarray:
    """Pixels as numbers: 16-bit and float gray images keep their values, everything else becomes RGB or gray.

    A multi-page TIFF gives its first page (Pillow opens there).
    """
    if image.mode in GRAY_DEEP_MODES:
        return np.asarray(image, dtype=np.float64)
    return np.asarray(image.convert("L" if image.mode in ("1", "L", "LA") else "RGB"))
