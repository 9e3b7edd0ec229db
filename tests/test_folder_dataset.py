"""Your own images: a folder of class subfolders trains through `lab run --dataset folder:PATH`, its identity (the
digest of its files) enters the run keys, a bad file is named and skipped, and a folder that cannot be trained on
is refused in one line before any work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_digits
from sqlalchemy import text

from scaling_core.cli.main import main
from scaling_core.core.errors import ConfigError
from scaling_core.lab import folders
from scaling_core.lab.data import dataset_info, dataset_table, lab_dataset_names, load_dataset
from scaling_core.lab.runs import code_version, lab_network, lab_settings, run_key
from scaling_core.lab.train import Budget
from scaling_core.storage.keys import digest
from scaling_core.storage.store import Store

CLASSES = {"zero": 0, "one": 1, "two": 2}
PER_CLASS = 8
SIDES = [(8, 8), (12, 12), (20, 20), (33, 20)]  # any size, squares and not
SHIPPED = folders.folder_settings()
GARBAGE = b"\x89PNG\r\n\x1a\n" + b"not an image at all" * 8


def digit_images(label: int, count: int) -> list[np.ndarray]:
    """Packaged handwritten digits of one class as 8-bit grey arrays (8 × 8)."""
    digits = load_digits()
    return [(image * 255 / 16).astype(np.uint8) for image in digits.images[digits.target == label][:count]]


def write_class(folder: Path, label: int, count: int = PER_CLASS, first: int = 0) -> None:
    """count digits of a class as PNGs of varied sizes, every other one in colour (RGB), some in a nested folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, pixels in enumerate(digit_images(label, first + count)[first:], start=first):
        image = Image.fromarray(pixels).resize(SIDES[i % len(SIDES)], Image.Resampling.BILINEAR)
        image = image.convert("RGB") if i % 2 else image
        target = folder / "more" if i == 5 else folder  # images below a class folder belong to it
        target.mkdir(exist_ok=True)
        image.save(target / f"{i:02d}.png")


def image_folder(root: Path, per_class: int = PER_CLASS, bad: bool = True) -> Path:
    """A folder of three digit classes, with a .png of garbage bytes in one of them."""
    for name, label in CLASSES.items():
        write_class(root / name, label, per_class)
    if bad:
        (root / "one" / "broken.png").write_bytes(GARBAGE)
    (root / "one" / "notes.txt").write_text("not an image: ignored")
    return root


def expected_digest(root: Path) -> str:
    """The digest of the sorted image files' relative paths and sizes, worked out here."""
    files = sorted(p for p in root.rglob("*") if p.suffix == ".png")
    return digest([[p.relative_to(root).as_posix(), p.stat().st_size] for p in files])


@pytest.fixture(autouse=True)
def fresh_folders(monkeypatch):
    """No folder opened or configured by another test, and no cached lookups across tests."""
    monkeypatch.delenv(folders.OPENED_ENV, raising=False)
    monkeypatch.delenv(folders.CONFIGURED_ENV, raising=False)
    caches = (folders.configured_datasets, folders.folder_info, load_dataset)
    for cache in caches:
        cache.cache_clear()
    yield
    for cache in caches:
        cache.cache_clear()


def limited(monkeypatch, **limits) -> None:
    """The folder limits of data/lab/settings.json, some replaced."""
    settings = SHIPPED.model_copy(update=limits)
    monkeypatch.setattr(folders, "folder_settings", lambda: settings)


def test_a_folder_trains_through_the_cli_its_digest_in_the_key_and_its_bad_file_named(tmp_path, capsys):
    root = image_folder(tmp_path / "images")
    url = f"sqlite:///{tmp_path / 'lab.sqlite'}"
    saved = tmp_path / "report.json"
    argv = ["lab", "run", "--dataset", f"folder:{root}", "--recipes", "efficientnet", "--phis", "0", "--seeds", "1"]
    argv += ["--epochs", "1", "--workers", "1", "--store", url, "--json", "--save-to", str(saved)]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    name = "folder:" + expected_digest(root)[:12]
    assert f"dataset {name}: 3 classes (one, two, zero)" in err and "one/broken.png (unreadable)" in err
    assert "notes.txt" not in err  # not an image file: ignored, not reported
    [row] = json.loads(out)
    assert row["dataset"] == name and row["seeds"] == 1 and 0.0 <= row["accuracy_mean"] <= 1.0

    info = dataset_info(name)
    assert info.digest == expected_digest(root) and info.class_names == ("one", "two", "zero")
    assert info.images == 3 * PER_CLASS + 1 and str(root) not in json.dumps(row)  # the name, never the path
    budget = Budget(**{**lab_settings().budget.__dict__, "epochs": 1})
    key = run_key(name, lab_network(name, "efficientnet", 0), 0, budget)
    with Store(url).engine.connect() as connection:
        stored = connection.execute(text("SELECT key, dataset, code_version FROM lab_runs")).all()
    assert [tuple(r) for r in stored] == [(key, name, code_version(name))]
    document = json.loads(saved.read_text())
    assert document["folder"]["class_names"] == ["one", "two", "zero"]
    assert document["folder"]["skipped"] == ["one/broken.png (unreadable)"]

    data = load_dataset(name)  # grey, one size, every usable image in a stratified split
    assert data.train_x.shape[1:] == (1, 64, 64) and len(data.train_y) + len(data.test_y) == 3 * PER_CLASS
    assert set(np.unique(data.test_y)) == {0, 1, 2} and 0.0 <= data.train_x.min() <= data.train_x.max() <= 1.0


