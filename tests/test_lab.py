"""The lab: its base is the same family, its datasets load offline, training is deterministic, runs are cached."""

import io
import json
import time

import numpy as np
import pytest
import torch
from sqlalchemy import text

from scaling_core import count
from scaling_core.app.views.lab import shipped
from scaling_core.cli.main import main
from scaling_core.core.errors import ConfigError
from scaling_core.lab.data import dataset_names, load_dataset, resample
from scaling_core.lab.runs import code_version, lab_network, lab_report, lab_settings, network_key, run_grid, run_key
from scaling_core.lab.train import Budget, train
from scaling_core.nn.verify import verify
from scaling_core.storage.store import Store

TINY = Budget(epochs=1, batch_size=256, learning_rate=0.004, weight_decay=1e-4)


def test_the_lab_base_scales_like_the_big_models_and_equals_fvcore():
    network = lab_network("digits", "efficientnet", 1.0)
    assert network.base_name == "lab-tiny" and network.in_channels == 1 and network.classifier.num_classes == 10
    assert network.resolution_px == 18  # 16 px × 1.15, to a multiple of 1
    assert verify(network).ok
    depth = lab_network("digits", "depth", 2.0)
    assert count(depth).macs > count(lab_network("digits", "depth", 0.0)).macs
    assert network_key(lab_network("mnist5k", "width", 0)) == network_key(lab_network("mnist5k", "depth", 0))


@pytest.mark.parametrize("name, classes, px", [("mnist5k", 10, 28), ("digits", 10, 8), ("faces", 2, 25)])
def test_datasets_load_offline_with_a_fixed_stratified_split(name, classes, px):
    data = load_dataset(name)
    assert data.native_px == px and data.train_x.shape[1:] == (1, px, px)
    assert 0.0 <= data.train_x.min() and data.train_x.max() <= 1.0
    assert set(np.unique(data.train_y)) == set(range(classes)) == set(np.unique(data.test_y))
    share = len(data.test_y) / (len(data.test_y) + len(data.train_y))
    assert share == pytest.approx(data.info.test_fraction, abs=0.01)
    train_share = np.bincount(data.train_y) / len(data.train_y)
    assert np.allclose(train_share, np.bincount(data.test_y) / len(data.test_y), atol=0.02)  # stratified
    again = load_dataset.__wrapped__(name)
    assert np.array_equal(again.test_y, data.test_y) and np.array_equal(again.test_x, data.test_x)
    assert set(dataset_names()) >= {"mnist5k", "digits", "faces"}


def test_resampling_is_bilinear_and_antialiased():
    images = load_dataset("mnist5k").test_x[:8]
    small, large = resample(images, 14), resample(images, 43)
    assert small.shape == (8, 1, 14, 14) and large.shape == (8, 1, 43, 43)
    # Antialiasing averages: the mean intensity survives shrinking (aliasing would not keep it this well).
    assert float(small.mean()) == pytest.approx(float(images.mean()), rel=0.02)
    assert torch.equal(resample(images, 28), torch.as_tensor(images))


def test_training_is_deterministic_for_a_seed_and_differs_across_seeds():
    network = lab_network("digits", "width", 0.5)
    first, second = train("digits", network, 3, TINY), train("digits", network, 3, TINY)
    assert first.accuracy == second.accuracy and first.curve == second.curve
    weights = [torch.load(io.BytesIO(r.checkpoint), weights_only=True) for r in (first, second)]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
    other = train("digits", network, 4, TINY)
    assert other.curve != first.curve
    assert 0.0 <= first.accuracy <= 1.0 and len(first.curve) == TINY.epochs


