"""The app's shareable state: per-page groups of fields (default and allowed values declared together),
parsing a URL query and writing the short one back. No streamlit here.

Each group is a frozen dataclass whose fields are declared with `setting(default, ...)`: the field's
type, default and allowed values live in that one line. `AppState` inherits every group, so pages read
`state.phi` or `state.pareto_cost` directly; `PAGE_GROUPS` says which groups each page's view reads, and
a page's link carries only those fields (and the shared network) that differ from their defaults.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

from scaling_core.accuracy.model import BASE_TOP1_RANGE, reference_base_top1
from scaling_core.accuracy.pareto import COST_OBJECTIVES, canonical_user_recipes
from scaling_core.app.views.families import (
    BASES_ALLOWED,
    COSTS,
    RULES_ALLOWED,
    SCALES,
    canonical_bases,
    canonical_rules,
)
from scaling_core.core.base import available_bases
from scaling_core.core.errors import ConfigError, number_text
from scaling_core.core.presets import get_preset, preset_names, preset_table
from scaling_core.core.recipe import Recipe
from scaling_core.core.rounding import RESOLUTION_MULTIPLES
from scaling_core.core.rules import COMPARED_RULES
from scaling_core.hardware.fingerprint import default_threads
from scaling_core.hardware.runtimes import RUNTIME_CHOICES
from scaling_core.lab.data import dataset_names, lab_dataset_names
from scaling_core.lab.dense_networks import DENSE_TASKS
from scaling_core.lab.runs import lab_settings
from scaling_core.studies.deployment.measurements import deployment_defaults
from scaling_core.studies.representation.measurements import representation_defaults
from scaling_core.studies.robustness.evaluation import ATTACKS, robustness_settings
from scaling_core.studies.robustness.margin_model import canonical_model
from scaling_core.studies.spectrum.domain_fit import CRITERIA
from scaling_core.studies.spectrum.images import domain_table, spectrum_settings
from scaling_core.tasks.heads import NECK_SCALINGS, TASKS, detection_preset_names

T = TypeVar("T")
CUSTOM = "custom"
ECHO_CHARS = 40  # a bad link value is echoed this far: enough to recognise it, not a wall of text
_ALLOWED = "allowed"


@dataclass(frozen=True)
class Allowed:
    """A field's allowed values: a range, choices, or a canonical form (with its description)."""

    minimum: float | None = None
    maximum: float | None = None
    choices: tuple | None = None
    canonical: Callable[[str], str] | None = None
    description: str | None = None


def setting(
    default: T,
    minimum: float | None = None,
    maximum: float | None = None,
    *,
    choices: Iterable | None = None,
    canonical: Callable[[str], str] | None = None,
    description: str | None = None,
) -> T:
    """A group field's one declaration: its default and allowed values (the type is the annotation)."""
    allowed = Allowed(minimum, maximum, None if choices is None else tuple(choices), canonical, description)
    return field(default=default, metadata={_ALLOWED: allowed})


@dataclass(frozen=True)
class FieldSpec:
    """One state field as the URL and the widgets see it: name, group, type, default and allowed values."""

    name: str
    group: str
    kind: type
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple | None = None
    canonical: Callable[[str], str] | None = None
    description: str | None = None

    def allowed(self) -> str:
        """The allowed values, for error messages and widget help."""
        if self.description is not None:
            return self.description
        if self.choices is not None:
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.kind is bool:
            return "0 or 1"
        kind = "an integer" if self.kind is int else "a number"
        return f"{kind} in [{number_text(self.minimum)}, {number_text(self.maximum)}]"

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
        if not math.isfinite(number) or not self.contains(number):
            raise ValueError(raw)
        if self.kind is int:
            if not number.is_integer():
                raise ValueError(raw)
            return int(number)
        return number

    def contains(self, number: float) -> bool:
        """Whether a number lies in the field's range (a field without a range holds none)."""
        return self.minimum is not None and self.maximum is not None and self.minimum <= number <= self.maximum

    def format(self, value: Any) -> str:
        """The URL string of a value (floats in their shortest exact form)."""
        if self.kind is bool:
            return "1" if value else "0"
        return repr(float(value)) if self.kind is float else str(value)

    def is_default(self, value: Any) -> bool:
        """Whether a value reads the same in a URL as the default (so a link may leave it out)."""
        return self.format(value) == self.format(self.default)


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
FEWSHOT, DISTILL = REPRESENTATION["fewshot"], REPRESENTATION["distillation"]
LAB = lab_settings()
RESULT_IDS = (0, 2**31 - 1)
RESULT_ALLOWED = "a result number (the # in Saved results), or 0 for none"


