import numpy as np
import pytest

from scaling_core import ConfigError, RoundingPolicy
from scaling_core.core.rounding import round_channels, round_repeats, round_resolution, squeeze_channels


@pytest.mark.parametrize(
    "channels, width, expected",
    [
        (32, 1.0, 32),
        (32, 1.1, 32),  # 35.2 → nearest multiple of 8 is 32, within 10%
        (16, 1.8, 32),  # 28.8 → 32 (halves round up)
        (1280, 1.1, 1408),
        (17, 0.7, 16),  # 11.9 → 8 loses 33% → one more step of 8
        (16, 0.1, 8),  # never below 8
        (320, 2.0, 640),
    ],
)
def test_round_channels_follows_the_reference_rule(channels, width, expected):
    assert int(round_channels(channels, width)) == expected


def test_round_repeats_ceils_by_default_and_can_round():
    assert int(round_repeats(2, 1.1)) == 3
    assert int(round_repeats(3, 1.0)) == 3
    assert int(round_repeats(2, 1.1, "round")) == 2
    assert int(round_repeats(1, 0.2, "round")) == 1


@pytest.mark.parametrize("multiple, expected", [(1, 258), (8, 256), (16, 256), (32, 256)])
def test_round_resolution_to_a_multiple(multiple, expected):
    assert int(round_resolution(224, 1.15, multiple)) == expected


def test_squeeze_channels_is_a_quarter_of_the_input_at_least_one():
    assert int(squeeze_channels(32, 0.25)) == 8
    assert int(squeeze_channels(2, 0.25)) == 1


def test_array_and_scalar_rounding_agree():
    rng = np.random.default_rng(1)
    channels = rng.integers(8, 1300, 500)
    width = rng.uniform(0.3, 4.0, 500)
    arrays = round_channels(channels, width)
    assert all(int(round_channels(int(c), float(w))) == a for c, w, a in zip(channels, width, arrays))


@pytest.mark.parametrize(
    "kwargs, parameter",
    [
        ({"resolution_multiple": 7}, "resolution_multiple"),
        ({"depth_rounding": "floor"}, "depth_rounding"),
        ({"width_divisor": 0}, "width_divisor"),
    ],
)
def test_policy_validation(kwargs, parameter):
    with pytest.raises(ConfigError) as err:
        RoundingPolicy(**kwargs)
    assert err.value.parameter == parameter
