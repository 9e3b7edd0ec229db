"""Vectorised sweeps: costs of a grid of recipes × φ × rounding policies, no model built."""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from .arch import discretise
from .base import BaseSpec, load_base
from .cost import OPERATORS, count
from .errors import ConfigError
from .recipe import Recipe, compound_multipliers
from .rounding import MIN_RESOLUTION_PX, RoundingPolicy


def sweep(recipes: Sequence[Recipe], phis: Iterable[float], *, base: BaseSpec | str = "efficientnet-b0",
          policies: Sequence[RoundingPolicy] = (RoundingPolicy(),), num_classes: int | None = None) -> pd.DataFrame:
    """One row per (recipe, φ, policy): multipliers, resolution, params, MACs (total and per operator), activations.

    The same discretisation and the same cost handlers as `scale` and `count`, evaluated on
    numpy arrays; rows equal the single-architecture counts exactly (a test holds them so).
    """
    base = load_base(base) if isinstance(base, str) else base
    num_classes = base.num_classes if num_classes is None else int(num_classes)
    phi = np.asarray(list(phis), dtype=np.float64)
    if phi.size == 0 or not np.all(np.isfinite(phi)) or np.any(phi < 0):
        raise ConfigError("phi", phi[~(np.isfinite(phi) & (phi >= 0))][:3].tolist() if phi.size else [],
                          "a non-empty list of finite numbers ≥ 0")
    if not recipes:
        raise ConfigError("recipes", [], "a non-empty list of Recipe")
    coefficients = np.array([[r.alpha, r.beta, r.gamma] for r in recipes], dtype=np.float64)
    alpha, beta, gamma = (np.repeat(coefficients[:, i], phi.size) for i in range(3))
    phi_grid = np.tile(phi, len(recipes))
    depth, width, resolution = compound_multipliers(alpha, beta, gamma, phi_grid)
    frames = [_sweep_policy(base, num_classes, policy, alpha, beta, gamma, phi_grid, depth, width, resolution)
              for policy in policies]
    return pd.concat(frames, ignore_index=True)


def _sweep_policy(base, num_classes, policy, alpha, beta, gamma, phi, depth, width, resolution) -> pd.DataFrame:
    arch = discretise(base, depth, width, resolution, policy, num_classes, as_int=np.asarray)
    too_small = arch.resolution_px < MIN_RESOLUTION_PX
    if np.any(too_small):
        i = int(np.argmax(too_small))
        raise ConfigError("resolution", int(arch.resolution_px[i]),
                          f"≥ {MIN_RESOLUTION_PX} px; {int(too_small.sum())} configurations fall below it "
                          f"(first: gamma={gamma[i]:g}, phi={phi[i]:g})")
    baseline = count(discretise(base, 1.0, 1.0, 1.0, policy, num_classes)).macs
    _check_int64_range(baseline, depth, width, resolution, phi)
    report = count(arch)
    n = phi.size
    columns = {
        "alpha": alpha, "beta": beta, "gamma": gamma, "phi": phi,
        "width_divisor": np.full(n, policy.width_divisor), "depth_rounding": pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), [policy.depth_rounding]),
        "resolution_multiple": np.full(n, policy.resolution_multiple),
        "depth_multiplier": depth, "width_multiplier": width, "resolution_multiplier": resolution,
        "resolution_px": arch.resolution_px,
        "total_blocks": sum(np.asarray(s.repeats) for s in arch.stages),
        "params": report.params, "macs": report.macs, "flops": report.flops,
        **{f"macs_{op}": report.macs_by_op[op] for op in OPERATORS},
        "activations": report.activations,
        "macs_ratio_to_base": report.macs / baseline,
        "ideal_cost_ratio": (alpha * beta**2 * gamma**2) ** phi,
    }
    return pd.DataFrame({k: v if isinstance(v, pd.Categorical) else np.broadcast_to(v, (n,))
                         for k, v in columns.items()})


INT64_SAFE = 2.0**62


def _check_int64_range(baseline_macs: int, depth, width, resolution, phi) -> None:
    """Refuse rows whose counts could overflow int64 (single counts use exact Python ints instead).

    Bound: every MAC term scales by at most (d + 1) for repeats (ceil), (w + 1.5)² for two
    channel counts (rounding adds at most 1.5 × a channel count ≥ 8) and (r + 1)² for the
    spatial size, times 4 for the ceil of strided sizes.
    """
    bound = baseline_macs * (depth + 1) * (width + 1.5) ** 2 * (resolution + 1) ** 2 * 4
    if np.any(bound > INT64_SAFE):
        i = int(np.argmax(bound))
        raise ConfigError("phi", float(phi[i]), f"small enough that MACs stay below {INT64_SAFE:.2e} "
                          "in a sweep (count such a configuration alone with `count`)")