# Defaults are part of the link format: a link leaves out every field at its default, so changing a
# default here changes the view that existing links open.


@dataclass(frozen=True)
class NetworkState:
    """The network every page shares (the sidebar's scaling controls): recipe, φ, rounding, base."""

    phi: float = setting(1.0, 0.0, 8.0)
    alpha: float = setting(1.2, 0.5, 2.5)
    beta: float = setting(1.1, 0.5, 2.5)
    gamma: float = setting(1.15, 0.5, 2.5)
    keep_law: bool = setting(False)
    preset: str = setting(CUSTOM, choices=(CUSTOM, *preset_names()))
    res_multiple: int = setting(8, choices=RESOLUTION_MULTIPLES)
    num_classes: int = setting(1000, 1, 100_000)
    base: str = setting(
        "efficientnet-b0",
        choices=available_bases(),
        description="a shipped base: efficientnet-b0, efficientnetv2-s/m/l, resnet18…152, resnext50-32x4d, "
        "wide-resnet50-2, regnetx/y-400mf…32gf, lab-tiny",
    )


@dataclass(frozen=True)
class ExplorerState:
    """The Explorer's scaling rule: compound (the shared α, β, γ at φ), or another rule at the FLOP scale s = 2^φ."""

    ex_rule: str = setting("compound", choices=COMPARED_RULES)
    ex_dwr_alpha: float = setting(0.8, 0.0, 1.0)


@dataclass(frozen=True)
class AccuracyState:
    """The base network's top-1 that accuracy estimates start from (set on Pareto, used by the Explorer too)."""

    base_top1: float = setting(reference_base_top1(), *BASE_TOP1_RANGE)


@dataclass(frozen=True)
class TaskState:
    """The Tasks page: head, detector rules and the video model."""

    head: str = setting("detection", choices=TASKS)
    tau: float = setting(1.0, 0.5, 2.0)
    neck_scaling: str = setting("efficientdet", choices=NECK_SCALINGS)
    det_preset: str = setting(CUSTOM, choices=(CUSTOM, *detection_preset_names()))
    video_snr_db: float = setting(0.0, -30.0, 30.0)
    video_motion_hz: float = setting(2.0, 0.1, 20.0)
    video_clip_s: float = setting(2.0, 0.5, 10.0)
    video_model_noise: float = setting(0.5, 0.0, 1.0)
    video_kappa: float = setting(1.0, 0.1, 4.0)


DEVICE_ALLOWED = "a device's fingerprint id (16 hexadecimal digits), or empty for this machine"


def canonical_device(text: str) -> str:
    """A device fingerprint id in its canonical form (lower case), or "" for this machine."""
    device = text.strip().lower()
    if device and (len(device) != 16 or any(c not in "0123456789abcdef" for c in device)):
        raise ConfigError("hw_device", text, DEVICE_ALLOWED)
    return device


