"""Generated scenes: the same seed draws the same scenes, labels are exact by construction (masks, instances, boxes,
areas, image labels agree), tiny and thin objects are there, COCO's size buckets scale to the scene, and settings
past the caps are refused in one line naming the setting."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import numpy as np
import pytest

from scaling_core.core import paths
from scaling_core.core.errors import ConfigError
from scaling_core.lab import scenes
from scaling_core.lab.scenes import SCENES_VERSION, SceneSettings, draw_scenes, scene_samples, scene_split
from scaling_core.storage.keys import digest

SMALL = SceneSettings(size_px=48, train_images=6, val_images=3, scale_max_px=24)
# SCENES_VERSION → the digest of the canary's scenes: a new digest means the scenes changed, so bump the version.
CANARY = {1: "f95cbbb8c46e25d5fcf4bffef617f3cede24d4d6d7f915c3400cad7992260f34"}


@pytest.fixture(scope="module")
def default_split():
    """The shipped settings' scenes (600 + 200 at 128 px), drawn once for the module."""
    return scene_split()


def test_the_shipped_settings_are_the_defaults_and_the_split_is_cached(default_split):
    assert default_split.settings == SceneSettings() == scenes.scene_settings()
    assert scene_split() is default_split and scene_split(SceneSettings()) is default_split
    assert (len(default_split.train), len(default_split.val)) == (600, 200)
    assert default_split.digest == scenes.scenes_digest(SceneSettings())


def test_the_same_seed_draws_the_same_scenes_and_another_seed_others():
    first, again = draw_scenes(SMALL, "train"), draw_scenes(SMALL, "train")
    for name in ("images", "masks", "instances", "labels"):
        assert np.array_equal(getattr(first, name), getattr(again, name))
    assert all(np.array_equal(a, b) for a, b in zip(first.boxes, again.boxes))
    other = draw_scenes(replace(SMALL, seed=1), "train")
    assert not np.array_equal(first.masks, other.masks)
    # image i depends on (seed, part, i) alone: more train images leave the val ones and the first train ones alone
    more = replace(SMALL, train_images=9)
    assert np.array_equal(draw_scenes(more, "val").images, draw_scenes(SMALL, "val").images)
    assert np.array_equal(draw_scenes(more, "train").masks[:6], first.masks)
    assert not np.array_equal(draw_scenes(SMALL, "val").masks, first.masks[:3])


def test_images_are_colour_in_the_unit_range(default_split):
    images = default_split.train.images
    assert images.shape == (600, 3, 128, 128) and images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert np.abs(images[:, 0] - images[:, 2]).mean() > 0.02  # tinted textures and photographs, not grey
    assert default_split.train.masks.shape == (600, 128, 128) and default_split.train.masks.dtype == np.uint8


@pytest.mark.parametrize("part", ["train", "val"])
def test_masks_instances_boxes_and_areas_are_exact(default_split, part):
    sets = getattr(default_split, part)
    classes = len(sets.class_names)
    for mask, instances, boxes, areas, label in zip(sets.masks, sets.instances, sets.boxes, sets.areas, sets.labels):
        assert len(boxes) == len(areas) >= 1
        # every pixel's class is its visible object's; background where no object is
        lookup = np.concatenate([[0], boxes[:, 0]])
        assert np.array_equal(mask, lookup[instances])
        assert instances.max() == len(boxes)
        for k, (cls, x0, y0, x1, y1) in enumerate(boxes, start=1):
            assert 1 <= cls < classes and 0 <= x0 < x1 <= 128 and 0 <= y0 < y1 <= 128
            mine = instances == k
            assert mine.sum() == areas[k - 1] > 0
            inside = mine[y0:y1, x0:x1]
            assert inside.sum() == mine.sum()  # the box holds all its pixels …
            assert inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()  # … tightly
            assert (mask[y0:y1, x0:x1] == cls).any()
        # the mask's pixels per class are the sum of the visible areas of that class's objects
        per_class = np.bincount(mask.ravel(), minlength=classes)
        summed = np.bincount(boxes[:, 0], weights=areas, minlength=classes)
        assert np.array_equal(per_class[1:], summed[1:].astype(np.int64))
        assert label == 1 + int(np.argmax(per_class[1:]))


def test_every_class_and_tiny_and_thin_objects_are_in_the_default_set(default_split):
    train = default_split.train
    rows = np.concatenate(train.boxes)
    areas = np.concatenate(train.areas)
    sides = np.maximum(rows[:, 3] - rows[:, 1], rows[:, 4] - rows[:, 2])
    assert set(rows[:, 0]) == set(range(1, 6)) and set(train.labels) == set(range(1, 6))
    tiny = areas <= 9  # a few pixels across
    assert tiny.sum() >= 100
    wire = rows[:, 0] == 1 + scenes.OBJECT_CLASSES.index("wire")
    thin = wire & (sides >= 16) & (areas <= sides + 1)  # one pixel wide over its length
    assert thin.sum() >= 20
    assert sides.max() >= 60 and (sides <= 4).sum() >= 50


