"""What the Pareto page shows: the recipes × φ grid with accuracy and latency from their sources, and its front."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from scaling_core.accuracy.model import calibration, modelled_accuracy, published_points
from scaling_core.accuracy.pareto import (
    COST_OBJECTIVES,
    CSV_RECIPE,
    NamedRecipe,
    builtin_recipes,
    grid_frame,
    mark_front,
    memory_mb,
    parse_user_recipes,
    phi_grid,
)
from scaling_core.accuracy.user_csv import SOURCE as CSV_SOURCE
from scaling_core.accuracy.user_csv import match_key
from scaling_core.app.state import AppState
from scaling_core.app.views.explorer import policy_of
from scaling_core.core.arch import scale_recipe
from scaling_core.core.base import load_base
from scaling_core.core.cost import count
from scaling_core.core.errors import ConfigError
from scaling_core.core.memo import memoized
from scaling_core.core.presets import preset_table, scale_preset
from scaling_core.core.recipe import Recipe
from scaling_core.core.sweep import sweep
from scaling_core.hardware.latency_model import LinearProfile, named_plan, plan_timings, predict_ms
from scaling_core.hardware.optimize import within_plan
from scaling_core.tasks.heads import TaskArch, as_task


def page_recipes(state: AppState) -> tuple[NamedRecipe, ...]:
    """Built-in recipes and the user's (from the state)."""
    return builtin_recipes() + parse_user_recipes(state.pareto_recipes)


def recipes_frame(recipes: tuple[NamedRecipe, ...]) -> pd.DataFrame:
    """The recipes compared: coefficients, per-step cost α·β²·γ², and where each comes from."""
    return pd.DataFrame(
        [
            {
                "recipe": r.name,
                "alpha": r.recipe.alpha,
                "beta": r.recipe.beta,
                "gamma": r.recipe.gamma,
                "per_step_cost": r.recipe.cost_factor,
                "source": r.citation,
            }
            for r in recipes
        ]
    )


def _with_measurements(
    frame: pd.DataFrame, measured: pd.DataFrame | None, state: AppState
) -> tuple[pd.DataFrame, list[str]]:
    """User rows replace the estimates they match; unmatched rows become points of their own; notes on rows left out."""
    frame = frame.copy()
    frame["latency_csv_ms"] = np.nan
    if measured is None or measured.empty:
        return frame, []
    keys = match_key(frame["depth_multiplier"], frame["width_multiplier"], frame["resolution_multiplier"])
    by_key = {match_key(r.d, r.w, r.r): r for r in measured.itertuples()}
    matched = set()
    for index, key in keys.items():
        row = by_key.get(key)
        if row is not None:
            matched.add(key)
            frame.loc[index, ["accuracy", "accuracy_error", "accuracy_source", "extrapolated", "latency_csv_ms"]] = [
                row.accuracy,
                np.nan,
                CSV_SOURCE,
                False,
                row.latency_ms,
            ]
    extra = [r for r in measured.itertuples() if match_key(r.d, r.w, r.r) not in matched]
    if not extra:
        return frame, []
    own = sweep(
        [Recipe(r.d, r.w, r.r) for r in extra],
        [1.0],
        base=state.base,
        num_classes=state.num_classes,
        policies=(policy_of(state),),
        drop_invalid=True,
    )
    kept = {match_key(*k) for k in zip(own["depth_multiplier"], own["width_multiplier"], own["resolution_multiplier"])}
    notes = [
        f"line {r.line}: d, w, r = {r.d:g}, {r.w:g}, {r.r:g} give a network the page cannot count (resolution "
        f"below {load_base(state.base).min_resolution_px} px, or too large); left out"
        for r in extra
        if match_key(r.d, r.w, r.r) not in kept
    ]
    extra = [r for r in extra if match_key(r.d, r.w, r.r) in kept]
    own = own.assign(
        recipe=CSV_RECIPE,
        accuracy=[r.accuracy for r in extra],
        accuracy_error=np.nan,
        accuracy_source=CSV_SOURCE,
        extrapolated=False,
        latency_csv_ms=[r.latency_ms for r in extra],
        memory_mb=memory_mb(own),
    )
    return pd.concat([frame, own], ignore_index=True), notes


def row_network(row: pd.Series, state: AppState) -> TaskArch:
    """The classification network of one grid row (its recipe at its φ, the page's rounding and base)."""
    return as_task(
        scale_recipe(
            Recipe(row["alpha"], row["beta"], row["gamma"]),
            row["phi"],
            base=state.base,
            policy=policy_of(state),
            num_classes=state.num_classes,
        )
    )


