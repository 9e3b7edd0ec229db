"""Wider network or more frames? A modelled estimator of the video trade-off at a fixed MACs budget.

Model (all quantities modelled, none measured):
- Cost: one clip costs ∝ w^b · T (b = 2 under the d·w²·r² law; the Tasks page can pass the
  exponent fitted on exact counts). Depth and resolution are held fixed. At budget B (in units of
  the base network at width 1 and T₀ frames), width is w(T) = (B·T₀ / T)^(1/b).
- Signal: a motion of amplitude A and temporal frequency f over a clip of D seconds. Sampling it
  needs T_nyq = 2·f·D frames (Nyquist); with fewer frames the fraction 1 − T/T_nyq of its power is
  lost (aliased).
- Noise of the network's estimate: a per-frame part σ_f², averaged down by the frames (σ_f²/T), and
  a model part σ_m², lowered by width as σ_m²/w^κ (κ adjustable, default 1) and not averaged by
  more frames, since each frame sees the same model. σ_f² + σ_m² = 1 fixes the units; SNR = A².
- Error: MSE(T) = A²·(1 − min(1, T/T_nyq)) + σ_f²/T + σ_m²/w(T)^κ; reported relative to A².
A weak signal (low SNR) makes the noise terms dominate, so the budget goes to width; a strong or
fast signal makes aliasing dominate, so it goes to frames.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from scaling_core.core.errors import require_finite


@dataclass(frozen=True)
class VideoModel:
    """Parameters of the trade-off model (see the module docstring)."""

    snr_db: float = 0.0
    motion_hz: float = 2.0
    clip_seconds: float = 2.0
    model_noise_share: float = 0.5
    width_noise_exponent: float = 1.0
    width_cost_exponent: float = 2.0
    base_frames: int = 8
    budget: float = 1.0

    def __post_init__(self) -> None:
        require_finite("snr_db", self.snr_db, minimum=-40.0, maximum=40.0)
        require_finite("motion_hz", self.motion_hz, minimum=0.0, exclusive=True, maximum=100.0)
        require_finite("clip_seconds", self.clip_seconds, minimum=0.0, exclusive=True, maximum=60.0)
        require_finite("model_noise_share", self.model_noise_share, minimum=0.0, maximum=1.0)
        require_finite("width_noise_exponent", self.width_noise_exponent, minimum=0.0, exclusive=True, maximum=4.0)
        require_finite("width_cost_exponent", self.width_cost_exponent, minimum=0.5, maximum=4.0)
        require_finite("budget", self.budget, minimum=0.0, exclusive=True, maximum=1e6)

    def width(self, frames):
        """Width multiplier affordable with this many frames."""
        return (self.budget * self.base_frames / np.asarray(frames, dtype=float)) ** (1.0 / self.width_cost_exponent)

    def relative_error(self, frames):
        """MSE / A² for a number of frames at the budget."""
        frames = np.asarray(frames, dtype=float)
        signal = 10.0 ** (self.snr_db / 10.0)
        nyquist = 2.0 * self.motion_hz * self.clip_seconds
        aliasing = signal * (1.0 - np.minimum(1.0, frames / nyquist))
        model_noise = self.model_noise_share / self.width(frames) ** self.width_noise_exponent
        noise = (1.0 - self.model_noise_share) / frames + model_noise
        return (aliasing + noise) / signal


FRAME_CHOICES = np.arange(1, 129)


def best_split(model: VideoModel) -> dict[str, float]:
    """The frame count (1–128) with the lowest error, its width and error."""
    errors = model.relative_error(FRAME_CHOICES)
    i = int(np.argmin(errors))
    return {
        "frames": int(FRAME_CHOICES[i]),
        "width": float(model.width(FRAME_CHOICES[i])),
        "relative_error": float(errors[i]),
    }


def tradeoff_curve(model: VideoModel) -> pd.DataFrame:
    """Error against the number of frames at the budget."""
    return pd.DataFrame(
        {
            "frames": FRAME_CHOICES,
            "width": model.width(FRAME_CHOICES),
            "relative_error": model.relative_error(FRAME_CHOICES),
        }
    )


def optimum_map(model: VideoModel, snr_db: np.ndarray, motion_hz: np.ndarray) -> pd.DataFrame:
    """Best frame count over a grid of SNR and motion frequency, other parameters as in model."""
    return pd.DataFrame(
        [
            {"snr_db": s, "motion_hz": f, **best_split(replace(model, snr_db=float(s), motion_hz=float(f)))}
            for f in motion_hz
            for s in snr_db
        ]
    )