def test_size_buckets_scale_cocos_thresholds_to_the_scene(default_split):
    small, medium = scenes.size_thresholds(128)
    assert small == pytest.approx(6.4**2) and medium == pytest.approx(19.2**2)
    assert scenes.size_thresholds(640) == (32**2, 96**2)
    buckets = scenes.size_buckets(np.array([1, 40, 41, 368, 369, 5000]), 128)
    assert buckets.tolist() == ["small", "small", "medium", "medium", "large", "large"]
    found = scenes.size_buckets(np.concatenate(default_split.train.areas), 128)
    counts = {b: int((found == b).sum()) for b in scenes.SIZE_BUCKETS}
    assert min(counts.values()) >= 200, counts


def test_samples_are_the_first_train_scenes_of_a_seed():
    samples = scene_samples(3, seed=7)
    drawn = draw_scenes(replace(SceneSettings(), seed=7), "train", 3)
    assert np.array_equal(samples.images, drawn.images) and np.array_equal(samples.masks, drawn.masks)
    assert len(samples) == 3 and samples.class_names == ("background", *scenes.OBJECT_CLASSES)
    for bad in (0, 65, 2.0, True):
        with pytest.raises(ConfigError, match=r"samples = .* is invalid: allowed an integer in \[1, 64\]"):
            scene_samples(bad)
    with pytest.raises(ConfigError, match=r"scenes part = 'test' is invalid: allowed train or val"):
        draw_scenes(SMALL, "test")
    with pytest.raises(ConfigError, match=r"scenes = 20000 is invalid: allowed an integer in \[1, 14,563\] at 48 px"):
        draw_scenes(SMALL, "train", 20000)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"size_px": 4096}, r"size_px = 4096 is invalid: allowed an integer in \[32, 256\]"),
        ({"size_px": 16}, r"size_px = 16 is invalid"),
        ({"size_px": 128.0}, r"size_px = 128.0 is invalid: allowed an integer"),
        ({"train_images": 0}, r"train_images = 0 is invalid: allowed an integer in \[1, 2,048\]"),
        ({"train_images": 2000}, r"train_images \+ val_images = 2200 is invalid: allowed at most 2,048 scenes"),
        ({"objects_max": 17}, r"objects_max = 17 is invalid: allowed an integer in \[1, 16\]"),
        ({"objects_min": 5, "objects_max": 4}, r"objects_max = 4 is invalid: allowed an integer in \[5, 16\]"),
        ({"scale_min_px": 1}, r"scale_min_px = 1 is invalid: allowed an integer in \[2, 128\]"),
        ({"scale_max_px": 200}, r"scale_max_px = 200 is invalid: allowed an integer in \[3, 128\]"),
        ({"classes": ("digit", "cat")}, r"classes = .* is invalid: allowed distinct names among digit, horse"),
        ({"classes": ()}, r"classes = \(\) is invalid"),
        ({"seed": -1}, r"seed = -1 is invalid"),
    ],
)
def test_settings_past_the_caps_are_refused_naming_the_setting(change, message):
    with pytest.raises(ConfigError, match=message):
        SceneSettings(**{**asdict(SceneSettings()), **change})


def test_a_subset_of_classes_is_numbered_in_its_order():
    settings = replace(SMALL, classes=("wire", "coin"), train_images=12)
    drawn = draw_scenes(settings, "train")
    assert drawn.class_names == ("background", "wire", "coin")
    assert set(np.unique(drawn.masks)) <= {0, 1, 2}
    assert {int(c) for b in drawn.boxes for c in b[:, 0]} == {1, 2}


def test_the_settings_file_section_is_checked_as_the_dataclass(tmp_path, monkeypatch):
    document = json.loads((paths.DATA_DIR / "lab" / "settings.json").read_text())
    document["scenes"]["size_px"] = 1000
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "settings.json").write_text(json.dumps(document))
    monkeypatch.setattr(paths, "DATA_DIR", tmp_path)
    with pytest.raises(ConfigError) as err:
        scenes.scene_settings.__wrapped__()
    assert err.value.parameter == "data/lab/settings.json: scenes.size_px" and err.value.value == 1000


def test_the_digest_follows_the_settings_and_the_version():
    assert scenes.scenes_digest(SMALL) == scenes.scenes_digest(replace(SMALL))
    assert scenes.scenes_digest(SMALL) != scenes.scenes_digest(replace(SMALL, seed=1))
    assert scenes.scenes_digest(SMALL) == digest({"scenes_version": SCENES_VERSION, **asdict(SMALL)})


def test_scenes_canary():
    # Re-draws a tiny set: a mismatch means the same settings now draw other scenes (new code, packaged images or
    # Pillow): bump SCENES_VERSION and record the new digest beside it.
    drawn = draw_scenes(SMALL, "train")
    found = digest(
        {
            "images": np.round(drawn.images * 255).astype(int).ravel().tolist(),
            "masks": drawn.masks.ravel().tolist(),
            "boxes": [b.tolist() for b in drawn.boxes],
            "labels": drawn.labels.tolist(),
        }
    )
    assert CANARY.get(SCENES_VERSION) == found, f"scenes changed: bump SCENES_VERSION and record {found}"
