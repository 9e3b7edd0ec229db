"""Representation: what scaling buys a frozen backbone beyond its task — capacity, few-shot transfer, teaching."""

import json

import numpy as np
import streamlit as st

from scaling_core.app.export import view_export
from scaling_core.app.plots.representation import (
    cover_figure,
    fewshot_figure,
    model_check_figure,
    probe_figure,
    pruning_figure,
    separability_figure,
    students_figure,
)
from scaling_core.app.tables import Column
from scaling_core.app.views import representation as representation_view
from scaling_core.app.views.distillation import pruning_summary, student_frame, student_summary, students_for
from scaling_core.app.views.representation import (
    capacity_table,
    dichotomy_frame,
    fewshot_frame,
    fewshot_summary,
    fitted_laws,
    model_check,
    modelled_curve,
    probe_frame,
    records_for,
    statistics_frame,
)
from scaling_core.lab.runs import lab_settings
from scaling_core.storage.store import default_store_url
from scaling_core.studies.representation import cover, distill, fewshot
from scaling_core.studies.representation import measurements as representation
from scaling_core.studies.representation.cover import monte_carlo_separability
from scaling_core.studies.representation.distill import distill_settings
from scaling_core.studies.representation.measurements import representation_defaults
from ui.controls import choice, number
from ui.export import chart, csv_button, figure
from ui.metrics import metric_row
from ui.notes import model_notes
from ui.sections import lazy_tabs
from ui.session import apply_changes, bind, shown, start_page
from ui.share import share_panel
from ui.store import app_store
from ui.tables import table

DEFAULTS = representation_defaults()
FEW = DEFAULTS["fewshot"]
COVER_LOADS = (1.0, 1.5, 2.0, 2.5, 3.0)


# Short headers: the snake_case ones pushed the accuracies out of view at 1400 px.
CAPACITY_COLUMNS = {
    "head_width": Column("Head width d", "integer", help="The features the classifier reads."),
    "cover_capacity_modelled": Column("2(d + 1)", "integer", help="Cover's capacity (modelled, Cover 1965)."),
    "rank": Column("Rank", "integer", help="Measured: rank of the unseen classes' features."),
    "within_class_effective_dim": Column("Within-class dim", decimals=2),
    "classes_separable": Column("Separable (%)", decimals=1),
    "probe_train_accuracy": Column("Probe train (%)", decimals=1),
    "clean_accuracy": Column("Test (%)", decimals=1),
}
STATISTICS_COLUMNS = {
    "delta": Column("Δ", decimals=3, help="Measured: mean distance between class means."),
    "sigma": Column("σ", decimals=3, help="Measured: within-class spread."),
    "snr": Column("Δ/σ", decimals=3),
    "effective_snr": Column("Effective Δ/σ", decimals=3),
    "effective_dim": Column("Effective dim", decimals=1),
    "dims": Column("Dimensions", "integer"),
}
FEWSHOT_COLUMNS = {
    "effective_snr": Column("Effective Δ/σ", decimals=2),
    "effective_dim": Column("Effective dim", decimals=1),
}
recipes = lab_settings().recipes


@st.cache_data(ttl=60, show_spinner="Reading the evaluations…", max_entries=4)
def cached_records(url: str) -> tuple[list[dict], str]:
    """The few-shot grid's evaluations (the store's, else the shipped ones), read at most once a minute."""
    return records_for(FEW["base_dataset"], FEW["recipes"], FEW["phis"], FEW["seeds"], app_store())


@st.cache_data(ttl=60, show_spinner="Reading the students…", max_entries=8)
def cached_students(url: str, temperature: float, alpha: float, weight_decay: float) -> tuple[list[dict], str]:
    """The students trained with these settings (the store's, else the shipped ones)."""
    settings = distill_settings(temperature=temperature, alpha=alpha, weight_decay=weight_decay)
    return students_for(settings, app_store())


@st.cache_data(show_spinner="Simulating random labellings…", max_entries=16)
def cached_checks(d: int, bias: bool, trials: int, seed: int) -> list:
    """Monte Carlo checks of Cover's count at a few loads around the capacity."""
    dimension = d + 1 if bias else d
    return [monte_carlo_separability(max(1, round(load * dimension)), d, trials, seed, bias) for load in COVER_LOADS]


