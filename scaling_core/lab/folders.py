"""Your own images as a lab dataset: an image folder listed, checked from its headers, then decoded to grey at one size.

Layout (as torchvision's ImageFolder): one subfolder per class, its images at any depth below it; or exactly two
subfolders `train/` and `val/` holding the same class subfolders, which are then the split. Otherwise the split is
stratified by class with `folders.test_fraction` and `folders.split_seed` of data/lab/settings.json, as the packaged
sets' is. Files with an image suffix count (hidden ones and other files are ignored); any size.

Every image is made grey, as the packaged sets are and as the lab base takes it (data/bases/lab-tiny.json:
in_channels 1): colour through Pillow's luma conversion (ITU-R 601, alpha dropped), 16-bit grey scaled to [0, 1].
It is turned upright (EXIF), centre-cropped to a square and resized, antialiased, to `folders.side_px`; training
then resamples it to each network's input as it does the packaged images (`data.resample`).

Checked before anything trains (each a ConfigError): the folder exists, has at least two classes and at most
`max_files` image files; every header is read first, and a file too large (`max_pixels`) or unreadable is skipped
and named, while the images together may hold at most `max_total_pixels`; then each class needs at least
`min_images_per_class` usable images (one in each of train/ and val/ where the folder splits itself).

Identity: the SHA-256 of the sorted image files' relative paths and sizes; the dataset's name is `folder:` and its
first 12 hex digits, never the path, so two machines holding the same files share their runs. A process finds the
folder of a name among the folders the server configures (`folders.paths`, name → path, and the environment
variable SCALING_LAB_DATASET_FOLDERS, name=path pairs separated by os.pathsep) and those this process or its parent
opened (SCALING_LAB_OPENED_FOLDERS, which the training workers it spawns inherit). Every load lists the folder again
and refuses it if its files changed since it was named.
"""

from __future__ import annotations

import json
import os
import stat
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import ConfigDict, Field, NonNegativeInt, PositiveInt

from scaling_core.core.errors import ConfigError
from scaling_core.core.settings import SettingsModel, load_settings
from scaling_core.storage.keys import digest

PREFIX = "folder:"
CONFIGURED_ENV = "SCALING_LAB_DATASET_FOLDERS"
OPENED_ENV = "SCALING_LAB_OPENED_FOLDERS"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
SPLIT_FOLDERS = ("train", "val")
SHOWN_NAMES = 6  # class names in a title, skipped files in an error
WHERE = "data/lab/settings.json"


class FolderSettings(SettingsModel):
    """The `folders` section of data/lab/settings.json: the limits of a folder dataset and the server's folders."""

    note: str | None = None
    min_images_per_class: Annotated[int, Field(ge=2)]
    max_files: PositiveInt
    max_pixels: PositiveInt
    max_total_pixels: PositiveInt
    side_px: Annotated[int, Field(ge=8, le=512)]
    test_fraction: Annotated[float, Field(gt=0.0, lt=1.0)]
    split_seed: NonNegativeInt
    paths: dict[str, str]


class _FoldersSection(SettingsModel):
    # Only this section: runs.LabSettingsFile validates the whole file (it holds FolderSettings too), and the lab's
    # other modules import this one, so it cannot import theirs.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    folders: FolderSettings


@lru_cache(maxsize=1)
def folder_settings() -> FolderSettings:
    """The shipped `folders` section (ConfigError naming the key if it is malformed)."""
    return load_settings("lab/settings.json", _FoldersSection).folders


@dataclass(frozen=True)
class FolderInfo:
    """A folder dataset's description, with a shipped set's fields (data.DatasetInfo's but `labels`): what every run
    key on it hashes (content and split, never the path)."""

    name: str
    source: str
    title: str
    classes: int
    test_fraction: float
    split_seed: int
    citation: str
    digest: str
    class_names: tuple[str, ...]
    images: int
    side_px: int
    layout: str  # "stratified" (split by the seed) or "train/val" (split by the folder)


