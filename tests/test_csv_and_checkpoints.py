"""CSV exports cannot carry a spreadsheet formula, and a checkpoint from a store is weights only: never code."""

import ast
import csv
import io
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from scaling_core.app.export import csv_text
from scaling_core.app.state import AppState
from scaling_core.app.views.pareto import pareto_result
from scaling_core.core.errors import ConfigError
from scaling_core.nn.checkpoint import load_state_dict
from scaling_core.storage.store import Store
from scaling_core.studies.spectrum.domain_fit import analyse_image, images_frame, summarise
from scaling_core.studies.spectrum.images import decode_upload
from scaling_core.studies.spectrum.power import synthetic_image
from ui.export import csv_button

REPO = Path(__file__).resolve().parent.parent
LINK = '=HYPERLINK("http://x").png'


def cells(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_an_uploaded_file_named_like_a_formula_is_written_as_text():
    buffer = io.BytesIO()
    Image.fromarray((synthetic_image(64, 2.0, 0) * 255).clip(0, 255).astype(np.uint8)).save(buffer, format="PNG")
    analysis = analyse_image(decode_upload(LINK, buffer.getvalue()), "yours", (0.02, 0.25), (56, 224), 0.95)
    frame = images_frame([summarise("yours", [analysis], (0.02, 0.25))], 0.95)
    [row] = cells(csv_text(frame))
    assert row["image"] == "'" + LINK


def test_a_recipe_named_like_a_sum_is_text_and_negative_numbers_stay_numbers():
    state = AppState(pareto_recipes="-2+3,1.2,1.1,1.15", pareto_phi_max=1.0, pareto_phi_step=0.5)
    frame = pareto_result(state).frame
    written = cells(csv_text(frame))
    assert {r["recipe"] for r in written if "2+3" in r["recipe"]} == {"'-2+3"}
    labels = ["@sum", "\tx", "\rx", "+1", "a\r=cmd", "plain"]
    numbers = pd.DataFrame({"label": labels, "delta": [-1.5, -2, 0, 3, 1, -0.25], "count": [-3, 1, 2, 3, 4, 5]})
    back = pd.read_csv(io.StringIO(csv_text(numbers)))
    assert list(back["label"]) == ["'@sum", "'\tx", "'\rx", "'+1", "a\r=cmd", "plain"]  # one row each
    assert list(back["delta"]) == [-1.5, -2, 0, 3, 1, -0.25] and list(back["count"]) == [-3, 1, 2, 3, 4, 5]
    assert list(cells(csv_text(pd.DataFrame({"=cmd": [1]})))[0]) == ["'=cmd"]  # a column name is a cell too


def test_the_pages_csv_download_is_neutralised():
    class Container:
        def download_button(self, label, data, **kwargs):
            self.data, self.file_name = data, kwargs["file_name"]

    container = Container()
    csv_button(pd.DataFrame({"image": [LINK], "slope": [-1.0]}), "images", container=container)
    assert container.file_name == "images.csv"
    assert cells(container.data()) == [{"image": "'" + LINK, "slope": "-1.0"}]


class Planted:
    """A pickled object that writes a marker file when it is unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return Path.write_text, (self.marker, "code ran")


@pytest.fixture
def planted(tmp_path) -> tuple[bytes, Path]:
    marker = tmp_path / "marker"
    buffer = io.BytesIO()
    torch.save({"weight": torch.zeros(2), "payload": Planted(marker)}, buffer)
    return buffer.getvalue(), marker


def test_a_planted_checkpoint_in_a_store_is_refused_and_runs_nothing(tmp_path, monkeypatch, planted):
    data, marker = planted
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")  # the default overridden: the call still decides
    monkeypatch.delenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", raising=False)
    store = Store(f"sqlite:///{tmp_path / 'shared.sqlite'}")
    store.put_lab_run(
        {
            "key": "k" * 64,
            "dataset": "digits",
            "network_key": "n" * 16,
            "seed": 0,
            "budget": "{}",
            "code_version": "c" * 12,
            "fingerprint_id": "f" * 16,
            "accuracy": 0.9,
            "curve": "[]",
            "train_time_s": 1.0,
            "checkpoint": data,
            "created_at": 1.0,
        }
    )
    with pytest.raises(ConfigError) as err:
        load_state_dict(store.lab_checkpoint("k" * 64))
    assert err.value.parameter == "checkpoint" and "plain state dict" in str(err.value) and "\n" not in str(err.value)
    assert not marker.exists()
    pickle.loads(pickle.dumps(Planted(marker)))  # the plant is real: unpickled by anything else, it writes
    assert marker.read_text() == "code ran"


@pytest.mark.parametrize(
    "content, parameter",
    [([torch.zeros(1)], "checkpoint"), ({1: torch.zeros(1)}, "checkpoint[1]"), ({"w": 3}, "checkpoint['w']")],
)
def test_only_a_plain_state_dict_loads(content, parameter):
    buffer = io.BytesIO()
    torch.save(content, buffer)
    with pytest.raises(ConfigError) as err:
        load_state_dict(buffer.getvalue())
    assert err.value.parameter == parameter
    with pytest.raises(ConfigError, match="not weights only"):
        load_state_dict(b"not a checkpoint")


def test_a_trained_state_dict_loads_back():
    model = torch.nn.Linear(3, 2)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    loaded = load_state_dict(buffer.getvalue())
    assert all(torch.equal(loaded[k], v) for k, v in model.state_dict().items())


def test_every_torch_load_in_the_repository_passes_weights_only():
    calls = []
    for path in [*REPO.glob("scaling_core/**/*.py"), *REPO.glob("tests/**/*.py"), *REPO.glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "torch.load":
                weights_only = [k.value for k in node.keywords if k.arg == "weights_only"]
                calls.append((path.name, ast.unparse(weights_only[0]) if weights_only else None))
    assert calls and all(flag == "True" for _, flag in calls), calls
