"""Post-training fake quantization of conv/linear networks, and a model of the output SQNR it costs.

Quantizer (measured): symmetric, uniform, restricted range. With b bits there are n = 2^(b-1) - 1 levels per side,
step Delta = A / n where A = max|x| (over the whole tensor, or per output channel = dim 0 of a weight), zero point 0,
and values are rounded to k*Delta with |k| <= n (inputs beyond +-n*Delta are clamped). Weights of every nn.Conv2d and
nn.Linear are quantized (per channel or per tensor); their inputs are quantized per tensor with a step fixed from
max|input| on a calibration batch. Biases stay float (standard practice: they are added at accumulator precision).
Activations use the same signed quantizer even after a ReLU, so non-negative inputs waste one bit.

The SQNR these quantizers cost is modelled in `scaling_core.studies.deployment.noise_model`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from scaling_core.core.errors import ConfigError
from scaling_core.studies.deployment.noise_model import levels, require_bits

QUANTIZED_LAYERS = (nn.Conv2d, nn.Linear)


def _step(peak: float, n: int) -> float:
    """Step Delta = peak / n; an all-zero range gets step 1, which keeps its zeros."""
    return peak / n if peak > 0 else 1.0


def _quantize_with_step(x: torch.Tensor, step: float, n: int) -> torch.Tensor:
    """x rounded to k*step with |k| <= n."""
    return torch.fake_quantize_per_tensor_affine(x, step, 0, -n, n)


def fake_quantize(x: torch.Tensor, bits: int, channel_axis: int | None = None) -> torch.Tensor:
    """x rounded to the symmetric grid of max|x| (per tensor, or per slice along channel_axis)."""
    n = levels(bits)
    if channel_axis is None:
        return _quantize_with_step(x, _step(float(x.detach().abs().max()), n), n)
    if not isinstance(channel_axis, int) or not -x.dim() <= channel_axis < x.dim():
        raise ConfigError("channel_axis", channel_axis, f"None or an integer in [{-x.dim()}, {x.dim() - 1}]")
    axis = channel_axis % x.dim()
    peak = x.detach().movedim(axis, 0).reshape(x.shape[axis], -1).abs().amax(dim=1).float()
    scale = torch.where(peak > 0, peak / n, torch.ones_like(peak))
    zero_point = torch.zeros_like(peak, dtype=torch.int32)
    return torch.fake_quantize_per_channel_affine(x, scale, zero_point, axis, -n, n)


def sqnr_db(reference: torch.Tensor, approximation: torch.Tensor) -> float:
    """10*log10(sum ref^2 / sum (approx - ref)^2) in dB; inf if the two are identical."""
    if reference.shape != approximation.shape:
        raise ConfigError("approximation", tuple(approximation.shape), f"the shape {tuple(reference.shape)}")
    reference = reference.detach().double()
    signal = float((reference**2).sum())
    noise = float(((approximation.detach().double() - reference) ** 2).sum())
    if noise == 0:
        return math.inf
    if signal == 0:
        return -math.inf
    return 10 * math.log10(signal / noise)


@dataclass(frozen=True)
class QuantScheme:
    """What is quantized: weight bits, activation bits (None = float), weights per channel or per tensor."""

    weight_bits: int
    activation_bits: int | None
    per_channel: bool

    def __post_init__(self) -> None:
        require_bits(self.weight_bits, "weight_bits")
        if self.activation_bits is not None:
            require_bits(self.activation_bits, "activation_bits")


def _quantized_layers(model: nn.Module) -> list[nn.Module]:
    """The model's conv and linear layers, in module order."""
    return [module for module in model.modules() if isinstance(module, QUANTIZED_LAYERS)]


def count_quantizers(model: nn.Module, scheme: QuantScheme) -> int:
    """Quantizers N_q the scheme puts in the model: one per conv/linear weight, one per input if activations are."""
    per_layer = 1 if scheme.activation_bits is None else 2
    return per_layer * len(_quantized_layers(model))


def input_peaks(model: nn.Module, calibration: torch.Tensor) -> dict[nn.Module, float]:
    """max|input| of every nn.Conv2d/nn.Linear over one float forward pass of the calibration batch."""
    peaks: dict[nn.Module, float] = {}

    def record(module: nn.Module, args: tuple) -> None:
        # A layer called more than once per forward needs the range of all its calls.
        peaks[module] = max(peaks.get(module, 0.0), float(args[0].detach().abs().max()))

    handles = [layer.register_forward_pre_hook(record) for layer in _quantized_layers(model)]
    try:
        with torch.no_grad():
            model(calibration)
    finally:
        for handle in handles:
            handle.remove()
    return peaks


@contextmanager
def quantized(model: nn.Module, scheme: QuantScheme, peaks: dict[nn.Module, float]) -> Iterator[nn.Module]:
    """The model with fake-quantized weights of every nn.Conv2d/nn.Linear, and their inputs fake-quantized per tensor
    with steps from their calibrated peaks (input_peaks: one calibration serves every scheme); weights restored
    on exit."""
    if model.training:
        raise ConfigError("model", "training mode", "eval mode")
    layers = _quantized_layers(model)
    handles = []
    originals = []
    try:
        if scheme.activation_bits is not None:
            n = levels(scheme.activation_bits)

            def quantize_input(module: nn.Module, args: tuple) -> tuple:
                return (_quantize_with_step(args[0], _step(peaks[module], n), n), *args[1:])

            # A layer the calibration batch never reached has no range; it keeps float inputs.
            handles = [layer.register_forward_pre_hook(quantize_input) for layer in layers if layer in peaks]
        axis = 0 if scheme.per_channel else None
        with torch.no_grad():
            for layer in layers:
                originals.append((layer, layer.weight.data))
                layer.weight.data = fake_quantize(layer.weight.data, scheme.weight_bits, axis)
        yield model
    finally:
        # Reverse order, so a weight shared by two layers ends at its first-saved (float) tensor.
        for layer, weight in reversed(originals):
            layer.weight.data = weight
        for handle in handles:
            handle.remove()