@dataclass(frozen=True)
class MeasuringState:
    """How latency is measured on this machine (Hardware; Deployment and Pareto look measurements up by it)."""

    # The default is the measuring policy's (default_threads: one thread, the most repeatable); a link leaves
    # it out unless changed, so a policy change moves what such links open, as for any default.
    hw_threads: int = setting(default_threads(), 1, 256)
    hw_batch: int = setting(1, 1, 64)
    hw_channels_last: bool = setting(False)
    # The device whose measurements and latency model are shown: a fingerprint id (a fleet worker, a GPU), or "".
    hw_device: str = setting("", canonical=canonical_device, description=DEVICE_ALLOWED)
    # What runs the network on this machine: PyTorch eager, torch.compile, ONNX Runtime (fp32 or int8), OpenVINO.
    hw_runtime: str = setting("eager", choices=RUNTIME_CHOICES)


@dataclass(frozen=True)
class LatencyBudgetState:
    """The latency budget of the Hardware optimizer and the Deployment drone."""

    hw_budget_ms: float = setting(30.0, 1.0, 1000.0)


@dataclass(frozen=True)
class ParetoState:
    """The Pareto page's grid, cost axis, accuracy source and budgets."""

    pareto_cost: str = setting("macs", choices=COST_OBJECTIVES)
    pareto_phi_max: float = setting(6.0, 0.5, 8.0)
    pareto_phi_step: float = setting(0.25, choices=(0.1, 0.25, 0.5, 1.0))
    pareto_macs_budget_g: float = setting(0.0, 0.0, 1000.0)
    pareto_latency_budget_ms: float = setting(0.0, 0.0, 10_000.0)
    pareto_memory_budget_mb: float = setting(0.0, 0.0, 1_000_000.0)
    pareto_source: str = setting(
        "imagenet",
        choices=("imagenet", *(f"lab:{name}" for name in dataset_names()), *(f"dense:{task}" for task in DENSE_TASKS)),
        description=f"one of imagenet, lab:DATASET ({', '.join(dataset_names())}) or dense:TASK "
        f"({', '.join(DENSE_TASKS)})",
    )


@dataclass(frozen=True)
class FamilyState:
    """The Pareto page's families and rules: the bases and rules compared, the largest FLOP scale, the cost axis."""

    fam_bases: str = setting(
        "efficientnet-b0,efficientnetv2-s,resnet50,regnety-400mf",
        canonical=canonical_bases,
        description=BASES_ALLOWED,
    )
    fam_rules: str = setting(
        "compound,dwr,width",
        canonical=canonical_rules,
        description=RULES_ALLOWED,
    )
    fam_scale_max: float = setting(8.0, choices=SCALES[1:])
    fam_cost: str = setting("macs", choices=tuple(COSTS))


@dataclass(frozen=True)
class UserRecipesState:
    """The user's own recipes on the Pareto front (the Spectrum page adds to them)."""

    pareto_recipes: str = setting(
        "",
        canonical=canonical_user_recipes,
        description="recipes as name,alpha,beta,gamma separated by ; (coefficients in [0.5, 2.5])",
    )


@dataclass(frozen=True)
class LabState:
    """The lab's dataset and recipes (Lab and Robustness; Pareto's lab accuracy source)."""

    # The shipped sets and the server's configured image folders (folder:<digest>, lab/folders.py).
    lab_dataset: str = setting(LAB.default_grid["dataset"], choices=lab_dataset_names())
    lab_recipes: str = setting(
        ",".join(LAB.default_grid["recipes"]),
        canonical=canonical_lab_recipes,
        description="recipe names separated by commas: " + ", ".join(LAB.recipes),
    )


@dataclass(frozen=True)
class DenseState:
    """Which dense study the Tasks and Lab pages show: the default one (shipped) or the quick one (trained here)."""

    dense_quick: bool = setting(False)