def test_adding_a_file_changes_the_digest_and_so_the_run_key(tmp_path):
    root = image_folder(tmp_path / "images", bad=False)
    budget = lab_settings().budget
    before = folders.open_folder(root).name
    key = run_key(before, lab_network(before, "efficientnet", 0), 0, budget)
    write_class(root / "two", 2, count=1, first=PER_CLASS)
    after = folders.open_folder(root).name
    assert after != before and after == "folder:" + expected_digest(root)[:12]
    assert code_version(after) != code_version(before)
    assert run_key(after, lab_network(after, "efficientnet", 0), 0, budget) != key
    with pytest.raises(ConfigError, match="unchanged since it was named"):
        folders.locate(before)  # the old name no longer describes the folder's files


def test_train_and_val_subfolders_are_the_split(tmp_path):
    root = tmp_path / "split"
    for name, label in CLASSES.items():
        write_class(root / "train" / name, label, 6)
        write_class(root / "val" / name, label, 2, first=6)
    data = load_dataset(folders.open_folder(root).name)
    assert data.info.layout == "train/val" and data.info.class_names == ("one", "two", "zero")
    assert np.bincount(data.test_y).tolist() == [2, 2, 2] and np.bincount(data.train_y).tolist() == [6, 6, 6]
    assert data.info.test_fraction == pytest.approx(0.25)
    (root / "val" / "three").mkdir()
    with pytest.raises(ConfigError, match="classes.*the same in both"):
        folders.list_folder(root)


def refusal(capsys, path: Path | str) -> str:
    """The one line a `lab report --dataset folder:PATH` is refused with (exit 2)."""
    capsys.readouterr()
    assert main(["lab", "report", "--dataset", f"folder:{path}", "--store", "sqlite://"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "argument --dataset:" in err
    return err


def test_folders_that_cannot_be_trained_on_are_refused_in_one_line(tmp_path, capsys, monkeypatch):
    assert "an existing folder" in refusal(capsys, tmp_path / "missing")
    (tmp_path / "file.png").write_bytes(GARBAGE)
    assert "not a file" in refusal(capsys, tmp_path / "file.png")
    write_class(tmp_path / "single" / "zero", 0)
    assert "at least 2 subfolders" in refusal(capsys, tmp_path / "single")
    few = image_folder(tmp_path / "few", per_class=3, bad=False)
    message = refusal(capsys, few)
    assert "'one'" in message and "3 image files" in message and "at least 5 per class" in message
    bad = image_folder(tmp_path / "bad", bad=False)
    for i in range(PER_CLASS - 3):  # too few usable once the bad files are skipped: the error names them
        (bad / "zero" / f"{i:02d}.png").write_bytes(GARBAGE)
    message = refusal(capsys, bad)
    assert "3 usable images" in message and "skipped: zero/00.png (unreadable)" in message
    good = image_folder(tmp_path / "good")
    limited(monkeypatch, max_files=10)
    assert "more than 10 images" in refusal(capsys, good)
    limited(monkeypatch, max_total_pixels=5_000)
    assert "decoded pixels" in refusal(capsys, good)
    limited(monkeypatch, max_pixels=300)  # every image over it: skipped and named, then too few are left
    assert "over folders.max_pixels" in refusal(capsys, good)


def test_a_configured_folder_is_found_by_its_name_in_any_process(tmp_path, monkeypatch):
    root = image_folder(tmp_path / "images")
    name = "folder:" + expected_digest(root)[:12]
    monkeypatch.setenv(folders.CONFIGURED_ENV, f"digits={root}")
    assert name in lab_dataset_names() and "one, two, zero" in dataset_table()[name].title
    assert len(load_dataset(name).skipped) == 1  # found through the configuration, never opened by path
    monkeypatch.setenv(folders.CONFIGURED_ENV, "no equals sign")
    with pytest.raises(ConfigError, match=folders.CONFIGURED_ENV):
        folders.configured_folders()


def test_the_lab_page_offers_the_servers_folders(tmp_path):
    """A fresh process (as a server starts) with a folder configured: its state accepts the folder's name."""
    root = image_folder(tmp_path / "images")
    name = "folder:" + expected_digest(root)[:12]
    probe = (
        "import sys; from scaling_core.app.state import parse_query\n"
        "state, problems = parse_query({'lab_dataset': sys.argv[1]}); print(state.lab_dataset, problems)"
    )
    env = {**os.environ, folders.CONFIGURED_ENV: f"mine={root}"}
    env.pop(folders.OPENED_ENV, None)
    done = subprocess.run(
        [sys.executable, "-c", probe, name], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [name, "[]"]
