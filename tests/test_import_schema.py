"""Every import is validated against a pydantic schema with size and depth limits: exports, base specs, settings.

A file imports whole or is refused in one line naming its first bad field; a poisoned row already in a store
is named on the Saved page, never an exception.
"""

import json

import pytest
from apptest import open_app

from scaling_core.accuracy.model import estimate
from scaling_core.app.export import FORMAT, configuration_export, parse_import
from scaling_core.app.state import AppState
from scaling_core.app.views.hardware import explorer_network
from scaling_core.app.views.saved import payload_problem
from scaling_core.cli.main import main
from scaling_core.core.base import load_base
from scaling_core.core.errors import ConfigError
from scaling_core.core.settings import load_settings
from scaling_core.studies.spectrum.images import SpectrumSettingsFile
from scaling_core.tasks.heads import as_task

HEADER = {"format": FORMAT, "version": 1, "query": {}}
ROW = {"d": 1.2, "w": 1.1, "r": 1.15, "accuracy": 80.0, "latency_ms": None, "note": "", "line": 2}
POISONED = {
    "versions as a list": ({"provenance": {"versions": ["a"]}}, "provenance.versions"),
    "hardware as text": ({"provenance": {"hardware": "x"}}, "provenance.hardware"),
    "front as a number": ({"pareto": {"front": 5}}, "pareto.front"),
    "a measurement as text": ({"measurements": [{**ROW, "d": "wide"}]}, "measurements[0].d"),
    "a measurement without accuracy": ({"measurements": [{"d": 1, "w": 1, "r": 1}]}, "measurements[0].accuracy"),
    "a non-finite top-1": ({"accuracy": {"top1": float("nan"), "source": "x"}}, "accuracy.top1"),
    "a recipe as a list": ({"label": "n", "recipe": [1], "multipliers": {}, "costs": {}}, "recipe"),
    "a cost as a float": ({"costs": {"macs": 1.5}}, "costs.macs"),
}
DEEP = b"[" * 100_000 + b"]" * 100_000
HUGE = b'{"format": "' + FORMAT.encode() + b'", "version": 1, "query": {}, "phi": ' + b"7" * 5000 + b"}"


def export_of(state: AppState) -> dict:
    network = as_task(explorer_network(state))
    m = network.multipliers
    return configuration_export(state, "explorer", network, estimate(m.depth, m.width, m.resolution, state.base_top1))


@pytest.mark.parametrize("case", list(POISONED))
def test_a_poisoned_export_is_refused_naming_its_first_bad_field(case):
    extra, field = POISONED[case]
    with pytest.raises(ConfigError) as err:
        parse_import(json.dumps({**HEADER, **extra}))
    assert err.value.parameter == field and "\n" not in str(err.value)


@pytest.mark.parametrize("raw, parameter", [(DEEP, "file nesting"), (HUGE, "file number")])
def test_a_deep_or_huge_export_is_one_line_not_a_recursion_error(raw, parameter):
    with pytest.raises(ConfigError) as err:
        parse_import(raw)
    assert err.value.parameter == parameter and "\n" not in str(err.value)


def test_an_export_past_the_size_limit_is_refused_before_parsing():
    with pytest.raises(ConfigError, match="file size"):
        parse_import(b" " * 5_000_001)


@pytest.mark.parametrize("raw, parameter", [(DEEP, "base nesting"), (HUGE, "base number")])
def test_the_base_loader_refuses_deep_and_huge_files(tmp_path, capsys, raw, parameter):
    path = tmp_path / "spec.json"
    path.write_bytes(raw)
    with pytest.raises(ConfigError) as err:
        load_base(path)
    assert err.value.parameter == parameter
    assert main(["cost", "--alpha", "1.2", "--beta", "1.1", "--gamma", "1.15", "--phi", "1", "--base", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and parameter in error


def test_a_base_spec_with_an_unknown_key_or_wrong_type_is_refused(tmp_path, tiny_base_path):
    raw = json.loads(tiny_base_path.read_text())
    for i, (edit, parameter) in enumerate(
        (({"depth": 3}, "depth"), ({"head": {"out_channels": "big"}}, "head.out_channels"))
    ):
        path = tmp_path / f"bad{i}.json"  # loaded specs are cached by path
        path.write_text(json.dumps({**raw, **edit}))
        with pytest.raises(ConfigError) as err:
            load_base(path)
        assert err.value.parameter == parameter


@pytest.mark.parametrize("raw, parameter", [(DEEP, "nesting"), (HUGE, "number")])
def test_a_settings_file_gets_the_same_limits(tmp_path, raw, parameter):
    (tmp_path / "spectrum").mkdir()
    (tmp_path / "spectrum" / "settings.json").write_bytes(raw)
    with pytest.raises(ConfigError) as err:
        load_settings("spectrum/settings.json", SpectrumSettingsFile, tmp_path)
    assert err.value.parameter == f"data/spectrum/settings.json {parameter}"


def test_a_good_export_round_trips_whole():
    state = AppState(phi=2.5, alpha=1.3, beta=1.05, gamma=1.2, base_top1=78.0)
    exported = json.loads(json.dumps(export_of(state)))  # what a file holds
    exported["measurements"] = [ROW]  # as a Pareto export carries them
    document, imported, problems = parse_import(json.dumps(exported))
    assert document == exported and imported == state and problems == []
    assert payload_problem({"id": 1, "name": "x", "payload": document}) is None


def test_a_saved_row_that_fails_validation_is_named_in_one_line():
    problem = payload_problem({"id": 7, "name": "old", "payload": {"pareto": {"front": 5}}})
    assert problem.startswith("Result #7 'old' cannot be shown: payload.pareto.front") and "\n" not in problem
    assert "payload" in payload_problem({"id": 8, "name": "list", "payload": [1, 2]})


def test_the_saved_page_opens_poisoned_rows_with_a_message(store):
    good = store.save_result("good", "ana", "", "explorer", {"phi": "1.0"}, export_of(AppState(phi=1.0)))
    ids = {case: store.save_result(case, "mallory", "", "pareto", {}, extra) for case, (extra, _) in POISONED.items()}
    first = ids["front as a number"]
    at = open_app("app_pages/saved.py", {"result": str(first), "compare": str(good)})
    assert not at.exception
    assert any(f"Result #{first}" in e.value and "payload.pareto.front" in e.value for e in at.error)
    at.button(key="open_view").click().run()  # the view opens from the link alone, without the bad payload
    assert not at.exception and "Pareto" in [t.value for t in at.title]
    for case, result_id in ids.items():
        at = open_app("app_pages/saved.py", {"result": str(result_id)})
        assert not at.exception, case
        assert any(f"payload.{POISONED[case][1]}" in e.value for e in at.error), case