@dataclass(frozen=True)
class FolderFile:
    """One image file of a folder: its path relative to the folder, size, class and split folder ('' = by the seed)."""

    path: str
    size: int
    label: int
    split: str


@dataclass(frozen=True)
class FolderListing:
    """A folder listed (no image opened): where it is, its description and its image files in path order."""

    root: Path
    info: FolderInfo
    files: tuple[FolderFile, ...] = field(repr=False)


def is_folder(name: str) -> bool:
    """Whether a dataset name names a folder (`folder:…`)."""
    return name.startswith(PREFIX)


def list_folder(path: str | Path) -> FolderListing:
    """A folder's classes, image files and digest, checked for existence, classes and file count (nothing opened)."""
    settings = folder_settings()
    root = Path(path).expanduser()
    if not root.exists():
        raise ConfigError("dataset folder", str(path), "an existing folder (one subfolder per class)")
    if not root.is_dir():
        raise ConfigError("dataset folder", str(path), "a folder (one subfolder per class), not a file")
    root = root.resolve()
    top = _subfolders(root)
    layout = "train/val" if tuple(top) == SPLIT_FOLDERS else "stratified"
    if layout == "stratified":
        class_names, parts = tuple(top), [("", root)]
    else:
        train, val = _subfolders(root / "train"), _subfolders(root / "val")
        if train != val:
            raise ConfigError(
                "dataset folder classes", f"train: {', '.join(train)}; val: {', '.join(val)}", "the same in both"
            )
        class_names, parts = tuple(train), [("train", root / "train"), ("val", root / "val")]
    if len(class_names) < 2:
        raise ConfigError(
            "dataset folder classes", f"{len(class_names)} in {root.name}", "at least 2 subfolders, one per class"
        )
    files = sorted(_image_files(root, class_names, parts, settings.max_files), key=lambda f: f.path)
    counts = np.bincount([f.label for f in files], minlength=len(class_names))
    if counts.min() < settings.min_images_per_class:
        raise ConfigError(
            f"dataset folder class {class_names[int(counts.argmin())]!r}",
            f"{int(counts.min())} image files",
            f"at least {settings.min_images_per_class} per class (folders.min_images_per_class in {WHERE})",
        )
    full = digest([[f.path, f.size] for f in files])
    test_fraction = (
        settings.test_fraction
        if layout == "stratified"
        else round(sum(f.split == "val" for f in files) / len(files), 4)
    )
    info = FolderInfo(
        name=PREFIX + full[:12],
        source="folder",
        title=f"Your images {full[:12]}: {_few(class_names)} ({len(files):,} images)",
        classes=len(class_names),
        test_fraction=test_fraction,
        split_seed=settings.split_seed,
        citation=f"your own image folder ({layout} split), grey, centre-cropped and resized to {settings.side_px} px",
        digest=full,
        class_names=class_names,
        images=len(files),
        side_px=settings.side_px,
        layout=layout,
    )
    return FolderListing(root, info, tuple(files))


def _subfolders(folder: Path) -> list[str]:
    """The names of a folder's visible subfolders, sorted (the class order, as ImageFolder's)."""
    try:
        return sorted(e.name for e in os.scandir(folder) if e.is_dir() and not e.name.startswith("."))
    except OSError as exc:
        raise ConfigError("dataset folder", str(folder), f"a readable folder ({exc.strerror})") from None


def _image_files(
    root: Path, class_names: tuple[str, ...], parts: list[tuple[str, Path]], max_files: int
) -> Iterator[FolderFile]:
    """Every image file under each class folder (of each split), refused past max_files without walking on."""
    seen = 0
    for split, part in parts:
        for label, name in enumerate(class_names):
            for path in image_paths(part / name):
                seen += 1
                if seen > max_files:
                    raise ConfigError(
                        "dataset folder files",
                        f"more than {max_files:,} images",
                        f"at most {max_files:,} image files (folders.max_files in {WHERE})",
                    )
                yield FolderFile(path.relative_to(root).as_posix(), file_size(path), label, split)