@dataclass(frozen=True)
class ParetoResult:
    """The marked grid, the published reference points, and what the front was drawn against."""

    frame: pd.DataFrame
    published: pd.DataFrame
    cost_column: str
    dropped: int
    notes: tuple[str, ...] = ()
    # The cost axis drawn (a COST_OBJECTIVES key), and why it is not the one chosen, when it is not ('' if it is).
    cost_key: str = "macs"
    fallback: str = ""

    @property
    def front(self) -> pd.DataFrame:
        """The non-dominated feasible points, cheapest first."""
        return self.frame[self.frame["on_front"]].sort_values(self.cost_column)


def dense_frame(task: str, store=None) -> pd.DataFrame:
    """The dense study's measured task metric as Pareto points: mean over seeds (± their standard deviation), in %."""
    from scaling_core.app.views.dense import TASK_METRICS, dense_study, source_title, task_summary

    study = dense_study(store)
    results = task_summary(study, task)
    if results.empty:
        raise ConfigError(
            "pareto_source",
            f"dense:{task}",
            "a task with dense runs (`python -m scaling_core lab study`, or the shipped study)",
        )
    metric = TASK_METRICS[task][0]
    return results.assign(
        accuracy=results[f"{metric}_mean"],
        accuracy_error=results[f"{metric}_std"],
        accuracy_source=[f"{source_title(task)}, mean of {n} seeds ({study.source})" for n in results["seeds"]],
        extrapolated=False,
        memory_mb=memory_mb(results),
        latency_measured_ms=results["latency_ms"].astype(float),
        latency_csv_ms=np.nan,
        resolution_px=results["resolution"],
    ).reset_index(drop=True)


def lab_frame(state: AppState, store=None) -> pd.DataFrame:
    """The lab's measured results as Pareto points: mean accuracy over seeds (± their standard deviation); or the
    dense study's task metric for a `dense:<task>` source."""
    from scaling_core.app.views.dense import source_task
    from scaling_core.app.views.lab import lab_results
    from scaling_core.lab.data import dataset_table

    task = source_task(state.pareto_source)
    if task is not None:
        return dense_frame(task, store)
    dataset = state.pareto_source.split(":", 1)[1]
    results = lab_results(dataset, state.lab_recipes.split(","), store)
    if results.empty:
        raise ConfigError(
            "pareto_source",
            state.pareto_source,
            "a dataset with lab results (train some on the Lab page or with `python -m scaling_core lab run`)",
        )
    title = dataset_table()[dataset].title
    return results.assign(
        accuracy=results["accuracy_mean"],
        accuracy_error=results["accuracy_std"],
        accuracy_source=[f"measured by the lab on {title}, mean of {n} seeds" for n in results["seeds"]],
        extrapolated=False,
        memory_mb=memory_mb(results),
        latency_measured_ms=results["latency_ms"].astype(float),
        latency_csv_ms=np.nan,
    ).reset_index(drop=True)


def pareto_result(
    state: AppState,
    measured: pd.DataFrame | None = None,
    profile: LinearProfile | None = None,
    measured_latency: Callable[[TaskArch], float | None] | None = None,
    store=None,
) -> ParetoResult:
    """The page's grid with accuracy (modelled, the user's CSV, or the lab's), latency and the front."""
    if state.pareto_cost not in COST_OBJECTIVES:
        raise ConfigError("pareto_cost", state.pareto_cost, f"one of {', '.join(COST_OBJECTIVES)}")
    if state.pareto_source != "imagenet":
        if state.pareto_cost == "latency_predicted":
            raise ConfigError(
                "pareto_cost",
                state.pareto_cost,
                "macs, params, activations or latency_measured with "
                "lab accuracy (the latency model is fitted on ImageNet-size networks)",
            )
        frame = lab_frame(state, store)
        cost = COST_OBJECTIVES[state.pareto_cost].column
        return ParetoResult(
            mark_front(frame, cost, _budgets(state, state.pareto_latency_budget_ms), "latency_measured_ms"),
            pd.DataFrame(),
            cost,
            0,
            cost_key=state.pareto_cost,
        )
    frame = grid_frame(
        page_recipes(state),
        phi_grid(state.pareto_phi_max, state.pareto_phi_step),
        base=state.base,
        res_multiple=state.res_multiple,
        num_classes=state.num_classes,
    )
    dropped = frame.attrs["dropped"]
    frame = frame.join(modelled_accuracy(frame, state.base_top1))
    frame, notes = _with_measurements(frame, measured, state)
    if state.base != preset_table().base:
        notes.append(
            f"The published rows and the model calibrated on them describe {preset_table().base} scaled; for "
            f"the base {state.base} the modelled accuracy assumes it answers d, w, r the same way."
        )
    networks = [row_network(row, state) for _, row in frame.iterrows()] if (profile or measured_latency) else []
    if profile is not None:
        frame["latency_predicted_ms"] = [predict_ms(profile, n) for n in networks]
        frame["latency_extrapolated"] = [not within_plan(n) for n in networks]
    if measured_latency is not None:
        stored = [measured_latency(n) for n in networks]
        frame["latency_measured_ms"] = frame["latency_csv_ms"].where(
            frame["latency_csv_ms"].notna(), pd.Series(stored, index=frame.index, dtype=float)
        )
    cost = COST_OBJECTIVES[state.pareto_cost].column
    if cost not in frame:
        raise ConfigError(
            "pareto_cost",
            state.pareto_cost,
            "macs, params or activations until the Hardware page "
            "has fitted a latency model (predicted) or the store holds measurements (measured)",
        )
    # The latency budget binds on the latency axis, else on the predicted latency when a profile exists.
    latency_column = (
        cost if cost.startswith("latency") else ("latency_predicted_ms" if "latency_predicted_ms" in frame else None)
    )
    latency_budget = state.pareto_latency_budget_ms
    if latency_budget and latency_column is None:
        notes.append(
            f"The latency budget of {latency_budget:g} ms is not applied: no latency model is fitted for "
            "this machine and setup (Hardware page), and the cost axis is not a latency."
        )
        latency_budget = 0.0
    return ParetoResult(
        mark_front(frame, cost, _budgets(state, latency_budget), latency_column),
        published_reference(state),
        cost,
        dropped,
        tuple(notes),
        cost_key=state.pareto_cost,
    )