@dataclass(frozen=True)
class SpectrumState:
    """The Spectrum page: domains, criterion, bands and φ range."""

    spectrum_domains: str = setting(
        ",".join(domain_table()),
        canonical=canonical_domains,
        description="domain names separated by commas: " + ", ".join(domain_table()),
    )
    spectrum_criterion: str = setting("power", choices=CRITERIA)
    spectrum_target: float = setting(SPECTRUM.target_share, 0.5, 0.999)
    spectrum_slope_low: float = setting(SPECTRUM.slope_band[0], 0.005, 0.45)
    spectrum_slope_high: float = setting(SPECTRUM.slope_band[1], 0.01, 0.5)
    spectrum_detail_low: float = setting(float(SPECTRUM.detail_band[0]), 0.0, 4096.0)
    spectrum_detail_high: float = setting(float(SPECTRUM.detail_band[1]), 1.0, 8192.0)
    spectrum_phi_max: float = setting(SPECTRUM.phi_max, 0.5, 8.0)


@dataclass(frozen=True)
class MotionState:
    """The camera's motion (Spectrum's blur and Deployment's drone)."""

    motion_speed_dps: float = setting(SPECTRUM.motion["angular_speed_dps"], 0.0, 2000.0)
    motion_exposure_ms: float = setting(1000 * SPECTRUM.motion["exposure_s"], 0.0, 1000.0)
    motion_fov_deg: float = setting(SPECTRUM.motion["fov_deg"], 1.0, 180.0)


@dataclass(frozen=True)
class RobustnessState:
    """The Robustness page: perturbation, reference level, histogram recipe, margin-model parameters."""

    robust_attack: str = setting("pgd", choices=(*ATTACKS, *robustness_settings().corruptions))
    robust_level: float = setting(0.1, 0.0, 1.0)
    robust_recipe: str = setting("efficientnet", choices=LAB.recipes)
    robust_model: str = setting(
        "",
        canonical=canonical_model,
        description="empty (the calibrated model) or mu:base,d,w,r;sigma:base,d,w,r;g:base,d,w,r",
    )


@dataclass(frozen=True)
class DeploymentState:
    """The Deployment page: φ range, the thermal model and quantization."""

    deploy_phi_max: float = setting(DEPLOY["drone"]["phi_max"], 0.5, 8.0)
    thermal_ambient_c: float = setting(THERMAL["ambient_c"], -40.0, 60.0)
    thermal_resistance_k_per_w: float = setting(THERMAL["resistance_k_per_w"], 0.1, 1000.0)
    thermal_capacitance_j_per_k: float = setting(THERMAL["capacitance_j_per_k"], 0.1, 100_000.0)
    thermal_throttle_c: float = setting(THERMAL["throttle_c"], 0.0, 150.0)
    thermal_hysteresis_k: float = setting(THERMAL["hysteresis_k"], 0.1, 50.0)
    thermal_static_w: float = setting(THERMAL["static_w"], 0.0, 100.0)
    thermal_pj_per_mac: float = setting(THERMAL["pj_per_mac"], 0.01, 10_000.0)
    thermal_pj_per_byte: float = setting(THERMAL["pj_per_byte"], 0.0, 100_000.0)
    thermal_target_fps: float = setting(THERMAL["target_fps"], 0.0, 1000.0)
    thermal_required_fps: float = setting(THERMAL["required_fps"], 0.0, 1000.0)
    thermal_duration_s: float = setting(THERMAL["duration_s"], 10.0, 100_000.0)
    thermal_phi: float = setting(1.0, -1.0, 8.0)
    quant_bits: int = setting(4, choices=QUANT["bits"])
    quant_scheme: str = setting("per_tensor", choices=QUANT["schemes"])
    quant_gain: float = setting(QUANT["gain"], 0.001, 1_000_000.0)


