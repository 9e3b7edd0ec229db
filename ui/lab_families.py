"""The Lab page's families section: tiny bases of four families scaled by the same recipes, trained here."""

from __future__ import annotations

import streamlit as st

from scaling_core.app.plots.lab import families_accuracy_figure
from scaling_core.app.tables import Column
from scaling_core.app.views.lab import latency_words
from scaling_core.app.views.lab_families import FAILED_POINTS, failed_to_train, families_frame, family_claims_table
from scaling_core.core.base import load_base
from scaling_core.lab.families import shipped_name
from scaling_core.lab.runs import lab_settings
from ui.dense import CLAIM_COLUMNS
from ui.export import chart, csv_button, figure
from ui.sections import lazy_tabs
from ui.tables import full_height, table

FAMILY_CLAIM_COLUMNS = {"family": Column("Family", "text"), **CLAIM_COLUMNS}
MEASURED = "Measured on the test split, over seeds."
RESULT_COLUMNS = {
    "family": Column("Family", "text"),
    "recipe": Column("Recipe", "text"),
    "phi": Column("φ", "decimal", 0),
    "accuracy_mean": Column("Accuracy (%)", decimals=2, help="Mean over seeds. " + MEASURED),
    "accuracy_std": Column("SD (points)", decimals=2, help="Standard deviation over seeds, in percentage points."),
    "macs": Column("MACs", "count", help="Modelled: exact analytic count of the built network."),
    "params": Column("Params", "count", help="Modelled: exact analytic count of the built network."),
    "latency_ms": Column("Latency (ms)", decimals=2, help=f"Measured: {latency_words()}."),
    "seeds": Column("Seeds", "integer"),
}


def families_command() -> str:
    """The command that trains the families' study (and writes its shipped file)."""
    study = lab_settings().families
    return (
        f"python -m scaling_core lab run --dataset {study.dataset} --bases {','.join(study.bases)} "
        f"--recipes {','.join(study.recipes)} --phis {','.join(f'{p:g}' for p in study.phis)} --seeds {study.seeds}"
    )


def families_section(dataset: str, store) -> None:
    """The families' measured accuracy per recipe, one panel per family, and whether compound scaling wins in each."""
    study = lab_settings().families
    frame, source = families_frame(dataset, store)
    if frame.empty:
        st.info(
            f"No families' results for this dataset yet: `{families_command().replace(study.dataset, dataset, 1)}` "
            f"trains them (the shipped ones, data/lab/{shipped_name(study.dataset)}.json, are for {study.dataset})."
        )
        return
    bases = "; ".join(f"{load_base(b).family}: {b}" for b in dict.fromkeys(frame["base"]))
    st.caption(
        f"A tiny base of each family ({bases}; data/bases), 16 px grayscale like the lab base, each scaled by the same "
        "recipes with the lab's rounding and trained with the lab's budget. Rules are compared within a family, at "
        f"equal MACs; the bases differ in size, so compare families with care. Source: {source}."
    )
    chart_tab, verdict_tab, table_tab = lazy_tabs(
        "lab_families", ("Accuracy per family", "Rules' verdicts", "Family results")
    )
    if chart_tab is not None:
        chart(
            figure(families_accuracy_figure, frame, "MACs (multiply-adds, modelled: exact count)"),
            "lab-families",
            chart_tab,
        )
    if verdict_tab is not None:
        claims = family_claims_table(frame)
        # Every family's verdicts in view at once (the table's own height would scroll the last family away).
        table(
            claims[list(FAMILY_CLAIM_COLUMNS)],
            FAMILY_CLAIM_COLUMNS,
            container=verdict_tab,
            height=full_height(len(claims)),
        )
        verdict_tab.caption(
            "Difference: compound scaling's (EfficientNet's recipe) accuracy minus the other rule's, in percentage "
            "points, each interpolated in log MACs at compound's budgets φ > 0, per seed, then over seeds (Student's "
            "t 95% interval). Holds: the whole interval above zero; does not hold: below; inconclusive: across."
        )
        failed = failed_to_train(frame)
        if failed:
            verdict_tab.warning(
                f"More than {FAILED_POINTS:g} points below their base, so not trained by the lab's budget: "
                + "; ".join(failed)
                + ". A verdict against these measures trainability in the budget as much as scaling."
            )
    if table_tab is not None:
        table(frame[list(RESULT_COLUMNS)], RESULT_COLUMNS, container=table_tab)
        csv_button(
            frame.drop(columns=["curves", "run_seeds", "run_accuracy"]), f"lab-families-{dataset}", container=table_tab
        )
