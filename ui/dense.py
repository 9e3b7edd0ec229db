"""The dense lab's sections: measured task metrics with their verdicts (Tasks page) and validation images with their
true and predicted masks and boxes (Lab page)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from scaling_core.accuracy.pareto import mark_front
from scaling_core.app.plots.lab import lab_accuracy_figure, training_curves_figure
from scaling_core.app.tables import Column
from scaling_core.app.views.dense import (
    HEAD_NOTE,
    METRIC_LABELS,
    TASK_METRICS,
    claims_table,
    curves_of,
    dense_study,
    late_change,
    quick_study_text,
    recipe_text,
    sample_mosaic,
    split_caption,
    split_table,
    study_budget_text,
    task_summary,
)
from scaling_core.app.views.lab import latency_words
from scaling_core.core.base import load_base
from scaling_core.lab.dense_families import families_grid
from scaling_core.lab.dense_runs import study_command
from scaling_core.lab.runs import lab_recipe
from ui import lab_jobs
from ui.export import chart, figure
from ui.identity import current_identity, signed_in_reason
from ui.sections import lazy_tabs
from ui.session import bind, current_state
from ui.store import app_store
from ui.tables import table

POINTS = "percentage points"
CLAIM_COLUMNS = {
    "claim": Column("Claim", "text"),
    "difference": Column(
        "Difference (points)",
        "decimal",
        1,
        help="Measured difference that decides the claim, in " + POINTS + " (the caption below says of what).",
    ),
    "interval": Column("95% interval", "text", help="Student's t interval over seeds, in percentage points."),
    "seeds": Column("Seeds", "integer"),
    "verdict": Column(
        "Verdict",
        "text",
        help="Holds: the whole interval is above zero; does not hold: below zero; inconclusive: it includes zero.",
    ),
}
SPLIT_COLUMNS = {
    "decoder_width": Column("Decoder base width", "integer"),
    "head_share": Column("Heads' share of MACs (%)", "share", 0),
    "phi": Column("Backbone φ", "decimal", 2),
    "resolution": Column("Input (px)", "integer"),
    "macs": Column("MACs", "count"),
    "top1_mean": Column("Top-1 (%)", "decimal", 1),
    "miou_mean": Column("mIoU (%)", "decimal", 1),
    "miou_std": Column("mIoU sd (points)", "decimal", 1),
    "seeds": Column("Seeds", "integer"),
}


def _metric_columns(task: str) -> dict[str, Column]:
    columns = {
        "recipe": Column("Recipe", "text"),
        "phi": Column("φ", "decimal", 0),
        "resolution": Column("Input (px)", "integer"),
        "macs": Column("MACs", "count"),
        "latency_ms": Column(
            "Latency (ms)",
            "decimal",
            2,
            help=f"Measured: {latency_words()}, on the machine that trained the runs (the source above).",
        ),
    }
    for metric in TASK_METRICS[task]:
        words = METRIC_LABELS[metric]
        short = words.replace(" on ", ", ").replace(" objects", "").replace("pixel accuracy", "pixel acc.")
        columns[f"{metric}_mean"] = Column(f"{short} (%)", "decimal", 1, help=f"{words}: mean over seeds.")
    return columns


def _as_accuracy(summary: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The summary under the column names the lab's accuracy figure reads."""
    return summary.assign(
        accuracy_mean=summary[f"{metric}_mean"],
        accuracy_std=summary[f"{metric}_std"],
        accuracy_min=summary[f"{metric}_min"],
        accuracy_max=summary[f"{metric}_max"],
        accuracy=summary[f"{metric}_mean"],
        resolution_px=summary["resolution"],
    )


def study_toggle() -> bool:
    """The toggle between the default study and the quick one trained here; whether the quick one is shown."""
    st.toggle(
        "Show the quick study trained here",
        help=f"The quick setting: {quick_study_text()} (Lab page: train it in a few minutes). Off: the default study, "
        "shipped or re-trained in the store.",
        **bind("dense_quick"),
    )
    return current_state().dense_quick


def _study(quick: bool):
    """The study the toggle chose, with an info line and None when it has no runs."""
    study = dense_study(app_store(), quick)
    if study.empty:
        where = "with the Lab page's button" if quick else f"with `{study_command()}`"
        st.info(
            f"No runs of the {'quick' if quick else 'default'} dense study are stored or shipped yet: train it {where}."
        )
        return None
    return study


def families_pointer() -> str:
    """Where the families on the scenes are, in a sentence naming their families and rules (from the settings)."""
    grid = families_grid()
    families = ", ".join(load_base(b).family for b in grid.bases)
    rules = " and ".join(lab_recipe(a).name for a in grid.recipes)
    return f' The same scenes in other families ({families}; {rules}): the Lab page\'s section "Families on scenes".'


