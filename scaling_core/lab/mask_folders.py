"""Your own segmentation data: a folder of images and class-index masks, listed, checked file by file, kept colour.

Layout: `images/` and `masks/` side by side, an image and its mask sharing their path below them but the suffix
(images/street/a.jpg ↔ masks/street/a.png); or exactly two subfolders `train/` and `val/`, each holding `images/`
and `masks/`, which are then the split. Otherwise the pairs are split at random with `mask_folders.test_fraction`
and `mask_folders.split_seed` of data/lab/settings.json (not stratified: an image holds several classes). Images
have an image suffix (folders.IMAGE_SUFFIXES); masks are single-channel PNGs (mode L, P or 1) holding class
indices, 255 meaning "ignore". An optional `classes.txt` at the top names the classes, one a line, index 0 first;
without it the classes are 0 … the largest index found, named by their numbers.

Checked before anything trains, every bad file found at once: an image without a mask or a mask without an image,
two images of one stem, a mask that is not a single-channel PNG, an unreadable file, an image over `max_pixels`, a
mask whose size differs from its image's (both as displayed, EXIF orientation applied), a mask index outside the
classes. A folder with any is refused by BadFilesError (a ConfigError) whose message is one line per bad file,
"path: problem", the first SHOWN_PROBLEMS and then how many more. The folder as a whole is refused (a one-line
ConfigError) past `max_files` image and mask files, past `max_total_pixels` in its images, with fewer than two
classes or without a pair in each split.

Images stay colour (grey ones are repeated over three channels, alpha is dropped, 16-bit grey is scaled to [0, 1]):
each is turned upright, centre-cropped to a square and resized to `side_px`, bilinear and antialiased; its mask is
cut the same way and resized by nearest neighbour, so every pixel keeps a class of the file.

Identity, as a classification folder's (folders.py): the SHA-256 of the sorted relative paths and sizes of the
image and mask files, with the class names; never the absolute path. "segmentation" enters it too, so the name
`folder:` + its first 12 hex digits never equals a classification reading of the same files. A process finds a
folder by name among those it (or its parent) opened (folders.OPENED_ENV) and the server's configured folders.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import ConfigDict, Field, NonNegativeInt, PositiveInt

from scaling_core.core.errors import ConfigError
from scaling_core.core.settings import SettingsModel, load_settings
from scaling_core.lab.folders import (
    OPENED_ENV,
    PREFIX,
    SPLIT_FOLDERS,
    configured_folders,
    file_size,
    image_paths,
    opened_folders,
)
from scaling_core.storage.keys import digest

if TYPE_CHECKING:
    from PIL.Image import Image, Resampling

PARTS = ("images", "masks")
MASK_FORMAT = "PNG"
MASK_MODES = ("L", "P", "1")  # one 8-bit (or 1-bit) channel: the value is the class index
IGNORE_INDEX = 255
CLASSES_FILE = "classes.txt"
MAX_CLASSES_BYTES = 65_536
SHOWN_PROBLEMS = 20
ORIENTATION_TAG = 0x0112  # EXIF orientation: 5 to 8 turn the image a quarter, swapping its sides
WHERE = "data/lab/settings.json"


class MaskFolderSettings(SettingsModel):
    """The `mask_folders` section of data/lab/settings.json: the limits of a segmentation folder and its split."""

    note: str | None = None
    max_files: PositiveInt
    max_pixels: PositiveInt
    max_total_pixels: PositiveInt
    side_px: Annotated[int, Field(ge=8, le=256)]
    test_fraction: Annotated[float, Field(gt=0.0, lt=1.0)]
    split_seed: NonNegativeInt


class _MaskFoldersSection(SettingsModel):
    # Only this section, as folders.py reads its own: runs.LabSettingsFile validates the whole file.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    mask_folders: MaskFolderSettings


@lru_cache(maxsize=1)
def mask_folder_settings() -> MaskFolderSettings:
    """The shipped `mask_folders` section (ConfigError naming the key if it is malformed)."""
    return load_settings("lab/settings.json", _MaskFoldersSection).mask_folders


class BadFilesError(ConfigError):
    """A folder refused for its files: the message is one line per bad file, "path: problem" (the first
    SHOWN_PROBLEMS, then how many more); `problems` keeps them all."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("segmentation folder files", f"{len(problems)} bad", "every file paired and readable")
        self.problems = tuple(problems)
        shown = list(self.problems[:SHOWN_PROBLEMS])
        if len(self.problems) > SHOWN_PROBLEMS:
            shown.append(f"… and {len(self.problems) - SHOWN_PROBLEMS} more")
        self.args = ("\n".join(shown),)