def image_paths(folder: Path) -> Iterator[Path]:
    """The image files at any depth below a folder, in a fixed order, hidden files and folders left out."""
    for parent, subfolders, names in os.walk(folder):
        subfolders[:] = sorted(s for s in subfolders if not s.startswith("."))
        for file in sorted(names):
            if not file.startswith(".") and file.lower().endswith(IMAGE_SUFFIXES):
                yield Path(parent) / file


def file_size(path: Path) -> int:
    """A regular file's size; -1 for anything else (a pipe would block its reader, a dangling link has none)."""
    try:
        status = path.stat()
    except OSError:
        return -1
    return status.st_size if stat.S_ISREG(status.st_mode) else -1


def _few(names: tuple[str, ...] | list[str], shown: int = SHOWN_NAMES) -> str:
    """The first `shown` names, joined (and how many more)."""
    text = ", ".join(names[:shown])
    return text if len(names) <= shown else f"{text} and {len(names) - shown} more"


def configured_folders() -> dict[str, str]:
    """The server's folders by name: data/lab/settings.json's `folders.paths`, then SCALING_LAB_DATASET_FOLDERS."""
    folders = dict(folder_settings().paths)
    for pair in filter(None, os.environ.get(CONFIGURED_ENV, "").split(os.pathsep)):
        name, equals, path = pair.partition("=")
        if not equals or not name.strip() or not path.strip():
            raise ConfigError(CONFIGURED_ENV, pair, f"name=path pairs separated by {os.pathsep!r}")
        folders[name.strip()] = path.strip()
    return folders


@lru_cache(maxsize=1)
def configured_datasets() -> dict[str, FolderInfo]:
    """The server's folders as datasets by their content names (listed once per process; a folder that cannot be
    listed is left out, with a warning naming it)."""
    found = {}
    for label, path in configured_folders().items():
        try:
            info = list_folder(path).info
        except ConfigError as exc:
            warnings.warn(f"dataset folder {label!r} left out: {exc}", stacklevel=2)
            continue
        found[info.name] = info
    return found


def opened_folders() -> dict[str, str]:
    """The folders this process (or the one that spawned it) opened, by dataset name."""
    try:
        opened = json.loads(os.environ.get(OPENED_ENV, "{}"))
    except json.JSONDecodeError:
        return {}
    return opened if isinstance(opened, dict) else {}


def open_folder(path: str | Path) -> FolderInfo:
    """A folder listed and its name remembered for this process and the workers it starts (nothing decoded yet)."""
    listing = list_folder(path)
    os.environ[OPENED_ENV] = json.dumps({**opened_folders(), listing.info.name: str(listing.root)})
    return listing.info


def locate(name: str) -> FolderListing:
    """The folder whose files have this dataset name now; ConfigError when no opened or configured one does."""
    opened = opened_folders().get(name)
    if opened is not None:
        listing = list_folder(opened)
        if listing.info.name == name:
            return listing
    for path in configured_folders().values():
        try:
            listing = list_folder(path)
        except ConfigError:
            continue
        if listing.info.name == name:
            return listing
    raise ConfigError(
        "dataset",
        name,
        f"a folder opened with folder:PATH or configured ({CONFIGURED_ENV} or folders.paths in {WHERE}) whose files "
        "are unchanged since it was named",
    )


@lru_cache(maxsize=16)
def folder_info(name: str) -> FolderInfo:
    """A folder dataset's description by name (the name is its content's digest, so it is cached by name)."""
    return configured_datasets().get(name) or locate(name).info


@dataclass(frozen=True)
class FolderImages:
    """A folder's usable images decoded (N, 1, side, side) float32 in [0, 1], their labels, which came from val/
    (None: split by the seed) and the files skipped, each with why."""

    info: FolderInfo
    images: np.ndarray
    labels: np.ndarray
    val: np.ndarray | None
    skipped: tuple[str, ...]


