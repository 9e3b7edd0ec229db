"""The checks every family's test file runs on its presets and on scaled members of it."""

from __future__ import annotations

from torchvision_reference import preset_as_specified, reference_counts

from scaling_core.core.arch import ScaledArch
from scaling_core.core.cost import count
from scaling_core.nn.build import build_model
from scaling_core.nn.verify import verify


def assert_equals_torchvision(name: str) -> ScaledArch:
    """The preset's analytic parameters and conv + linear MACs equal torchvision's model under fvcore, at the
    preset's own resolution, and our built model has torchvision's parameter count."""
    arch = preset_as_specified(name)
    params, macs = reference_counts(name, arch.resolution_px)
    report = count(arch)
    assert (int(report.params), int(report.total.conv_linear_macs)) == (params, macs)
    assert sum(p.numel() for p in build_model(arch).parameters()) == params
    return arch


def assert_counts_equal_fvcore(arch: ScaledArch) -> None:
    """Every operator's MACs, the parameters and the activations equal fvcore's count of the built model."""
    result = verify(arch)
    assert result.ok, result.differences
