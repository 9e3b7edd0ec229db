import numpy as np
import pytest

from scaling_core.core.errors import ConfigError
from scaling_core.tasks.video import VideoModel, best_split, optimum_map, tradeoff_curve


def test_relative_error_by_hand():
    model = VideoModel(
        snr_db=10.0,
        motion_hz=2.0,
        clip_seconds=2.0,
        model_noise_share=0.5,
        width_noise_exponent=1.0,
        width_cost_exponent=2.0,
        base_frames=8,
        budget=1.0,
    )
    # T = 4 frames: w = sqrt(8/4); aliasing 10·(1 − 4/8); noise 0.5/4 + 0.5/√2
    expected = (10 * 0.5 + 0.5 / 4 + 0.5 / np.sqrt(2)) / 10
    assert model.relative_error(4) == pytest.approx(expected, rel=1e-12)


def test_strong_fast_signals_buy_frames_weak_ones_buy_width():
    strong = best_split(VideoModel(snr_db=20.0, motion_hz=4.0))
    weak = best_split(VideoModel(snr_db=-15.0, motion_hz=4.0))
    assert strong["frames"] == 16  # Nyquist: 2 · 4 Hz · 2 s
    assert weak["frames"] < strong["frames"] and weak["width"] > strong["width"]


def test_the_optimum_map_varies_with_snr_and_motion():
    table = optimum_map(VideoModel(), np.array([-20.0, 20.0]), np.array([0.5, 8.0]))
    assert table["frames"].nunique() > 1
    curve = tradeoff_curve(VideoModel())
    assert curve["relative_error"].min() == pytest.approx(best_split(VideoModel())["relative_error"])


@pytest.mark.parametrize(
    "field, value", [("snr_db", float("nan")), ("motion_hz", 0.0), ("model_noise_share", 1.5), ("budget", -1.0)]
)
def test_bad_parameters_name_themselves(field, value):
    with pytest.raises(ConfigError) as err:
        VideoModel(**{field: value})
    assert err.value.parameter == field
