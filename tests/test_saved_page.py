"""Saving from a page's sidebar and the Saved results page, headless, on a throwaway store."""

import json
from pathlib import Path

from apptest import metric, open_app, open_share_box

from scaling_core import Recipe, count, scale_recipe
from scaling_core.app.state import parse_query
from scaling_core.app.views.hardware import explorer_network

OLD_LINKS = json.loads((Path(__file__).parent / "fixtures" / "old_links.json").read_text())


def save_from_explorer(query: dict, name: str, author: str = "ana") -> None:
    at = open_share_box(open_app(None, query))
    at.text_input(key="save_name").input(name)
    at.text_input(key="save_author").input(author)
    at.text_area(key="save_notes").input("for the drone")
    next(b for b in at.button if b.label == "Save this result").click().run()
    assert not at.exception
    assert any(s.value.startswith("Saved as result #") and "/saved?result=" in s.value for s in at.success)


def titles(at) -> list[str]:
    return [t.value for t in at.title]


def test_a_result_saved_on_the_explorer_holds_its_network_and_costs(store):
    save_from_explorer({"phi": "2.0", "alpha": "1.3", "beta": "1.1", "gamma": "1.1"}, "deep one")
    [saved] = store.list_results()
    assert (saved["name"], saved["author"], saved["notes"], saved["page"]) == (
        "deep one",
        "ana",
        "for the drone",
        "explorer",
    )
    assert saved["query"] == {"phi": "2.0", "alpha": "1.3", "gamma": "1.1"}  # β = 1.1 is the default: left out
    expected = count(scale_recipe(Recipe(1.3, 1.1, 1.1), 2.0))
    assert saved["payload"]["costs"]["macs"] == expected.macs
    assert saved["payload"]["accuracy"]["source"] == "modelled"


def test_a_nameless_save_is_refused(store):
    at = open_share_box(open_app())
    next(b for b in at.button if b.label == "Save this result").click().run()
    assert any("name" in e.value for e in at.error) and store.list_results() == []


def test_the_link_opens_a_result_and_compares_it_with_another(store):
    save_from_explorer({"phi": "1.0"}, "small")
    save_from_explorer({"phi": "3.0"}, "large", author="bo")
    small, large = sorted(r["id"] for r in store.list_results())
    at = open_app("app_pages/saved.py", {"result": str(small), "compare": str(large)})
    assert not at.exception
    assert [h.value for h in at.subheader] == [f"#{small} small"]
    table = at.dataframe[-1].value.set_index("field")
    assert list(table.columns) == [f"#{small}", f"#{large}", "difference"]
    assert table.loc["φ", "difference"] == "2" and table.loc["author", "difference"] == "differs"
    assert at.query_params["result"] == str(small) and at.query_params["compare"] == str(large)


def test_a_root_link_naming_a_result_lands_on_the_saved_results_page(store):
    save_from_explorer({"phi": "1.0"}, "small")
    [saved] = store.list_results()
    at = open_app(None, {"result": str(saved["id"])})
    assert not at.exception and "Saved results" in titles(at)
    assert [h.value for h in at.subheader] == [f"#{saved['id']} small"]


def test_opening_the_saved_view_restores_the_page_state(store):
    save_from_explorer({"phi": "2.5", "alpha": "1.2", "beta": "1.1", "gamma": "1.15"}, "b-ish")
    [saved] = store.list_results()
    assert saved["query"] == {"phi": "2.5"}
    # This session has moved α and a Pareto field meanwhile: the saved view's α (left out as the default)
    # comes back, the other page's field stays.
    at = open_app("app_pages/saved.py", {"result": str(saved["id"]), "alpha": "1.4", "pareto_cost": "params"})
    at.button(key="open_view").click().run()
    assert not at.exception and "Explorer" in titles(at)
    expected = count(scale_recipe(Recipe(1.2, 1.1, 1.15), 2.5))
    assert metric(at, "MACs (multiply-adds)") == f"{expected.macs:,}"
    assert dict(at.query_params) == {"phi": "2.5"}
    at.switch_page("app_pages/pareto.py").run()
    assert at.query_params["pareto_cost"] == "params"


def test_a_result_saved_before_per_page_links_reopens_its_view(store):
    old = OLD_LINKS["explorer"]  # every field, as results were saved before
    saved = store.save_result("old", "ana", "", "explorer", old["query"], {})
    at = open_app("app_pages/saved.py", {"result": str(saved)})
    at.button(key="open_view").click().run()
    assert not at.exception and not at.error and "Explorer" in titles(at)
    expected = count(explorer_network(parse_query(old["fields"])[0]))
    assert metric(at, "MACs (multiply-adds)") == f"{expected.macs:,}"


def test_filter_delete_and_a_missing_result(store):
    save_from_explorer({"phi": "1.0"}, "keep me", author="ana")
    save_from_explorer({"phi": "2.0"}, "drop me", author="bo")
    at = open_app("app_pages/saved.py", {"saved_filter": "bo"})
    assert list(at.dataframe[0].value["name"]) == ["drop me"]
    dropped = next(r["id"] for r in store.list_results() if r["name"] == "drop me")
    at = open_app("app_pages/saved.py", {"result": str(dropped)})
    at.button(key="delete").click().run()
    assert not at.exception and [r["name"] for r in store.list_results()] == ["keep me"]
    at = open_app(None, {"result": str(dropped)})  # the link as a teammate opens it
    assert any(f"Result #{dropped} does not exist" in e.value for e in at.error) and not at.exception


def test_results_from_another_version_or_a_bare_import_do_not_break_the_page(store):
    odd = store.save_result("from the future", "cy", "", "hologram", {"phi": "1.0"}, {"format": "x"})
    bare = store.save_result("bare", "cy", "", "explorer", {}, {"label": "n", "recipe": {}})
    at = open_app("app_pages/saved.py", {"result": str(odd), "compare": str(bare)})
    assert not at.exception
    assert any("page = 'hologram'" in e.value and "explorer" in e.value for e in at.error)
    assert list(at.dataframe[0].value["name"]) == ["bare", "from the future"]


def test_opening_a_saved_pareto_view_brings_its_measurements_back(store):
    rows = [{"d": 1.2, "w": 1.1, "r": 1.15, "accuracy": 99.0, "latency_ms": None, "note": "", "line": 2}]
    query = {"pareto_phi_max": "2.0"}
    saved = store.save_result("measured front", "ana", "", "pareto", query, {"measurements": rows})
    at = open_app("app_pages/saved.py", {"result": str(saved)})
    at.button(key="open_view").click().run()
    assert not at.exception and "Pareto" in titles(at)
    assert any("1 measured rows in use (saved result" in c.value for c in at.caption)
    hit = [o for o in at.selectbox(key="pareto_pick").options if "99.00%" in o]
    assert hit and "measured (your CSV)" in hit[0]


def test_a_saved_result_whose_payload_is_from_another_version_is_named_not_fatal(store):
    odd = store.save_result("old robustness", "cy", "", "robustness", {"robust_level": "x"}, {"format": "x"})
    at = open_app("app_pages/saved.py", {"result": str(odd)})
    assert not at.exception
    at.button(key="open_view").click().run()
    assert not at.exception and "Robustness" in titles(at)
    assert any("robust_level" in e.value for e in at.error)
