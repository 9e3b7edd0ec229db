"""What the Hardware page's runtime comparison shows: each runtime's latency model against FLOPs-only and the
re-measurement floor, the few-sample calibration study, and the best recipe under each budget by each runtime."""

from __future__ import annotations

import pandas as pd

METHODS = {
    "calibrated from the stored models": "calibrated",
    "from scratch on the same N": "scratch",
    "FLOPs-only line on the same N": "flops",
}


def calibration_table(calibration: pd.DataFrame) -> pd.DataFrame:
    """One row per pair and N: the held-out MAPE (%) of calibration, of a fit from scratch and of the FLOPs-only line
    on the same N, beside the model fitted on all of the pair's training networks."""
    if calibration.empty:
        return pd.DataFrame()
    # The runtimes comparison names each pair by its runtime; a study of any stored pairs, by its device label.
    if "runtime" in calibration:
        calibration = calibration.assign(pair=calibration["runtime"])
    everything = calibration[calibration["method"] == "fitted on all training measurements"].set_index("pair")
    few = calibration[calibration["method"].isin(list(METHODS))]
    table = few.pivot_table(index=["pair", "n"], columns="method", values="mape", sort=False).rename(columns=METHODS)
    table = (100.0 * table).reset_index()
    table["all"] = [100.0 * everything.loc[pair, "mape"] for pair in table["pair"]]
    table["all_n"] = [int(everything.loc[pair, "n"]) for pair in table["pair"]]
    table["noise_floor"] = [100.0 * everything.loc[pair, "noise_floor"] for pair in table["pair"]]
    return table[["pair", "n", "calibrated", "scratch", "flops", "all", "all_n", "noise_floor"]]


def best_table(best: pd.DataFrame) -> pd.DataFrame:
    """The optimiser's pick per budget and runtime, with whether it differs from PyTorch eager's."""
    columns = ["budget_ms", "runtime", "recipe", "phi", "resolution_px", "macs", "predicted_ms", "differs_from_eager"]
    return best[[c for c in columns if c in best]]


def differing_budgets(best: pd.DataFrame) -> list[float]:
    """The budgets at which some runtime's best recipe differs from PyTorch eager's."""
    if best.empty or "differs_from_eager" not in best:
        return []
    return sorted({float(b) for b, d in zip(best["budget_ms"], best["differs_from_eager"]) if d is True})
