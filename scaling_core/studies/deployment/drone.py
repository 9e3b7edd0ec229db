"""Drone and robot perception: the largest network a latency budget allows, and what motion blur costs it.

Modelled:
- Latency: this machine's fitted latency model (scaling_core.hardware.latency_model) on the hardware-friendly network
  of the recipe at φ (scaling_core.hardware.optimize.network_at); the network it picks is then measured.
- Blur: a camera turning at ω °/s during an exposure t with a field of view FOV smears a point over
  L(r) = ω·t·r/FOV pixels at r px (scaling_core.studies.spectrum.motion_blur): linear in r. The sweep s = ω·t/FOV is the
  share of the field crossed in one exposure, so at c cycles per image the blur's transfer sinc(π c s cos θ)
  (θ: the frequency's angle to the motion) does not depend on r.
- Accuracy under blur: a(s, r) = chance + (a_clean(r) − chance) · S(s, r)^κ, where a_clean(r) is the
  network's measured clean accuracy and S(s, r) the share of the test images' spectral power below the
  input's Nyquist frequency (r/2 cycles per image) that survives the blur's power transfer averaged over
  θ. κ = 1 reads "accuracy above chance in proportion to the surviving power"; κ is also calibrated on
  the measured points and its fit error shown.
Assumptions: the images' radially averaged spectrum stands for what the network uses; blur and
resampling commute (a box blur of the scene, then an ideal resampling to r px); the network is not
trained on blurred images; one direction of motion, a constant angular speed during the exposure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import optimize

from scaling_core.core.errors import ConfigError
from scaling_core.core.memo import memoized
from scaling_core.core.recipe import Recipe
from scaling_core.hardware.latency_model import LinearProfile, predict_ms
from scaling_core.hardware.optimize import largest_phi, network_at, within_plan
from scaling_core.studies.spectrum.motion_blur import Motion, radial_power_gain
from scaling_core.studies.spectrum.power import Spectrum, captured_share, radial_psd
from scaling_core.tasks.cost import count_task


@memoized(maxsize=32)
def latency_frame(model: LinearProfile, recipe: Recipe, phis: Sequence[float], motion: Motion) -> pd.DataFrame:
    """Per φ: the hardware-friendly network's input size, MACs, predicted latency (ms) and blur length (px).

    Predictions outside the latency model's fitted region are left empty (no extrapolation).
    """
    rows = []
    for phi in phis:
        try:
            network = network_at("classification", recipe, float(phi))
        except ConfigError:
            continue
        px = network.backbone.resolution_px
        rows.append(
            {
                "phi": float(phi),
                "resolution_px": px,
                "macs": int(count_task(network).macs),
                "predicted_ms": predict_ms(model, network) if within_plan(network) else None,
                "blur_px": float(motion.blur_px(px)),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class DroneChoice:
    """The largest φ of a recipe whose predicted latency meets the budget, its network and what the blur does there."""

    phi: float
    resolution_px: int
    macs: int
    predicted_ms: float
    blur_px: float


def drone_choice(model: LinearProfile, recipe: Recipe, budget_ms: float, motion: Motion) -> DroneChoice:
    """The recipe's largest φ within the budget (ConfigError naming the budget when none fits)."""
    phi = largest_phi(model, recipe, budget_ms)
    if phi is None:
        raise ConfigError(
            "latency budget (ms)",
            budget_ms,
            "at least the predicted latency of the recipe's smallest network in the latency model's fitted region",
        )
    network = network_at("classification", recipe, phi)
    px = network.backbone.resolution_px
    return DroneChoice(phi, px, int(count_task(network).macs), predict_ms(model, network), float(motion.blur_px(px)))


@lru_cache(maxsize=4)
def dataset_spectrum(dataset: str, images: int = 1000) -> Spectrum:
    """The mean radially averaged power spectrum of a lab dataset's first test images, at their native size."""
    from scaling_core.lab.data import load_dataset

    test = load_dataset(dataset).test_x[:images, 0]
    spectra = [radial_psd(image) for image in test]
    return Spectrum(spectra[0].frequency, np.mean([s.power for s in spectra], axis=0), spectra[0].side)


def surviving_share(spectrum: Spectrum, input_px, sweep: float) -> np.ndarray:
    """S(s, r): the share of the power an input of r px carries that survives a blur of sweep s."""
    blurred = captured_share(spectrum, input_px, gain=lambda cycles: radial_power_gain(cycles * sweep))
    return np.asarray(blurred / captured_share(spectrum, input_px), dtype=np.float64)


def surviving_shares(spectrum: Spectrum, input_px: Sequence, sweeps: Sequence[float]) -> np.ndarray:
    """surviving_share at each pair of input size and sweep: one blur transfer per distinct sweep (the shares are
    taken element by element, so each equals its own call)."""
    sizes, every = np.asarray(input_px), np.asarray(sweeps, dtype=np.float64)
    share = np.empty(len(every), dtype=np.float64)
    for sweep in np.unique(every):
        at = every == sweep
        share[at] = surviving_share(spectrum, sizes[at], float(sweep))
    return share


