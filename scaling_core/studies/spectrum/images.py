"""Images for spectra: the domains that ship inside packages (data/spectrum/domains.json) and validated uploads.

Loaders are a table keyed by an image's `source`; nothing is downloaded. An upload is checked before it is
decoded: its size in bytes, its format read from its content (PNG, JPEG or TIFF, whatever its name says),
and its pixel count from the header (a decompression bomb is refused before its pixels are expanded); the
files of one upload are bounded together by their pixels (`admit_uploads`). 16-bit colour keeps its precision
whatever the format, as 16-bit gray does.
"""

from __future__ import annotations

import io
import json
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

import numpy as np
from pydantic import Field, NonNegativeFloat, PositiveFloat

from scaling_core.core.errors import ConfigError, require_count
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


SUPPORTED_FORMATS = ("PNG", "JPEG", "TIFF")


@dataclass(frozen=True)
class UploadLimits:
    """What an upload may be: per file (bytes, pixels, smallest side) and per upload (files, pixels of all files).

    Pixels bound the work: decoding and analysing one megapixel takes about half a second and 80 MB here.
    """

    formats: tuple[str, ...]
    max_bytes: int
    max_pixels: int
    min_side: int
    max_files: int
    max_total_pixels: int

    def __post_init__(self) -> None:
        if not self.formats or any(f not in SUPPORTED_FORMATS for f in self.formats):
            raise ConfigError("formats", list(self.formats), f"a non-empty list of {', '.join(SUPPORTED_FORMATS)}")
        for name in ("max_bytes", "max_pixels", "min_side", "max_files", "max_total_pixels"):
            require_count(name, getattr(self, name))
        if self.max_total_pixels < self.max_pixels:
            raise ConfigError("max_total_pixels", self.max_total_pixels, f"at least max_pixels ({self.max_pixels:,})")


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
    upload_why: str


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


BOMB_GUARD = "a guard against decompression bombs"


def decode_upload(filename: str, data: bytes, limits: UploadLimits | None = None) -> NamedImage:
    """An uploaded file's pixels, or a ConfigError that names the file (shortened) and what it must be.

    Whatever a damaged file makes the decoder raise becomes that one ConfigError: a bad upload never stops
    the caller, and its message never carries the decoder's own text.
    """
    with _opened(filename, data, limits or spectrum_settings().upload) as image:
        pixels = _as_array(image, data, f"image {shortened(filename)}")
    if not np.all(np.isfinite(pixels)):
        raise ConfigError(f"image {shortened(filename)}", "non-finite pixels", "finite pixel values")
    return NamedImage(filename, pixels, "your upload")


def admit_uploads(
    files: Sequence[tuple[str, bytes]], limits: UploadLimits | None = None
) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The uploaded files worth decoding, judged from their headers alone, and one line per file (or excess) refused.

    At most max_files are looked at; each must pass decode_upload's checks of its header, and together they
    may hold at most max_total_pixels: a file that would take the total past it is refused, and the files
    after it are still considered.
    """
    limits = limits or spectrum_settings().upload
    admitted, refused = [], []
    if len(files) > limits.max_files:
        refused.append(
            f"{len(files)} files uploaded: at most {limits.max_files} are analysed, so the first "
            f"{limits.max_files} are used and the rest skipped."
        )
    for name, data, problem in _judged(files[: limits.max_files], limits):
        if problem is None:
            admitted.append((name, data))
        else:
            refused.append(f"{problem} — the file is skipped.")
    return admitted, refused


def check_uploads(files: Sequence[tuple[str, bytes]], limits: UploadLimits | None = None) -> None:
    """Raise the first problem of these files (count, header, pixels, pixels together), as the command line needs:
    all of them analysed, or none."""
    limits = limits or spectrum_settings().upload
    if len(files) > limits.max_files:
        raise ConfigError("images", f"{len(files)} files", f"at most {limits.max_files} files")
    for _, _, problem in _judged(files, limits):
        if problem is not None:
            raise problem


def _judged(
    files: Sequence[tuple[str, bytes]], limits: UploadLimits
) -> Iterator[tuple[str, bytes, ConfigError | None]]:
    """Each file with its problem (None when admitted), the files before it counted towards the upload's total."""
    total = 0
    for name, data in files:
        try:
            with _opened(name, data, limits) as image:
                pixels = image.size[0] * image.size[1]
            if total + pixels > limits.max_total_pixels:
                raise ConfigError(
                    f"image {shortened(name)}",
                    f"{total + pixels:,} pixels with the files before it",
                    f"at most {limits.max_total_pixels:,} pixels per upload (all files together)",
                )
        except ConfigError as exc:
            yield name, data, exc
            continue
        total += pixels
        yield name, data, None