@dataclass(frozen=True)
class MaskPair:
    """An image and its mask: paths relative to the folder, sizes in bytes and split folder ('' = by the seed)."""

    image: str
    mask: str
    image_bytes: int
    mask_bytes: int
    split: str


@dataclass(frozen=True)
class MaskListing:
    """A segmentation folder listed (nothing decoded): where it is, its name and digest, layout, class names
    (None: numbered from the masks) and its pairs in path order."""

    root: Path
    name: str
    digest: str
    layout: str  # "random" (split by the seed) or "train/val" (split by the folder)
    class_names: tuple[str, ...] | None
    pairs: tuple[MaskPair, ...] = field(repr=False)


@dataclass(frozen=True, eq=False)
class MaskFolder:
    """A segmentation folder decoded: images (N, 3, side, side) float32 in [0, 1], masks (N, side, side) uint8 class
    indices (255 = ignore), which pairs are validation and the class names."""

    name: str
    digest: str
    layout: str
    class_names: tuple[str, ...]
    pairs: tuple[MaskPair, ...] = field(repr=False)
    images: np.ndarray
    masks: np.ndarray
    val: np.ndarray

    @property
    def title(self) -> str:
        """The folder in a few words: its name, classes and images."""
        return f"Your masks {self.digest[:12]}: {len(self.class_names)} classes ({len(self.pairs):,} images)"


def list_mask_folder(path: str | Path) -> MaskListing:
    """A folder's pairs, classes and digest (nothing decoded); BadFilesError naming each unpaired file."""
    listing, problems = _listed(path)
    if problems:
        raise BadFilesError(sorted(problems))
    return listing


def _listed(path: str | Path) -> tuple[MaskListing, list[str]]:
    """The folder listed, with one line per file that cannot be paired (and per bad line of classes.txt)."""
    settings = mask_folder_settings()
    root = Path(path).expanduser()
    layout_text = "a folder holding images/ and masks/ (or train/ and val/, each holding them)"
    if not root.is_dir():
        raise ConfigError("segmentation folder", str(path), layout_text)
    root = root.resolve()
    if tuple(_subfolders(root)) == SPLIT_FOLDERS:
        layout, parts = "train/val", [(split, root / split) for split in SPLIT_FOLDERS]
    else:
        layout, parts = "random", [("", root)]
    for _, part in parts:
        if not set(PARTS) <= set(_subfolders(part)):
            raise ConfigError("segmentation folder", str(part), layout_text)
    files: dict[str, list[tuple[str, str, Path]]] = {kind: [] for kind in PARTS}
    for kind, split, stem, file in _files(parts, settings.max_files):
        files[kind].append((split, stem, file))
    pairs, problems = _paired(root, files)
    class_names, class_problems = _class_names(root)
    listed = [[p.image, p.image_bytes] for p in pairs] + [[p.mask, p.mask_bytes] for p in pairs]
    full = digest({"kind": "segmentation", "files": sorted(listed), "classes": class_names})
    listing = MaskListing(root, PREFIX + full[:12], full, layout, class_names, tuple(pairs))
    return listing, problems + class_problems


