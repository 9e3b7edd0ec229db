"""The Spectrum page, headless: packaged domains, uploads good and corrupt, and sending a recipe on."""

import io

import numpy as np
import pytest
from apptest import open_app, section
from PIL import Image

from scaling_core.studies.spectrum.power import synthetic_image

PAGE = "app_pages/spectrum.py"


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    scaled = (pixels - pixels.min()) / max(np.ptp(pixels), 1e-12) * 255
    Image.fromarray(scaled.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def table(at, first_column: str):
    return next(
        d.value
        for d in at.dataframe
        if d.value.columns[0] == first_column and (first_column != "domain" or "images" in d.value.columns)
    )


def test_an_upload_is_analysed_beside_the_domains_and_a_corrupt_file_is_named_and_skipped(store):
    at = open_app(PAGE, {"spectrum_domains": "natural"}, timeout=180)
    assert not at.exception and not at.error
    good = png(synthetic_image(256, 1.5, 0))
    at.file_uploader(key="spectrum_upload").set_value(
        [
            ("mine.png", good, "image/png"),
            ("broken.png", good[:300], "image/png"),
            ("blank.png", png(np.zeros((64, 64))), "image/png"),
        ]
    ).run()
    assert not at.exception
    assert [e.value for e in at.error if "broken.png" in e.value and "skipped" in e.value]
    assert [e.value for e in at.error if "blank.png" in e.value and "uniform" in e.value]
    domains = table(at, "domain")
    assert list(domains["domain"]) == ["natural", "yours"]
    yours = domains.set_index("domain").loc["yours"]
    assert yours["images"] == 1 and yours["alpha_mean"] == pytest.approx(1.5, abs=0.15)
    # A flatter spectrum than the photographs' needs a larger input for the same share of its power.
    assert yours["median_px_for_95%_power"] > domains.set_index("domain").loc["natural", "median_px_for_95%_power"]
    assert "spectrum_upload" not in at.query_params


def test_settings_go_to_the_url_and_shape_what_is_shown(store):
    at = open_app(
        PAGE, {"spectrum_domains": "texture", "spectrum_criterion": "detail", "spectrum_target": "0.9"}, timeout=180
    )
    assert not at.exception
    assert at.query_params["spectrum_criterion"] == "detail" and at.query_params["spectrum_target"] == "0.9"
    assert "median_px_for_90%_detail" in table(at, "domain").columns
    at.multiselect(key="w_spectrum_domains_pick").select("astronomy").run()
    assert at.query_params["spectrum_domains"] == "texture,astronomy"
    assert list(table(at, "domain")["domain"]) == ["texture", "astronomy"]


def test_bad_bands_and_an_empty_choice_say_so_and_the_page_keeps_running(store):
    at = open_app(PAGE, {"spectrum_detail_low": "300", "spectrum_detail_high": "100"}, timeout=180)
    assert not at.exception and any("detail band" in e.value and "low < high" in e.value for e in at.error)
    at = open_app(
        PAGE, {"spectrum_domains": "natural", "spectrum_slope_low": "0.3", "spectrum_slope_high": "0.302"}, timeout=180
    )
    assert not at.exception and any("slope band" in e.value and "3 frequency rings" in e.value for e in at.error)
    at = open_app(
        PAGE,
        {
            "spectrum_domains": "texture",
            "spectrum_criterion": "detail",
            "spectrum_detail_low": "3000",
            "spectrum_detail_high": "4000",
        },
        timeout=180,
    )
    at = section(at, "spectrum", "A recipe for each domain")
    assert not at.exception and any("No image reaches the detail band" in i.value for i in at.info)
    at = open_app(PAGE, {"spectrum_domains": ""}, timeout=180)
    assert not at.exception and any("Pick a packaged domain" in i.value for i in at.info)


def test_a_domains_recipe_opens_in_the_explorer_and_joins_the_pareto_page(store):
    at = open_app(PAGE, {"spectrum_domains": "astronomy", "spectrum_phi_max": "3.0"}, timeout=180)
    recipe = table(at, "domain")
    assert not at.exception
    at = section(at, "spectrum", "A recipe for each domain")
    at.button(key="spectrum_to_pareto").click().run()
    assert not at.exception
    assert at.query_params["pareto_recipes"].startswith("astronomy fit (power),")
    assert [t.value for t in at.title] == ["Pareto"]
    assert any("astronomy fit (power)" in set(d.value.get("recipe", [])) for d in at.dataframe)
    at = open_app(PAGE, {"spectrum_domains": "astronomy", "spectrum_phi_max": "3.0"}, timeout=180)
    at = section(at, "spectrum", "A recipe for each domain")
    at.button(key="spectrum_to_explorer").click().run()
    assert not at.exception and [t.value for t in at.title] == ["Explorer"] and at.query_params["phi"] == "3.0"
    gamma = float(at.query_params["gamma"])
    assert 1.0 < gamma <= 2**0.5 and len(recipe) == 1
