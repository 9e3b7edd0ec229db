"""The Lab page's families sections: tiny bases of four families scaled by the same recipes, trained here, on the
lab's images (classification) and on the scenes (the dense tasks)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import pandas as pd
import streamlit as st

from scaling_core.app.plots.lab import families_accuracy_figure
from scaling_core.app.tables import Column
from scaling_core.app.views.dense import METRIC_LABELS, study_budget_text
from scaling_core.app.views.lab import latency_words
from scaling_core.app.views.lab_families import (
    FAILED_POINTS,
    dense_families_frame,
    dense_family_claims_table,
    failed_to_train,
    families_frame,
    family_claims_table,
)
from scaling_core.core.base import load_base
from scaling_core.lab.dense_data import SCENES
from scaling_core.lab.dense_families import families_grid, shipped_as
from scaling_core.lab.dense_train import PRIMARY
from scaling_core.lab.families import shipped_name
from scaling_core.lab.runs import lab_settings
from ui.dense import CLAIM_COLUMNS
from ui.export import chart, csv_button, figure
from ui.sections import lazy_tabs
from ui.tables import full_height, table

FAMILY_CLAIM_COLUMNS = {"family": Column("Family", "text"), **CLAIM_COLUMNS}
MACS_LABEL = "MACs (multiply-adds, modelled: exact count)"


def result_columns(metric: str, source: str) -> dict[str, Column]:
    """The results table's columns, its metric (e.g. 'Accuracy', 'mIoU') measured on `source`, over seeds."""
    measured = f"Measured on the {source}, over seeds."
    return {
        "family": Column("Family", "text"),
        "recipe": Column("Recipe", "text"),
        "phi": Column("φ", "decimal", 0),
        "resolution_px": Column("Input (px)", "integer", help="r × the base's side, rounded as the lab rounds."),
        "accuracy_mean": Column(f"{metric} (%)", decimals=2, help="Mean over seeds. " + measured),
        "accuracy_std": Column("SD (points)", decimals=2, help="Standard deviation over seeds, in percentage points."),
        "macs": Column("MACs", "count", help="Modelled: exact analytic count of the built network."),
        "params": Column("Params", "count", help="Modelled: exact analytic count of the built network."),
        "latency_ms": Column("Latency (ms)", decimals=2, help=f"Measured: {latency_words()}."),
        "seeds": Column("Seeds", "integer"),
    }


@dataclass(frozen=True)
class FamiliesView:
    """One families study as the page shows it: its summary (families_frame's columns), verdicts, metric and names."""

    frame: pd.DataFrame
    claims: Callable[[], pd.DataFrame]  # the verdicts, computed only when their tab is open
    metric: str  # the metric's words: "test accuracy", "mIoU"
    header: str  # its column header: "Accuracy", "mIoU"
    source: str  # where the metric is measured: "test split", "validation scenes"
    key: str  # the tabs' key
    name: str  # the chart's and the CSV's file name
    tabs: tuple[str, str, str]  # the labels of the figure's, the verdicts' and the results' tabs, unique on the page
    dropped: Sequence[str] = ()  # columns the CSV leaves out


def families_panel(view: FamiliesView) -> None:
    """The families' measured metric per recipe, one panel per family, whether compound scaling wins in each, and
    the results table."""
    chart_tab, verdict_tab, table_tab = lazy_tabs(view.key, view.tabs)
    if chart_tab is not None:
        built = figure(families_accuracy_figure, view.frame, MACS_LABEL, view.metric, view.source)
        chart(built, view.name, chart_tab)
    if verdict_tab is not None:
        # Every family's verdicts in view at once (the table's own height would scroll the last family away).
        claims = view.claims()
        table(
            claims[list(FAMILY_CLAIM_COLUMNS)],
            FAMILY_CLAIM_COLUMNS,
            container=verdict_tab,
            height=full_height(len(claims)),
        )
        verdict_tab.caption(
            f"Difference: compound scaling's (EfficientNet's recipe) {view.metric} minus the other rule's, in "
            "percentage points, each interpolated in log MACs at compound's budgets φ > 0, per seed, then over seeds "
            "(Student's t 95% interval). Holds: the whole interval above zero; does not hold: below; inconclusive: "
            "across."
        )
        failed = failed_to_train(view.frame)
        if failed:
            verdict_tab.warning(
                f"More than {FAILED_POINTS:g} points below their base, so not trained by the lab's budget: "
                + "; ".join(failed)
                + ". A verdict against these measures trainability in the budget as much as scaling."
            )
    if table_tab is not None:
        columns = result_columns(view.header, view.source)
        table(view.frame[list(columns)], columns, container=table_tab)
        csv_button(view.frame.drop(columns=list(view.dropped)), view.name, container=table_tab)


