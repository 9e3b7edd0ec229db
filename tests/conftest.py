import json
import os
import sys
import types

import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Two workers share two cores: torch's default of one thread per core in each would oversubscribe them and
    # spin. Set before torch is first imported; a measurement sets its own thread count.
    os.environ.setdefault("OMP_NUM_THREADS", "1")

from scaling_core.storage.store import STORE_URL_ENV, Store

# torchvision (a test dependency: the family presets are checked against its models) ships CUDA builds whose detection
# ops fail to register beside the CPU torch, and torchmetrics imports it when it is installed. Its model definitions
# are plain Python: an empty `_meta_registrations` lets it import (../shared/DESIGN.md).
sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))

TINY_BASE = {
    "name": "tiny-test",
    "resolution_px": 64,
    "in_channels": 3,
    "num_classes": 10,
    "stem": {"out_channels": 16, "kernel": 3, "stride": 2},
    "stages": [
        {
            "block": "mbconv",
            "expand_ratio": 4,
            "kernel": 3,
            "stride": 2,
            "out_channels": 24,
            "repeats": 2,
            "se_ratio": 0,
        },
        {
            "block": "mbconv",
            "expand_ratio": 3,
            "kernel": 5,
            "stride": 1,
            "out_channels": 40,
            "repeats": 1,
            "se_ratio": 0.5,
        },
    ],
    "head": {"out_channels": 128},
    "dropout": 0.1,
}


@pytest.fixture
def tiny_base_path(tmp_path):
    """A base spec in the shipped format that is not EfficientNet (no SE in one stage, other ratios)."""
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY_BASE))
    return path


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A throwaway SQLite results store that the app under test also uses."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    monkeypatch.setenv(STORE_URL_ENV, url)
    return Store(url)