def _subfolders(folder: Path) -> list[str]:
    """The names of a folder's visible subfolders, sorted."""
    try:
        return sorted(e.name for e in os.scandir(folder) if e.is_dir() and not e.name.startswith("."))
    except OSError as exc:
        raise ConfigError("segmentation folder", str(folder), f"a readable folder ({exc.strerror})") from None


def _files(parts: list[tuple[str, Path]], max_files: int) -> Iterator[tuple[str, str, str, Path]]:
    """(kind, split, stem, path) of every image file below each part's images/ and masks/, refused past max_files
    without walking on."""
    seen = 0
    for split, part in parts:
        for kind in PARTS:
            for path in image_paths(part / kind):
                seen += 1
                if seen > max_files:
                    raise ConfigError(
                        "segmentation folder files",
                        f"more than {max_files:,} images and masks",
                        f"at most {max_files:,} image and mask files (mask_folders.max_files in {WHERE})",
                    )
                yield kind, split, path.relative_to(part / kind).with_suffix("").as_posix(), path


def _paired(root: Path, files: dict[str, list[tuple[str, str, Path]]]) -> tuple[list[MaskPair], list[str]]:
    """Images and masks matched by split and stem, and one line per file left without its partner (or sharing a
    stem with another of its kind)."""
    problems: list[str] = []
    found: dict[str, dict[tuple[str, str], Path]] = {}
    for kind in PARTS:
        found[kind] = {}
        for split, stem, path in files[kind]:
            key = (split, stem)
            if key in found[kind]:
                other = found[kind][key].relative_to(root).as_posix()
                problems.append(f"{path.relative_to(root).as_posix()}: same stem as {other}")
            else:
                found[kind][key] = path
    images, masks = found["images"], found["masks"]
    for key, path in images.items():
        if key not in masks:
            expected = Path(key[0], "masks", key[1] + ".png").as_posix()
            problems.append(f"{path.relative_to(root).as_posix()}: no mask (expected {expected})")
    for key, path in masks.items():
        if key not in images:
            problems.append(f"{path.relative_to(root).as_posix()}: no image of the same stem")
    pairs = [
        MaskPair(
            images[key].relative_to(root).as_posix(),
            masks[key].relative_to(root).as_posix(),
            file_size(images[key]),
            file_size(masks[key]),
            key[0],
        )
        for key in sorted(images.keys() & masks.keys())
    ]
    return pairs, problems


def _class_names(root: Path) -> tuple[tuple[str, ...] | None, list[str]]:
    """classes.txt's names (None without one), and one line per problem with it."""
    path = root / CLASSES_FILE
    if not path.exists():
        return None, []
    size = file_size(path)
    if size < 0 or size > MAX_CLASSES_BYTES:
        return None, [f"{CLASSES_FILE}: not a regular file of at most {MAX_CLASSES_BYTES:,} bytes"]
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None, [f"{CLASSES_FILE}: not readable as UTF-8 text"]
    while lines and not lines[-1].strip():
        lines.pop()
    names = tuple(line.strip() for line in lines)
    problems = [f"{CLASSES_FILE}: line {i + 1} is empty" for i, name in enumerate(names) if not name]
    problems += [f"{CLASSES_FILE}: {name!r} named twice" for name in sorted({n for n in names if names.count(n) > 1})]
    if not 2 <= len(names) <= IGNORE_INDEX:
        problems.append(f"{CLASSES_FILE}: {len(names)} classes named, 2 to {IGNORE_INDEX} allowed (255 = ignore)")
    return names, problems


