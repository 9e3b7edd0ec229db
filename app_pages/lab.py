"""Lab: networks of the same family trained on real images here; measured accuracy beside the modelled shape."""

import streamlit as st

from scaling_core.accuracy.pareto import mark_front
from scaling_core.app.plots.lab import lab_accuracy_figure, training_curves_figure
from scaling_core.app.views.lab import (
    COUNT_COLUMNS,
    PERCENT_COLUMNS,
    curves_frame,
    lab_results,
    modelled_shape,
    results_heading,
    results_table,
    shipped_notice,
)
from scaling_core.core.base import load_base
from scaling_core.lab import runs as lab_module
from scaling_core.lab.data import dataset_table, load_dataset
from scaling_core.lab.runs import lab_settings
from scaling_core.storage.store import default_store_url
from ui import lab_jobs
from ui.controls import lab_controls
from ui.export import chart, csv_button, figure
from ui.identity import current_identity, signed_in_reason
from ui.notes import model_notes
from ui.session import shown, start_page
from ui.share import share_panel
from ui.store import app_store

SEEN_RUNS = "_lab_runs_seen"
TWO = st.column_config.NumberColumn(format="%.2f")
THREE = st.column_config.NumberColumn(format="%.3f")
PERCENT = st.column_config.NumberColumn(format="%.2f%%")
LOCALIZED = st.column_config.NumberColumn(format="localized")
settings = lab_settings()


with st.sidebar:
    st.header("Lab")
    lab_controls()

state = start_page(
    "Lab",
    "Compound scaling seen happening: the lab base (a tiny EfficientNet, data/bases/lab-tiny.json) "
    "scaled by the same recipes, rounding, builder and counter as the big models, trained here on real "
    "images that ship inside Python packages.",
    "lab",
)
info = dataset_table()[state.lab_dataset]
budget = settings.budget
st.caption(
    f"Dataset: {info.title} — {info.citation}. Fixed split: {1 - info.test_fraction:.0%} train / "
    f"{info.test_fraction:.0%} test, stratified, seed {info.split_seed}. Budget: {budget.epochs} epochs, batch "
    f"{budget.batch_size}, AdamW (lr {budget.learning_rate:g}, weight decay {budget.weight_decay:g}), one-cycle "
    f"schedule; the input is the images resampled (bilinear, antialiased) to r × "
    f"{load_base(settings.base).resolution_px} px."
)

store = app_store()
aliases = state.lab_recipes.split(",")
frame = lab_results(state.lab_dataset, aliases, store)
if notice := shipped_notice(state.lab_dataset):
    st.warning(notice)
if frame.empty:
    st.info(
        f"No results for {', '.join(lab_settings().recipes[a] for a in aliases)} on {info.title} yet: start a "
        f"run below, or `python -m scaling_core lab run --dataset {state.lab_dataset}`."
    )
else:
    frame = frame.assign(accuracy=frame["accuracy_mean"], modelled_shape=modelled_shape(frame))
    frame = mark_front(frame, "macs", {})
    st.caption(
        "Sources: " + "; ".join(sorted(set(frame["source"]))) + ". Accuracy: mean over seeds (bars: min–max). "
        "Dashed: the ImageNet-calibrated model (scaling_core/accuracy/model.py) started from the measured φ = 0 "
        "accuracy — modelled, assuming this task answers d, w, r as the ImageNet rows did."
    )
    left, right = st.columns(2)
    chart(
        figure(lab_accuracy_figure, frame, "macs", "MACs (multiply-adds, modelled: exact count)"),
        "lab-accuracy-macs",
        left,
    )
    timed = frame[frame["latency_ms"].notna()]
    if not timed.empty:
        timed = mark_front(timed, "latency_ms", {})
        chart(
            figure(lab_accuracy_figure, timed, "latency_ms", "latency (ms, measured: median, 1 thread, batch 1)"),
            "lab-accuracy-latency",
            right,
        )
    st.subheader(results_heading(frame))
    table = results_table(frame)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            **dict.fromkeys(PERCENT_COLUMNS, PERCENT),
            **dict.fromkeys(COUNT_COLUMNS, LOCALIZED),
            "φ": st.column_config.NumberColumn(format="%g"),
            **dict.fromkeys(("d", "w", "r"), THREE),
            "sd (points)": TWO,
            "latency (ms, measured)": TWO,
            "training (s, measured)": st.column_config.NumberColumn(format="%.1f"),
        },
        placeholder="—",
    )
    st.caption(
        "MACs and parameters: modelled (exact analytic count of the built network). Accuracy: measured on the "
        "test split; sd is the standard deviation over seeds, in percentage points."
    )
    csv = frame.drop(columns=["curves", "run_seeds", "accuracy", "feasible", "over_budget", "on_recipe_front"])
    csv_button(csv, f"lab-{state.lab_dataset}", "Results as CSV")
    curves = curves_frame(frame)
    if not curves.empty:
        chart(figure(training_curves_figure, curves), "lab-curves")

st.subheader("Train here")
grid = settings.default_grid
key = (state.lab_dataset, tuple(aliases), tuple(grid["phis"]), grid["seeds"], default_store_url())
st.write(
    f"Grid: {', '.join(settings.recipes[a] for a in aliases)} × φ ∈ {grid['phis']} × {grid['seeds']} seeds "
    f"on {info.title}. Runs already in the store are not repeated; the rest train in {settings.workers} "
    "background processes, and the charts above fill in as runs land."
)
identity = current_identity()
refused = signed_in_reason(identity, "start a training")  # it occupies this server's cores for everyone
if refused:
    st.info(refused)
clicked = st.button("Start training", key="lab_start", disabled=store is None or refused is not None, help=refused)
if clicked and shown(load_dataset, state.lab_dataset):
    # The dataset loads here first, so a missing package is reported on the page, not lost in the background.
    grid_args = (state.lab_dataset, aliases, grid["phis"], grid["seeds"], default_store_url(), identity)
    if lab_jobs.start(key, *grid_args) is None:
        st.warning("Another grid is training on this server; start this one when it has finished.")


@st.fragment(run_every=3)
def progress() -> None:
    """The background job's progress, polled; each run that lands reruns the page, so its result shows."""
    job = lab_jobs.job(key)
    if job is None:
        return
    if st.session_state.get(SEEN_RUNS, job.done) != job.done:
        st.session_state[SEEN_RUNS] = job.done
        st.rerun(scope="app")
    st.session_state[SEEN_RUNS] = job.done
    if job.error:
        st.error(f"The run stopped: {job.error}")
    elif job.finished:
        st.success(f"Finished: {job.done} runs trained.")
    else:
        st.progress(
            job.done / job.total if job.total else 0.0,
            text=f"Trained {job.done} of {job.total if job.total is not None else '…'} runs",
        )
        if job.scheduler:
            link = f" ([Dask dashboard]({job.dashboard}))" if job.dashboard else ""
            st.caption(f"Training on the Dask cluster at `{job.scheduler}`{link}.")


progress()
with st.expander("How the lab trains"):
    model_notes(lab_module)
share_panel("lab", None)