@st.cache_data(show_spinner="Evaluating the few-shot model…", max_entries=32)
def cached_curve(laws: tuple[float, float, float, float], phi_max: float, shots: tuple[int, ...], ways: int):
    """The modelled accuracy against φ through the laws."""
    return modelled_curve(*laws, np.arange(0.0, phi_max + 1e-9, 0.25), shots, ways)


@st.cache_data(show_spinner="Checking the model against every network…", max_entries=8)
def cached_check(url: str, source: str, ways: int):
    """The model fed each network's measured statistics, beside its measured accuracy."""
    records, _ = cached_records(url)
    return model_check(fewshot_summary(fewshot_frame(records)), ways)


with st.sidebar:
    st.header("Representation")
    st.caption("Cover's count")
    number("cover_d", "Feature dimension d", 1, "%d", help="The width of the features a linear head reads.")
    st.checkbox("Hyperplanes with a bias", **bind("cover_bias"))
    st.caption("Few-shot")
    choice("fewshot_recipe", "Recipe", format_func=recipes.get)
    choice("fewshot_shots", "Shots K (for the model check)")
    number(
        "fewshot_ways",
        "Ways N (modelled curve)",
        1,
        "%d",
        help=f"The measurements are {FEW['ways']}-way; other N change only the modelled curve.",
    )
    number("fewshot_snr0", "Model: Δ/σ at φ = 0 (s0)", 0.1, "%.3f")
    number("fewshot_eta", "Model: growth of Δ/σ per φ (η)", 0.01, "%.3f")
    number("fewshot_dim0", "Model: effective dimension at φ = 0 (d0)", 0.5, "%.2f")
    number("fewshot_zeta", "Model: growth of the dimension per φ (ζ)", 0.01, "%.3f")
    st.caption("Distillation")
    number("distill_temperature", "Temperature T", 0.5, "%.2f")
    number("distill_alpha", "Weight α of the teacher's term", 0.05, "%.2f")
    number("distill_weight_decay", "Weight decay", 0.0001, "%.5f")

state = start_page(
    "Representation",
    "What scaling buys a backbone's features beyond its own task: how many labellings "
    "a linear head on them can separate (Cover's count, exact, and measured on the lab's networks), how "
    "well they classify classes never seen in training from a few examples (measured, beside a Gaussian "
    "model), and whether a bigger network makes a better teacher for a small one (measured).",
    "representation",
)

records, source = cached_records(default_store_url())


def records_missing() -> bool:
    """Whether nothing measured is there to show, and if so why (a stale shipped file, or no results yet)."""
    if not records and source:
        st.warning(source)
    if not records:
        st.info(
            f"No few-shot results yet: run `python -m scaling_core fewshot` (it trains the backbones on "
            f"{FEW['base_dataset']} if needed, then evaluates them)."
        )
    return not records


