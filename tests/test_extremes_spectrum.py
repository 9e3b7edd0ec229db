"""The Spectrum page at the ends of every control, and its figures held to the app's chart conventions.

Each case opens the page (headless) with a link that sets controls to their minimum or maximum (ranges from
the state's declaration), alone and in the pairs that interact, and checks that nothing raises, that what
cannot be shown is said in one line, and that every chart drawn is readable: finite data, log axes within
style.MAX_LOG_DECADES, no empty annotation, a title that fits and the legend in the bottom margin, clear of the
axis titles; and on a log axis, reference lines where the browser puts them: a label (annotation) in log10 units,
a line (shape) in data units (plotly.js: shapePositionToRange is d2r on a log axis).
"""

import io

import numpy as np
import pytest
from apptest import every_tab, open_app
from figure_checks import chart_problems, figure_problems, table_problems
from PIL import Image

from scaling_core.app.plots.spectrum import blur_figure, capture_figure, slopes_figure, spectra_figure
from scaling_core.app.state import FIELD_BY_NAME
from scaling_core.app.views.spectrum import (
    SMALLEST_PX,
    analyse_uploads,
    band_problems,
    blur_view,
    drawable,
    input_view,
    missing_domains,
)
from scaling_core.core.recipe import Recipe
from scaling_core.studies.spectrum.domain_fit import analyse_domains, images_frame
from scaling_core.studies.spectrum.images import UploadLimits, domain_images
from scaling_core.studies.spectrum.motion_blur import Motion
from scaling_core.studies.spectrum.power import synthetic_image

PAGE = "app_pages/spectrum.py"
LIMITS = UploadLimits(
    ("PNG", "JPEG", "TIFF"),
    max_bytes=2_000_000,
    max_pixels=4_000_000,
    min_side=32,
    max_files=4,
    max_total_pixels=8_000_000,
)


def low(name: str) -> str:
    return FIELD_BY_NAME[name].format(FIELD_BY_NAME[name].minimum)


def high(name: str) -> str:
    return FIELD_BY_NAME[name].format(FIELD_BY_NAME[name].maximum)


# --- reading a figure's JSON -------------------------------------------------------------------------------


# --- the figures and views, without the page ---------------------------------------------------------------


@pytest.fixture(scope="module")
def texture():
    return analyse_domains({"texture": domain_images("texture")}, (0.02, 0.25), (56, 224), 0.95)


def figures(summaries, motion, recipe=Recipe(1.2, 1.1, 1.15), phi_max=3.0, column="power_share"):
    view = input_view(summaries, recipe, phi_max, 224, 8, (56, 224), motion)
    drawn = drawable(view.capture, column)
    return view, [
        spectra_figure(summaries, (0.02, 0.25)),
        slopes_figure(images_frame(summaries, 0.95)),
        capture_figure(drawn, column, "all power", view.marks, 0.95),
        blur_figure(drawn, column, "all power", motion),
    ]


@pytest.mark.parametrize(
    "motion",
    [Motion(60, 0.01, 90), Motion(0, 0, 90), Motion(2000, 1.0, 1.0), Motion(2000, 0, 90), Motion(0, 1.0, 1.0)],
    ids=["default", "still", "fastest", "no-exposure", "no-speed"],
)
def test_every_figure_keeps_the_conventions_at_the_motion_extremes(texture, motion):
    _, drawn = figures(texture, motion)
    for fig in drawn:
        assert figure_problems(fig.to_plotly_json()) == []


def test_reference_lines_on_a_log_axis_sit_where_the_browser_draws_them_with_no_empty_label(texture):
    view, (_, _, capture, blur) = figures(texture, Motion(60, 0.01, 90))
    layout = capture.to_plotly_json()["layout"]
    marks = [s for s in layout["shapes"] if s["xref"] == "x"]
    # The lines in pixels (a shape on a log axis is in data units), their labels at log10 of the pixels.
    assert [s["x0"] for s in marks] == [px for _, px in view.marks] == [224, 256, 296, 344]
    labels = [a for a in layout["annotations"] if a["xref"] == "x"]
    assert [round(10 ** a["x"]) for a in labels] == [224, 256, 296, 344]
    blur_layout = blur.to_plotly_json()["layout"]
    assert {s["xref"] for s in blur_layout["shapes"]} == {"x", "x2"}
    assert all(s["x0"] == pytest.approx(300.0) for s in blur_layout["shapes"])
    assert [a.get("text") for a in blur_layout["annotations"]] == ["L = 2 px at 300 px"]
    assert 10 ** blur_layout["annotations"][0]["x"] == pytest.approx(300.0)
    # The checker catches the old defect: a label given in pixels on a log axis (it dragged the axis to
    # 10^224 … 10^344).
    broken = capture.to_plotly_json()
    broken["layout"]["annotations"][-1]["x"] = 344
    assert any("not in log10 units" in p for p in figure_problems(broken))