def read_folder(name: str) -> FolderImages:
    """A folder dataset's images: headers checked first, then decoded to grey at side_px (data.load_dataset splits)."""
    settings = folder_settings()
    listing = locate(name)
    usable, skipped = _admitted(listing, settings)
    images, kept = [], []
    for file in usable:
        pixels = _decoded(listing.root / file.path, settings.side_px)
        if pixels is None:  # a header that reads but pixels that do not
            skipped.append(f"{file.path} (unreadable)")
        else:
            images.append(pixels)
            kept.append(file)
    _check_counts(listing.info, kept, skipped, settings)
    val = np.array([f.split == "val" for f in kept]) if listing.info.layout == "train/val" else None
    return FolderImages(
        listing.info,
        np.stack(images)[:, None].astype(np.float32),
        np.array([f.label for f in kept], dtype=np.int64),
        val,
        tuple(skipped),
    )


def _admitted(listing: FolderListing, settings: FolderSettings) -> tuple[list[FolderFile], list[str]]:
    """The files whose headers read and hold at most max_pixels, and one line per file skipped; ConfigError when
    the usable ones hold more than max_total_pixels together. No pixel is decoded here."""
    from PIL import Image

    usable, skipped, total = [], [], 0
    for file in listing.files:
        if file.size < 0:
            skipped.append(f"{file.path} (not a readable regular file)")
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused below by max_pixels
                with Image.open(listing.root / file.path) as image:
                    width, height = image.size
        except Image.DecompressionBombError:
            skipped.append(f"{file.path} (more pixels than Pillow's guard allows)")
            continue
        except Exception:  # noqa: BLE001 - a damaged file can make Pillow raise anything; it is the file's fault
            skipped.append(f"{file.path} (unreadable)")
            continue
        if width * height > settings.max_pixels:
            skipped.append(f"{file.path} ({width} × {height} px, over folders.max_pixels {settings.max_pixels:,})")
            continue
        total += width * height
        usable.append(file)
    if total > settings.max_total_pixels:
        raise ConfigError(
            "dataset folder pixels",
            f"{total:,} in {len(usable):,} images",
            f"at most {settings.max_total_pixels:,} decoded pixels (folders.max_total_pixels in {WHERE})",
        )
    return usable, skipped


def _decoded(path: Path, side: int) -> np.ndarray | None:
    """An image as grey float32 in [0, 1], upright, centre-cropped to a square and resized to side × side."""
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image)
            if image.mode in ("I", "I;16", "I;16B", "I;16L"):
                grey = np.asarray(image, dtype=np.float32) / 65535.0
            elif image.mode == "F":
                grey = np.asarray(image, dtype=np.float32)
            else:
                grey = np.asarray(image.convert("L"), dtype=np.float32) / 255.0
    except Exception:  # noqa: BLE001 - as in _admitted: a damaged file is skipped and named, whatever Pillow raised
        return None
    height, width = grey.shape
    edge = min(height, width)
    top, left = (height - edge) // 2, (width - edge) // 2
    square = Image.fromarray(np.clip(grey[top : top + edge, left : left + edge], 0.0, 1.0))
    return np.asarray(square.resize((side, side), Image.Resampling.BILINEAR), dtype=np.float32)


def _check_counts(info: FolderInfo, kept: list[FolderFile], skipped: list[str], settings: FolderSettings) -> None:
    """ConfigError when no image decodes, or a class has too few usable images (or none in a split it needs)."""
    if not kept:
        raise ConfigError(
            "dataset folder", f"{len(skipped)} files, none usable", f"readable images (skipped: {_few(skipped)})"
        )
    splits = SPLIT_FOLDERS if info.layout == "train/val" else ()
    for label, name in enumerate(info.class_names):
        mine = [f for f in kept if f.label == label]
        if len(mine) < settings.min_images_per_class:
            raise ConfigError(
                f"dataset folder class {name!r}",
                f"{len(mine)} usable images",
                f"at least {settings.min_images_per_class} per class (folders.min_images_per_class in {WHERE})"
                + (f"; skipped: {_few(skipped)}" if skipped else ""),
            )
        missing = [s for s in splits if not any(f.split == s for f in mine)]
        if missing:
            raise ConfigError(
                f"dataset folder class {name!r}", f"no usable image in {missing[0]}/", "images in train/ and val/"
            )