summary = student_table = None  # the share box exports the open section's results
# One section at a time (lazy tabs): a section's code runs and its charts are drawn only when it is open.
cover_tab, dichotomies_tab, fewshot_tab, teacher_tab = lazy_tabs(
    "representation",
    ("Capacity: Cover's count", "Separable labellings, measured", "Few-shot transfer", "Teachers and pruning"),
)
if cover_tab is not None:
    with cover_tab:
        dimension = state.cover_d + 1 if state.cover_bias else state.cover_d
        st.caption(
            f"Exact: of the 2^N labellings of N points in general position in R^{state.cover_d}, C(N, {dimension}) = "
            f"2·Σ_(k<{dimension}) binom(N − 1, k) are linearly separable (Cover 1965); half are at N = 2·{dimension}, "
            "the capacity. The check simulates random Gaussian points and tests each labelling with a linear program."
        )
        simulate_max = DEFAULTS["cover"]["simulate_max_dimension"]
        can_simulate = state.cover_d <= simulate_max
        st.toggle(
            f"Check by simulation ({DEFAULTS['cover']['trials']} labellings per load)",
            disabled=not can_simulate,
            help=f"Offered up to d = {simulate_max}: a linear program costs about d^2.5. For larger d run "
            f"`python -m scaling_core cover --dimension {state.cover_d} --monte-carlo TRIALS`.",
            **bind("cover_simulate"),
        )
        checks = (
            cached_checks(state.cover_d, state.cover_bias, DEFAULTS["cover"]["trials"], DEFAULTS["seed"])
            if state.cover_simulate and can_simulate
            else []
        )
        chart(figure(cover_figure, state.cover_d, state.cover_bias, 4 * dimension, checks), "representation-cover")
        if not records_missing():
            st.caption(
                f"The lab's backbones, trained on {FEW['base_dataset']} — {source}. Head width d: the features the "
                "classifier reads; their rank and effective dimension are measured on the unseen classes' images."
            )
            capacity = capacity_table(records)
            table(capacity.drop(columns="alias"), CAPACITY_COLUMNS)
            st.caption(
                "2(d + 1): the N at which half of all labellings of points in general "
                "position are separable (modelled, Cover 1965). Measured: rank of the unseen classes' features; "
                "within-class dim, the participation ratio (Σλ)²/Σλ² of their within-class scatter; "
                "separable, the % of one-against-rest splits of the training classes a hyperplane "
                "separates; the probe's training and the network's test accuracy (%)."
            )
if dichotomies_tab is not None:
    with dichotomies_tab:
        if not records_missing():
            chart(figure(separability_figure, dichotomy_frame(records)), "representation-dichotomies")
            st.caption(
                "Measured: random ±1 labellings of held-out features, tested with a linear program; the dashed "
                "line is Cover's count for points in general position (modelled). Features of a trained network "
                "are not in general position — where the measured share falls below the line, they are less "
                "expressive than their rank suggests."
            )
if fewshot_tab is not None:
    with fewshot_tab:
        if not records_missing():
            ways = FEW["ways"]
            frame = fewshot_frame(records)
            summary = fewshot_summary(frame)
            laws = (state.fewshot_snr0, state.fewshot_eta, state.fewshot_dim0, state.fewshot_zeta)
            phi_max = float(max(FEW["phis"]))
            curve = shown(cached_curve, laws, phi_max, tuple(FEW["shots"]), state.fewshot_ways)
            name = recipes[state.fewshot_recipe]
            chart(
                figure(fewshot_figure, summary, curve if curve is not None else summary.iloc[0:0], name),
                "representation-fewshot",
            )
            st.caption(
                f"Measured: {ways}-way K-shot episodes ({FEW['episodes']} per network, {FEW['queries']} queries per "
                f"class) on {FEW['novel_dataset']}, classified by the nearest class mean of the frozen features; mean "
                f"over {FEW['seeds']} seeds, bars their range; each run's 95% interval over its episodes is in the "
                f"hover and the table below. Modelled ({state.fewshot_ways}-way, dashed): the Gaussian "
                "prototype model with Δ/σ = s0·e^(ηφ) and effective dimension d0·e^(ζφ) — the sidebar's parameters."
            )
            fitted_phis = {r["phi"] for r in records if r["alias"] == state.fewshot_recipe}
            fit = shown(fitted_laws, records, state.fewshot_recipe) if len(fitted_phis) > 1 else None
            if fit is None:
                st.info(
                    f"The laws need {name} measured at two or more φ; the results hold {len(fitted_phis)}. Run "
                    f"`python -m scaling_core fewshot --recipes {state.fewshot_recipe}` to measure the grid."
                )
            else:
                cols = metric_row(4)
                for col, (key, label) in zip(cols, (("snr0", "s0"), ("eta", "η"), ("dim0", "d0"), ("zeta", "ζ"))):
                    col.metric(
                        f"{label} · fitted",
                        f"{fit[key]:.3f}",
                        help=f"{label} of the law fitted to {name}'s measured statistics (modelled from measurements).",
                    )
                if st.button(f"Use the fit to {name}", key="fewshot_use_fit"):
                    apply_changes(
                        fewshot_snr0=round(fit["snr0"], 3),
                        fewshot_eta=round(fit["eta"], 3),
                        fewshot_dim0=round(fit["dim0"], 2),
                        fewshot_zeta=round(fit["zeta"], 3),
                    )
                    st.rerun()

            check, rms = cached_check(default_store_url(), source, ways)
            chosen = check[check["shots"] == state.fewshot_shots]
            st.metric(f"Model vs measured, {ways}-way (RMS over every recipe, φ and K)", f"{rms:.2f} points")
            chart(figure(model_check_figure, chosen), "representation-model-check")
            st.caption(
                f"Each network's measured effective Δ/σ and effective dimension fed to the model ({ways}-way "
                f"{state.fewshot_shots}-shot), against its measured accuracy. The model needs the dimension ≥ N − 1; a "
                "smaller measured one is raised to it."
            )
            table(statistics_frame(records).drop(columns="alias"), STATISTICS_COLUMNS)
            probes = probe_frame(records)
            chart(figure(probe_figure, probes, name), "representation-probes")
            st.caption(
                f"Measured: logistic regression on standardised frozen features with 1 to "
                f"{max(DEFAULTS['probe']['labels_per_class'])} labels per class (mean over "
                f"{DEFAULTS['probe']['draws']} draws of the labelled images and over seeds), on the unseen digits and "
                f"on {DEFAULTS['probe']['transfer_dataset']} (another dataset); dotted: the same probe on the raw "
                "pixels at the network's input size."
            )
            table(summary.drop(columns="alias"), FEWSHOT_COLUMNS)
            st.caption(
                "Measured, % of queries right: the mean over seeds, the seeds' lowest and highest, and the 95% CI, "
                "the mean over seeds of each run's 95% half-interval over its episodes."
            )
            csv_button(summary, "fewshot-summary", "Few-shot accuracy as CSV")
