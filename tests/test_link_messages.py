"""Every state field's allowed values read as words and numbers written in full: a bad link names them so a person
can act on it (never "an integer in [0, 2.14748e+09]")."""

import re

import pytest
from apptest import APP
from streamlit.testing.v1 import AppTest

from scaling_core.app.state import STATE_FIELDS, parse_query
from scaling_core.core.errors import ConfigError, number_text, require_finite

E_NOTATION = re.compile(r"\d[eE][+-]?\d")
# The start of every allowed-values text: a kind of value, a list of choices, or a description in words.
OPENINGS = ("a ", "an ", "any ", "one ", "one of ", "0 or 1", "empty ", "recipe", "domain ")
MAX_CHARS = 160  # a message line, not a wall of text
BAD = "abc;"  # no field's value: not a number, a choice, a recipe list or a device id


@pytest.mark.parametrize(
    "value, text",
    [
        (2**31 - 1, "2,147,483,647"),
        (1e6, "1,000,000"),
        (8.0, "8"),
        (0, "0"),
        (-40.0, "-40"),
        (0.5, "0.5"),
        (0.001, "0.001"),
        (1e-5, "0.00001"),
        (12345.25, "12,345.25"),
        (99.9, "99.9"),
    ],
)
def test_a_bound_is_written_in_full(value, text):
    assert number_text(value) == text


@pytest.mark.parametrize("spec", STATE_FIELDS, ids=lambda spec: spec.name)
def test_every_fields_allowed_values_read_in_words(spec):
    allowed = spec.allowed()
    assert allowed.startswith(OPENINGS) and len(allowed) <= MAX_CHARS, allowed
    assert not E_NOTATION.search(allowed), allowed
    if spec.description is None and spec.choices is None and spec.kind is not bool and spec.canonical is None:
        # a range: both ends written in full, whole numbers with thousands separators
        assert f"[{number_text(spec.minimum)}, {number_text(spec.maximum)}]" in allowed
    try:
        spec.parse(BAD)
    except (ValueError, TypeError):  # a ConfigError is a ValueError
        _, [error] = parse_query({spec.name: BAD})
        assert spec.name in error and not E_NOTATION.search(error) and len(error) <= 2 * MAX_CHARS, error
    else:
        assert allowed == "any text"  # only the filter takes any text


def test_a_result_field_asks_for_a_result_number():
    for name in ("result", "compare"):
        _, [error] = parse_query({name: "abc"})
        assert "a result number" in error and "2.14748e+09" not in error and "2147483647" not in error, error


def test_a_range_check_writes_a_large_bound_in_full():
    with pytest.raises(ConfigError) as caught:
        require_finite("budget", 2e6, minimum=0.0, exclusive=True, maximum=1e6)
    assert "(0, 1,000,000]" in str(caught.value) and "1e+06" not in str(caught.value)


def test_a_saved_link_with_a_bad_result_says_a_result_number_is_expected():
    """/saved?result=abc, opened as a browser opens it: straight on the Saved results page."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["result"] = "abc"
    at.switch_page("app_pages/saved.py").run()  # before the first run: the page at /saved
    assert not at.exception
    assert [t.value for t in at.title] == ["Saved results"]
    errors = [e.value for e in at.error]
    assert any("result" in e and "a result number" in e and "2.14748e+09" not in e for e in errors), errors