def modelled_accuracy(clean, chance: float, share, exponent: float = 1.0) -> np.ndarray:
    """chance + (clean − chance) · share^κ."""
    clean = np.asarray(clean, dtype=np.float64)
    return chance + (clean - chance) * np.asarray(share, dtype=np.float64) ** exponent


def blur_curves(records: Sequence[dict], sweeps: Sequence[float]) -> pd.DataFrame:
    """Long form of the measured blur: one row per run and sweep, with the blur length and the accuracy."""
    rows = []
    for record in records:
        if len(record["blur"]) != len(sweeps):
            raise ConfigError("blur curve", len(record["blur"]), f"{len(sweeps)} accuracies, one per sweep")
        for sweep, accuracy in zip(sweeps, record["blur"]):
            rows.append(
                {
                    "alias": record["alias"],
                    "recipe": record["recipe"],
                    "phi": record["phi"],
                    "seed": record["seed"],
                    "resolution_px": record["resolution_px"],
                    "clean": record["clean"],
                    "sweep": float(sweep),
                    "blur_px": float(sweep) * record["resolution_px"],
                    "accuracy": float(accuracy),
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class BlurFit:
    """The blur model against the measured points: the exponent given and the calibrated one, with RMS errors."""

    exponent: float
    rms_points: float
    calibrated_exponent: float
    calibrated_rms_points: float


@memoized(maxsize=16)
def blur_fit(curves: pd.DataFrame, spectrum: Spectrum, chance: float, exponent: float = 1.0) -> BlurFit:
    """RMS error (accuracy points) of the model over every measured run and sweep, at κ and at the calibrated κ."""
    share = surviving_shares(spectrum, curves["resolution_px"].to_numpy(), curves["sweep"].tolist())

    def rms(k: float) -> float:
        predicted = modelled_accuracy(curves["clean"], chance, share, k)
        return float(np.sqrt(np.mean((predicted - curves["accuracy"]) ** 2)) * 100)

    best = optimize.minimize_scalar(rms, bounds=(0.05, 20.0), method="bounded")
    return BlurFit(exponent, rms(exponent), float(best.x), float(best.fun))


@memoized(maxsize=16)
def blur_summary(curves: pd.DataFrame) -> pd.DataFrame:
    """Mean, min and max accuracy over seeds (in %) per recipe, φ and sweep, with the input size and blur length."""
    grouped = curves.groupby(["alias", "recipe", "phi", "resolution_px", "sweep", "blur_px"], sort=False)["accuracy"]
    frame = grouped.agg(["mean", "min", "max", "count"]).reset_index()
    frame[["mean", "min", "max"]] *= 100
    return frame.rename(
        columns={"mean": "accuracy_mean", "min": "accuracy_min", "max": "accuracy_max", "count": "seeds"}
    )


@memoized(maxsize=64)
def best_resolution(summary: pd.DataFrame, sweep: float) -> pd.DataFrame:
    """Per recipe, at one sweep: the input size with the highest mean accuracy, and whether larger inputs lose."""
    chosen = summary[np.isclose(summary["sweep"], sweep)]
    rows = []
    for recipe, group in chosen.groupby("recipe", sort=False):
        group = group.sort_values("resolution_px")
        top = group.loc[group["accuracy_mean"].idxmax()]
        larger = group[group["resolution_px"] > top["resolution_px"]]
        rows.append(
            {
                "recipe": recipe,
                "sweep": sweep,
                "best_px": int(top["resolution_px"]),
                "best_accuracy": float(top["accuracy_mean"]),
                "largest_px": int(group["resolution_px"].iloc[-1]),
                "loss_at_largest": float(top["accuracy_mean"] - group["accuracy_mean"].iloc[-1]),
                "larger_inputs_lose": bool(len(larger) and (larger["accuracy_mean"] < top["accuracy_mean"]).all()),
            }
        )
    return pd.DataFrame(rows)


@memoized(maxsize=16)
def modelled_blur(
    curves: pd.DataFrame, spectrum: Spectrum, chance: float, sweep: float, exponent: float = 1.0
) -> pd.DataFrame:
    """Per recipe and φ: the modelled accuracy (%) at a sweep, from the measured clean accuracy (mean over seeds)."""
    clean = curves.groupby(["recipe", "phi", "resolution_px"], sort=False)["clean"].mean().reset_index()
    share = surviving_shares(spectrum, clean["resolution_px"].to_numpy(), [sweep] * len(clean))
    clean["accuracy_modelled"] = 100 * modelled_accuracy(clean["clean"], chance, share, exponent)
    clean["surviving_share"] = share
    return clean
