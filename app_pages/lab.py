"""Lab: networks of the same family trained on real images here; measured accuracy beside the modelled shape."""

import streamlit as st

from scaling_core.accuracy.pareto import mark_front
from scaling_core.app.plots.lab import lab_accuracy_figure, training_curves_figure
from scaling_core.app.tables import Column
from scaling_core.app.views.dense import scenes_mosaic
from scaling_core.app.views.lab import (
    curves_frame,
    lab_results,
    latency_words,
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
from ui.dense import quick_study_panel, samples_section, study_toggle
from ui.export import chart, csv_button, figure
from ui.identity import current_identity, signed_in_reason
from ui.lab_families import dense_families_section, families_section
from ui.notes import model_notes
from ui.sections import lazy_tabs
from ui.session import shown, start_page
from ui.share import share_panel
from ui.store import app_store
from ui.tables import table

SEEN_RUNS = "_lab_runs_seen"
MEASURED, MODELLED = "Measured on the test split, over seeds.", "Modelled: exact analytic count of the built network."
# Short headers (the whole table fits 1400 px), the provenance in each column's help.
RESULT_COLUMNS = {
    "accuracy (%, measured mean)": Column("Accuracy (%)", decimals=2, help="Mean over seeds. " + MEASURED),
    "sd (points)": Column("SD (points)", decimals=2, help="Standard deviation over seeds, in percentage points."),
    "min (%)": Column("Min (%)", decimals=2, help=MEASURED),
    "max (%)": Column("Max (%)", decimals=2, help=MEASURED),
    "modelled shape (%)": Column("Model (%)", decimals=2, help="Modelled: the ImageNet-calibrated shape."),
    "on the front": Column("On front", "flag", help="On the measured front of accuracy against MACs."),
    "MACs (modelled)": Column("MACs", "count", help=MODELLED),
    "parameters (modelled)": Column("Params", "count", help=MODELLED),
    "latency (ms, measured)": Column("Latency (ms)", decimals=2, help=f"Measured: {latency_words()}."),
    "training (s, measured)": Column("Training (s)", decimals=1, help="Measured: wall time of one seed's run."),
}
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
    # One chart at a time (lazy tabs): the page opens as fast as one chart, the others are a click away.
    timed = frame[frame["latency_ms"].notna()]
    labels = ("Accuracy against MACs", *(("Accuracy against latency",) if not timed.empty else ()), "Training curves")
    tabs = dict(zip(labels, lazy_tabs("lab", labels)))
    if tabs["Accuracy against MACs"] is not None:
        chart(
            figure(lab_accuracy_figure, frame, "macs", "MACs (multiply-adds, modelled: exact count)"),
            "lab-accuracy-macs",
            tabs["Accuracy against MACs"],
        )
    if tabs.get("Accuracy against latency") is not None:
        chart(
            figure(
                lab_accuracy_figure,
                mark_front(timed, "latency_ms", {}),
                "latency_ms",
                f"latency (ms, measured: {latency_words()})",
            ),
            "lab-accuracy-latency",
            tabs["Accuracy against latency"],
        )
    if tabs["Training curves"] is not None:
        curves = curves_frame(frame)
        if curves.empty:
            tabs["Training curves"].info("No training curves were kept for these runs.")
        else:
            chart(figure(training_curves_figure, curves), "lab-curves", tabs["Training curves"])
    st.subheader(results_heading(frame))
    # The seeds' range is drawn as the charts' bars; it and the network's shape (blocks, d, w, r, input) are in the CSV.
    table(results_table(frame), RESULT_COLUMNS, hide=("min (%)", "max (%)", "blocks", "d", "w", "r", "input (px)"))
    st.caption(
        "MACs and parameters: modelled (exact analytic count of the built network). Accuracy: measured on the "
        "test split; sd is the standard deviation over seeds, in percentage points."
    )
    csv = frame.drop(columns=["curves", "run_seeds", "accuracy", "feasible", "over_budget", "on_recipe_front"])
    csv_button(csv, f"lab-{state.lab_dataset}", "Results as CSV")

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
    lab_jobs.show_progress(job, "Finished: {done} runs trained.")


progress()
st.subheader("Families: which rule in which family")
families_section(state.lab_dataset, store)
st.subheader("Dense tasks: what resolution buys")
st.caption(
    "Segmentation, detection and multi-task networks of the dense lab base, trained on generated scenes with exact "
    "labels (`python -m scaling_core lab study`). Their measured metrics and verdicts are on the Tasks page."
)
quick = study_toggle()
quick_study_panel(default_store_url())
dense_labels = ("Scenes", "Segmentation", "Detection", "Multi-task", "Classification")
dense_tabs = dict(zip(dense_labels, lazy_tabs("lab_dense", dense_labels)))
if dense_tabs["Scenes"] is not None:
    with dense_tabs["Scenes"]:
        scenes = scenes_mosaic()
        st.image(scenes.image, caption=scenes.caption, width="stretch")
for label, task in zip(dense_labels[1:], ("segmentation", "detection", "multitask", "classification")):
    if dense_tabs[label] is not None:
        with dense_tabs[label]:
            samples_section(task, quick)
st.subheader("Families on scenes: which rule in which family, for the dense tasks")
dense_families_section(store)
with st.expander("How the lab trains"):
    model_notes(lab_module)
share_panel("lab", None)
