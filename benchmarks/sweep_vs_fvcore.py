"""Speed of the analytic counter against fvcore, both measured in this run.

Prints (a) the time of one 100,000-configuration sweep divided by the time of one fvcore
count of EfficientNet-B0 (goal: below 1), and (b) the speed-up of one analytic count over one
fvcore count. The analytic side includes discretising the recipe; the fvcore side excludes
building the model (it is built once, before timing) and includes tracing, as fvcore must.

    python benchmarks/sweep_vs_fvcore.py [--configs 100000] [--threads 1]
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path

import numpy as np
import torch
from torch.utils import benchmark

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fvcore.nn import FlopCountAnalysis  # noqa: E402

from scaling_core import Recipe, count, scale_preset, scale_recipe, sweep  # noqa: E402
from scaling_core.nn.build import build_model, example_input  # noqa: E402

PHI_STEPS = 100


def measure(stmt: str, setup_globals: dict, min_run_time: float) -> float:
    """Median seconds per call, torch.utils.benchmark's adaptive repeats."""
    timer = benchmark.Timer(stmt=stmt, globals=setup_globals, num_threads=torch.get_num_threads())
    return timer.blocked_autorange(min_run_time=min_run_time).median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=100_000, help="configurations in the sweep")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for fvcore's trace")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    rng = np.random.default_rng(0)
    recipes = [Recipe(*c) for c in rng.uniform(1.0, 1.4, (args.configs // PHI_STEPS, 3))]
    phis = np.linspace(0.0, 6.0, PHI_STEPS)
    arch = scale_preset("b0")
    model, x = build_model(arch), example_input(arch)
    paper = Recipe(1.2, 1.1, 1.15)

    def fvcore_count():
        analysis = FlopCountAnalysis(model, x).unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        return analysis.total()

    def analytic_count():
        return count(scale_recipe(paper, 0.0)).macs

    assert fvcore_count() == analytic_count(), "the two counters disagree on B0"
    env = {
        "fvcore_count": fvcore_count,
        "analytic_count": analytic_count,
        "sweep": sweep,
        "recipes": recipes,
        "phis": phis,
    }
    t_fvcore = measure("fvcore_count()", env, 5.0)
    t_sweep = measure("sweep(recipes, phis)", env, 5.0)
    t_analytic = measure("analytic_count()", env, 2.0)
    n = len(recipes) * len(phis)
    print(
        f"machine: {platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} torch thread(s)"
    )
    print(f"one fvcore count of B0:        {t_fvcore * 1e3:10.2f} ms")
    print(f"one analytic count of B0:      {t_analytic * 1e6:10.2f} µs")
    print(f"sweep of {n:,} configurations: {t_sweep * 1e3:10.2f} ms")
    print(f"(a) sweep time / fvcore B0 time = {t_sweep / t_fvcore:.3f}   (goal < 1)")
    print(f"(b) analytic count speed-up over fvcore = {t_fvcore / t_analytic:,.0f}x")


if __name__ == "__main__":
    main()
