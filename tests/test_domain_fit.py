"""Domain fit: the needed input size follows the spectrum, and the recommended recipe obeys its rule."""

import math

import numpy as np
import pytest

from scaling_core.core.errors import ConfigError
from scaling_core.core.recipe import Recipe
from scaling_core.studies.spectrum.domain_fit import (
    analyse_domains,
    blur_plateau,
    capture_frame,
    domains_frame,
    images_frame,
    recipe_frame,
    recipe_resolutions,
    recommend,
)
from scaling_core.studies.spectrum.images import NamedImage
from scaling_core.studies.spectrum.motion_blur import Motion
from scaling_core.studies.spectrum.power import synthetic_image

BAND, DETAIL = (0.02, 0.25), (32.0, 128.0)


def synthetic_domains():
    return analyse_domains(
        {
            f"alpha {a:g}": [NamedImage(f"seed {s}", synthetic_image(256, a, s), "synthetic") for s in range(3)]
            for a in (1.5, 3.0)
        },
        BAND,
        DETAIL,
        0.95,
    )


def test_a_flatter_domain_needs_a_larger_input():
    flat, steep = synthetic_domains()
    assert flat.slopes.mean == pytest.approx(1.5, abs=0.1) and steep.slopes.mean == pytest.approx(3.0, abs=0.1)
    assert flat.power_px > steep.power_px and flat.detail_px >= steep.detail_px
    table = domains_frame([flat, steep], 0.95)
    assert list(table["median_px_for_95%_power"]) == [flat.power_px, steep.power_px]
    assert len(images_frame([flat, steep], 0.95)) == 6


@pytest.mark.parametrize("required, phi", [(300, 3.0), (260, 1.0), (500, 2.0), (150, 3.0)])
def test_the_recommended_recipe_keeps_the_cost_and_reaches_the_needed_size_when_it_can(required, phi):
    r = recommend(required, 224, phi)
    assert r.recipe.cost_factor == pytest.approx(2.0)
    wanted = (required / 224) ** (1 / phi)
    if 1 <= wanted <= math.sqrt(2):
        assert (r.limited is None) == (r.resolution_px >= required) and 224 * r.recipe.gamma**phi == pytest.approx(
            required
        )
    elif wanted < 1:
        assert r.recipe.gamma == 1.0 and "already carries" in r.limited
    else:
        assert r.recipe.gamma == pytest.approx(math.sqrt(2)) and "falls short" in r.limited
    if r.recipe.gamma**2 == pytest.approx(2.0):
        assert r.recipe.alpha == pytest.approx(1.0) and r.recipe.beta == pytest.approx(1.0)
    else:  # depth and width share the rest as EfficientNet's (1.2, 1.1) do
        assert math.log(r.recipe.alpha) / math.log(r.recipe.beta) == pytest.approx(math.log(1.2) / math.log(1.1))


def test_rounding_that_leaves_the_input_short_is_said():
    short = recommend(300, 224, 3.0)
    assert short.resolution_px < 300 and "rounding" in short.limited


def test_a_uniform_image_or_a_bad_band_is_named():
    flat = NamedImage("grey.png", np.full((64, 64), 0.5), "test")
    with pytest.raises(ConfigError, match="image grey.png"):
        analyse_domains({"yours": [flat]}, BAND, DETAIL, 0.95)
    with pytest.raises(ConfigError, match="detail band"):
        analyse_domains({"yours": []}, BAND, (300.0, 100.0), 0.95)


def test_a_bad_recommendation_request_names_the_parameter():
    with pytest.raises(ConfigError, match="phi"):
        recommend(300, 224, 0.0)
    with pytest.raises(ConfigError, match="required input size"):
        recommend(float("nan"), 224, 1.0)


def test_the_recipes_input_sizes_are_rounded_as_the_builder_rounds_them():
    assert list(recipe_resolutions(Recipe(1.2, 1.1, 1.15), [0, 1, 2, 3], 224)) == [224, 256, 296, 344]


def test_capture_and_recipe_tables_agree_and_blur_only_removes_power():
    domains = synthetic_domains()
    motion = Motion(60.0, 0.01, 90.0)
    capture = capture_frame(domains, [64, 128, 256], DETAIL, motion)
    assert (capture["power_share_blurred"] <= capture["power_share"] + 1e-12).all()
    assert (capture.groupby(["domain", "image"])["power_share"].apply(lambda s: s.is_monotonic_increasing)).all()
    steps = recipe_frame(domains, Recipe(1.2, 1.1, 1.15), [0.0, 1.0], 224, DETAIL, motion)
    assert list(steps["resolution_px"]) == [224, 256, 224, 256]
    direct = capture_frame(domains, [224], DETAIL, motion).groupby("domain", sort=False)["power_share"].mean()
    assert steps[steps["phi"] == 0]["power_share"].tolist() == pytest.approx(direct.tolist())
    plateau = blur_plateau(domains, DETAIL, motion)
    assert sorted(set(plateau["resolution_px"])) == [300, 600]
    assert blur_plateau(domains, DETAIL, Motion(0.0, 0.01, 90.0)).empty
