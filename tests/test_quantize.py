"""Fake quantization against its closed forms, the `quantized` context on a tiny CNN, and the noise model."""

import math

import pytest
import torch
from torch import nn

from scaling_core.core.errors import ConfigError
from scaling_core.studies.deployment.noise_model import calibrate_gain, levels, model_output_sqnr_db, quantizer_sqnr_db
from scaling_core.studies.deployment.quantize import (
    QuantScheme,
    count_quantizers,
    fake_quantize,
    input_peaks,
    quantized,
    sqnr_db,
)

SAMPLES = 1_000_000


def full_scale_sine() -> torch.Tensor:
    """A unit sine at the golden-ratio frequency, whose phases never repeat and fill the period evenly."""
    k = torch.arange(SAMPLES, dtype=torch.float64)
    return torch.sin(2 * math.pi * (math.sqrt(5) - 1) / 2 * k + 0.3).float()


def uniform_signal() -> torch.Tensor:
    """Uniform samples on [-1, 1]."""
    return torch.rand(SAMPLES, generator=torch.Generator().manual_seed(0)) * 2 - 1


def tiny_cnn() -> nn.Module:
    """Three quantizable layers (two Conv2d, one Linear) around layers that are not quantized, in eval mode."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 16, 3, stride=2),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 10),
    ).eval()


def batch(seed: int = 1) -> torch.Tensor:
    """A small batch of random images for tiny_cnn."""
    return torch.randn(32, 3, 16, 16, generator=torch.Generator().manual_seed(seed))


def test_levels_are_the_restricted_symmetric_range():
    assert [levels(b) for b in (2, 3, 4, 8, 16)] == [1, 3, 7, 127, 32767]


def test_a_full_scale_sine_measures_the_textbook_sqnr_and_the_closed_form_from_seven_bits():
    sine = full_scale_sine()
    for b in range(2, 17):
        measured = sqnr_db(sine, fake_quantize(sine, b))
        excess = measured - quantizer_sqnr_db(b, math.sqrt(2))
        # The sine's peaks sit on the top level, where its error is small: it beats the Delta^2/12 model by ~1/sqrt(n).
        assert 0 < excess < 1.2 / math.sqrt(levels(b))
        if b >= 5:
            assert measured == pytest.approx(6.02 * b + 1.76, abs=1.0)
        if b >= 7:
            assert excess < 0.2


def test_a_two_bit_sine_measures_its_exact_sqnr():
    # Levels {-1, 0, 1}, threshold 1/2: P(|sin| > 1/2) = 2/3 and E[|sin|; |sin| > 1/2] = sqrt(3)/pi.
    noise = 0.5 - 2 * math.sqrt(3) / math.pi + 2 / 3
    sine = full_scale_sine()
    assert sqnr_db(sine, fake_quantize(sine, 2)) == pytest.approx(10 * math.log10(0.5 / noise), abs=0.01)


def test_a_uniform_signal_measures_the_closed_form_at_every_bit_width():
    signal = uniform_signal()
    for b in range(2, 17):
        measured = sqnr_db(signal, fake_quantize(signal, b))
        assert measured == pytest.approx(quantizer_sqnr_db(b, math.sqrt(3)), abs=0.2)
        if b >= 6:
            assert measured == pytest.approx(6.02 * b, abs=1.0)


def test_the_closed_form_is_twelve_n_squared_over_c_squared():
    assert quantizer_sqnr_db(8, 1.0) == pytest.approx(10 * math.log10(12 * 127**2))
    assert quantizer_sqnr_db(8, 2.0) == pytest.approx(quantizer_sqnr_db(8, 1.0) - 20 * math.log10(2))
    with pytest.raises(ConfigError) as error:
        quantizer_sqnr_db(8, 0.5)
    assert error.value.parameter == "crest_factor"


def test_fake_quantize_lands_on_the_grid_within_half_a_step():
    x = torch.randn(4000, generator=torch.Generator().manual_seed(2)) * 3
    for b in (2, 3, 8, 16):
        n = levels(b)
        step = float(x.abs().max()) / n
        k = fake_quantize(x, b).double() / step
        assert torch.allclose(k, k.round(), atol=1e-3)
        assert int(k.round().abs().max()) == n
        # Plus float32 rounding of k*step, which matters against the 16-bit step.
        assert float((fake_quantize(x, b) - x).abs().max()) <= step / 2 + 4e-7 * float(x.abs().max())


def test_sixteen_bits_barely_change_a_tensor():
    x = torch.randn(64, 32, generator=torch.Generator().manual_seed(3))
    for axis in (None, 0):
        change = fake_quantize(x, 16, axis) - x
        assert float(change.norm() / x.norm()) < 1e-4
        assert 0 < float(change.abs().max()) < 1e-4 * float(x.abs().max())


def test_per_channel_uses_each_channels_own_maximum():
    w = torch.randn(3, 5, 2, 2, generator=torch.Generator().manual_seed(4))
    w = w * torch.tensor([1e-3, 1.0, 1e3]).view(3, 1, 1, 1)
    per_channel = fake_quantize(w, 4, channel_axis=0)
    for c in range(3):
        step = float(w[c].abs().max()) / levels(4)
        k = per_channel[c].double() / step
        assert torch.allclose(k, k.round(), atol=1e-3) and int(k.round().abs().max()) == levels(4)
    assert torch.count_nonzero(fake_quantize(w, 4)[:2]) == 0
    moved = fake_quantize(w.movedim(0, 1), 4, channel_axis=1).movedim(1, 0)
    assert torch.equal(moved, per_channel)
    assert torch.equal(fake_quantize(w, 4, channel_axis=-4), per_channel)
    with pytest.raises(ConfigError) as error:
        fake_quantize(w, 4, channel_axis=4)
    assert error.value.parameter == "channel_axis"


def test_zero_tensors_and_zero_channels_stay_zero():
    assert torch.equal(fake_quantize(torch.zeros(3, 4), 8), torch.zeros(3, 4))
    w = torch.cat([torch.zeros(1, 4), torch.ones(1, 4)])
    assert torch.equal(fake_quantize(w, 8, channel_axis=0), w)


def test_sqnr_db_is_signal_over_error_power():
    reference = torch.tensor([3.0, 4.0])
    assert sqnr_db(reference, reference.clone()) == math.inf
    assert sqnr_db(reference, torch.tensor([3.0, 4.5])) == pytest.approx(10 * math.log10(25 / 0.25))
    with pytest.raises(ConfigError):
        sqnr_db(reference, torch.zeros(3))


def test_sixteen_bits_keep_a_tiny_cnns_predictions():
    model, images = tiny_cnn(), batch()
    with torch.no_grad():
        reference = model(images)
        with quantized(model, QuantScheme(16, 16, per_channel=True), input_peaks(model, batch(seed=2))):
            output = model(images)
    assert torch.equal(output.argmax(dim=1), reference.argmax(dim=1))
    assert 60 < sqnr_db(reference, output) < math.inf


def test_fewer_bits_cost_sqnr_for_weights_and_for_activations():
    model, images = tiny_cnn(), batch()

    def measured(scheme: QuantScheme) -> float:
        with torch.no_grad():
            reference = model(images)
            with quantized(model, scheme, input_peaks(model, batch(seed=2))):
                return sqnr_db(reference, model(images))

    assert measured(QuantScheme(8, 8, True)) > measured(QuantScheme(4, 4, True)) + 15
    assert measured(QuantScheme(16, None, True)) > measured(QuantScheme(16, 4, True)) + 15
    assert measured(QuantScheme(4, None, True)) > measured(QuantScheme(4, None, False))


def test_inputs_are_quantized_with_the_calibrated_step_and_clamped_beyond_it():
    model, calibration = tiny_cnn(), batch(seed=2)
    first = model[0]
    seen = []
    with quantized(model, QuantScheme(8, 4, per_channel=False), input_peaks(model, calibration)):
        # Registered after the context's own hook, so it sees the input the layer gets.
        handle = first.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
        with torch.no_grad():
            model(3 * batch())
        handle.remove()
    step = float(calibration.abs().max()) / levels(4)
    k = seen[0].double() / step
    assert torch.allclose(k, k.round(), atol=1e-3)
    assert int(k.round().abs().max()) == levels(4)


def test_weights_are_quantized_inside_and_restored_exactly_after_even_on_error():
    model = tiny_cnn()
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    images = batch()
    with torch.no_grad():
        reference = model(images)
    with quantized(model, QuantScheme(4, 8, per_channel=True), input_peaks(model, batch(seed=2))):
        assert not torch.equal(model[0].weight, before["0.weight"])
        assert torch.equal(model[0].bias, before["0.bias"])
    assert all(torch.equal(p, before[name]) for name, p in model.named_parameters())
    with pytest.raises(RuntimeError, match="inside"):
        with quantized(model, QuantScheme(4, 8, per_channel=False), input_peaks(model, batch(seed=2))):
            raise RuntimeError("inside")
    assert all(torch.equal(p, before[name]) for name, p in model.named_parameters())
    with torch.no_grad():
        assert torch.equal(model(images), reference)


def test_a_weight_shared_by_two_layers_is_restored():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 6), nn.ReLU(), nn.Linear(6, 6)).eval()
    model[2].weight = model[0].weight
    before = model[0].weight.detach().clone()
    with quantized(model, QuantScheme(3, None, per_channel=True), input_peaks(model, torch.randn(4, 6))):
        assert not torch.equal(model[2].weight, before)
    assert torch.equal(model[0].weight, before) and model[2].weight is model[0].weight


def test_a_training_model_is_refused():
    model = tiny_cnn().train()
    with pytest.raises(ConfigError) as error:
        with quantized(model, QuantScheme(8, 8, True), input_peaks(model, batch())):
            pass
    assert error.value.parameter == "model"


def test_count_quantizers_counts_conv_and_linear_weights_and_inputs():
    model = tiny_cnn()
    assert count_quantizers(model, QuantScheme(8, 8, True)) == 6
    assert count_quantizers(model, QuantScheme(8, None, False)) == 3


def test_the_model_gains_six_db_per_bit_and_loses_three_db_per_doubling_of_quantizers():
    assert model_output_sqnr_db(9, 10, 2.0) - model_output_sqnr_db(8, 10, 2.0) == pytest.approx(6.02, abs=0.1)
    for b in range(2, 16):
        step = 20 * math.log10(levels(b + 1) / levels(b))
        assert model_output_sqnr_db(b + 1, 10, 2.0) - model_output_sqnr_db(b, 10, 2.0) == pytest.approx(step)
    assert model_output_sqnr_db(8, 10, 2.0) - model_output_sqnr_db(8, 20, 2.0) == pytest.approx(10 * math.log10(2))
    assert model_output_sqnr_db(8, 10, 2.0) - model_output_sqnr_db(8, 10, 4.0) == pytest.approx(10 * math.log10(2))
    assert model_output_sqnr_db(8, 1, 1.0) == pytest.approx(10 * math.log10(12 * 127**2))
    for bad in ({"quantizers": 0}, {"gain": 0.0}, {"gain": math.nan}):
        with pytest.raises(ConfigError) as error:
            model_output_sqnr_db(**{"bits": 8, "quantizers": 10, "gain": 2.0, **bad})
        assert error.value.parameter == next(iter(bad))


def test_calibrate_gain_recovers_the_gain_that_generated_the_data():
    bits = [4, 6, 8, 8, 12, 16, 8, 8]
    quantizers = [6, 6, 12, 40, 20, 6, 6, 6]
    measured = [model_output_sqnr_db(b, q, 2.7) for b, q in zip(bits[:6], quantizers[:6])] + [math.nan, math.inf]
    assert calibrate_gain(bits, quantizers, measured) == pytest.approx(2.7, rel=1e-12)
    # Off by +1 dB and -1 dB: least squares in dB lands back on the middle.
    assert calibrate_gain([8, 8], [6, 6], [model_output_sqnr_db(8, 6, 2.7) + d for d in (1, -1)]) == pytest.approx(2.7)
    with pytest.raises(ConfigError) as error:
        calibrate_gain([8, 8], [6, 6], [math.nan, math.inf])
    assert error.value.parameter == "measured_db"
    with pytest.raises(ConfigError):
        calibrate_gain([8], [6, 6], [40.0])


@pytest.mark.parametrize("bad", [1, 17, 3.5, True, "8"])
def test_bad_bits_are_refused(bad):
    calls = [
        lambda: levels(bad),
        lambda: fake_quantize(torch.ones(3), bad),
        lambda: quantizer_sqnr_db(bad, 1.5),
        lambda: model_output_sqnr_db(bad, 4, 1.0),
        lambda: calibrate_gain([bad], [4], [30.0]),
    ]
    for call in calls:
        with pytest.raises(ConfigError) as error:
            call()
        assert error.value.parameter == "bits"
    for scheme in ({"weight_bits": bad, "activation_bits": 8}, {"weight_bits": 8, "activation_bits": bad}):
        with pytest.raises(ConfigError) as error:
            QuantScheme(per_channel=True, **scheme)
        assert error.value.parameter == next(k for k, v in scheme.items() if v is bad)