def _budgets(state: AppState, latency_budget_ms: float) -> dict[str, float]:
    """The page's budgets in mark_front's terms (0 = none)."""
    return {
        "macs_budget_g": state.pareto_macs_budget_g,
        "memory_budget_mb": state.pareto_memory_budget_mb,
        "latency_budget_ms": latency_budget_ms,
    }


def published_reference(state: AppState) -> pd.DataFrame:
    """EfficientNet B0–B7: published top-1 at our exact count of the official networks."""
    return published_counts(state.num_classes)


@memoized(maxsize=8)
def published_counts(num_classes: int) -> pd.DataFrame:
    """published_reference's table for a class count (it reads nothing else of the state)."""
    rows = []
    for point in published_points():
        if point.preset is None:
            continue
        report = count(scale_preset(point.preset, num_classes=num_classes))
        rows.append(
            {
                "label": point.label,
                "accuracy": point.top1,
                "macs": int(report.macs),
                "params": int(report.params),
                "activations": int(report.activations),
                "citation": f"{point.citation}, {point.where}",
            }
        )
    return pd.DataFrame(rows)


def stored_latency(store, options, fingerprint_id: str = "") -> Callable[[TaskArch], float | None]:
    """A lookup of the best stored latency of a network on this machine (or the device `fingerprint_id`, with its
    own threads or GPU) with these measuring options."""
    from scaling_core.app.views.hardware import device_setup
    from scaling_core.hardware.measure import machine_of
    from scaling_core.storage.keys import describe, measurement_key

    options = device_setup(options, store, fingerprint_id)
    machine_id = fingerprint_id or machine_of(options).id
    setup = (options.batch_size, options.threads, options.memory_format, options.device)
    stored = {
        row["key"]: row["best_ms"]
        for row in store.measurements(machine_id)
        if (row["batch_size"], row["threads"], row["memory_format"], row["device"]) == setup
    }
    return lambda network: stored.get(measurement_key(describe(network), machine_id, *setup))


LAB_LATENCY = (
    "measured by the lab: median of interleaved rounds, 1 thread, batch 1, on the machine that trained "
    "(see the Lab page's sources)"
)


def lab_title(state: AppState) -> str:
    """The title of the lab dataset the page's accuracy comes from ('' for the ImageNet source)."""
    from scaling_core.app.views.dense import source_task, source_title
    from scaling_core.lab.data import dataset_table

    task = source_task(state.pareto_source)
    if task is not None:
        return source_title(task)
    return "" if state.pareto_source == "imagenet" else dataset_table()[state.pareto_source.split(":", 1)[1]].title


def accuracy_axis_label(state: AppState, csv_rows: bool = False) -> str:
    """The accuracy axis' title: the quantity, its unit and its evidence (measured / modelled)."""
    if state.pareto_source.startswith("dense:"):
        return f"{lab_title(state)} (%), measured by the lab"
    if state.pareto_source != "imagenet":
        return f"test accuracy on {lab_title(state)} (%), measured by the lab"
    return "ImageNet top-1 (%), modelled" + (" or measured (your CSV)" if csv_rows else "")


