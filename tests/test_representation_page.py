"""The Representation page, headless, on the shipped few-shot and distillation evaluations."""

import json

import pytest
from apptest import every_tab, link_value, metric, open_app, section

from scaling_core.app.views.representation import fitted_laws
from scaling_core.storage.shipped import shipped_records
from scaling_core.studies.representation.measurements import representation_defaults

PAGE = "app_pages/representation.py"


FEWSHOT, TEACHERS = "Few-shot transfer", "Teachers and pruning"


def traces(at) -> set[str]:
    return {t.get("name") for c in at.get("plotly_chart") for t in json.loads(c.proto.spec)["data"]}


def opened(at, label: str):
    """The page with one of its sections open."""
    return section(at, "representation", label)


def test_the_page_shows_cover_few_shot_and_students_measured_and_modelled(store):
    at = open_app(PAGE, timeout=240)
    names, captions, frames, metrics = set(), [], [], {}
    for shown in every_tab(at):  # the three sections, each in its tab
        assert not shown.exception and not shown.error
        names |= traces(shown)
        captions += [c.value for c in shown.caption]
        frames += [d.value for d in shown.dataframe]
        metrics |= {m.label: m.value for m in shown.metric}
    assert any("shipped data/representation/fewshot-mnist5k-0to4.json" in c for c in captions)
    assert any("shipped data/representation/distillation-mnist5k.json" in c for c in captions)
    assert {
        "C(N, 65) / 2^N (exact count)",
        "5-shot (measured)",
        "5-shot (modelled)",
        "y = x",
        "the teacher itself (measured)",
    } <= names
    assert any(n.startswith("student φ = 0") for n in names)
    _, records = shipped_records("representation", "fewshot-mnist5k-0to4")
    capacity = next(frame for frame in frames if "cover_capacity_modelled" in frame.columns)
    assert len(capacity) == len({(r["alias"], r["phi"]) for r in records})
    students = next(frame for frame in frames if "gain_points" in frame.columns)
    assert set(students["teacher"]) == {"alone", "teacher φ = 1", "teacher φ = 3"}
    rms = float(next(v for k, v in metrics.items() if k.startswith("Model vs measured")).split()[0])
    assert 0 < rms < 100


def test_the_simulation_check_and_the_fit_button_change_what_is_shown(store):
    at = open_app(PAGE, {"cover_d": "8"}, timeout=240)
    at.toggle[0].set_value(True).run()
    assert not at.exception
    assert "Monte Carlo: random Gaussian points, LP test (simulated)" in traces(at)
    assert at.query_params["cover_simulate"] == "1"  # a shared link draws the check too
    at = opened(open_app(PAGE, {"fewshot_recipe": "width", "fewshot_snr0": "9.0"}, timeout=240), FEWSHOT)
    at.button(key="fewshot_use_fit").click().run()
    assert not at.exception
    _, records = shipped_records("representation", "fewshot-mnist5k-0to4")
    fit = fitted_laws(records, "width")
    assert float(at.query_params["fewshot_snr0"]) == pytest.approx(fit["snr0"], abs=1e-3)
    assert float(at.query_params["fewshot_zeta"]) == pytest.approx(fit["zeta"], abs=1e-3)


def test_bad_links_and_settings_without_students_say_so_and_the_page_goes_on(store):
    at = open_app(None, {"cover_d": "0", "fewshot_ways": "99", "distill_alpha": "0.5"}, timeout=240)
    errors = " ".join(e.value for e in at.error)  # shown once, on the page the link opens
    assert "cover_d" in errors and "[1, 5,000]" in errors and "fewshot_ways" in errors and "[2, 20]" in errors
    at.switch_page(PAGE).run()
    assert not at.exception
    assert link_value(at, "cover_d") == str(representation_defaults()["cover"]["dimension"])
    at = opened(at, TEACHERS)
    assert any("No students trained with" in i.value and "--alpha 0.5" in i.value for i in at.info)
    assert "5-shot (measured)" in traces(opened(at, FEWSHOT))


def test_a_partial_grid_in_the_store_says_what_the_laws_need(store, monkeypatch):
    # What the store answers after `fewshot --recipes efficientnet --phis 0,1`: one recipe, two φ.
    _, shipped = shipped_records("representation", "fewshot-mnist5k-0to4")
    partial = [r for r in shipped if r["alias"] == "efficientnet" and r["phi"] in (0.0, 1.0)]
    monkeypatch.setattr(
        "scaling_core.app.views.representation.records_for",
        lambda *args, **kwargs: (partial, "measured here: the results store"),
    )
    at = opened(open_app(PAGE, {"fewshot_recipe": "width"}, timeout=240), FEWSHOT)
    assert not at.exception and not at.error
    assert any("The laws need width-only measured at two or more φ; the results hold 0" in i.value for i in at.info)
    at = opened(open_app(PAGE, {"fewshot_recipe": "efficientnet"}, timeout=240), FEWSHOT)
    assert not at.exception
    assert metric(at, "s0 · fitted")
    assert "EfficientNet" in next(m.help for m in at.metric if m.label == "s0 · fitted")  # the detail, in the help


def test_the_simulation_is_offered_only_where_it_is_quick_and_the_model_takes_any_dimension(store):
    limit = representation_defaults()["cover"]["simulate_max_dimension"]
    at = open_app(
        PAGE,
        {"cover_d": str(limit + 1), "cover_simulate": "1", "fewshot_dim0": "4096", "fewshot_zeta": "5"},
        timeout=240,
    )
    assert not at.exception and not at.error
    assert at.toggle[0].disabled
    assert "Monte Carlo: random Gaussian points, LP test (simulated)" not in traces(at)
    assert "5-shot (modelled)" in traces(opened(at, FEWSHOT))
