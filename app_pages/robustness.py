"""Robustness: does a bigger φ buy robustness, and does depth or width buy more of it? Measured and modelled."""

import json

import pandas as pd
import streamlit as st

from scaling_core.app.export import view_export
from scaling_core.app.plots.robustness import curves_figure, histograms_figure, summary_figure
from scaling_core.app.state import FIELD_BY_NAME
from scaling_core.app.tables import Column
from scaling_core.app.views.robustness import (
    curves_frame,
    model_fit,
    modelled_curves,
    moments_frame,
    moments_table,
    records_for,
    reference_note,
    robustness_summary,
    seed_summary,
)
from scaling_core.lab.data import dataset_table
from scaling_core.lab.runs import lab_settings
from scaling_core.storage.store import default_store_url
from scaling_core.studies.robustness import attacks, margin_model
from scaling_core.studies.robustness.evaluation import ATTACKS, robustness_settings
from scaling_core.studies.robustness.margin_model import QUANTITIES, TERMS, MarginModel, fit_error, parse_model
from ui.controls import choice, lab_controls
from ui.export import chart, csv_button, figure
from ui.metrics import metric_row
from ui.notes import model_notes
from ui.sections import lazy_tabs
from ui.session import apply_changes, bind, shown, start_page
from ui.share import share_panel, stop_page
from ui.store import app_store
from ui.tables import editor, table

EDITOR = "robust_model_editor"
settings = robustness_settings()
lab = lab_settings()
LABELS = {
    "fgsm": "FGSM (L∞)",
    "pgd": f"PGD (L∞, {settings.pgd_steps} steps of {settings.pgd_step_size:g}·ε, random start)",
    "gaussian_noise": "Gaussian noise",
    "gaussian_blur": "Gaussian blur",
    "contrast": "contrast",
}
MODEL_COLUMNS = {
    "quantity": Column("Quantity", "text", help="μ: the margin's mean, σ: its spread, g: the gradient norm."),
    "base": Column("Base", decimals=4),
    "d": Column("Depth exponent", decimals=4),
    "w": Column("Width exponent", decimals=4),
    "r": Column("Resolution exponent", decimals=4),
}
LEVELS = {
    "fgsm": "ε (pixels in [0, 1])",
    "pgd": "ε (pixels in [0, 1])",
    "gaussian_noise": "noise standard deviation",
    "gaussian_blur": "blur σ (base-input pixels)",
    "contrast": "contrast reduction (1 − factor)",
}


@st.cache_data(ttl=60, show_spinner="Reading the evaluations…", max_entries=8)
def cached_records(dataset: str, aliases: tuple[str, ...], url: str) -> tuple[list[dict], str]:
    """The grid's evaluations (the store's, else the shipped ones), read at most once a minute."""
    grid = lab.default_grid
    return records_for(dataset, list(aliases), grid["phis"], grid["seeds"], app_store())


