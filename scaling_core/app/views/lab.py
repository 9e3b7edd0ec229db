"""What the Lab page (and the Pareto page's lab source) show: measured results, the model's shape beside them."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from scaling_core.accuracy.model import calibration
from scaling_core.lab.runs import code_version, lab_latency_options, lab_report, lab_settings
from scaling_core.lab.shipped_results import lab_file_notice, shipped_lab_file


@lru_cache(maxsize=8)
def latency_words() -> str:
    """How the lab times its networks, as an axis says it (from the settings)."""
    options = lab_latency_options()
    return f"median, {options.threads} thread{'s' if options.threads > 1 else ''}, batch {options.batch_size}"


def shipped(dataset: str) -> dict | None:
    """The shipped results of a dataset (data/lab/<dataset>.json, made by `lab run --save-to`), if any."""
    return shipped_lab_file(dataset)


def shipped_notice(dataset: str) -> str:
    """'' when the shipped results of a dataset are current (or none ship), else why they are not served."""
    return lab_file_notice(dataset, dataset)


def lab_results(dataset: str, aliases: list[str], store=None) -> pd.DataFrame:
    """Measured results per recipe and φ: this store's runs where it has them, else the shipped ones (if current).

    Columns as `lab.lab_report`, plus `source` (where the runs were measured) and accuracy in %.
    """
    grid = lab_settings().default_grid
    frames = []
    document = shipped(dataset)
    if document is not None and not shipped_notice(dataset):
        rows = pd.DataFrame(document["report"])
        rows = rows[rows["alias"].isin(aliases)]
        frames.append(
            rows.assign(
                source=f"measured: shipped data/lab/{dataset}.json (code {document['code_version']}, "
                f"{document['provenance']['hardware']['device_name']})"
            )
        )
    if store is not None:
        phis = sorted(set(grid["phis"]) | (set(frames[0]["phi"]) if frames else set()))
        here = lab_report(dataset, aliases, phis, store)
        # The store replaces a shipped point only with at least as many seeds, so a run in progress cannot.
        shipped_seeds = {(r.alias, r.phi): r.seeds for r in frames[0].itertuples()} if frames else {}
        here = here[
            [s > 0 and s >= shipped_seeds.get((a, p), 0) for a, p, s in zip(here["alias"], here["phi"], here["seeds"])]
        ]
        frames.append(here.assign(source=f"measured: the results store (code {code_version(dataset)})"))
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True).drop_duplicates(["alias", "phi"], keep="last")
    frame = frame[frame["seeds"] > 0].sort_values(["alias", "phi"]).reset_index(drop=True)
    for column in ("accuracy_mean", "accuracy_std", "accuracy_min", "accuracy_max"):
        frame[column] = 100.0 * frame[column].astype(float)
    return frame


def modelled_shape(frame: pd.DataFrame) -> pd.Series:
    """The ImageNet-calibrated model's top-1 for each row's (d, w, r), started from the measured φ = 0 accuracy.

    Assumption stated on the page: the lab task responds to d, w, r as the ImageNet rows did (same
    shape, same per-dimension saturation), scaled to this task's measured base error.
    """
    model = calibration().model
    base = frame.loc[frame["phi"] == 0, "accuracy_mean"]
    if base.empty:
        return pd.Series(np.nan, index=frame.index)
    start = float(base.mean())
    return pd.Series(
        model.predict(
            frame["depth_multiplier"], frame["width_multiplier"], frame["resolution_multiplier"], min(start, 99.9)
        ),
        index=frame.index,
    )


def curves_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per recipe, φ, seed and epoch: training loss and test accuracy (%)."""
    rows = [
        {"recipe": r["recipe"], "phi": r["phi"], "seed": seed, **point, "test_accuracy": 100.0 * point["test_accuracy"]}
        for _, r in frame.iterrows()
        for seed, curve in zip(r["run_seeds"], r["curves"])
        for point in curve
    ]
    return pd.DataFrame(rows, columns=["recipe", "phi", "seed", "epoch", "train_loss", "test_accuracy"])


# The Lab page's results table: the columns shown, under the names and units a reader needs.
RESULT_COLUMNS = {
    "recipe": "recipe",
    "phi": "φ",
    "accuracy_mean": "accuracy (%, measured mean)",
    "accuracy_std": "sd (points)",
    "accuracy_min": "min (%)",
    "accuracy_max": "max (%)",
    "modelled_shape": "modelled shape (%)",
    "on_front": "on the front",
    "macs": "MACs (modelled)",
    "params": "parameters (modelled)",
    "latency_ms": "latency (ms, measured)",
    "seeds": "seeds",
    "resolution_px": "input (px)",
    "total_blocks": "blocks",
    "depth_multiplier": "d",
    "width_multiplier": "w",
    "resolution_multiplier": "r",
    "train_time_s": "training (s, measured)",
}


def results_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The measured results as the page lists them: one row per recipe and φ, accuracy in % (never a fraction)."""
    return frame[[c for c in RESULT_COLUMNS if c in frame]].rename(columns=RESULT_COLUMNS)


def results_heading(frame: pd.DataFrame) -> str:
    """What the results table holds, in one line: all configurations, and how many are on the measured front."""
    return (
        f"Measured results: {len(frame)} configurations, {int(frame['on_front'].sum())} on the front "
        "(accuracy against MACs)"
    )
