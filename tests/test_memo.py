"""scaling_core.core.memo: calls keyed on the exact content of their arguments, results shared as copies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from scaling_core.core.memo import Unencodable, digest, memoized


@dataclass(frozen=True)
class Point:
    x: float
    values: np.ndarray


def test_equal_content_gives_one_digest_whatever_the_object() -> None:
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    assert digest(frame, [1, (2.5, "s")], {"k": None}) == digest(frame.copy(), [1, (2.5, "s")], {"k": None})
    assert digest(Point(1.0, np.arange(3.0))) == digest(Point(1.0, np.arange(3.0)))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (1, 1.0),  # an int and a float that compare equal
        (True, 1),
        (0.0, -0.0),
        (0.1, float(np.nextafter(0.1, 1.0))),  # the next float up
        ("1", 1),
        ((1, 2), [1, 2]),
        (np.arange(3), np.arange(3.0)),  # same values, other dtype
        (np.zeros((2, 3)), np.zeros((3, 2))),
        (pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [1, 2]}, index=[1, 0])),
        (pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"b": [1, 2]})),
        (pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [1.0, 2.0]})),
        (pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [1]}, index=pd.Index([0]))),  # RangeIndex vs Index
        (pd.DataFrame({"a": ["x", "y"]}), pd.DataFrame({"a": ["xy", ""]})),
        (pd.Series([1.0], name="a"), pd.Series([1.0], name="b")),
        (Point(1.0, np.arange(2.0)), Point(1.0, np.arange(3.0))),
    ],
)
def test_different_content_gives_different_digests(first, second) -> None:
    assert digest(first) != digest(second)


def test_frame_attrs_are_part_of_the_content() -> None:
    plain, marked = pd.DataFrame({"a": [1]}), pd.DataFrame({"a": [1]})
    marked.attrs["dropped"] = 2
    assert digest(plain) != digest(marked)


def test_an_object_it_cannot_encode_is_said() -> None:
    with pytest.raises(Unencodable):
        digest(object())
    with pytest.raises(Unencodable):
        digest(lambda x: x)


def test_calls_with_equal_content_run_once_and_results_are_copies() -> None:
    calls = []

    @memoized(maxsize=4)
    def doubled(frame: pd.DataFrame, factor: float) -> pd.DataFrame:
        calls.append(factor)
        return frame * factor

    frame = pd.DataFrame({"a": [1.0, 2.0]})
    first = doubled(frame, 2.0)
    first.loc[0, "a"] = 99.0  # the caller's copy only
    again = doubled(frame.copy(), 2.0)
    assert calls == [2.0]
    pd.testing.assert_frame_equal(again, pd.DataFrame({"a": [2.0, 4.0]}))
    doubled(frame, 3.0)
    assert calls == [2.0, 3.0]


def test_uncodable_arguments_run_uncached_and_errors_are_not_kept() -> None:
    calls = []

    @memoized()
    def apply(function, value: float) -> float:
        calls.append(value)
        if value < 0:
            raise ValueError("negative")
        return function(value)

    assert apply(abs, 2.0) == apply(abs, 2.0) == 2.0
    assert calls == [2.0, 2.0]

    @memoized()
    def checked(value: float) -> float:
        calls.append(value)
        if value < 0:
            raise ValueError("negative")
        return value

    calls.clear()
    for _ in range(2):
        with pytest.raises(ValueError):
            checked(-1.0)
    assert calls == [-1.0, -1.0]


def test_the_least_recently_used_result_goes_first() -> None:
    calls = []

    @memoized(maxsize=2)
    def square(value: int) -> int:
        calls.append(value)
        return value * value

    for value in (1, 2, 1, 3, 1, 2):
        square(value)
    assert calls == [1, 2, 3, 2]


def test_a_result_the_caller_still_holds_is_kept_apart() -> None:
    @memoized()
    def same(frame: pd.DataFrame) -> pd.DataFrame:
        return frame  # the caller's own object

    frame = pd.DataFrame({"a": [1.0]})
    first = same(frame)
    frame.loc[0, "a"] = 5.0  # the caller changes its input after the call
    first.loc[0, "a"] = 7.0  # and the result it got
    pd.testing.assert_frame_equal(same(pd.DataFrame({"a": [1.0]})), pd.DataFrame({"a": [1.0]}))


def test_every_caller_gets_a_copy_of_one_kept_frame() -> None:
    """Copies of one frame pickle alike (an original's text columns do not pickle as its copy's): a figure cache
    keyed on a pickle hits for the first session's result and the next one's alike."""
    import pickle

    @memoized()
    def named(count: int) -> pd.DataFrame:
        rows = pd.DataFrame({"name": [f"n{i}" for i in range(count)], "order": range(count, 0, -1)})
        return rows.sort_values("order").reset_index(drop=True)  # a text column whose copy pickles otherwise

    assert pickle.dumps(named(3)) == pickle.dumps(named(3))
