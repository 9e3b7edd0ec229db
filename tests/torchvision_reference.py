"""torchvision's classification models as the reference the family presets must equal (a test dependency only;
tests/conftest.py lets it import beside the CPU torch)."""

from __future__ import annotations

from dataclasses import replace

from fvcore.nn import FlopCountAnalysis

from scaling_core.core.arch import ScaledArch, scale
from scaling_core.core.base import load_base
from scaling_core.core.recipe import Multipliers

BUILDERS = {
    "efficientnetv2-s": "efficientnet_v2_s",
    "efficientnetv2-m": "efficientnet_v2_m",
    "efficientnetv2-l": "efficientnet_v2_l",
    "resnet18": "resnet18",
    "resnet34": "resnet34",
    "resnet50": "resnet50",
    "resnet101": "resnet101",
    "resnet152": "resnet152",
    "resnext50-32x4d": "resnext50_32x4d",
    "wide-resnet50-2": "wide_resnet50_2",
    **{
        f"regnet{xy}-{size}": f"regnet_{xy}_{size.replace('.', '_')}"
        for xy in "xy"
        for size in ("400mf", "800mf", "1.6gf", "3.2gf", "8gf", "16gf", "32gf")
    },
}


def torchvision_model(name: str):
    """torchvision's model of a preset (random weights: only its structure is compared)."""
    import torchvision.models

    return getattr(torchvision.models, BUILDERS[name])().eval()


def preset_as_specified(name: str) -> ScaledArch:
    """A preset base unscaled, at its own resolution."""
    base = load_base(name)
    return scale(Multipliers(1.0, 1.0, 1.0), base=base, policy=replace(base.rounding, resolution_multiple=1))


def reference_counts(name: str, resolution_px: int) -> tuple[int, int]:
    """torchvision's parameters and fvcore's conv + linear multiply-adds of it at `resolution_px`."""
    import torch

    model = torchvision_model(name)
    params = sum(p.numel() for p in model.parameters())
    flops = FlopCountAnalysis(model, torch.zeros(1, 3, resolution_px, resolution_px))
    by_op = flops.unsupported_ops_warnings(False).uncalled_modules_warnings(False).by_operator()
    return params, int(by_op.get("conv", 0) + by_op.get("linear", 0))