def test_no_power_in_a_band_is_left_out_and_named_not_drawn_as_nan(texture):
    view = input_view(texture, Recipe(1.2, 1.1, 1.15), 3.0, 224, 8, (4096, 8192), Motion(60, 0.01, 90))
    assert missing_domains(view.capture, drawable(view.capture, "detail_share")) == ["texture"]
    assert drawable(view.capture, "detail_share").empty
    figure = capture_figure(drawable(view.capture, "power_share"), "power_share", "all", [], 0.5)
    assert figure_problems(figure.to_plotly_json()) == []


def test_an_input_that_rounds_to_nothing_is_left_out_and_said(texture):
    view = input_view(texture, Recipe(1.2, 1.1, 0.5), 8.0, 224, 8, (56, 224), Motion(60, 0.01, 90))
    assert min(view.resolutions) >= SMALLEST_PX and view.notes and "rounds below" in view.notes[0]
    # 224 px × 0.5^5 = 7 px rounds up to 8; from φ = 6 on it rounds to 0.
    assert "φ = 6, 7, 8" in view.notes[0] and set(view.steps["phi"]) == {0.0, 1.0, 2.0, 3.0, 4.0, 5.0}


def test_blur_lines_say_what_they_cannot_show(texture):
    assert "No motion" in blur_view(texture, (56, 224), Motion(0, 0.5, 90), 512).note
    fastest = blur_view(texture, (56, 224), Motion(2000, 1.0, 1.0), 512)
    assert fastest.plateau.empty and "every size shown" in fastest.note and "\n" not in fastest.note
    assert not blur_view(texture, (56, 224), Motion(60, 0.01, 90), 512).plateau.empty


