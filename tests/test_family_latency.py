"""Families × rules timed on this machine, and the verdict on "activations predict runtime better than FLOPs"."""

import json

import numpy as np
import pandas as pd
import pytest

from scaling_core.cli.main import main
from scaling_core.core.errors import ConfigError
from scaling_core.hardware.family_latency import compared_networks, latency_frame, rank_verdict
from scaling_core.hardware.measure import MeasureOptions, measure_missing

QUICK = MeasureOptions(min_run_time_s=0.01)


def synthetic(latency_of: str, n: int = 24, seed: int = 0) -> pd.DataFrame:
    """Networks whose latency is a noisy increasing function of one column, the other column unrelated."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"macs": rng.uniform(1, 10, n), "activations": rng.uniform(1, 10, n)})
    frame["latency_ms"] = frame[latency_of] ** 1.5 + rng.normal(0, 0.2, n)
    return frame


def test_the_verdict_follows_the_data_whichever_way_it_goes():
    holds = rank_verdict(synthetic("activations"), resamples=500, seed=0)
    assert holds.verdict.startswith("holds") and holds.interval[0] > 0 and holds.correlations["activations"] > 0.9
    refuted = rank_verdict(synthetic("macs"), resamples=500, seed=0)
    assert refuted.verdict.startswith("does not hold") and refuted.interval[1] < 0
    same = synthetic("macs").assign(activations=lambda f: f["macs"] * 2)
    assert rank_verdict(same, resamples=500, seed=0).verdict.startswith("inconclusive")
    with pytest.raises(ConfigError, match="at least 4"):
        rank_verdict(synthetic("macs").head(3), resamples=100, seed=0)


def test_every_base_is_scaled_by_every_rule_once_per_scale():
    networks = compared_networks(["resnet18", "regnety-400mf"], ["dwr", "width"], [1, 2, 4])
    assert len(networks) == 2 * (1 + 2 * 2)
    assert [(n.rule, n.flops_scale) for n in networks[:3]] == [("base", 1.0), ("dwr", 2.0), ("dwr", 4.0)]
    with pytest.raises(ConfigError, match="--rules"):
        compared_networks(["resnet18"], ["diagonal"], [2])


def test_small_networks_are_timed_stored_and_ranked(store):
    """The lab's tiny bases, timed quickly: each network once in the store, then served from it."""
    networks = compared_networks(["lab-tiny", "lab-dense"], ["dwr", "width", "resolution"], [1, 2, 4])
    archs = [n.network for n in networks]
    assert measure_missing(archs, QUICK, store, rounds=1) == len(networks)
    assert measure_missing(archs, QUICK, store, rounds=1) == 0
    frame = latency_frame(networks, QUICK, store)
    assert frame["latency_ms"].gt(0).all() and frame["predicted_ms"].isna().all()
    verdict = rank_verdict(frame, resamples=200, seed=0)
    assert verdict.networks == len(networks) and -1 <= verdict.correlations["macs"] <= 1


def test_the_families_command_prints_the_table_and_the_verdict(store, tmp_path, capsys):
    saved = tmp_path / "families.json"
    argv = ["families", "--bases", "lab-tiny", "--rules", "width", "depth", "--scales", "1", "2", "4", "8"]
    assert main([*argv, "--min-run-time", "0.01", "--json", "--save-to", str(saved)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert len(document["networks"]) == 7 and document["verdict"]["networks"] == 7
    assert document["verdict"]["verdict"].split(":")[0] in ("holds", "does not hold", "inconclusive")
    assert json.loads(saved.read_text())["verdict"] == document["verdict"]
    assert main(["families", "--bases", "vgg16", "--no-run"]) == 2
    assert "--bases" in capsys.readouterr().err