def measured_section(task: str) -> None:
    """The Tasks page's measured study of a task: verdicts, metric against MACs and latency, curves, the split."""
    if task not in TASK_METRICS:
        st.info("Video networks are not trained here: every figure for them is modelled (see the other tabs).")
        return
    quick = study_toggle()
    study = _study(quick)
    if study is None:
        return
    primary = TASK_METRICS[task][0]
    st.caption(
        f"{study.source[0].upper()}{study.source[1:]}. The lab's dense base (data/bases/lab-dense.json, 64 px "
        f"colour, strides 2–32) scaled by each recipe, with {HEAD_NOTE[task]}, trained on the generated scenes "
        "(digits, horses, coins, strokes and wires on natural textures, exact masks and boxes): "
        f"{study_budget_text(quick)}. The resolution-leaning recipe is {recipe_text('segmentation')}; the default "
        "study compares it with width-only, leaving EfficientNet's and depth-only out so that three seeds of every "
        "task train long enough to level off in about an hour on two cores."
        + (families_pointer() if task in families_grid().tasks else "")
    )
    claims = claims_table(study, task)
    st.subheader("Verdicts")
    if not claims.empty:
        claims = claims.assign(
            interval=[
                "—" if pd.isna(low) else f"[{low:+.1f}, {high:+.1f}]"
                for low, high in zip(claims["low"], claims["high"])
            ],
        )
        table(claims[list(CLAIM_COLUMNS)], CLAIM_COLUMNS)
        st.caption(
            f"How: {claims['how'].iloc[0]}. A claim holds when its whole 95% interval is above zero, does not hold "
            "when it is below, and is inconclusive when it includes zero."
        )
    summary = task_summary(study, task)
    if summary.empty:
        st.info(f"No {task} runs in the study.")
        return
    summary = mark_front(_as_accuracy(summary, primary), "macs", {})
    words = METRIC_LABELS[primary]
    macs_tab, latency_tab, curves_tab, *split_tab = lazy_tabs(
        f"dense_{task}",
        (
            f"{words} against MACs",
            f"{words} against latency",
            "Learning curves",
            *(("Backbone or heads?",) if task == "multitask" else ()),
        ),
    )
    if macs_tab is not None:
        with macs_tab:
            chart(
                figure(lab_accuracy_figure, summary, "macs", "MACs (multiply-adds, modelled: exact count)", words),
                f"dense-{task}-macs",
            )
            columns = _metric_columns(task)
            table(summary[list(columns)], columns)
    if latency_tab is not None:
        with latency_tab:
            timed = summary[summary["latency_ms"].notna()]
            chart(
                figure(
                    lab_accuracy_figure,
                    mark_front(timed, "latency_ms", {}),
                    "latency_ms",
                    f"latency (ms, measured: {latency_words()})",
                    words,
                ),
                f"dense-{task}-latency",
            )
    if curves_tab is not None:
        with curves_tab:
            curves = curves_of(study, task)
            change = late_change(curves)
            if change is not None:
                st.caption(
                    f"At the largest budget, the last {change.epochs} epochs moved each run's {words} by "
                    f"{change.low:+.1f} to {change.high:+.1f} points, {change.mean:+.2f} on average: "
                    + (
                        "levelled off (no rise on average; single runs move either way by about the seed-to-seed "
                        "noise)."
                        if change.levelled
                        else "still rising on average, so a longer budget could still move the differences between "
                        "recipes."
                    )
                )
            curves = curves.rename(columns={"metric": "test_accuracy"})
            chart(figure(training_curves_figure, curves, words), f"dense-{task}-curves")
    if split_tab and split_tab[0] is not None:
        with split_tab[0]:
            st.caption(split_caption())
            table(split_table(study), SPLIT_COLUMNS)


def samples_section(task: str, quick: bool) -> None:
    """The Lab page's validation scenes as input, true mask (and boxes) and each recipe's prediction."""
    study = _study(quick)
    if study is None:
        return
    mosaic = sample_mosaic(study, task)
    if mosaic is None:
        st.info(f"No {task} runs with sample predictions in the study.")
        return
    st.image(mosaic.image, caption=mosaic.caption, width="stretch")


def quick_study_panel(store_url: str) -> None:
    """A button that trains the quick study in the background (one training per server), and its progress."""
    identity = current_identity()
    refused = signed_in_reason(identity, "start a training")
    key = ("dense-quick", store_url)
    if st.button(
        "Train the quick study here",
        key="dense_quick_start",
        disabled=refused is not None,
        help=refused
        or f"{quick_study_text()[0].upper()}{quick_study_text()[1:]}: a few minutes on two cores. Runs already in "
        "the store are not repeated.",
    ):
        if lab_jobs.start_quick_study(key, store_url, identity) is None:
            st.warning("Another training is running on this server; start this one when it has finished.")
    job = lab_jobs.job(key)
    if job is not None:
        dense_progress(key)


@st.fragment(run_every=3)
def dense_progress(key: tuple) -> None:
    """The quick study's progress, polled; the page reruns when it finishes so its results show."""
    job = lab_jobs.job(key)
    if job is None:
        return
    lab_jobs.show_progress(
        job, "Finished: {done} runs trained. Turn on “Show the quick study trained here” to see them."
    )