def test_band_problems_are_one_line_each_with_the_range():
    found = band_problems((0.45, 0.01), (4096.0, 1.0))
    assert len(found) == 2 and all("\n" not in f and "allowed low < high" in f for f in found)
    assert "0.45–0.01 cycles per pixel" in found[0] and "4096–1 cycles per image" in found[1]
    assert band_problems((0.02, 0.25), (56.0, 224.0)) == []


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    scaled = (pixels - pixels.min()) / max(np.ptp(pixels), 1e-12) * 255
    Image.fromarray(scaled.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_each_bad_upload_is_named_in_one_line_and_the_good_ones_are_analysed():
    good = png(synthetic_image(128, 2.0, 0))
    name = "a-very-long-file-name-that-goes-on-and-on-and-on-for-ever.png"
    flat = png(np.ones((64, 64)))
    files = [
        ("good.png", good),
        ("cut.png", good[:200]),
        (name, b"\x89PNG garbage"),
        ("flat.png", flat),
        ("5.png", good),
    ]
    result = analyse_uploads(files, (0.02, 0.25), (56, 224), 0.95, LIMITS)
    assert result.analysed == 1 and [s.domain for s in result.summaries] == ["yours"]
    assert len(result.messages) == 4  # the fifth file past the limit of four, and three bad files
    assert "at most 4" in result.messages[0]
    for message, file in zip(result.messages[1:], ("cut.png", name[:40], "flat.png")):
        assert file in message and "skipped" in message and "allowed" in message and "\n" not in message
        assert "Error" not in message and "(" not in message.split("allowed")[0]  # no exception text or repr
    assert name not in result.messages[2]  # shortened to its first 40 characters
    every_bad = analyse_uploads([("cut.png", good[:200])], (0.02, 0.25), (56, 224), 0.95, LIMITS)
    assert every_bad.summaries == [] and every_bad.analysed == 0 and "cut.png" in every_bad.messages[0]


# --- the page, headless --------------------------------------------------------------------------------------


def opened(query: dict):
    at = open_app(PAGE, {"spectrum_domains": "texture", **query}, timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert chart_problems(at) == [] and table_problems(at) == []
    return at


def said(at, *words: str) -> bool:
    """Whether one line of the page, in any of its tabs (an error, an info, a text), holds every word."""
    lines = [element.value for shown in every_tab(at) for element in [*shown.error, *shown.info, *shown.markdown]]
    return any(all(w in line for w in words) and "\n" not in line.strip() for line in lines)


CASES = {
    "still-and-smallest": (
        {
            "motion_speed_dps": low("motion_speed_dps"),
            "motion_exposure_ms": low("motion_exposure_ms"),
            "spectrum_phi_max": low("spectrum_phi_max"),
            "spectrum_target": low("spectrum_target"),
        },
        ("No motion",),
    ),
    "fastest-and-largest": (
        {
            "motion_speed_dps": high("motion_speed_dps"),
            "motion_exposure_ms": high("motion_exposure_ms"),
            "motion_fov_deg": low("motion_fov_deg"),
            "spectrum_phi_max": high("spectrum_phi_max"),
            "spectrum_target": high("spectrum_target"),
        },
        ("every size shown",),
    ),
    "bands-reversed": (
        {
            "spectrum_slope_low": high("spectrum_slope_low"),
            "spectrum_slope_high": low("spectrum_slope_high"),
            "spectrum_detail_low": high("spectrum_detail_low"),
            "spectrum_detail_high": low("spectrum_detail_high"),
        },
        ("detail band", "allowed low < high"),
    ),
    "detail-band-beyond-every-image": (
        {
            "spectrum_criterion": "detail",
            "spectrum_detail_low": high("spectrum_detail_low"),
            "spectrum_detail_high": high("spectrum_detail_high"),
        },
        ("Not drawn", "texture"),
    ),
    "gamma-below-one-at-the-largest-phi": (
        {"gamma": low("gamma"), "spectrum_phi_max": high("spectrum_phi_max")},
        ("rounds below",),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_page_survives_its_extremes_and_says_what_it_cannot_show(store, case):
    query, words = CASES[case]
    at = opened(query)
    assert said(at, *words), [e.value for e in at.error] + [i.value for i in at.info]


def test_all_uploads_bad_still_draws_the_packaged_domains(store):
    at = opened({})
    charts = len(at.get("plotly_chart"))
    good = png(synthetic_image(128, 2.0, 0))
    at.file_uploader(key="spectrum_upload").set_value(
        [("cut.png", good[:200], "image/png"), ("flat.png", png(np.ones((64, 64))), "image/png")]
    ).run()
    assert not at.exception
    assert said(at, "cut.png", "skipped") and said(at, "flat.png", "uniform", "skipped")
    assert len(at.get("plotly_chart")) == charts and chart_problems(at) == []
    assert any("Still shown" in c.value and "texture" in c.value for c in at.caption)
    domains = next(d.value for d in at.dataframe if "images" in d.value.columns)
    assert list(domains["domain"]) == ["texture"]


SWEEP = [
    {"motion_speed_dps": high("motion_speed_dps"), "motion_exposure_ms": low("motion_exposure_ms")},
    {"motion_speed_dps": low("motion_speed_dps"), "motion_exposure_ms": high("motion_exposure_ms")},
    {"motion_fov_deg": high("motion_fov_deg"), "motion_speed_dps": high("motion_speed_dps")},
    {"spectrum_detail_low": low("spectrum_detail_low"), "spectrum_detail_high": low("spectrum_detail_high")},
    {"spectrum_criterion": "detail", "spectrum_target": high("spectrum_target")},
    {"spectrum_slope_low": low("spectrum_slope_low"), "spectrum_slope_high": low("spectrum_slope_high")},
    {"spectrum_slope_low": high("spectrum_slope_low"), "spectrum_slope_high": high("spectrum_slope_high")},
    {"gamma": high("gamma"), "spectrum_phi_max": high("spectrum_phi_max")},
    {"spectrum_domains": "natural,texture,medical,astronomy", "spectrum_phi_max": high("spectrum_phi_max")},
]


@pytest.mark.slow
@pytest.mark.parametrize("query", SWEEP, ids=[",".join(q) for q in SWEEP])
def test_the_pairs_of_extremes_open_without_an_exception(store, query):
    at = open_app(PAGE, {"spectrum_domains": "texture", **query}, timeout=180)
    assert not at.exception, [e.value for e in at.exception]
    assert chart_problems(at) == []
