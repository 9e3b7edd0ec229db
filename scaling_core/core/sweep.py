"""Vectorised sweeps: costs of a grid of recipes × φ × rounding policies, no model built."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from scaling_core.core.arch import discretise, discretise_arrays
from scaling_core.core.base import BaseSpec, load_base
from scaling_core.core.cost import count
from scaling_core.core.errors import ConfigError
from scaling_core.core.recipe import Multipliers, Recipe, compound_multipliers
from scaling_core.core.rounding import RoundingPolicy, round_resolution


def sweep(
    recipes: Sequence[Recipe],
    phis: Iterable[float],
    *,
    base: BaseSpec | str = "efficientnet-b0",
    policies: Sequence[RoundingPolicy] | None = None,
    num_classes: int | None = None,
    drop_invalid: bool = False,
) -> pd.DataFrame:
    """One row per (recipe, φ, policy): multipliers, resolution, params, MACs (total and per operator), activations.

    The same discretisation and the same cost handlers as `scale` and `count`, evaluated on
    numpy arrays; rows equal the single-architecture counts exactly (a test holds them so). policies: the base's
    own rounding unless given.
    Configurations below the minimum resolution or too large for int64 raise ConfigError, or
    with drop_invalid=True are left out (the frame's attrs["dropped"] says how many).
    """
    base = load_base(base) if isinstance(base, str) else base
    policies = (base.rounding,) if policies is None else policies
    num_classes = base.num_classes if num_classes is None else int(num_classes)
    phi = np.asarray(list(phis), dtype=np.float64)
    if phi.size == 0 or not np.all(np.isfinite(phi)) or np.any(phi < 0):
        raise ConfigError(
            "phi",
            phi[~(np.isfinite(phi) & (phi >= 0))][:3].tolist() if phi.size else [],
            "a non-empty list of finite numbers ≥ 0",
        )
    if not recipes:
        raise ConfigError("recipes", [], "a non-empty list of Recipe")
    coefficients = np.array([[r.alpha, r.beta, r.gamma] for r in recipes], dtype=np.float64)
    grid = {name: np.repeat(coefficients[:, i], phi.size) for i, name in enumerate(("alpha", "beta", "gamma"))}
    grid["phi"] = np.tile(phi, len(recipes))
    grid["depth_multiplier"], grid["width_multiplier"], grid["resolution_multiplier"] = compound_multipliers(
        grid["alpha"], grid["beta"], grid["gamma"], grid["phi"]
    )
    frames, dropped = [], 0
    for policy in policies:
        frame, n_dropped = _sweep_policy(base, num_classes, policy, grid, drop_invalid)
        frames.append(frame)
        dropped += n_dropped
    result = pd.concat(frames, ignore_index=True)
    result.attrs["dropped"] = dropped
    return result


def _sweep_policy(
    base: BaseSpec, num_classes: int, policy: RoundingPolicy, grid: dict[str, np.ndarray], drop_invalid: bool
) -> tuple[pd.DataFrame, int]:
    baseline = count(discretise(base, Multipliers(1.0, 1.0, 1.0), policy, num_classes)).macs
    invalid = _invalid_rows(base, baseline, policy, grid)
    bad = np.logical_or.reduce([rows for rows, _ in invalid.values()])
    if drop_invalid:
        grid = {k: v[~bad] for k, v in grid.items()}
    else:
        for parameter, (rows, values) in invalid.items():
            if np.any(rows):
                i = int(np.argmax(rows))
                raise ConfigError(
                    parameter,
                    values[i].item(),
                    f"{INVALID_REASONS[parameter].format(min_px=base.min_resolution_px)}; "
                    f"{int(rows.sum())} configurations fail "
                    f"(first: alpha={grid['alpha'][i]:g}, beta={grid['beta'][i]:g}, "
                    f"gamma={grid['gamma'][i]:g}, phi={grid['phi'][i]:g})",
                )
    n = grid["phi"].size
    arch = discretise_arrays(
        base, grid["depth_multiplier"], grid["width_multiplier"], grid["resolution_multiplier"], policy, num_classes
    )
    report = count(arch)
    columns = {
        **{k: grid[k] for k in ("alpha", "beta", "gamma", "phi")},
        "width_divisor": np.full(n, policy.width_divisor),
        "depth_rounding": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [policy.depth_rounding]),
        "resolution_multiple": np.full(n, policy.resolution_multiple),
        **{k: grid[k] for k in ("depth_multiplier", "width_multiplier", "resolution_multiplier")},
        "resolution_px": arch.resolution_px,
        "total_blocks": sum(np.asarray(s.repeats) for s in arch.stages),
        "params": report.params,
        "macs": report.macs,
        "flops": report.flops,
        **{f"macs_{op}": macs for op, macs in report.macs_by_op.items()},
        "activations": report.activations,
        "macs_ratio_to_base": report.macs / baseline,
        "ideal_cost_ratio": (grid["alpha"] * grid["beta"] ** 2 * grid["gamma"] ** 2) ** grid["phi"],
    }
    frame = pd.DataFrame(
        {k: v if isinstance(v, pd.Categorical) else np.broadcast_to(v, (n,)) for k, v in columns.items()}
    )
    return frame, int(bad.sum()) if drop_invalid else 0


INT64_SAFE = 2.0**62
INVALID_REASONS = {
    "resolution": "≥ {min_px} px after rounding (the product of the base's strides)",
    "phi": f"small enough that MACs stay below {INT64_SAFE:.2e} in a sweep (count such a configuration alone)",
}


def _invalid_rows(
    base: BaseSpec, baseline_macs: int, policy: RoundingPolicy, grid: dict[str, np.ndarray]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(mask, offending value) for rows below the minimum resolution and rows that could overflow int64.

    Overflow bound (single counts use exact Python ints instead): every MAC term scales by at most
    (d + 1) for repeats (ceil), (w + 1.5)² for two channel counts (rounding adds at most 1.5 × a
    channel count ≥ 8) and (r + 1)² for the spatial size, times 4 for the ceil of strided sizes.
    """
    d, w, r = grid["depth_multiplier"], grid["width_multiplier"], grid["resolution_multiplier"]
    resolution_px = round_resolution(base.resolution_px, r, policy.resolution_multiple)
    return {
        "resolution": (resolution_px < base.min_resolution_px, resolution_px),
        "phi": (baseline_macs * (d + 1) * (w + 1.5) ** 2 * (r + 1) ** 2 * 4 > INT64_SAFE, grid["phi"]),
    }