@dataclass(frozen=True)
class RepresentationState:
    """The Representation page: Cover's count, the few-shot model, distillation."""

    cover_d: int = setting(REPRESENTATION["cover"]["dimension"], 1, 5000)
    cover_bias: bool = setting(REPRESENTATION["cover"]["bias"])
    cover_simulate: bool = setting(False)
    fewshot_recipe: str = setting(FEWSHOT["recipes"][0], choices=FEWSHOT["recipes"])
    fewshot_shots: int = setting(5, choices=FEWSHOT["shots"])
    fewshot_ways: int = setting(FEWSHOT["ways"], 2, 20)
    fewshot_snr0: float = setting(REPRESENTATION["model"]["snr0"], 0.01, 100.0)
    fewshot_eta: float = setting(REPRESENTATION["model"]["eta"], -5.0, 5.0)
    fewshot_dim0: float = setting(REPRESENTATION["model"]["dim0"], 1.0, 4096.0)
    fewshot_zeta: float = setting(REPRESENTATION["model"]["zeta"], -5.0, 5.0)
    distill_temperature: float = setting(DISTILL["temperature"], 0.01, 100.0)
    distill_alpha: float = setting(DISTILL["alpha"], 0.0, 1.0)
    distill_weight_decay: float = setting(DISTILL["weight_decay"], 0.0, 1.0)


@dataclass(frozen=True)
class SavedState:
    """The Saved results page: the open result, the one compared with it, the list's filter.

    Only the Saved page's links carry them: a result's id must not follow the user to the Explorer and
    send whoever opens that link to the Saved results page.
    """

    result: int = setting(0, *RESULT_IDS, description=RESULT_ALLOWED)
    compare: int = setting(0, *RESULT_IDS, description=RESULT_ALLOWED)
    saved_filter: str = setting("", canonical=lambda text: text.strip()[:100], description="any text")


@dataclass(frozen=True)
class AppState(
    NetworkState,
    ExplorerState,
    AccuracyState,
    TaskState,
    MeasuringState,
    LatencyBudgetState,
    ParetoState,
    FamilyState,
    UserRecipesState,
    LabState,
    DenseState,
    SpectrumState,
    MotionState,
    RobustnessState,
    DeploymentState,
    RepresentationState,
    SavedState,
):
    """What the pages show, and all a share link needs to reproduce it: every group's fields, flat."""


# The groups by name; every page reads the network, and these besides (tests/test_state.py checks them
# against the `state.` reads of each page's file).
GROUPS: dict[str, type] = {
    "network": NetworkState,
    "explorer": ExplorerState,
    "accuracy": AccuracyState,
    "task": TaskState,
    "measuring": MeasuringState,
    "latency_budget": LatencyBudgetState,
    "pareto": ParetoState,
    "families": FamilyState,
    "user_recipes": UserRecipesState,
    "lab": LabState,
    "dense": DenseState,
    "spectrum": SpectrumState,
    "motion": MotionState,
    "robustness": RobustnessState,
    "deployment": DeploymentState,
    "representation": RepresentationState,
    "saved": SavedState,
}
SHARED_GROUP = "network"
PAGE_GROUPS: dict[str, tuple[str, ...]] = {
    "explorer": ("explorer", "accuracy"),
    "tasks": ("task", "dense"),
    "hardware": ("measuring", "latency_budget"),
    "pareto": ("pareto", "families", "accuracy", "user_recipes", "lab", "measuring"),
    "lab": ("lab", "dense"),
    "spectrum": ("spectrum", "motion", "user_recipes"),
    "robustness": ("robustness", "lab"),
    "deployment": ("deployment", "motion", "measuring", "latency_budget"),
    "representation": ("representation",),
    "saved": ("saved",),
}


def _specs(group: str) -> tuple[FieldSpec, ...]:
    cls = GROUPS[group]
    kinds = typing.get_type_hints(cls)
    return tuple(
        FieldSpec(f.name, group, kinds[f.name], f.default, **f.metadata[_ALLOWED].__dict__) for f in fields(cls)
    )


STATE_FIELDS: tuple[FieldSpec, ...] = tuple(spec for group in GROUPS for spec in _specs(group))
FIELD_BY_NAME = {f.name: f for f in STATE_FIELDS}


