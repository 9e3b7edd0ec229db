"""The data of the dense tasks: generated scenes or a folder of images and masks, as one kind of split.

Both give colour images (N, 3, S, S) in [0, 1] at their native side S, class-index masks (0 = background,
255 = ignore), per image the boxes of its objects (class, x0, y0, x1, y1; x1 and y1 one past the last pixel) and an
image-level label (the object class covering the most pixels). The scenes' boxes and labels are exact by
construction (lab/scenes.py); a folder's are derived from its masks: each 8-connected region of one class is an
object, so two touching objects of one class are one box there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import ndimage

from scaling_core.core.errors import ConfigError
from scaling_core.lab.folders import PREFIX
from scaling_core.lab.mask_folders import (
    IGNORE_INDEX,
    MaskFolder,
    load_mask_folder,
    locate_mask_folder,
    open_mask_folder,
)
from scaling_core.lab.scenes import Scenes, scene_split

SCENES = "scenes"
NO_LABEL = -1  # an image without any object pixel has no image-level label (a folder's may)


@dataclass(frozen=True, eq=False)
class DenseSet:
    """One part (train or val) of a dense dataset."""

    images: np.ndarray  # (N, 3, S, S) float32 in [0, 1]
    masks: np.ndarray  # (N, S, S) uint8, 255 = ignore
    boxes: tuple[np.ndarray, ...] = field(repr=False)  # per image (K, 5) int: class, x0, y0, x1, y1
    labels: np.ndarray  # (N,) int64 object class (1 …), NO_LABEL where the image has no object

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def size_px(self) -> int:
        """The native side of the images."""
        return int(self.images.shape[-1])


@dataclass(frozen=True, eq=False)
class DenseData:
    """A dense dataset: its name (the run keys' dataset), digest, class names (background first) and parts."""

    name: str
    digest: str
    class_names: tuple[str, ...]
    train: DenseSet
    val: DenseSet

    @property
    def object_classes(self) -> int:
        """Classes other than the background."""
        return len(self.class_names) - 1


def _from_scenes(scenes: Scenes) -> DenseSet:
    """A part of the scenes, their exact boxes and labels kept."""
    return DenseSet(scenes.images, scenes.masks, scenes.boxes, scenes.labels)


def mask_objects(mask: np.ndarray) -> np.ndarray:
    """The boxes (K, 5) of a mask's objects: each 8-connected region of one class other than background and ignore."""
    rows = []
    for c in np.unique(mask):
        if c in (0, IGNORE_INDEX):
            continue
        regions, _ = ndimage.label(mask == c, structure=np.ones((3, 3)))
        for where in ndimage.find_objects(regions):
            rows.append((int(c), where[1].start, where[0].start, where[1].stop, where[0].stop))
    return np.array(rows, dtype=np.int32).reshape(-1, 5)


def majority_label(mask: np.ndarray) -> int:
    """The object class covering the most pixels (NO_LABEL when there is none)."""
    counts = np.bincount(mask[(mask != 0) & (mask != IGNORE_INDEX)].ravel(), minlength=2)
    return int(counts.argmax()) if counts.sum() else NO_LABEL


def _from_masks(images: np.ndarray, masks: np.ndarray) -> DenseSet:
    """A part of a folder, its boxes and labels made from the masks."""
    return DenseSet(
        images,
        masks,
        tuple(mask_objects(m) for m in masks),
        np.array([majority_label(m) for m in masks], dtype=np.int64),
    )


def _from_folder(folder: MaskFolder) -> DenseData:
    """A decoded segmentation folder as train and validation parts."""
    val = np.asarray(folder.val, dtype=bool)
    return DenseData(
        folder.name,
        folder.digest,
        tuple(folder.class_names),
        _from_masks(folder.images[~val], folder.masks[~val]),
        _from_masks(folder.images[val], folder.masks[val]),
    )


def is_mask_layout(path: str) -> bool:
    """Whether a folder holds images/ and masks/ (at its top or under train/), a segmentation folder's layout."""
    from pathlib import Path

    root = Path(path).expanduser()
    return any((where / "images").is_dir() and (where / "masks").is_dir() for where in (root, root / "train"))


def is_dense_name(name: str) -> bool:
    """Whether a stored dataset name is dense data: the scenes or a segmentation folder this process can find."""
    if name == SCENES:
        return True
    try:
        locate_mask_folder(name)
    except ConfigError:
        return False
    return True


def dense_dataset_name(dataset: str) -> str:
    """The name a run stores for `scenes` or `folder:PATH` (the folder opened, so workers find it by its digest)."""
    if dataset == SCENES:
        return SCENES
    if dataset.startswith(PREFIX):
        return open_mask_folder(dataset[len(PREFIX) :]).name
    raise ConfigError(
        "--dataset", dataset[:80], "scenes or folder:PATH (a folder of images/ and masks/) for a dense task"
    )


@lru_cache(maxsize=2)
def load_dense(name: str) -> DenseData:
    """A dense dataset by its stored name: the shipped scenes or an opened segmentation folder."""
    if name == SCENES:
        split = scene_split()
        return DenseData(
            SCENES, split.digest, split.train.class_names, _from_scenes(split.train), _from_scenes(split.val)
        )
    return _from_folder(load_mask_folder(name))
