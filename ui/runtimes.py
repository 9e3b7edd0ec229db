"""The Hardware page's runtime comparison: latency models per runtime, quick calibration's evidence, and where the
best recipe under a budget changes with the runtime (measured here, shipped in data/hardware/runtimes-latency.json)."""

from __future__ import annotations

import streamlit as st

from scaling_core.app.tables import Column
from scaling_core.app.views.runtimes import best_table, calibration_table, differing_budgets
from scaling_core.hardware.runtime_comparison import shipped_runtimes
from ui.sections import lazy_tabs
from ui.tables import full_height, table

HELD_OUT = "on the held-out networks of fit-latency's plan"
ACCURACY_COLUMNS = {
    "runtime": Column("Runtime", "text"),
    "version": Column("Version", "text"),
    "held_out": Column("Held out", "integer", help="Networks the model never saw."),
    "model_within_10pct": Column("Model ±10% (%)", decimals=0, help="Share predicted within ±10% " + HELD_OUT),
    "model_mape": Column("Model MAPE (%)", decimals=1, help="Mean absolute percentage error " + HELD_OUT),
    "model_kendall_tau": Column("Model τ", decimals=3, help="Kendall's rank agreement with the measured order."),
    "flops_within_10pct": Column("FLOPs ±10% (%)", decimals=0, help="The FLOPs-only line, same networks."),
    "flops_mape": Column("FLOPs MAPE (%)", decimals=1, help="The FLOPs-only line, same networks."),
    "noise_floor": Column(
        "Re-measured ±10% (%)", decimals=0, help="How often a second measurement lands within ±10% of the first."
    ),
}
MAPE = "Held-out mean absolute percentage error"
CALIBRATION_COLUMNS = {
    "pair": Column("New runtime", "text"),
    "n": Column("N measured", "integer"),
    "calibrated": Column("Calibrated MAPE (%)", decimals=1, help=MAPE + ": from N and the other runtimes' models."),
    "scratch": Column("Scratch MAPE (%)", decimals=1, help=MAPE + ": the nine-feature model on the same N alone."),
    "flops": Column("FLOPs-only MAPE (%)", decimals=1, help=MAPE + ": the FLOPs-only line on the same N."),
    "all": Column("All-data MAPE (%)", decimals=1, help=MAPE + ": the model fitted on all training networks."),
}
BEST_COLUMNS = {
    "budget_ms": Column("Budget (ms)", decimals=0),
    "runtime": Column("Runtime", "text"),
    "recipe": Column("Best recipe", "text"),
    "phi": Column("φ", decimals=2),
    "resolution_px": Column("Input (px)", "integer"),
    "macs": Column("MACs", "count", help="Modelled: exact count of the picked network."),
    "predicted_ms": Column("Predicted (ms)", decimals=2, help="Modelled: this runtime's latency model."),
    "differs_from_eager": Column("Differs from eager", "flag"),
}


def runtimes_section() -> None:
    """The shipped comparison of runtimes on the machine that made it, section by section."""
    st.subheader("Runtimes compared: where the best recipe changes")
    shipped = shipped_runtimes()
    if shipped is None:
        st.info("No runtime comparison ships: `python -m scaling_core runtimes` measures one on this machine.")
        return
    st.caption(
        f"Measured on {shipped.machine} (`{shipped.command}`): a latency model per runtime, each fitted on its own "
        "measurements of the same plan. Pick a runtime under Measuring to fit or calibrate it here."
    )
    labels = ("Latency model per runtime", "Quick calibration", "Best recipe per runtime")
    models_tab, calibration_tab, best_tab = lazy_tabs("hw_runtimes", labels)
    if models_tab is not None:
        table(
            shipped.accuracy[list(ACCURACY_COLUMNS)],
            ACCURACY_COLUMNS,
            container=models_tab,
            hide=("version", "held_out"),
        )
        versions = ", ".join(f"{r.runtime} {r.version}" for r in shipped.accuracy.itertuples())
        held_out = ", ".join(sorted({f"{n:,}" for n in shipped.accuracy["held_out"]}))
        models_tab.caption(
            "Held-out accuracy of each runtime's latency model (measured timings, modelled predictions) beside the "
            "FLOPs-only line and the re-measurement floor: a model cannot be trusted beyond how often the runtime "
            f"repeats itself. Held out: {held_out} networks per runtime. Versions: {versions}."
        )
    if calibration_tab is not None:
        calibration = calibration_table(shipped.calibration)
        if calibration.empty:
            calibration_tab.info("One runtime only: calibration needs the models of others.")
        else:
            shown = calibration[list(CALIBRATION_COLUMNS)]
            table(shown, CALIBRATION_COLUMNS, container=calibration_tab, height=full_height(len(shown)))
            calibration_tab.caption(
                "Each runtime in turn taken as the new device: its first N networks measured, the other runtimes' "
                "models adapted to them (the closest, rescaled, then pulled toward the data by a ridge chosen by "
                "leave-one-out), scored on its held-out networks beside a model from scratch on the same N; all-data: "
                f"the model fitted on its {int(calibration['all_n'].max())} training networks."
            )
    if best_tab is not None:
        best = best_table(shipped.best)
        shown = best[[c for c in BEST_COLUMNS if c in best]]
        table(shown, BEST_COLUMNS, container=best_tab, height=full_height(len(shown)))
        budgets = differing_budgets(shipped.best)
        best_tab.caption(
            "The optimiser's pick (most MACs predicted within the budget, over the recipe grid) by each runtime's "
            "model. "
            + (
                f"The pick changes with the runtime at {', '.join(f'{b:g} ms' for b in budgets)}."
                if budgets
                else "The pick is the same in every runtime at these budgets."
            )
        )
