"""Where the project's data files live: `scaling_core/data` in an installed package, `data/` in a checkout."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
# pyproject.toml installs the checkout's data/ as the package's data/ (see [tool.setuptools.package-dir]).
DATA_DIR = next((p for p in (_PACKAGE / "data", _PACKAGE.parent / "data") if p.is_dir()), _PACKAGE.parent / "data")
BASES_DIR = DATA_DIR / "bases"
PRESETS_FILE = DATA_DIR / "presets" / "efficientnet.json"
