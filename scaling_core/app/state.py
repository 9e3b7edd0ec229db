"""The app's shareable state (all pages): field table, parsing a URL query, writing it back. No streamlit here."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from scaling_core.accuracy.model import BASE_TOP1_RANGE, reference_base_top1
from scaling_core.accuracy.pareto import COST_OBJECTIVES, canonical_user_recipes
from scaling_core.core.base import available_bases
from scaling_core.core.errors import ConfigError
from scaling_core.core.presets import get_preset, preset_names, preset_table
from scaling_core.core.recipe import Recipe
from scaling_core.core.rounding import RESOLUTION_MULTIPLES
from scaling_core.hardware.fingerprint import default_threads
from scaling_core.lab.data import dataset_names
from scaling_core.lab.runs import lab_settings
from scaling_core.studies.deployment.measurements import deployment_defaults
from scaling_core.studies.representation.measurements import representation_defaults
from scaling_core.studies.robustness.evaluation import ATTACKS, robustness_settings
from scaling_core.studies.robustness.margin_model import canonical_model
from scaling_core.studies.spectrum.domain_fit import CRITERIA
from scaling_core.studies.spectrum.images import domain_table, spectrum_settings
from scaling_core.tasks.heads import NECK_SCALINGS, TASKS, detection_preset_names

CUSTOM = "custom"
SAVED_PAGE = "saved"


@dataclass(frozen=True)
class FieldSpec:
    """One state field: URL name, type and allowed values (range or choices); defaults live in AppState.

    A field with a page is written to the URL only on that page (a saved result's id must not
    follow the user to the Explorer and send whoever opens that link to the Saved results page).
    """

    name: str
    kind: type
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple | None = None
    canonical: Callable[[str], str] | None = None
    description: str | None = None
    page: str | None = None

    def allowed(self) -> str:
        """The allowed values, for error messages and widget help."""
        if self.description is not None:
            return self.description
        if self.choices is not None:
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.kind is bool:
            return "0 or 1"
        kind = "an integer" if self.kind is int else "a number"
        return f"{kind} in [{self.minimum:g}, {self.maximum:g}]"

    def parse(self, raw: str) -> Any:
        """The typed value of a URL string; ValueError if it is not allowed."""
        if self.kind is bool:
            if raw not in ("0", "1"):
                raise ValueError(raw)
            return raw == "1"
        if self.canonical is not None:
            return self.canonical(raw)
        if self.choices is not None:
            value = self.kind(raw) if self.kind is not str else raw
            if value not in self.choices:
                raise ValueError(raw)
            return value
        number = float(raw)
        if not math.isfinite(number) or not self.minimum <= number <= self.maximum:
            raise ValueError(raw)
        if self.kind is int:
            if not number.is_integer():
                raise ValueError(raw)
            return int(number)
        return number

    def format(self, value: Any) -> str:
        """The URL string of a value (floats in their shortest exact form)."""
        if self.kind is bool:
            return "1" if value else "0"
        return repr(float(value)) if self.kind is float else str(value)


def canonical_lab_recipes(text: str) -> str:
    """Lab recipe names (comma-separated, known, each once, at least one) in their canonical form."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    known = lab_settings().recipes
    if not names or any(n not in known for n in names) or len(set(names)) < len(names):
        raise ConfigError("lab_recipes", text, f"one or more of {', '.join(known)}, each once")
    return ",".join(names)


