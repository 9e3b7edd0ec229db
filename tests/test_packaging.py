"""The project installs as a package: the wheel carries every data file, the migrations and the console script."""

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
MIGRATIONS = REPO / "scaling_core" / "storage" / "migrations"
B0_MACS = 401_659_392  # EfficientNet-B0's multiply-adds, as the cost tests hold them


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built offline from a copy of the checkout (so the build leaves nothing in the checkout)."""
    root = tmp_path_factory.mktemp("build")
    source = root / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "scaling_core", source / "scaling_core", ignore=ignore)
    shutil.copytree(DATA, source / "data", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(root / "dist")]
    subprocess.run([*command, str(source)], check=True, capture_output=True, timeout=300)
    (built,) = (root / "dist").glob("*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _read(wheel: Path, suffix: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(suffix)]
        return archive.read(name).decode()


def test_the_wheel_carries_every_data_file(wheel_names):
    expected = {f"scaling_core/data/{p.relative_to(DATA).as_posix()}" for p in _files(DATA)}
    assert expected - wheel_names == set()
    # the shipped measurements, a base, a settings file: what an installed package reads first
    assert {
        "scaling_core/data/lab/mnist5k.json",
        "scaling_core/data/bases/efficientnet-b0.json",
        "scaling_core/data/lab/settings.json",
    } <= wheel_names


def test_the_wheel_carries_the_migrations(wheel_names):
    expected = {f"scaling_core/storage/migrations/{p.relative_to(MIGRATIONS).as_posix()}" for p in _files(MIGRATIONS)}
    assert expected - wheel_names == set()
    assert "scaling_core/storage/migrations/env.py" in wheel_names


def test_the_wheel_carries_every_subpackage(wheel_names):
    # pyproject.toml lists the packages by hand (scaling_core.data cannot be discovered): none may be left out
    packages = {p.relative_to(REPO).as_posix() for p in (REPO / "scaling_core").rglob("__init__.py")}
    assert packages - wheel_names == set()


def test_the_console_script_and_the_pins(wheel):
    entry_points = _read(wheel, ".dist-info/entry_points.txt")
    assert re.search(r"^scaling-lab = scaling_core\.cli\.main:run$", entry_points, flags=re.MULTILINE)
    declared = [
        line.split(":", 1)[1].strip()
        for line in _read(wheel, ".dist-info/METADATA").splitlines()
        if line.startswith("Requires-Dist:")
    ]
    required = {d for d in declared if "extra ==" not in d}
    pinned = {
        line.strip()
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert required == pinned, "pyproject.toml's dependencies and requirements.txt must pin the same releases"
    # The [openvino] extra pins the release the dev requirements test.
    extras = {d.split(";")[0].strip() for d in declared if 'extra == "openvino"' in d}
    dev = (REPO / "requirements-dev.txt").read_text().splitlines()
    assert extras == {"openvino==2026.4.1"} and "openvino==2026.4.1" in dev


def _cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return {**env, **extra}


def test_the_cli_runs_from_another_directory(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "scaling_core", "cost", "--preset", "b0", "--json"],
        cwd=tmp_path,
        env=_cli_env(PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(result.stdout)["macs"] == B0_MACS


@pytest.mark.slow
def test_the_installed_wheel_runs_outside_the_checkout(wheel, tmp_path):
    """The wheel pip-installed into a fresh venv (dependencies borrowed from this one) runs its console script."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # the dependencies come from this environment (a path, not its site dir: its .pth files are not run)
    Path(site, "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = [python, "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=300)
    script = venv / "bin" / "scaling-lab"
    run = {"cwd": tmp_path, "env": _cli_env(), "capture_output": True, "text": True, "timeout": 300, "check": True}

    cost = json.loads(subprocess.run([script, "cost", "--preset", "b0", "--json"], **run).stdout)
    assert cost["macs"] == B0_MACS
    report = subprocess.run([script, "lab", "report", "--dataset", "mnist5k", "--json"], **run).stdout
    assert json.loads(report)
    where = subprocess.run([python, "-c", "import scaling_core; print(scaling_core.__file__)"], **run).stdout
    assert Path(where.strip()).is_relative_to(site), "the installed package, not the checkout, must have run"