def read_mask_folder(path: str | Path) -> MaskFolder:
    """A segmentation folder checked (every bad file named at once) and decoded in colour at side_px."""
    from PIL import Image, ImageOps

    settings = mask_folder_settings()
    listing, problems = _listed(path)
    usable, total = [], 0
    for pair in listing.pairs:
        size, problem = _checked_pair(listing.root, pair, settings)
        if problem:
            problems.append(problem)
        else:
            usable.append(pair)
            total += size
    if total > settings.max_total_pixels:
        raise ConfigError(
            "segmentation folder pixels",
            f"{total:,} in {len(usable):,} images",
            f"at most {settings.max_total_pixels:,} (mask_folders.max_total_pixels in {WHERE})",
        )
    classes = len(listing.class_names) if listing.class_names else None
    images, masks = [], []
    for pair in usable:
        try:
            with Image.open(listing.root / pair.mask) as file:
                indices = np.asarray(ImageOps.exif_transpose(file)).astype(np.uint8)
        except Exception:  # noqa: BLE001 - a damaged file can make Pillow raise anything; it is the file's fault
            problems.append(f"{pair.mask}: unreadable")
            continue
        problem = _index_problem(pair.mask, indices, classes)
        image = _decoded_image(listing.root / pair.image, settings.side_px)
        if problem or image is None:
            problems.append(problem or f"{pair.image}: unreadable")
            continue
        images.append(image)
        masks.append(_square(Image.fromarray(indices), settings.side_px, Image.Resampling.NEAREST))
    if problems:
        raise BadFilesError(sorted(problems))
    class_names = listing.class_names or _numbered(masks)
    val = _validation(listing, settings)
    return MaskFolder(
        listing.name, listing.digest, listing.layout, class_names, listing.pairs, np.stack(images), np.stack(masks), val
    )


def _checked_pair(root: Path, pair: MaskPair, settings: MaskFolderSettings) -> tuple[int, str]:
    """An image's pixels read from the headers, and a line naming what is wrong with the pair ('' if nothing)."""
    image, image_problem = _header(root / pair.image, pair.image_bytes)
    if image_problem:
        return 0, f"{pair.image}: {image_problem}"
    mask, mask_problem = _header(root / pair.mask, pair.mask_bytes)
    if mask_problem:
        return 0, f"{pair.mask}: {mask_problem}"
    (width, height), _, _ = image
    (mask_width, mask_height), mask_format, mask_mode = mask
    if width * height > settings.max_pixels:
        return 0, f"{pair.image}: {width} × {height} px, over mask_folders.max_pixels {settings.max_pixels:,}"
    if mask_format != MASK_FORMAT or mask_mode not in MASK_MODES:
        return 0, f"{pair.mask}: {mask_format} in mode {mask_mode}, not a single-channel PNG of class indices"
    if (mask_width, mask_height) != (width, height):
        return 0, f"{pair.mask}: {mask_width} × {mask_height} px, its image {pair.image} is {width} × {height} px"
    return width * height, ""


def _header(path: Path, size: int) -> tuple[tuple[tuple[int, int], str, str], str]:
    """A file's displayed size, format and mode from its header (nothing decoded), or why it cannot be read."""
    from PIL import Image

    if size < 0:
        return ((0, 0), "", ""), "not a readable regular file"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused by max_pixels instead
            with Image.open(path) as image:
                width, height = image.size
                turned = image.getexif().get(ORIENTATION_TAG, 1) in (5, 6, 7, 8)
                found = ((height, width) if turned else (width, height)), str(image.format), image.mode
    except Image.DecompressionBombError:
        return ((0, 0), "", ""), "more pixels than Pillow's guard allows"
    except Exception:  # noqa: BLE001 - as in folders.py: a damaged file is named, whatever Pillow raised
        return ((0, 0), "", ""), "unreadable"
    return found, ""


def _index_problem(mask: str, indices: np.ndarray, classes: int | None) -> str:
    """A line naming the indices of a mask outside the classes ('' if none; any index is in when unnamed)."""
    if classes is None:
        return ""
    counts = np.bincount(indices.ravel(), minlength=256)
    outside = [i for i in np.flatnonzero(counts) if classes <= i < IGNORE_INDEX]
    if not outside:
        return ""
    shown = ", ".join(str(i) for i in outside[:8]) + (" …" if len(outside) > 8 else "")
    return (
        f"{mask}: class indices {shown} ({int(counts[outside].sum()):,} pixels) outside 0…{classes - 1} "
        f"({classes} classes in {CLASSES_FILE}; {IGNORE_INDEX} = ignore)"
    )