def families_command() -> str:
    """The command that trains the families' study (and writes its shipped file)."""
    study = lab_settings().families
    return (
        f"python -m scaling_core lab run --dataset {study.dataset} --bases {','.join(study.bases)} "
        f"--recipes {','.join(study.recipes)} --phis {','.join(f'{p:g}' for p in study.phis)} --seeds {study.seeds}"
    )


def bases_words(frame: pd.DataFrame) -> str:
    """Each family's base, in words: 'ResNet: lab-tiny-resnet; …'."""
    return "; ".join(f"{load_base(b).family}: {b}" for b in dict.fromkeys(frame["base"]))


def families_section(dataset: str, store) -> None:
    """The families' measured accuracy on the lab's dataset per recipe, and whether compound scaling wins in each."""
    study = lab_settings().families
    frame, source = families_frame(dataset, store)
    if frame.empty:
        st.info(
            f"No families' results for this dataset yet: `{families_command().replace(study.dataset, dataset, 1)}` "
            f"trains them (the shipped ones, data/lab/{shipped_name(study.dataset)}.json, are for {study.dataset})."
        )
        return
    st.caption(
        f"A tiny base of each family ({bases_words(frame)}; data/bases), 16 px grayscale like the lab base, each "
        "scaled by the same recipes with the lab's rounding and trained with the lab's budget. Rules are compared "
        f"within a family, at equal MACs; the bases differ in size, so compare families with care. Source: {source}."
    )
    families_panel(
        FamiliesView(
            frame,
            lambda: family_claims_table(frame),
            "test accuracy",
            "Accuracy",
            "test split",
            "lab_families",
            f"lab-families-{dataset}",
            ("Accuracy per family", "Rules' verdicts", "Family results"),
            ("curves", "run_seeds", "run_accuracy"),
        )
    )


def dense_families_section(store) -> None:
    """The families on scenes: each family's measured dense metric per recipe, and whether compound scaling wins."""
    grid = families_grid()
    for task in grid.tasks:
        frame, runs, source = dense_families_frame(task, store)
        if frame.empty:
            # The source is the shipped file's notice when that file is stale: say why nothing shows.
            st.info(f"No {task} runs of the families on the scenes: `{shipped_as(SCENES)[1]}` trains them. {source}")
            continue
        metric = METRIC_LABELS[PRIMARY[task]]
        st.caption(
            f"{task.capitalize()} on the generated scenes above, measured by {metric} on the validation scenes. A "
            f"dense base of each family ({bases_words(frame)}; data/bases), 64 px colour down to stride 32 like the "
            f"dense lab's base, each with the dense lab's {task} head, scaled by the same recipes with the dense lab's "
            f"rounding and trained with its budget ({study_budget_text()}). Rules are compared within a family, at "
            f"equal MACs; the bases differ in size, so compare families with care. Source: {source}."
        )
        names = (f"lab_dense_families_{task}", f"lab-families-{SCENES}-{task}")
        tabs = (f"{metric} per family", "Verdicts on scenes", "Results on scenes")
        claims = partial(dense_family_claims_table, runs, task)
        families_panel(FamiliesView(frame, claims, metric, metric, "validation scenes", *names, tabs))