def page_fields(page: str) -> tuple[FieldSpec, ...]:
    """The fields a page's view depends on: the shared network's and those of the page's groups."""
    groups = (SHARED_GROUP, *PAGE_GROUPS[page])
    return tuple(spec for spec in STATE_FIELDS if spec.group in groups)


def _echo(raw: str) -> str:
    return raw if len(raw) <= ECHO_CHARS else raw[:ECHO_CHARS] + "…"


def parse_query(query: Mapping[str, str | list[str]]) -> tuple[AppState, list[str]]:
    """State from URL parameters of any page: unknown ones ignored, absent or bad ones at their defaults.

    Bad ones are reported, naming the parameter, its allowed values and (the start of) the value. Every
    field is accepted on every page: links made before per-page links carried all of them, and a field of
    another page simply sets that page's state.
    """
    values: dict[str, Any] = {}
    errors = []
    for spec in STATE_FIELDS:
        if spec.name not in query:
            continue
        raw = query[spec.name]
        raw = str(raw[-1] if isinstance(raw, list) else raw)
        try:
            values[spec.name] = spec.parse(raw)
        except ConfigError as exc:  # a canonical form's own reason (e.g. "at most 12"), not the generic format
            errors.append(f"Link parameter {spec.name}: {exc}; using the default {spec.default!r}.")
        except (TypeError, ValueError):
            errors.append(
                f"Link parameter {spec.name} = {_echo(raw)!r} is invalid: allowed {spec.allowed()}; "
                f"using the default {spec.default!r}."
            )
    return AppState(**values), errors


def to_query(state: AppState, page: str) -> dict[str, str]:
    """URL parameters for a state on a page: the page's fields (and the network's) that differ from their defaults."""
    return {
        spec.name: spec.format(value)
        for spec in page_fields(page)
        if not spec.is_default(value := getattr(state, spec.name))
    }


def page_view(state: AppState, query: Mapping[str, str | list[str]], page: str) -> tuple[AppState, list[str]]:
    """`state` showing the view a page's link describes (other pages' fields kept), and the link's problems.

    The page's fields come from the query, absent ones at their defaults, as the link opened afresh would show.
    """
    linked, errors = parse_query(query)
    return replace(state, **{spec.name: getattr(linked, spec.name) for spec in page_fields(page)}), errors


LAW_TARGET = 2.0
COEFFICIENTS = ("alpha", "beta", "gamma")


def _recipe_of(state: AppState) -> Recipe:
    return Recipe(state.alpha, state.beta, state.gamma)


def _within_widgets(state: AppState, recipe: Recipe) -> tuple[AppState, str | None]:
    """Apply a recipe to the state if each coefficient fits its widget's range, else explain."""
    for name in COEFFICIENTS:
        spec, value = FIELD_BY_NAME[name], getattr(recipe, name)
        if not spec.contains(value):
            return (
                replace(state, keep_law=False),
                f"Keeping α·β²·γ² = {LAW_TARGET:g} would need {name} = {value:.4g}, outside its range "
                f"[{number_text(spec.minimum)}, {number_text(spec.maximum)}]; the constraint is switched off.",
            )
    return replace(state, alpha=recipe.alpha, beta=recipe.beta, gamma=recipe.gamma), None


def with_coefficient(state: AppState, name: str, value: float) -> tuple[AppState, str | None]:
    """Move one coefficient; under keep_law the other two follow (ratio of their logs kept)."""
    change: dict[str, Any] = {name: value}
    moved = replace(state, preset=CUSTOM, det_preset=CUSTOM, **change)
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
    values: dict[str, Any] = {"alpha": float(alpha), "beta": float(beta), "gamma": float(gamma), "phi": float(phi)}
    for name, value in values.items():
        spec = FIELD_BY_NAME[name]
        if not spec.contains(value):
            raise ConfigError(name, round(value, 4), f"{spec.allowed()} (the Explorer's range)")
    return replace(state, preset=CUSTOM, det_preset=CUSTOM, keep_law=False, **values)


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
