"""Your own segmentation data: a folder of images/ and masks/ loads in colour with its masks and a digest that never
holds the path; a bad folder is refused before any work with one line per bad file, naming it and the problem."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scaling_core.core.errors import ConfigError
from scaling_core.lab import folders, mask_folders
from scaling_core.lab.mask_folders import (
    BadFilesError,
    list_mask_folder,
    load_mask_folder,
    open_mask_folder,
    read_mask_folder,
)

CLASSES = ("background", "cat", "dog")
SIDES = [(64, 64), (40, 30), (30, 50)]  # any size: squares and not
SETTINGS = mask_folders.mask_folder_settings()


def scene(index: int, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """A colour image (reddish background, a blue square) and its mask (0, class 1 or 2 on the square, 255 on its
    edge), from the index."""
    rng = np.random.default_rng(index)
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[...] = (200, 40, 30)
    image += rng.integers(0, 20, size=image.shape, dtype=np.uint8)
    mask = np.zeros((height, width), dtype=np.uint8)
    top, left = height // 4, width // 4
    image[top : 3 * top, left : 3 * left] = (20, 60, 220)
    mask[top : 3 * top, left : 3 * left] = 1 + index % 2
    mask[top, left : 3 * left] = 255  # an edge nobody should be graded on
    return image, mask


def write_pairs(part: Path, count: int, first: int = 0, grey: int | None = None) -> None:
    """count image/mask pairs under part/images and part/masks (one in a nested folder, one as JPEG, one grey)."""
    for index in range(first, first + count):
        width, height = SIDES[index % len(SIDES)]
        image, mask = scene(index, width, height)
        folder = "street/" if index == first + 1 else ""
        (part / "images" / folder).mkdir(parents=True, exist_ok=True)
        (part / "masks" / folder).mkdir(parents=True, exist_ok=True)
        picture = Image.fromarray(image).convert("L") if index == grey else Image.fromarray(image)
        suffix = ".jpg" if index == first + 2 else ".png"
        picture.save(part / "images" / f"{folder}{index:02d}{suffix}")
        Image.fromarray(mask).save(part / "masks" / f"{folder}{index:02d}.png")


def mask_folder(root: Path, count: int = 6, classes: bool = True, grey: int | None = 3) -> Path:
    """A valid folder of count pairs, with classes.txt."""
    write_pairs(root, count, grey=grey)
    if classes:
        (root / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    return root


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    """No folder opened by another test, and no cached folder across tests."""
    monkeypatch.delenv(folders.OPENED_ENV, raising=False)
    monkeypatch.delenv(folders.CONFIGURED_ENV, raising=False)
    load_mask_folder.cache_clear()
    yield
    load_mask_folder.cache_clear()


def test_a_folder_loads_in_colour_with_its_masks_and_classes(tmp_path):
    folder = read_mask_folder(mask_folder(tmp_path / "mine"))
    side = SETTINGS.side_px
    assert folder.images.shape == (6, 3, side, side) and folder.images.dtype == np.float32
    assert folder.masks.shape == (6, side, side) and folder.masks.dtype == np.uint8
    assert folder.class_names == CLASSES and folder.layout == "random"
    assert [p.image for p in folder.pairs][:3] == ["images/00.png", "images/02.jpg", "images/03.png"]
    assert "images/street/01.png" in [p.image for p in folder.pairs]
    # colour stays colour: the background is red, the square blue; the grey image (index 3) is grey in 3 channels
    first = folder.images[0]
    assert first[0, 2, 2] > 0.7 and first[2, 2, 2] < 0.2 and first[2, side // 2, side // 2] > 0.8
    grey = folder.images[[p.image for p in folder.pairs].index("images/03.png")]
    assert np.array_equal(grey[0], grey[1]) and np.array_equal(grey[1], grey[2])
    # a square image's mask is resized by nearest neighbour: every pixel keeps a class of the file
    _, mask = scene(0, 64, 64)
    assert np.array_equal(folder.masks[0], np.kron(mask, np.ones((side // 64, side // 64), dtype=np.uint8)))
    assert set(np.unique(folder.masks)) == {0, 1, 2, 255}
    # split at random by the seed: round(6 × 0.2) = 1 validation pair, the same each time
    assert folder.val.sum() == 1 and np.array_equal(read_mask_folder(tmp_path / "mine").val, folder.val)


def test_the_digest_holds_paths_and_sizes_never_where_the_folder_is(tmp_path):
    first = list_mask_folder(mask_folder(tmp_path / "a"))
    shutil.copytree(tmp_path / "a", tmp_path / "elsewhere" / "b")
    second = list_mask_folder(tmp_path / "elsewhere" / "b")
    assert first.digest == second.digest and first.name == second.name and first.name.startswith("folder:")
    assert str(tmp_path) not in first.name
    assert read_mask_folder(tmp_path / "a").digest == first.digest
    # another class name, or a file of another size, is another dataset
    (tmp_path / "elsewhere" / "b" / "classes.txt").write_text("background\ncat\nwolf\n")
    assert list_mask_folder(tmp_path / "elsewhere" / "b").digest != first.digest
    Image.fromarray(scene(9, 64, 64)[0]).save(tmp_path / "a" / "images" / "00.png")
    assert list_mask_folder(tmp_path / "a").digest != first.digest


def test_the_classification_reading_of_the_same_files_has_another_name(tmp_path):
    root = mask_folder(tmp_path / "mine")
    assert folders.list_folder(root).info.name != list_mask_folder(root).name


def test_train_and_val_folders_are_the_split(tmp_path):
    root = tmp_path / "split"
    write_pairs(root / "train", 4)
    write_pairs(root / "val", 2, first=10)
    (root / "classes.txt").write_text("\n".join(CLASSES))
    folder = read_mask_folder(root)
    assert folder.layout == "train/val"
    assert [p.image for p in folder.pairs if p.split == "val"] == ["val/images/10.png", "val/images/street/11.png"]
    assert folder.val.tolist() == [p.split == "val" for p in folder.pairs] and folder.val.sum() == 2
    # an empty val/ is refused in one line
    shutil.rmtree(root / "val" / "images")
    shutil.rmtree(root / "val" / "masks")
    (root / "val" / "images").mkdir()
    (root / "val" / "masks").mkdir()
    with pytest.raises(ConfigError, match=r"segmentation folder = 'no pair in val/' is invalid"):
        read_mask_folder(root)


def test_without_classes_txt_the_classes_are_numbered_from_the_masks(tmp_path):
    folder = read_mask_folder(mask_folder(tmp_path / "mine", classes=False))
    assert folder.class_names == ("0", "1", "2") and list_mask_folder(tmp_path / "mine").class_names is None


def test_bad_files_are_each_named_with_their_problem(tmp_path):
    root = mask_folder(tmp_path / "bad")
    Image.fromarray(np.zeros((10, 12), dtype=np.uint8)).save(root / "masks" / "00.png")  # its image is 64 × 64
    Image.fromarray(np.full((50, 30), 7, dtype=np.uint8)).save(root / "masks" / "05.png")  # 3 classes
    (root / "masks" / "04.png").unlink()  # an image without a mask
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(root / "masks" / "orphan.png")  # a mask without an image
    Image.fromarray(np.zeros((30, 40, 3), dtype=np.uint8)).save(root / "masks" / "street" / "01.png")  # colour mask
    (root / "images" / "03.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"not an image" * 8)
    with pytest.raises(BadFilesError) as err:
        read_mask_folder(root)
    lines = str(err.value).splitlines()
    assert lines == sorted(lines) and len(lines) == 6 == len(err.value.problems)
    expected = {
        "images/03.png": "unreadable",
        "images/04.png": "no mask (expected masks/04.png)",
        "masks/00.png": "12 × 10 px, its image images/00.png is 64 × 64 px",
        "masks/05.png": "class indices 7 (1,500 pixels) outside 0…2 (3 classes in classes.txt; 255 = ignore)",
        "masks/orphan.png": "no image of the same stem",
        "masks/street/01.png": "PNG in mode RGB, not a single-channel PNG of class indices",
    }
    assert dict(line.split(": ", 1) for line in lines) == expected
    assert isinstance(err.value, ConfigError)  # the CLI prints it as it prints any refused input
    # listing alone (no pixel read) already names the unpaired files
    with pytest.raises(BadFilesError) as listed:
        list_mask_folder(root)
    assert [line.split(":")[0] for line in str(listed.value).splitlines()] == ["images/04.png", "masks/orphan.png"]


def test_past_twenty_bad_files_the_rest_are_counted(tmp_path):
    root = mask_folder(tmp_path / "many")
    for index in range(25):
        Image.fromarray(np.zeros((4, 4, 3), dtype=np.uint8)).save(root / "images" / f"extra{index:02d}.png")
    with pytest.raises(BadFilesError) as err:
        list_mask_folder(root)
    lines = str(err.value).splitlines()
    assert len(lines) == 21 and lines[-1] == "… and 5 more" and len(err.value.problems) == 25
    assert lines[0] == "images/extra00.png: no mask (expected masks/extra00.png)"


def test_bad_classes_txt_lines_are_named(tmp_path):
    root = mask_folder(tmp_path / "names")
    (root / "classes.txt").write_text("background\n\ncat\ncat\n")
    with pytest.raises(BadFilesError) as err:
        list_mask_folder(root)
    assert str(err.value).splitlines() == ["classes.txt: 'cat' named twice", "classes.txt: line 2 is empty"]


def test_folders_past_the_caps_are_refused_in_one_line(tmp_path, monkeypatch):
    root = mask_folder(tmp_path / "big")
    capped = SETTINGS.model_copy(update={"max_files": 11})  # 6 images and 6 masks
    monkeypatch.setattr(mask_folders, "mask_folder_settings", lambda: capped)
    with pytest.raises(ConfigError) as err:
        list_mask_folder(root)
    assert str(err.value) == (
        "segmentation folder files = 'more than 11 images and masks' is invalid: allowed at most 11 image and "
        "mask files (mask_folders.max_files in data/lab/settings.json)"
    )
    monkeypatch.setattr(mask_folders, "mask_folder_settings", lambda: SETTINGS.model_copy(update={"max_pixels": 2000}))
    with pytest.raises(BadFilesError, match=r"images/00.png: 64 × 64 px, over mask_folders.max_pixels 2,000"):
        read_mask_folder(root)
    few = SETTINGS.model_copy(update={"max_total_pixels": 5000})
    monkeypatch.setattr(mask_folders, "mask_folder_settings", lambda: few)
    with pytest.raises(ConfigError, match=r"segmentation folder pixels = '13,592 in 6 images' is invalid"):
        read_mask_folder(root)


def test_not_a_segmentation_folder_is_refused_in_one_line(tmp_path):
    with pytest.raises(ConfigError, match="a folder holding images/ and masks/"):
        list_mask_folder(tmp_path / "missing")
    (tmp_path / "only" / "images").mkdir(parents=True)
    with pytest.raises(ConfigError, match="a folder holding images/ and masks/"):
        list_mask_folder(tmp_path / "only")


def test_a_folder_opened_is_found_by_name_until_its_files_change(tmp_path):
    root = mask_folder(tmp_path / "mine")
    name = open_mask_folder(root).name
    folder = load_mask_folder(name)
    assert folder.name == name and load_mask_folder(name) is folder
    Image.fromarray(scene(9, 64, 64)[0]).save(root / "images" / "00.png")
    load_mask_folder.cache_clear()
    with pytest.raises(ConfigError, match="unchanged since it was named"):
        load_mask_folder(name)