if teacher_tab is not None:
    with teacher_tab:
        students, student_source = cached_students(
            default_store_url(), state.distill_temperature, state.distill_alpha, state.distill_weight_decay
        )
        distillation = DEFAULTS["distillation"]
        if not students and student_source:
            st.warning(student_source)  # a stale shipped file: why nothing is shown
        if not students:
            st.info(
                f"No students trained with T = {state.distill_temperature:g}, α = {state.distill_alpha:g}, weight "
                f"decay {state.distill_weight_decay:g} yet: run `python -m scaling_core distill --temperature "
                f"{state.distill_temperature:g} --alpha {state.distill_alpha:g} --weight-decay "
                f"{state.distill_weight_decay:g}`."
            )
            student_table = None
        else:
            student_table = student_summary(student_frame(students))
            chart(figure(students_figure, student_table), "representation-students")
            st.caption(
                f"Source: {student_source}. Students ({distillation['student_recipe']} φ = "
                f"{', '.join(map(str, distillation['student_phis']))}) trained on {distillation['dataset']} with the "
                f"lab's budget, alone or from a teacher's softened outputs: loss (1 − α)·CE + α·T²·KL (Hinton et al. "
                "2015). The teacher of seed s teaches the student of seed s; mean ± sd over seeds."
            )
            table(student_table)
            pruning = pruning_summary(students)
            chart(figure(pruning_figure, pruning), "representation-pruning")
            st.caption(
                f"Measured: the smallest-magnitude weights of every conv and linear layer zeroed together (global L1 "
                f"pruning), then fine-tuned for {distillation['finetune_epochs']} epoch at "
                f"{distillation['finetune_lr_scale']:g}× the learning rate with the zeros kept (Han et al. 2015)."
            )

with st.expander("How these are measured and modelled"):
    for module in (cover, fewshot, representation, representation_view, distill):
        model_notes(module)
    st.json(DEFAULTS)

share_panel(
    "representation",
    lambda: view_export(
        state,
        "representation",
        {
            "source": source,
            "fewshot": json.loads(summary.to_json(orient="records")) if summary is not None else [],
            "students": json.loads(student_table.to_json(orient="records")) if student_table is not None else [],
        },
    ),
)
