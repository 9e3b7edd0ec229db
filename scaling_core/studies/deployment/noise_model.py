"""A model of the SQNR that symmetric uniform quantization costs: one quantizer, and a network of them (no torch).

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
from collections.abc import Sequence

from scaling_core.core.errors import ConfigError, require_finite


def require_bits(bits: object, parameter: str = "bits") -> int:
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
    return 2 ** (require_bits(bits) - 1) - 1


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
