"""The user's CSV of measured accuracy: three ways to name a configuration, a clear message for every bad row."""

import pytest

from scaling_core.accuracy.user_csv import MAX_BYTES, match_key, parse_measurements
from scaling_core.core.errors import ConfigError
from scaling_core.core.recipe import Recipe

RECIPES = {"EfficientNet": Recipe(1.2, 1.1, 1.15)}


def test_rows_name_configurations_three_ways():
    csv = (
        "Accuracy, d, w, r, alpha, beta, gamma, phi, recipe, latency_ms, note\n"
        "78.0, 1.2, 1.1, 1.15, , , , , , 14.5, first\n"
        "79.0, , , , 1.2, 1.1, 1.15, 2, , , \n"
        "80.0, , , , , , , 3, EfficientNet, , \n"
    )
    rows, problems = parse_measurements(csv, RECIPES)
    assert problems == []
    assert list(rows["accuracy"]) == [78.0, 79.0, 80.0] and list(rows["line"]) == [2, 3, 4]
    assert match_key(rows["d"][1], rows["w"][1], rows["r"][1]) == match_key(1.44, 1.21, 1.3225)
    assert rows["d"][2] == pytest.approx(1.2**3) and rows["latency_ms"][0] == 14.5 and rows["note"][0] == "first"


def test_every_bad_row_is_reported_with_its_line_and_the_rest_are_kept():
    csv = (
        "recipe,phi,accuracy,latency_ms\n"
        "EfficientNet,1,101,\n"
        "EfficientNet,abc,80,\n"
        "Mystery,1,80,\n"
        "EfficientNet,2,81,-3\n"
        "EfficientNet,2,81.5,20\n"
    )
    rows, problems = parse_measurements(csv, RECIPES)
    assert len(rows) == 1 and rows["accuracy"].item() == 81.5
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 4", "line 5"]
    assert "accuracy = '101'" in problems[0] and "(0, 100]" in problems[0]
    assert "phi = 'abc'" in problems[1] and "recipe = 'Mystery'" in problems[2] and "latency_ms" in problems[3]


@pytest.mark.parametrize(
    "data, parameter",
    [
        ("d,w,r\n1,1,1\n", "accuracy column"),
        ("accuracy,phi\n80,1\n", "d,w,r or alpha"),
        (b"\xff\xfe\x00garbage", "CSV = "),
        ("", "CSV = "),
        ("accuracy,D,d,w,r\n80,1,1,1,1\n", "CSV columns = \\['d'\\]"),
        ("accuracy,d,w,r\n" + "80,1,1,1\n" * (MAX_BYTES // 8), "CSV size"),
    ],
)
def test_unusable_files_are_one_clear_error(data, parameter):
    with pytest.raises(ConfigError, match=parameter):
        parse_measurements(data, RECIPES)


def test_a_repeated_configuration_is_reported_and_the_first_kept():
    rows, problems = parse_measurements("d,w,r,accuracy\n1.2,1,1,78\n1.2,1.0,1.0,79\n", RECIPES)
    assert list(rows["accuracy"]) == [78.0]
    assert problems == ["line 3: the same configuration (d, w, r = 1.2, 1, 1) as line 2, which is kept"]