@st.cache_data(ttl=60, show_spinner=False, max_entries=32)
def cached_curves(
    dataset: str, aliases: tuple[str, ...], url: str, attack: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The grid's curves and margins as tables, and the attack's measured curves (mean over seeds): made once a
    minute per server, not on every rerun of every session."""
    records, _ = cached_records(dataset, aliases, url)
    curves = curves_frame(records)
    measured = seed_summary(curves)
    return curves, moments_frame(records), measured[measured["attack"] == attack]


@st.cache_data(show_spinner="Calibrating the margin model…", max_entries=8)
def cached_fit(dataset: str, aliases: tuple[str, ...], url: str, attack: str, source: str):
    """Both calibrations of the margin model on the shown curves."""
    records, _ = cached_records(dataset, aliases, url)
    return model_fit(curves_frame(records), moments_frame(records), attack)


with st.sidebar:
    st.header("Robustness")
    lab_controls()
    choice("robust_attack", "Perturbation", format_func=LABELS.get)
    spec = FIELD_BY_NAME["robust_level"]
    st.number_input(
        "Reference level for the gap",
        spec.minimum,
        spec.maximum,
        step=0.01,
        format="%.3f",
        help="ε for the attacks, the severity for a corruption.",
        **bind("robust_level"),
    )
    choice("robust_recipe", "Histograms of", format_func=lambda alias: lab.recipes[alias])

state = start_page(
    "Robustness",
    "Does a bigger φ buy robustness, and does depth or width buy more of it? The lab's "
    "trained networks (Lab page) attacked with FGSM and PGD and corrupted, measured here; beside them a "
    "statistical model of the classification margin, calibrated on the measurements.",
    "robustness",
)
aliases = tuple(state.lab_recipes.split(","))
records, source = cached_records(state.lab_dataset, aliases, default_store_url())
if not records and source:
    st.warning(source)  # a stale shipped file: why nothing is shown
if not records:
    st.info(
        f"No robustness results for {dataset_table()[state.lab_dataset].title} yet: run `python -m scaling_core "
        f"robustness --dataset {state.lab_dataset}` (it trains the lab grid if needed, then evaluates it)."
    )
    stop_page("robustness")

attack = state.robust_attack
curves, moments, measured = cached_curves(state.lab_dataset, aliases, default_store_url(), attack)
st.caption(
    f"Source: {source}. {settings.test_images} test images of the fixed split at each network's input size; "
    f"accuracy: mean over seeds, bars min–max. Perturbation: {LABELS[attack]}. How each is made: below."
)

fit = None
model = None
if attack in ATTACKS:
    fit = shown(cached_fit, state.lab_dataset, aliases, default_store_url(), attack, source)
    model = fit.calibrated if fit is not None else None
    if fit is not None and state.robust_model:
        model = shown(parse_model, state.robust_model) or fit.calibrated
summary = robustness_summary(curves, attack, state.robust_level)
# One section at a time (lazy tabs): a section's code runs and its charts are drawn only when it is open.
curves_tab, summary_tab, margins_tab, model_tab = lazy_tabs(
    "robustness",
    ("Accuracy under perturbation", "What each dimension buys", "Margins and gradients", "The margin model"),
)
if curves_tab is not None:
    with curves_tab:
        chart(
            figure(
                curves_figure,
                measured,
                modelled_curves(model, curves, attack) if model is not None else None,
                LEVELS[attack],
            ),
            "robustness-curves",
        )
if summary_tab is not None:
    with summary_tab:
        st.caption(
            f"Measured, means over seeds. Area under the curve: the mean accuracy over the levels "
            f"{', '.join(f'{v:g}' for v in sorted(set(measured['level'])))} (trapezoids). Half point: the level at "
            f"which accuracy falls to half its clean value (linear between levels; blank if it never does). Gap: clean "
            f"minus perturbed accuracy at {state.robust_level:g}."
        )
        note = reference_note(measured["level"], state.robust_level)
        if note:
            st.info(note)
        chart(figure(summary_figure, summary, LEVELS[attack]), "robustness-summary")
        table(
            summary.drop(columns="alias"),
            {
                "auc": Column("Area under curve (%)", decimals=1, help="Measured: mean accuracy over the levels."),
                "level_at_half": Column(f"{LEVELS[attack].split(' (')[0]} at half accuracy", decimals=3),
                "gap_at_reference": Column("Gap (points)", decimals=1),
            },
        )
        csv_button(measured, f"robustness-{state.lab_dataset}-{attack}", "Curves as CSV")
if margins_tab is not None:
    with margins_tab:
        st.caption(
            "Measured on the clean test images: the logit margin (positive when correct) and the L1 norm of its "
            "gradient with respect to the pixels, the dual of L∞: to first order an attack of size ε lowers a margin "
            "by ε times it."
        )
        chart(figure(histograms_figure, records, lab.recipes[state.robust_recipe]), "robustness-histograms")
        table(
            moments_table(moments),
            {
                "margin_mean": Column(
                    "Margin mean", decimals=2, help="Logit margin (positive when correct), measured."
                ),
                "margin_std": Column("Margin SD", decimals=2),
                "gradient_norm_mean": Column(
                    "Gradient norm (L1)", decimals=2, help="Of the margin, per image, measured."
                ),
            },
        )
if model_tab is not None:
    with model_tab:
        if attack not in ATTACKS:
            st.info(
                "The margin model describes attacks of size ε: choose FGSM or PGD to see it beside the measurement."
            )
        elif fit is not None:
            parameters = pd.DataFrame(
                model.parameters, index=pd.Index(QUANTITIES, name="quantity"), columns=list(TERMS)
            )
            st.caption(
                "Modelled: robust accuracy(ε) = Φ((μ − ε·g)/σ), each of μ, σ, g = base · d^d · w^w · r^r over the "
                "depth, width and resolution multipliers. Edit the table to try other assumptions; the error is "
                "the root mean square difference from every measured point of this attack, in accuracy points."
            )
            edited = editor(parameters, MODEL_COLUMNS, EDITOR)
            if not edited.equals(parameters):
                text = shown(
                    lambda: MarginModel(tuple(tuple(float(v) for v in row) for row in edited.to_numpy())).as_text()
                )
                if text is not None:
                    apply_changes(robust_model=text)
                    st.rerun()
            chosen_rows = curves[curves["attack"] == attack]
            cols = metric_row(3)
            rms = "Root mean square difference from the measured accuracies, in accuracy points."
            cols[0].metric(
                "Error of these parameters · modelled", f"{fit_error(model, chosen_rows):.2f} points", help=rms
            )
            cols[1].metric("From the moments alone · modelled", f"{fit.moments_error:.2f} points", help=rms)
            cols[2].metric("Calibrated on the curves · modelled", f"{fit.calibrated_error:.2f} points", help=rms)
            if state.robust_model and st.button("Back to the calibrated parameters", key="robust_reset"):
                apply_changes(robust_model="")
                st.rerun()

with st.expander("How the perturbations and the model are made"):
    model_notes(attacks, margin_model)
    st.json(settings.as_dict())

share_panel(
    "robustness",
    lambda: view_export(
        state,
        "robustness",
        {
            "source": source,
            "summary": json.loads(summary.to_json(orient="records")),
            "model": None if model is None else model.as_text(),
        },
    ),
)
