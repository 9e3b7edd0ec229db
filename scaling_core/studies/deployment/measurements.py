"""Measured deployment effects on the lab's trained networks: accuracy under motion blur, and fake quantization.

Each lab run (scaling_core.lab.runs) is loaded from its checkpoint in the results store and evaluated on the
first `test_images` of the dataset's fixed test split at the network's own input size:
- motion blur: every test image blurred horizontally by L = sweep × input px pixels
  (scaling_core.studies.spectrum.motion_blur.blur_kernel, zero padding: the digits' background), one accuracy per sweep;
- quantization: weights and inputs of every conv and linear layer fake-quantized to b bits
  (scaling_core.studies.deployment.quantize; each input's scale from its largest magnitude over the evaluated images, a
  dynamic range that clips nothing), per tensor and per channel: the output SQNR against the float
  model's logits and the accuracy.
Evaluations are deterministic and cached in the store (kind "deployment"), keyed by the run, the settings
and DEPLOYMENT_VERSION.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Annotated

from pydantic import Field, NonNegativeFloat, PositiveFloat, PositiveInt, field_validator

from scaling_core.core.arch import SE_POSITIONS
from scaling_core.core.settings import Number, SettingsModel, load_settings
from scaling_core.lab.evaluations import RunRef, grid_runs
from scaling_core.lab.runs import lab_settings
from scaling_core.lab.train import Budget
from scaling_core.studies.protocol import Evaluation, LabGrid, model_and_test_images, run_records

# The version of this evaluation's computation: the blur kernel, the fake quantizer, loading a trained run and
# `evaluate`. With the run and the settings it keys every cached and shipped result. Bump it when a result would
# change (tests/test_versions.py's canary says when). Seeded with the digest the source-hash keys gave, so results
# made before versions were explicit stay current.
DEPLOYMENT_VERSION = "2a43fd0b4501"

SCHEMES = ("per_tensor", "per_channel")
# What a record says of its run, before the evaluation's result (studies.protocol.RUN_COLUMNS).
RECORD_COLUMNS = (
    "alias",
    "recipe",
    "phi",
    "seed",
    "se_position",
    "network_key",
    "macs",
    "blocks",
    "depth_multiplier",
    "width_multiplier",
    "resolution_px",
)


class _DroneFile(SettingsModel):
    budget_ms: PositiveFloat
    phi_max: NonNegativeFloat
    note: str | None = None


class _ThermalFile(SettingsModel):
    ambient_c: float
    resistance_k_per_w: PositiveFloat
    capacitance_j_per_k: PositiveFloat
    throttle_c: float
    hysteresis_k: NonNegativeFloat
    static_w: NonNegativeFloat
    levels: list[Annotated[float, Field(gt=0.0, le=1.0)]]
    pj_per_mac: NonNegativeFloat
    pj_per_byte: NonNegativeFloat
    bytes_per_value: PositiveInt
    target_fps: NonNegativeFloat
    duration_s: PositiveFloat
    energy_citation: str | None = None
    note: str | None = None
    required_fps: NonNegativeFloat


class _QuantizationFile(SettingsModel):
    bits: list[Annotated[int, Field(ge=2, le=32)]]
    schemes: list[str]
    gain: PositiveFloat
    note: str | None = None
    gain_note: str | None = None

    @field_validator("schemes")
    @classmethod
    def _known_schemes(cls, schemes: list[str]) -> list[str]:
        if unknown := [s for s in schemes if s not in SCHEMES]:
            raise ValueError(f"a list of {', '.join(SCHEMES)} (not {', '.join(unknown)})")
        return schemes


class _GridFile(SettingsModel):
    recipes: list[str]
    se_position: str

    @field_validator("se_position")
    @classmethod
    def _known_position(cls, position: str) -> str:
        if position not in SE_POSITIONS:
            raise ValueError(f"one of {', '.join(SE_POSITIONS)}")
        return position


class _MeasurementFile(SettingsModel):
    dataset: str
    phis: list[Number]
    seeds: PositiveInt
    test_images: PositiveInt
    sweeps: list[NonNegativeFloat]
    grids: list[_GridFile]
    note: str | None = None


class DeploymentSettingsFile(SettingsModel):
    """The schema of data/deployment/settings.json."""

    note: str | None = None
    drone: _DroneFile
    thermal: _ThermalFile
    quantization: _QuantizationFile
    measurement: _MeasurementFile


@lru_cache(maxsize=1)
def deployment_defaults() -> dict:
    """data/deployment/settings.json: the defaults of every deployment model and the measured grid (validated)."""
    return load_settings("deployment/settings.json", DeploymentSettingsFile).model_dump(exclude_unset=True)


@dataclass(frozen=True)
class MeasureSettings:
    """What a deployment evaluation depends on (part of its cache key)."""

    sweeps: tuple[float, ...]
    bits: tuple[int, ...]
    schemes: tuple[str, ...]
    test_images: int


def measure_settings() -> MeasureSettings:
    """The shipped evaluation settings."""
    raw = deployment_defaults()
    quantization = raw["quantization"]
    return MeasureSettings(
        tuple(raw["measurement"]["sweeps"]),
        tuple(quantization["bits"]),
        tuple(quantization["schemes"]),
        raw["measurement"]["test_images"],
    )


def blur_images(images, length_px: float):
    """Images (N, C, H, W) blurred along their width by a box of length_px pixels (zero padding)."""
    import torch
    import torch.nn.functional as F

    from scaling_core.studies.spectrum.motion_blur import blur_kernel

    kernel = torch.as_tensor(blur_kernel(length_px), dtype=images.dtype)
    channels = images.shape[1]
    weight = kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)
    return F.conv2d(images, weight, padding=(0, len(kernel) // 2), groups=channels)


def evaluate(dataset: str, run: RunRef, checkpoint: bytes, settings: MeasureSettings) -> dict:
    """One trained network's accuracy under each blur sweep and its SQNR and accuracy at each bit width and scheme."""
    import torch

    from scaling_core.studies.deployment.quantize import QuantScheme, count_quantizers, input_peaks, quantized, sqnr_db

    model, x, y = model_and_test_images(dataset, run, checkpoint, settings.test_images)
    px = run.network.resolution_px
    with torch.no_grad():
        reference = model(x)
        blur = [float((model(blur_images(x, s * px)).argmax(1) == y).float().mean()) for s in settings.sweeps]
        peaks = input_peaks(model, x)
        quantization = {}
        for scheme in settings.schemes:
            rows = []
            for bits in settings.bits:
                with quantized(model, QuantScheme(bits, bits, scheme == "per_channel"), peaks):
                    output = model(x)
                rows.append(
                    {
                        "bits": bits,
                        "sqnr_db": sqnr_db(reference, output),
                        "accuracy": float((output.argmax(1) == y).float().mean()),
                    }
                )
            quantization[scheme] = rows
    return {
        "clean": float((reference.argmax(1) == y).float().mean()),
        "blur": blur,
        "quantization": quantization,
        "quantizers": count_quantizers(model, QuantScheme(8, 8, False)),
    }


