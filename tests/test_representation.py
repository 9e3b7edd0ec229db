"""The fewshot and cover commands end to end, and the views' model laws against the shipped measurements."""

import json
import math

import pytest
from scipy.stats import norm

from scaling_core.app.views.representation import fitted_laws, model_dimension, modelled_curve
from scaling_core.cli.main import main
from scaling_core.storage.shipped import shipped_records
from scaling_core.studies.representation.measurements import representation_defaults


# Trains networks through the command (a minute or more on two cores): run with -m slow; the canaries in
# tests/test_versions.py check the same computations in the default run.
@pytest.mark.slow
def test_the_fewshot_command_trains_evaluates_and_caches_a_backbone(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    saved = tmp_path / "fewshot.json"
    args = [
        "fewshot",
        "--dataset",
        "mnist5k-0to4",
        "--recipes",
        "efficientnet",
        "--phis",
        "0",
        "--seeds",
        "1",
        "--epochs",
        "1",
        "--workers",
        "1",
        "--store",
        url,
        "--json",
    ]
    assert main([*args, "--save-to", str(saved)]) == 0
    out = json.loads(capsys.readouterr().out)
    (record,) = out["records"]
    assert out["source"] == "measured here: the results store" and out["ways"] == 5
    few = {int(k): v for k, v in record["fewshot"].items()}
    assert sorted(few) == [1, 5, 10]
    assert 0.2 < few[1]["mean"] < few[5]["mean"] < few[10]["mean"] <= 1  # 5-way chance is 0.2; more shots help
    assert all(v["ci_low"] < v["mean"] < v["ci_high"] and v["episodes"] == 600 for v in few.values())
    stats = record["statistics"]
    assert stats["dims"] == record["dims"] and 1 <= stats["effective_dim"] <= stats["dims"]
    assert stats["snr"] == pytest.approx(stats["delta"] / stats["sigma"])
    for target in ("mnist5k-5to9", "digits"):
        probe = record["probes"][target]
        assert set(probe) == {"features", "pixels"} and all(0 < v <= 1 for v in probe["features"].values())
    rank = record["dichotomies"][0]["rank"]
    assert [d["n"] for d in record["dichotomies"]] == [round(r * (rank + 1)) for r in (1.0, 1.5, 2.0, 2.5, 3.0)]
    # Well below the capacity nearly every labelling is separable, well above it nearly none.
    assert record["dichotomies"][0]["separable"] >= 0.9 and record["dichotomies"][-1]["separable"] <= 0.1
    check = out["model_check"]["rows"]
    assert len(check) == 3 and all(0 < row["modelled"] <= 100 for row in check)
    assert out["laws"] == {}  # one φ: nothing to fit
    assert json.loads(saved.read_text())["records"] == out["records"]

    assert main([*args, "--no-run"]) == 0  # the store's evaluation, not a new one
    assert json.loads(capsys.readouterr().out)["records"] == out["records"]
    assert main([*args[:-1], "--seeds", "0"]) == 2  # an error naming the parameter, not a crash
    assert "seeds" in capsys.readouterr().err


def test_the_cover_command_prints_the_exact_count_and_a_simulation_that_agrees(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    assert (
        main(
            [
                "cover",
                "--dimension",
                "5",
                "--no-bias",
                "--ratios",
                "1,2,3",
                "--monte-carlo",
                "300",
                "--store",
                url,
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    rows = {row["n"]: row for row in out["rows"]}
    assert sorted(rows) == [5, 10, 15]
    assert rows[5]["probability"] == 1.0 and rows[10]["probability"] == 0.5
    assert int(rows[15]["separable_count"]) == 2 * sum(math.comb(14, k) for k in range(5))
    for row in rows.values():
        assert row["ci_low"] <= row["probability"] <= row["ci_high"]
    backbones = out["backbones"]
    _, shipped = shipped_records("representation", "fewshot-mnist5k-0to4")
    if shipped:  # an empty store: the shipped evaluations are shown, and say so
        assert "shipped" in backbones["source"]
        assert all(row["cover_capacity_modelled"] == 2 * (row["head_width"] + 1) for row in backbones["rows"])
    assert main(["cover", "--dimension", "0", "--store", url]) == 2
    assert "--dimension" in capsys.readouterr().err


def test_the_shipped_model_defaults_are_the_fit_to_the_shipped_efficientnet_measurements():
    header, records = shipped_records("representation", "fewshot-mnist5k-0to4")
    assert records, (
        "data/representation/fewshot-mnist5k-0to4.json is made by `python -m scaling_core fewshot --save-to …`"
    )
    fit = fitted_laws(records, "efficientnet")
    model = representation_defaults()["model"]
    assert model["snr0"] == pytest.approx(fit["snr0"], abs=1e-3) and model["eta"] == pytest.approx(fit["eta"], abs=1e-3)
    assert model["dim0"] == pytest.approx(fit["dim0"], abs=1e-2)
    assert model["zeta"] == pytest.approx(fit["zeta"], abs=1e-3)


def test_the_modelled_curve_follows_its_laws():
    assert model_dimension(3.2, 5) == 4 and model_dimension(7.6, 5) == 8
    curve = modelled_curve(1.0, 0.5, 10.0, 0.0, [0.0, 1.0, 2.0], [5], 5)
    assert list(curve["effective_dim"]) == [10.0, 10.0, 10.0]
    assert curve["snr"].tolist() == pytest.approx([1.0, 1.6487, 2.7183], rel=1e-4)
    assert curve["accuracy"].is_monotonic_increasing and curve["accuracy"].iloc[0] > 20
    two_way = modelled_curve(2.0, 0.0, 1.0, 0.0, [0.0], [1], 2)
    # 2 ways is exact quadrature; in one dimension, accuracy = Φ(λ)Φ(c) + Φ(−λ)Φ(−c)
    # (scaling_core.studies.representation.fewshot).
    lam, c = 2.0 * (1 / 2) ** 0.5, 2.0 / (2 * (1 + 1 / 2) ** 0.5)
    expected = 100 * (norm.cdf(lam) * norm.cdf(c) + norm.cdf(-lam) * norm.cdf(-c))
    assert two_way["accuracy"].iloc[0] == pytest.approx(expected, abs=1e-6)