@pytest.mark.slow  # half a minute of training; tests/test_versions.py's canary trains in the default run
def test_a_tiny_grid_trains_through_the_cli_and_a_second_run_trains_nothing(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'lab.sqlite'}"
    shipped_file = tmp_path / "digits.json"
    args = [
        "lab",
        "run",
        "--dataset",
        "digits",
        "--recipes",
        "efficientnet,width",
        "--phis",
        "0,1",
        "--seeds",
        "2",
        "--epochs",
        "1",
        "--workers",
        "2",
        "--store",
        url,
        "--json",
    ]
    assert main(args + ["--save-to", str(shipped_file)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(r["alias"], r["phi"], r["seeds"]) for r in report] == [
        ("efficientnet", 0.0, 2),
        ("efficientnet", 1.0, 2),
        ("width", 0.0, 2),
        ("width", 1.0, 2),
    ]
    assert all(r["latency_ms"] > 0 and len(r["curves"]) == 2 and r["run_seeds"] == [0, 1] for r in report)
    store = Store(url)
    with store.engine.connect() as connection:  # φ = 0 is one network for both recipes: 3 networks × 2 seeds
        assert connection.execute(text("SELECT count(*) FROM lab_runs")).scalar() == 6
    budget = Budget(**{**lab_settings().budget.__dict__, "epochs": 1})
    assert run_grid("digits", ["efficientnet", "width"], [0, 1], 2, store, budget) == 0  # all cached
    keys = [run_key("digits", lab_network("digits", "width", 1.0), s, budget) for s in (0, 1)]
    assert len(store.lab_run_keys(keys)) == 2
    from scaling_core.nn.build import build_model  # the kept checkpoint loads into the network it trained

    weights = torch.load(io.BytesIO(store.lab_checkpoint(keys[0])), weights_only=True)
    build_model(lab_network("digits", "width", 1.0)).load_state_dict(weights)
    assert (
        main(
            [
                "lab",
                "report",
                "--dataset",
                "digits",
                "--recipes",
                "efficientnet,width",
                "--phis",
                "0,1",
                "--seeds",
                "2",
                "--epochs",
                "1",
                "--store",
                url,
                "--json",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out) == report
    document = json.loads(shipped_file.read_text())
    assert document["code_version"] == code_version("digits") and "lab run --dataset digits" in document["command"]
    assert document["report"] == report and document["runs_trained"] == 6


def test_bad_lab_arguments_name_the_parameter(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'lab.sqlite'}"
    assert main(["lab", "run", "--recipes", "sideways", "--store", url]) == 2
    assert "recipe = 'sideways'" in capsys.readouterr().err
    assert main(["lab", "run", "--epochs", "0", "--store", url]) == 2
    assert "--epochs" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="seeds"):
        run_grid("digits", ["width"], [0], 0, Store(url))
    assert lab_report("digits", ["width"], [0], Store(url))["seeds"].tolist() == [0]


def test_the_shipped_results_are_current_and_show_efficientnet_gaining_on_the_base():
    document = shipped("mnist5k")
    assert document is not None, "data/lab/mnist5k.json is made by `python -m scaling_core lab run --save-to …`"
    assert document["code_version"] == code_version("mnist5k"), "the lab's code changed: re-run the shipped grid"
    assert document["wall_time_s"] < 15 * 60
    rows = sorted((r for r in document["report"] if r["alias"] == "efficientnet"), key=lambda r: r["phi"])
    assert [r["phi"] for r in rows] == lab_settings().default_grid["phis"]
    assert all(r["seeds"] == lab_settings().default_grid["seeds"] for r in rows)
    base = rows[0]["accuracy_mean"] + rows[0]["accuracy_std"]
    assert all(r["accuracy_mean"] > base for r in rows[1:])  # every scaled network beats the base beyond its spread


def test_one_background_grid_at_a_time(tmp_path):
    from ui import lab_jobs

    url = f"sqlite:///{tmp_path / 'lab.sqlite'}"
    first = lab_jobs.start(("digits", "a"), "digits", ["width"], [0.0], 1, url)
    assert lab_jobs.start(("digits", "b"), "digits", ["depth"], [0.0], 1, url) is None  # refused while one trains
    assert lab_jobs.start(("digits", "a"), "digits", ["width"], [0.0], 1, url) is first
    deadline = time.monotonic() + 120
    while not first.finished and time.monotonic() < deadline:
        time.sleep(0.5)
    assert first.finished and first.error is None and (first.done, first.total) == (1, 1)
    assert lab_report("digits", ["width"], [0.0], Store(url))["seeds"].tolist() == [1]