@contextmanager
def _opened(filename: str, data: bytes, limits: UploadLimits) -> Iterator:
    """The upload opened and its header checked, before any pixel is decoded.

    Whatever goes wrong inside, decoding included, becomes one ConfigError naming the file.
    """
    from PIL import Image, UnidentifiedImageError

    formats = ", ".join(limits.formats)
    parameter = f"image {shortened(filename)}"
    if len(data) > limits.max_bytes:
        raise ConfigError(parameter, f"{len(data):,} bytes", f"at most {limits.max_bytes:,} bytes")
    # Pillow warns while opening a header past its own guard; the check below refuses such a file anyway.
    warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
    try:
        with Image.open(io.BytesIO(data)) as image:
            _check_header(image, parameter, limits)
            yield image
    except ConfigError:
        raise
    except Image.DecompressionBombError:
        raise ConfigError(
            parameter, "more pixels than Pillow's guard allows", f"at most {limits.max_pixels:,} pixels ({BOMB_GUARD})"
        ) from None
    except UnidentifiedImageError:
        raise ConfigError(parameter, "unreadable", f"a {formats} image file") from None
    except Exception:  # noqa: BLE001 - a damaged file can make Pillow raise anything; it is the file's fault
        raise ConfigError(parameter, "corrupt", f"a complete {formats} image") from None


def _check_header(image, parameter: str, limits: UploadLimits) -> None:
    """Format, pixel count and sides from the header: a bomb is refused here, not after expanding it."""
    width, height = image.size
    # A phone's JPEG is often a multi-picture file (MPO): its first picture is the photograph.
    kind = "JPEG" if image.format == "MPO" else image.format
    if kind not in limits.formats:
        raise ConfigError(parameter, image.format, f"a {', '.join(limits.formats)} image")
    if width * height > limits.max_pixels:
        raise ConfigError(parameter, f"{width} × {height} px", f"at most {limits.max_pixels:,} pixels ({BOMB_GUARD})")
    if min(width, height) < limits.min_side:
        raise ConfigError(parameter, f"{width} × {height} px", f"both sides at least {limits.min_side} px")


GRAY_DEEP_MODES = ("I", "I;16", "I;16B", "I;16L", "F")
DEEP_COLOUR_MODES = ("RGB", "RGBA")
ALLOWED_DEPTHS = "8-bit gray or colour, 16-bit gray, or 16-bit RGB(A)"
# A 16-bit sample's byte order in Pillow's raw modes, and the other one (N is the machine's own order).
OTHER_ORDER = {"B": "L", "L": "B", "N": "B" if sys.byteorder == "little" else "L"}


def _as_array(image, data: bytes, parameter: str) -> np.ndarray:
    """Pixels as numbers: 16-bit gray, 16-bit colour and float images keep their values, the rest is RGB or gray.

    16-bit colour is kept whatever the format (PNG or TIFF): float64 in [0, 65535], alpha dropped, as 16-bit
    gray is. A multi-page TIFF gives its first page (Pillow opens there).
    """
    if image.mode in GRAY_DEEP_MODES:
        return np.asarray(image, dtype=np.float64)
    rawmodes = [_rawmode(tile.args) for tile in image.tile]
    if any(";16" in r for r in rawmodes):
        if image.mode not in DEEP_COLOUR_MODES or not all(r[:-1] == f"{image.mode};16" for r in rawmodes):
            raise ConfigError(parameter, f"16-bit {', '.join(sorted(set(rawmodes)))}", ALLOWED_DEPTHS)
        return _deep_colour(image, data)
    bits = max(image.tag_v2.get(258, (8,))) if image.format == "TIFF" else 8
    if bits > 8:
        raise ConfigError(parameter, f"{bits}-bit samples ({image.mode})", ALLOWED_DEPTHS)
    return np.asarray(image.convert("L" if image.mode in ("1", "L", "LA") else "RGB"))


def _rawmode(args) -> str:
    """The raw mode in a tile's decoder arguments (a PNG's are the raw mode, a TIFF's a tuple starting with it)."""
    return args if isinstance(args, str) else str(args[0])


def _deep_colour(image, data: bytes) -> np.ndarray:
    """A 16-bit RGB(A) image at full precision.

    Pillow has no 16-bit colour mode: it keeps each sample's high byte. Decoding the file again with the
    byte order swapped gives the low bytes, through the same decoder (PNG filters, TIFF compression alike).
    """
    from PIL import Image

    high = np.asarray(image)
    with Image.open(io.BytesIO(data)) as again:
        again.tile = [t._replace(args=_other_order(t.args)) for t in again.tile]
        low = np.asarray(again)
    return (high.astype(np.float64) * 256 + low)[..., :3]


def _other_order(args):
    rawmode = _rawmode(args)
    swapped = rawmode[:-1] + OTHER_ORDER[rawmode[-1]]
    return swapped if isinstance(args, str) else (swapped, *args[1:])