def canonical_domains(text: str) -> str:
    """Spectrum domain names (comma-separated, known, each once; none is allowed) in their canonical form."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    known = domain_table()
    if any(n not in known for n in names) or len(set(names)) < len(names):
        raise ConfigError("spectrum_domains", text, f"any of {', '.join(known)}, each once")
    return ",".join(names)


SPECTRUM = spectrum_settings()
DEPLOY = deployment_defaults()
THERMAL, QUANT = DEPLOY["thermal"], DEPLOY["quantization"]
REPRESENTATION = representation_defaults()
STATE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("phi", float, 0.0, 8.0),
    FieldSpec("alpha", float, 0.5, 2.5),
    FieldSpec("beta", float, 0.5, 2.5),
    FieldSpec("gamma", float, 0.5, 2.5),
    FieldSpec("keep_law", bool),
    FieldSpec("preset", str, choices=(CUSTOM, *preset_names())),
    FieldSpec("res_multiple", int, choices=RESOLUTION_MULTIPLES),
    FieldSpec("num_classes", int, 1, 100_000),
    FieldSpec("base", str, choices=available_bases()),
    FieldSpec("head", str, choices=TASKS),
    FieldSpec("tau", float, 0.5, 2.0),
    FieldSpec("neck_scaling", str, choices=NECK_SCALINGS),
    FieldSpec("det_preset", str, choices=(CUSTOM, *detection_preset_names())),
    FieldSpec("video_snr_db", float, -30.0, 30.0),
    FieldSpec("video_motion_hz", float, 0.1, 20.0),
    FieldSpec("video_clip_s", float, 0.5, 10.0),
    FieldSpec("video_model_noise", float, 0.0, 1.0),
    FieldSpec("video_kappa", float, 0.1, 4.0),
    FieldSpec("hw_threads", int, 1, 256),
    FieldSpec("hw_batch", int, 1, 64),
    FieldSpec("hw_channels_last", bool),
    FieldSpec("hw_budget_ms", float, 1.0, 1000.0),
    FieldSpec("pareto_cost", str, choices=tuple(COST_OBJECTIVES)),
    FieldSpec("pareto_phi_max", float, 0.5, 8.0),
    FieldSpec("pareto_phi_step", float, choices=(0.1, 0.25, 0.5, 1.0)),
    FieldSpec("base_top1", float, *BASE_TOP1_RANGE),
    FieldSpec("pareto_macs_budget_g", float, 0.0, 1000.0),
    FieldSpec("pareto_latency_budget_ms", float, 0.0, 10_000.0),
    FieldSpec("pareto_memory_budget_mb", float, 0.0, 1_000_000.0),
    FieldSpec(
        "pareto_recipes",
        str,
        canonical=canonical_user_recipes,
        description="recipes as name,alpha,beta,gamma separated by ; (coefficients in [0.5, 2.5])",
    ),
    FieldSpec("pareto_source", str, choices=("imagenet", *(f"lab:{name}" for name in dataset_names()))),
    FieldSpec("lab_dataset", str, choices=dataset_names()),
    FieldSpec(
        "lab_recipes",
        str,
        canonical=lambda text: canonical_lab_recipes(text),
        description="recipe names separated by commas: " + ", ".join(lab_settings().recipes),
    ),
    FieldSpec(
        "spectrum_domains",
        str,
        canonical=canonical_domains,
        description="domain names separated by commas: " + ", ".join(domain_table()),
    ),
    FieldSpec("spectrum_criterion", str, choices=tuple(CRITERIA)),
    FieldSpec("spectrum_target", float, 0.5, 0.999),
    FieldSpec("spectrum_slope_low", float, 0.005, 0.45),
    FieldSpec("spectrum_slope_high", float, 0.01, 0.5),
    FieldSpec("spectrum_detail_low", float, 0.0, 4096.0),
    FieldSpec("spectrum_detail_high", float, 1.0, 8192.0),
    FieldSpec("spectrum_phi_max", float, 0.5, 8.0),
    FieldSpec("motion_speed_dps", float, 0.0, 2000.0),
    FieldSpec("motion_exposure_ms", float, 0.0, 1000.0),
    FieldSpec("motion_fov_deg", float, 1.0, 180.0),
    FieldSpec("robust_attack", str, choices=(*ATTACKS, *robustness_settings().corruptions)),
    FieldSpec("robust_level", float, 0.0, 1.0),
    FieldSpec("robust_recipe", str, choices=tuple(lab_settings().recipes)),
    FieldSpec(
        "robust_model",
        str,
        canonical=canonical_model,
        description="empty (the calibrated model) or mu:base,d,w,r;sigma:base,d,w,r;g:base,d,w,r",
    ),
    FieldSpec("deploy_phi_max", float, 0.5, 8.0),
    FieldSpec("thermal_ambient_c", float, -40.0, 60.0),
    FieldSpec("thermal_resistance_k_per_w", float, 0.1, 1000.0),
    FieldSpec("thermal_capacitance_j_per_k", float, 0.1, 100_000.0),
    FieldSpec("thermal_throttle_c", float, 0.0, 150.0),
    FieldSpec("thermal_hysteresis_k", float, 0.1, 50.0),
    FieldSpec("thermal_static_w", float, 0.0, 100.0),
    FieldSpec("thermal_pj_per_mac", float, 0.01, 10_000.0),
    FieldSpec("thermal_pj_per_byte", float, 0.0, 100_000.0),
    FieldSpec("thermal_target_fps", float, 0.0, 1000.0),
    FieldSpec("thermal_required_fps", float, 0.0, 1000.0),
    FieldSpec("thermal_duration_s", float, 10.0, 100_000.0),
    FieldSpec("thermal_phi", float, -1.0, 8.0),
    FieldSpec("quant_bits", int, choices=tuple(QUANT["bits"])),
    FieldSpec("quant_scheme", str, choices=tuple(QUANT["schemes"])),
    FieldSpec("quant_gain", float, 0.001, 1_000_000.0),
    FieldSpec("cover_d", int, 1, 5000),
    FieldSpec("cover_bias", bool),
    FieldSpec("cover_simulate", bool),
    FieldSpec("fewshot_recipe", str, choices=tuple(REPRESENTATION["fewshot"]["recipes"])),
    FieldSpec("fewshot_shots", int, choices=tuple(REPRESENTATION["fewshot"]["shots"])),
    FieldSpec("fewshot_ways", int, 2, 20),
    FieldSpec("fewshot_snr0", float, 0.01, 100.0),
    FieldSpec("fewshot_eta", float, -5.0, 5.0),
    FieldSpec("fewshot_dim0", float, 1.0, 4096.0),
    FieldSpec("fewshot_zeta", float, -5.0, 5.0),
    FieldSpec("distill_temperature", float, 0.01, 100.0),
    FieldSpec("distill_alpha", float, 0.0, 1.0),
    FieldSpec("distill_weight_decay", float, 0.0, 1.0),
    FieldSpec("result", int, 0, 2**31 - 1, page=SAVED_PAGE),
    FieldSpec("compare", int, 0, 2**31 - 1, page=SAVED_PAGE),
    FieldSpec("saved_filter", str, canonical=lambda text: text.strip()[:100], description="any text", page=SAVED_PAGE),
)
FIELD_BY_NAME = {f.name: f for f in STATE_FIELDS}


@dataclass(frozen=True)
class AppState:
    """What the pages show, and all a share link needs to reproduce it."""

    phi: float = 1.0
    alpha: float = 1.2
    beta: float = 1.1
    gamma: float = 1.15
    keep_law: bool = False
    preset: str = CUSTOM
    res_multiple: int = 8
    num_classes: int = 1000
    base: str = "efficientnet-b0"
    head: str = "detection"
    tau: float = 1.0
    neck_scaling: str = "efficientdet"
    det_preset: str = CUSTOM
    video_snr_db: float = 0.0
    video_motion_hz: float = 2.0
    video_clip_s: float = 2.0
    video_model_noise: float = 0.5
    video_kappa: float = 1.0
    hw_threads: int = default_threads()
    hw_batch: int = 1
    hw_channels_last: bool = False
    hw_budget_ms: float = 30.0
    pareto_cost: str = "macs"
    pareto_phi_max: float = 6.0
    pareto_phi_step: float = 0.25
    base_top1: float = reference_base_top1()
    pareto_macs_budget_g: float = 0.0
    pareto_latency_budget_ms: float = 0.0
    pareto_memory_budget_mb: float = 0.0
    pareto_recipes: str = ""
    result: int = 0
    compare: int = 0
    saved_filter: str = ""
    pareto_source: str = "imagenet"
    lab_dataset: str = lab_settings().default_grid["dataset"]
    lab_recipes: str = ",".join(lab_settings().default_grid["recipes"])
    spectrum_domains: str = ",".join(domain_table())
    spectrum_criterion: str = "power"
    spectrum_target: float = SPECTRUM.target_share
    spectrum_slope_low: float = SPECTRUM.slope_band[0]
    spectrum_slope_high: float = SPECTRUM.slope_band[1]
    spectrum_detail_low: float = float(SPECTRUM.detail_band[0])
    spectrum_detail_high: float = float(SPECTRUM.detail_band[1])
    spectrum_phi_max: float = SPECTRUM.phi_max
    motion_speed_dps: float = SPECTRUM.motion["angular_speed_dps"]
    motion_exposure_ms: float = 1000 * SPECTRUM.motion["exposure_s"]
    motion_fov_deg: float = SPECTRUM.motion["fov_deg"]
    robust_attack: str = "pgd"
    robust_level: float = 0.1
    robust_recipe: str = "efficientnet"
    robust_model: str = ""
    deploy_phi_max: float = DEPLOY["drone"]["phi_max"]
    thermal_ambient_c: float = THERMAL["ambient_c"]
    thermal_resistance_k_per_w: float = THERMAL["resistance_k_per_w"]
    thermal_capacitance_j_per_k: float = THERMAL["capacitance_j_per_k"]
    thermal_throttle_c: float = THERMAL["throttle_c"]
    thermal_hysteresis_k: float = THERMAL["hysteresis_k"]
    thermal_static_w: float = THERMAL["static_w"]
    thermal_pj_per_mac: float = THERMAL["pj_per_mac"]
    thermal_pj_per_byte: float = THERMAL["pj_per_byte"]
    thermal_target_fps: float = THERMAL["target_fps"]
    thermal_required_fps: float = THERMAL["required_fps"]
    thermal_duration_s: float = THERMAL["duration_s"]
    thermal_phi: float = 1.0
    quant_bits: int = 4
    quant_scheme: str = "per_tensor"
    quant_gain: float = QUANT["gain"]
    cover_d: int = REPRESENTATION["cover"]["dimension"]
    cover_bias: bool = REPRESENTATION["cover"]["bias"]
    cover_simulate: bool = False
    fewshot_recipe: str = REPRESENTATION["fewshot"]["recipes"][0]
    fewshot_shots: int = 5
    fewshot_ways: int = REPRESENTATION["fewshot"]["ways"]
    fewshot_snr0: float = REPRESENTATION["model"]["snr0"]
    fewshot_eta: float = REPRESENTATION["model"]["eta"]
    fewshot_dim0: float = REPRESENTATION["model"]["dim0"]
    fewshot_zeta: float = REPRESENTATION["model"]["zeta"]
    distill_temperature: float = REPRESENTATION["distillation"]["temperature"]
    distill_alpha: float = REPRESENTATION["distillation"]["alpha"]
    distill_weight_decay: float = REPRESENTATION["distillation"]["weight_decay"]


def parse_query(query: Mapping[str, str | list[str]]) -> tuple[AppState, list[str]]:
    """State from URL parameters: unknown ones ignored, bad ones replaced by defaults and reported."""
    values: dict[str, Any] = {}
    errors = []
    for spec in STATE_FIELDS:
        if spec.name not in query:
            continue
        raw = query[spec.name]
        raw = raw[-1] if isinstance(raw, list) else raw
        try:
            values[spec.name] = spec.parse(str(raw))
        except (TypeError, ValueError):
            errors.append(
                f"Link parameter {spec.name} = {raw!r} is invalid: allowed {spec.allowed()}; "
                f"using the default {getattr(AppState(), spec.name)!r}."
            )
    return replace(AppState(), **values), errors


def to_query(state: AppState, page: str | None = None) -> dict[str, str]:
    """URL parameters for a state on a page (every shared field, so a link pins the view even if defaults change)."""
    return {
        f.name: FIELD_BY_NAME[f.name].format(getattr(state, f.name))
        for f in fields(state)
        if FIELD_BY_NAME[f.name].page in (None, page)
    }


LAW_TARGET = 2.0
COEFFICIENTS = ("alpha", "beta", "gamma")


def _recipe_of(state: AppState) -> Recipe:
    return Recipe(state.alpha, state.beta, state.gamma)


def _within_widgets(state: AppState, recipe: Recipe) -> tuple[AppState, str | None]:
    """Apply a recipe to the state if each coefficient fits its widget's range, else explain."""
    for name in COEFFICIENTS:
        spec, value = FIELD_BY_NAME[name], getattr(recipe, name)
        if not spec.minimum <= value <= spec.maximum:
            return (
                replace(state, keep_law=False),
                f"Keeping α·β²·γ² = {LAW_TARGET:g} would need {name} = {value:.4g}, outside its range "
                f"[{spec.minimum:g}, {spec.maximum:g}]; the constraint is switched off.",
            )
    return replace(state, alpha=recipe.alpha, beta=recipe.beta, gamma=recipe.gamma), None


