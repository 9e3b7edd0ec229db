"""Ground truth: count the built torch model with fvcore and compare with the analytic counter."""

from __future__ import annotations

from dataclasses import dataclass

from fvcore.nn import ActivationCountAnalysis, FlopCountAnalysis, parameter_count

from scaling_core.core.arch import ScaledArch
from scaling_core.core.cost import CostReport
from scaling_core.nn.task_build import build_task_model, task_input
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import TaskArch, as_task


@dataclass(frozen=True)
class FvcoreCounts:
    """fvcore's figures for a built model (batch of one)."""

    macs_by_op: dict[str, int]
    params: int
    activations: int

    @property
    def macs(self) -> int:
        """fvcore's total (its 'flops' are multiply-adds)."""
        return sum(self.macs_by_op.values())


@dataclass(frozen=True)
class Verification:
    """Analytic and fvcore counts side by side, with every difference listed."""

    analytic: CostReport
    fvcore: FvcoreCounts
    differences: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when every operator, the parameters and the activations agree exactly."""
        return not self.differences


def fvcore_counts(arch: ScaledArch | TaskArch, memory_limit_bytes: int | None = None) -> FvcoreCounts:
    """Build the model and count it with fvcore (MACs by operator, parameters, activations)."""
    task = as_task(arch)
    model = build_task_model(task, memory_limit_bytes=memory_limit_bytes)
    inputs = (task_input(task),)
    flops = FlopCountAnalysis(model, inputs).unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    acts = ActivationCountAnalysis(model, inputs).unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    return FvcoreCounts(
        {op: int(v) for op, v in flops.by_operator().items()}, int(parameter_count(model)[""]), int(acts.total())
    )


def verify(arch: ScaledArch | TaskArch, memory_limit_bytes: int | None = None) -> Verification:
    """Analytic counts against fvcore's, exactly, operator by operator."""
    analytic = count_task(as_task(arch))
    truth = fvcore_counts(arch, memory_limit_bytes)
    return Verification(analytic, truth, compare(analytic, truth))


def compare(analytic: CostReport, truth: FvcoreCounts) -> tuple[str, ...]:
    """Human-readable differences between the two counts (empty when they agree)."""
    ours = {op: v for op, v in analytic.macs_by_op.items() if v}
    differences = [
        f"macs[{op}]: analytic {ours.get(op, 0):,} vs fvcore {truth.macs_by_op.get(op, 0):,}"
        for op in sorted(set(ours) | set(truth.macs_by_op))
        if ours.get(op, 0) != truth.macs_by_op.get(op, 0)
    ]
    if int(analytic.params) != truth.params:
        differences.append(f"params: analytic {int(analytic.params):,} vs fvcore {truth.params:,}")
    if int(analytic.activations) != truth.activations:
        differences.append(f"activations: analytic {int(analytic.activations):,} vs fvcore {truth.activations:,}")
    return tuple(differences)
