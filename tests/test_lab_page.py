"""The Lab page and the Pareto page's lab source, headless, on the shipped results."""

import json

from apptest import open_app

from scaling_core.app.views.lab import shipped


def test_the_lab_page_shows_the_shipped_results(store):
    at = open_app("app_pages/lab.py", {"lab_dataset": "mnist5k"}, timeout=180)
    assert not at.exception
    assert any(h.value.startswith("Measured front (accuracy against MACs):") for h in at.subheader)
    assert any("shipped data/lab/mnist5k.json" in c.value for c in at.caption)
    table = at.dataframe[0].value
    assert len(table) == len(shipped("mnist5k")["report"])
    charts = at.get("plotly_chart")
    names = {trace.get("name") for c in charts for trace in json.loads(c.proto.spec)["data"]}
    assert {"EfficientNet (measured)", "EfficientNet (modelled shape)", "measured front"} <= names


def test_choosing_recipes_goes_to_the_url(store):
    at = open_app("app_pages/lab.py", {"lab_recipes": "width,depth"}, timeout=180)
    assert not at.exception and at.query_params["lab_recipes"] == "width,depth"
    assert set(at.dataframe[0].value["recipe"]) == {"width-only", "depth-only"}
    at.multiselect(key="w_lab_recipes").select("resolution").run()
    assert at.query_params["lab_recipes"] == "width,depth,resolution"


def test_a_dataset_without_results_offers_to_train(store):
    at = open_app("app_pages/lab.py", {"lab_dataset": "faces"}, timeout=180)
    assert not at.exception and any("No results for" in i.value for i in at.info)


def test_the_pareto_page_offers_the_labs_measured_accuracy(store):
    at = open_app("app_pages/pareto.py", {"pareto_source": "lab:mnist5k"}, timeout=180)
    assert not at.exception
    assert any("measured by the lab" in c.value for c in at.caption)
    heading = next(h.value for h in at.subheader if h.value.startswith("The front"))
    assert int(heading.split()[2]) >= 1
    assert any("measured by the lab" in option for option in at.selectbox(key="pareto_pick").options)
