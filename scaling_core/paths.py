"""Where the project's data files live."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
BASES_DIR = DATA_DIR / "bases"
PRESETS_FILE = DATA_DIR / "presets" / "efficientnet.json"