def _decoded_image(path: Path, side: int) -> np.ndarray | None:
    """An image as colour float32 (3, side, side) in [0, 1], upright, centre-cropped and resized; None if unreadable."""
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as file:
            image = ImageOps.exif_transpose(file)
            if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
                scale = 1.0 if image.mode == "F" else 65535.0
                grey = np.clip(np.asarray(image, dtype=np.float32) / scale, 0.0, 1.0)
                pixels = _square(Image.fromarray(grey), side, Image.Resampling.BILINEAR)
                return np.repeat(pixels[None], 3, axis=0)
            rgb = _square(image.convert("RGB"), side, Image.Resampling.BILINEAR)
    except Exception:  # noqa: BLE001 - a header that reads but pixels that do not
        return None
    return (rgb.astype(np.float32) / 255.0).transpose(2, 0, 1)


def _square(image: Image, side: int, resample: Resampling) -> np.ndarray:
    """A Pillow image's centred square resized to side × side (the crop is read in place by resize's box)."""
    width, height = image.size
    edge = min(width, height)
    left, top = (width - edge) // 2, (height - edge) // 2
    return np.asarray(image.resize((side, side), resample, box=(left, top, left + edge, top + edge)))


def _numbered(masks: list[np.ndarray]) -> tuple[str, ...]:
    """Class names 0 … the largest index in the masks (255 aside); ConfigError for fewer than two classes."""
    counts = np.bincount(np.concatenate([m.ravel() for m in masks]), minlength=256)
    found = np.flatnonzero(counts[:IGNORE_INDEX])
    classes = int(found.max()) + 1 if len(found) else 0
    if classes < 2:
        raise ConfigError(
            "segmentation folder classes", f"{classes} in the masks", f"at least 2 (or name them in {CLASSES_FILE})"
        )
    return tuple(str(i) for i in range(classes))


def _validation(listing: MaskListing, settings: MaskFolderSettings) -> np.ndarray:
    """Which pairs are validation: the folder's val/, else a seeded random test_fraction (at least one each)."""
    count = len(listing.pairs)
    if listing.layout == "train/val":
        val = np.array([p.split == "val" for p in listing.pairs], dtype=bool)
        if val.all() or not val.any():
            missing = "train" if val.all() else "val"
            raise ConfigError("segmentation folder", f"no pair in {missing}/", "images and masks in train/ and val/")
        return val
    if count < 2:
        raise ConfigError("segmentation folder", f"{count} pairs", "at least 2 images with their masks")
    chosen = np.random.default_rng(settings.split_seed).permutation(count)
    size = min(count - 1, max(1, round(count * settings.test_fraction)))
    val = np.zeros(count, dtype=bool)
    val[chosen[:size]] = True
    return val


def open_mask_folder(path: str | Path) -> MaskListing:
    """A folder listed and its name remembered for this process and the workers it starts (nothing decoded)."""
    listing = list_mask_folder(path)
    os.environ[OPENED_ENV] = json.dumps({**opened_folders(), listing.name: str(listing.root)})
    return listing


def locate_mask_folder(name: str) -> MaskListing:
    """The opened or configured segmentation folder whose files have this name now; ConfigError when none does."""
    candidates = [opened_folders().get(name), *configured_folders().values()]
    for path in filter(None, candidates):
        try:
            listing = list_mask_folder(path)
        except ConfigError:
            continue
        if listing.name == name:
            return listing
    raise ConfigError(
        "dataset", name, "a segmentation folder opened with folder:PATH or configured, unchanged since it was named"
    )


@lru_cache(maxsize=2)
def load_mask_folder(name: str) -> MaskFolder:
    """A segmentation folder by name, decoded once per process (the name is its content's digest)."""
    folder = read_mask_folder(locate_mask_folder(name).root)
    if folder.name != name:  # its files changed between listing and reading
        raise ConfigError("dataset", name, "a folder whose files do not change while it is read")
    return folder