@dataclass(frozen=True)
class MeasuredGrid:
    """Lab recipes and φ measured with squeeze-excite at one position."""

    recipes: tuple[str, ...]
    se_position: str


def measured_grids() -> list[MeasuredGrid]:
    """The grids of data/deployment/settings.json."""
    return [MeasuredGrid(tuple(g["recipes"]), g["se_position"]) for g in deployment_defaults()["measurement"]["grids"]]


def deployment_grids(dataset: str, phis: Sequence[float], seeds: int, budget: Budget) -> list[LabGrid]:
    """The measured grids (data/deployment/settings.json) at these φ and seeds: the runs the study trains."""
    return [LabGrid(dataset, g.recipes, tuple(phis), seeds, budget, g.se_position) for g in measured_grids()]


def deployment_grid(dataset: str, phis: Sequence[float], seeds: int, budget: Budget) -> list[RunRef]:
    """Every run of the measured grids, keyed for its deployment evaluation."""
    version, settings = DEPLOYMENT_VERSION, asdict(measure_settings())
    return [
        run
        for grid in measured_grids()
        for run in grid_runs(dataset, grid.recipes, phis, seeds, budget, settings, version, grid.se_position)
    ]


def deployment_evaluation(dataset: str, phis: Sequence[float], seeds: int, budget: Budget) -> Evaluation:
    """The measured grids' deployment study: their runs keyed for it, `evaluate` and the shipped settings."""
    runs = deployment_grid(dataset, phis, seeds, budget)
    return Evaluation("deployment", dataset, tuple(runs), evaluate, measure_settings())


def deployment_records(
    dataset: str, phis: Sequence[float], seeds: int, store, budget: Budget | None = None
) -> list[dict]:
    """The stored evaluations of the measured grids: one record per run, with its recipe, φ, seed and SE order."""
    runs = deployment_grid(dataset, phis, seeds, budget or lab_settings().budget)
    return run_records("deployment", runs, store, RECORD_COLUMNS)