def with_coefficient(state: AppState, name: str, value: float) -> tuple[AppState, str | None]:
    """Move one coefficient; under keep_law the other two follow (ratio of their logs kept)."""
    moved = replace(state, preset=CUSTOM, det_preset=CUSTOM, **{name: value})
    if not state.keep_law:
        return moved, None
    try:
        return _within_widgets(moved, _recipe_of(state).with_fixed(name, value, LAW_TARGET))
    except ValueError as exc:
        return replace(moved, keep_law=False), f"{exc}; the constraint is switched off."


def with_keep_law(state: AppState, keep: bool) -> tuple[AppState, str | None]:
    """Switch the constraint; switching it on rescales the recipe so α·β²·γ² = 2."""
    if not keep:
        return replace(state, keep_law=False), None
    try:
        return _within_widgets(
            replace(state, keep_law=True, preset=CUSTOM, det_preset=CUSTOM), _recipe_of(state).rescaled(LAW_TARGET)
        )
    except ValueError as exc:
        return replace(state, keep_law=False), f"{exc}; the constraint is switched off."


def with_phi(state: AppState, phi: float) -> AppState:
    """Move φ: the view is a custom recipe from then on."""
    return replace(state, phi=phi, preset=CUSTOM, det_preset=CUSTOM)


def with_network(state: AppState, alpha: float, beta: float, gamma: float, phi: float) -> AppState:
    """The state showing recipe (α, β, γ) at φ as a custom recipe (sent from another page to the Explorer).

    ConfigError when a value lies outside the range its widget allows.
    """
    values = {"alpha": alpha, "beta": beta, "gamma": gamma, "phi": phi}
    for name, value in values.items():
        spec = FIELD_BY_NAME[name]
        if not spec.minimum <= value <= spec.maximum:
            raise ConfigError(name, round(float(value), 4), f"{spec.allowed()} (the Explorer's range)")
    return replace(
        state,
        preset=CUSTOM,
        det_preset=CUSTOM,
        keep_law=False,
        **{name: float(value) for name, value in values.items()},
    )


def with_preset(state: AppState, name: str) -> AppState:
    """Select a published variant: the sliders show its nominal recipe (paper coefficients, φ = N)."""
    if name == CUSTOM:
        return replace(state, preset=CUSTOM)
    recipe, preset = preset_table().recipe, get_preset(name)
    return replace(
        state,
        preset=preset.name,
        phi=float(preset.phi),
        alpha=recipe.alpha,
        beta=recipe.beta,
        gamma=recipe.gamma,
        keep_law=False,
        base=preset_table().base,
    )


TRANSITIONS = {
    "alpha": with_coefficient,
    "beta": with_coefficient,
    "gamma": with_coefficient,
    "keep_law": lambda state, _, keep: with_keep_law(state, keep),
    "preset": lambda state, _, name: (with_preset(state, name), None),
    "phi": lambda state, _, phi: (with_phi(state, phi), None),
}


def apply_change(state: AppState, name: str, value: Any) -> tuple[AppState, str | None]:
    """The state after one widget changed, and a notice for the user if the change had to be adjusted."""
    transition = TRANSITIONS.get(name)
    if transition is not None:
        return transition(state, name, value)
    return replace(state, **{name: value}), None