def cost_axis_label(state: AppState, cost_key: str) -> str:
    """The cost axis' title: the cost and its evidence ("measured" or "modelled")."""
    cost = COST_OBJECTIVES[cost_key]
    lab_latency = state.pareto_source != "imagenet" and cost.column.startswith("latency")
    return f"{cost.label}, {'measured by the lab' if lab_latency else cost.source.split(':')[0].split(' on ')[0]}"


def cost_fallback(state: AppState, has_profile: bool, has_lookup: bool) -> str:
    """Why the chosen cost axis cannot be drawn before computing anything ('' when it can)."""
    if state.pareto_cost == "latency_predicted" and state.pareto_source != "imagenet":
        return (
            "Predicted latency is modelled for ImageNet-size networks, not the lab's: the lab's points are drawn "
            "against MACs (choose measured latency for the lab's own timings)."
        )
    if state.pareto_cost == "latency_predicted" and not has_profile:
        return (
            "Predicted latency needs a latency model of this machine and measuring setup: it predicts every "
            "grid point's latency (ms) from its layers and lets the latency budget bind on any axis. Fit one on "
            "the Hardware page (a quick fit times "
            f"{plan_timings(named_plan('quick')):,} runs); meanwhile the front is drawn against MACs."
        )
    if state.pareto_cost == "latency_measured" and state.pareto_source == "imagenet" and not has_lookup:
        return "Measured latency needs the results store and a measuring setup: the front is drawn against MACs."
    return ""


def page_result(
    state: AppState,
    measured: pd.DataFrame | None = None,
    profile: LinearProfile | None = None,
    measured_latency: Callable[[TaskArch], float | None] | None = None,
    store=None,
) -> ParetoResult:
    """What the page draws: `pareto_result`, or, where the chosen cost axis cannot be drawn yet (no latency model,
    no measured latency, lab accuracy against predicted latency), the MACs front with the reason in `fallback`."""
    reason = cost_fallback(state, profile is not None, measured_latency is not None)
    if not reason:
        result = pareto_result(state, measured, profile, measured_latency, store)
        if result.frame[result.cost_column].notna().any():
            return result
        reason = (
            f"None of the {len(result.frame)} points has a measured latency on this machine with this measuring "
            "setup yet: the front is drawn against MACs until they are measured (each network is built and "
            "timed once, then kept in the store)."
        )
    return replace(
        pareto_result(replace(state, pareto_cost="macs"), measured, profile, measured_latency, store), fallback=reason
    )


def front_notice(result: ParetoResult, state: AppState) -> str:
    """One line when the front is empty, saying why ('' when it has points)."""
    if result.frame["on_front"].any():
        return ""
    if result.frame.empty:
        return "No configuration of this grid can be counted (every resolution rounds below the base's smallest input)."
    if not result.frame[result.cost_column].notna().any():
        return f"No point has a value for {COST_OBJECTIVES[result.cost_key].label}: there is no front to draw."
    budgets = [
        f"{label} ≤ {value:g} {unit}"
        for label, value, unit in (
            ("MACs", state.pareto_macs_budget_g, "G"),
            ("latency", state.pareto_latency_budget_ms, "ms"),
            ("memory", state.pareto_memory_budget_mb, "MiB"),
        )
        if value
    ]
    return f"No point meets the budgets ({', '.join(budgets)}): raise one, or set it to 0 for none."


def accuracy_caption(state: AppState) -> str:
    """Where the accuracy axis comes from, with the model's leave-one-out error."""
    if state.pareto_source.startswith("dense:"):
        return (
            f"Accuracy: measured by the lab: {lab_title(state)}, the dense lab base scaled by each recipe, mean over "
            "seeds, ± their standard deviation (Tasks page: verdicts and learning curves). The φ grid and your "
            "recipes above apply to the ImageNet source only."
        )
    if state.pareto_source != "imagenet":
        return (
            f"Accuracy: measured by the lab ({lab_title(state)}): test accuracy of the lab base scaled by "
            "each recipe, mean over seeds, ± their standard deviation (Lab page). The φ grid and your recipes "
            "above apply to the ImageNet source only."
        )
    cal = calibration()
    return (
        f"Accuracy: ImageNet top-1 of the classification network, modelled from the base's "
        f"{state.base_top1:g}% with the error model calibrated on {cal.rows} published rows "
        f"(Tan & Le 2019, Tables 2, 3, 7 and Figure 3); leave-one-out error ±{cal.loo_rmse:.2f} points (RMS), "
        f"{cal.loo_max:.2f} at worst. Hollow markers are extrapolations outside the calibrated (d, w, r) region. "
        f"Rows from your CSV are measured and replace the estimate."
    )
