"""Post-training fake quantization of conv/linear networks, and a model of the output SQNR it costs.

Quantizer (measured): symmetric, uniform, restricted range. With b bits there are n = 2^(b-1) - 1 levels per side,
step Delta = A / n where A = max|x| (over the whole tensor, or per output channel = dim 0 of a weight), zero point 0,
and values are rounded to k*Delta with |k| <= n (inputs beyond +-n*Delta are clamped). Weights of every nn.Conv2d and
nn.Linear are quantized (per channel or per tensor); their inputs are quantized per tensor with a step fixed from
max|input| on a calibration batch. Biases stay float (standard practice: they are added at accumulator precision).
Activations use the same signed quantizer even after a ReLU, so non-negative inputs waste one bit.

Per-quantizer SQNR (modelled): the rounding error is taken as uniform on [-Delta/2, Delta/2], variance Delta^2/12.
A signal with crest factor c = peak/RMS filling the range has power (n*Delta/c)^2, so
    SQNR = 10*log10(12*n^2/c^2) dB  ~=  6.02*b + 4.77 - 20*log10(c) + 20*log10(1 - 2^(1-b)),
the last term being the restricted range's loss (-0.07 dB at 8 bits). A full-scale sine (c = sqrt(2)) gives the
textbook 6.02*b + 1.76 dB; a uniform signal (c = sqrt(3)) gives ~6.02*b: the +1.76 dB is the sine's crest factor,
not a property of the quantizer. Uniform error holds when Delta is small against the signal's variation; a sine
lingers near its peaks, which sit exactly on the top level, so it measures above the formula by 1.15 dB at 2 bits,
0.41 at 4, 0.19 at 6 and under 0.1 dB from 8 bits (the excess is about 1/sqrt(n) dB). Uniform signals match at all bits.

Network output SQNR (modelled): a network has N_q quantizers (one per conv/linear weight tensor, one per conv/linear
input when activations are quantized). Quantizer i adds noise with noise-to-signal ratio c_i^2/(12*n^2) at its point,
and the downstream network carries it to the output with relative gain g_i. Assuming independent noises, all at the
same b bits, output NSR = sum_i g_i*c_i^2/(12*n^2). With one effective constant K = mean_i(g_i*c_i^2), calibrated
from measurements,
    output SQNR_dB = 10*log10(12*n^2) - 10*log10(N_q*K),
so the model predicts 6.02 dB per bit and a loss of 10*log10(N_q) as the network deepens. It ignores clipping of
activations beyond the calibrated range and correlation between quantizers' errors.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from scaling_core.core.errors import ConfigError, require_finite

QUANTIZED_LAYERS = (nn.Conv2d, nn.Linear)


def _require_bits(bits: object, parameter: str = "bits") -> int:
    """Return bits as int if it is an integer in [2, 16], else raise ConfigError."""
    if isinstance(bits, bool) or not isinstance(bits, numbers.Integral) or not 2 <= bits <= 16:
        raise ConfigError(parameter, bits, "an integer in [2, 16]")
    return int(bits)


def _require_quantizers(quantizers: object) -> int:
    """Return quantizers as int if it is an integer >= 1, else raise ConfigError."""
    if isinstance(quantizers, bool) or not isinstance(quantizers, numbers.Integral) or quantizers < 1:
        raise ConfigError("quantizers", quantizers, "an integer >= 1")
    return int(quantizers)


def levels(bits: int) -> int:
    """Levels per side n = 2^(bits-1) - 1 of the symmetric restricted-range quantizer."""
    return 2 ** (_require_bits(bits) - 1) - 1


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


def quantizer_sqnr_db(bits: int, crest_factor: float) -> float:
    """Modelled SQNR 10*log10(12*n^2/c^2) of one quantizer on a signal of crest factor c filling its range."""
    n = levels(bits)
    c = require_finite("crest_factor", crest_factor, minimum=1.0)
    return 10 * math.log10(12 * n * n / (c * c))


def model_output_sqnr_db(bits: int, quantizers: int, gain: float) -> float:
    """Modelled network output SQNR 10*log10(12*n^2) - 10*log10(N_q*K) in dB."""
    n = levels(bits)
    count = _require_quantizers(quantizers)
    k = require_finite("gain", gain, minimum=0.0, exclusive=True)
    return 10 * math.log10(12 * n * n) - 10 * math.log10(count * k)


def calibrate_gain(bits: Sequence[int], quantizers: Sequence[int], measured_db: Sequence[float]) -> float:
    """Gain K that fits model_output_sqnr_db to the finite measured values by least squares in dB."""
    if not len(bits) == len(quantizers) == len(measured_db):
        raise ConfigError("measured_db", len(measured_db), "one value per (bits, quantizers) pair")
    residuals = []
    for b, q, measured in zip(bits, quantizers, measured_db):
        n = levels(b)
        count = _require_quantizers(q)
        # inf means the quantizer changed nothing, and NaN a failed run: neither says anything about K.
        if math.isfinite(measured):
            residuals.append(10 * math.log10(12 * n * n) - 10 * math.log10(count) - measured)
    if not residuals:
        raise ConfigError("measured_db", list(measured_db), "at least one finite value")
    return 10 ** (sum(residuals) / len(residuals) / 10)


@dataclass(frozen=True)
class QuantScheme:
    """What is quantized: weight bits, activation bits (None = float), weights per channel or per tensor."""

    weight_bits: int
    activation_bits: int | None
    per_channel: bool

    def __post_init__(self) -> None:
        _require_bits(self.weight_bits, "weight_bits")
        if self.activation_bits is not None:
            _require_bits(self.activation_bits, "activation_bits")


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
    with steps from their calibrated peaks (input_peaks: one calibration serves every scheme); weights restored on exit."""
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
