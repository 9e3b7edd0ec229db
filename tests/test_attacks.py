"""The attacks do what they claim on a trained lab network: bounded, valid pixels, never better than clean."""

import numpy as np
import pytest
import torch

from scaling_core.lab.data import load_dataset, resample
from scaling_core.lab.runs import lab_network
from scaling_core.lab.train import Budget, train
from scaling_core.nn.pixel_input import Normalised
from scaling_core.studies.robustness.attacks import CORRUPTIONS, accuracy, corrupt, fgsm, margins_and_gradients, pgd

EPS = [0.0, 0.02, 0.05, 0.1, 0.2]


@pytest.fixture(scope="module")
def trained():
    import io

    from scaling_core.nn.build import build_model

    torch.set_num_threads(1)
    network = lab_network("digits", "efficientnet", 0)
    result = train("digits", network, 0, Budget(epochs=12, batch_size=128, learning_rate=0.004, weight_decay=1e-4))
    model = build_model(network)
    model.load_state_dict(torch.load(io.BytesIO(result.checkpoint), weights_only=True))
    data = load_dataset("digits")
    train_x = resample(data.train_x, network.resolution_px)
    model = Normalised(model.eval(), train_x.mean(), train_x.std()).eval()
    x = resample(data.test_x[:120], network.resolution_px).clamp(0, 1)
    return model, x, torch.as_tensor(data.test_y[:120])


def test_the_network_learned_something(trained):
    model, x, y = trained
    assert accuracy(model, x, y) > 0.8  # else every check below would be vacuous


def test_attacks_of_size_zero_leave_the_accuracy_clean(trained):
    model, x, y = trained
    clean = accuracy(model, x, y)
    assert accuracy(model, fgsm(model, x, y, 0.0), y) == clean
    assert accuracy(model, pgd(model, x, y, 0.0, 10, 0.25, torch.Generator().manual_seed(0)), y) == clean


@pytest.mark.parametrize("eps", EPS[1:])
def test_perturbations_stay_in_the_ball_and_the_pixel_range(trained, eps):
    model, x, y = trained
    for adversarial in (fgsm(model, x, y, eps), pgd(model, x, y, eps, 10, 0.25, torch.Generator().manual_seed(1))):
        assert float((adversarial - x).abs().max()) <= eps + 1e-6
        assert float(adversarial.min()) >= 0.0 and float(adversarial.max()) <= 1.0


def test_pgd_is_never_better_than_clean_and_at_least_as_strong_as_fgsm(trained):
    model, x, y = trained
    clean = accuracy(model, x, y)
    previous = clean
    for eps in EPS[1:]:
        strong = accuracy(model, pgd(model, x, y, eps, 10, 0.25, torch.Generator().manual_seed(2)), y)
        weak = accuracy(model, fgsm(model, x, y, eps), y)
        assert strong <= clean and strong <= weak + 0.02
        assert strong <= previous + 0.02  # a larger ball is no easier to survive
        previous = strong
    assert strong < 0.5 * clean  # the attack bites on an undefended network


def test_the_margin_is_positive_exactly_where_the_network_is_right(trained):
    model, x, y = trained
    margin, _ = margins_and_gradients(model, x, y)
    with torch.no_grad():
        right = model(x).argmax(1) == y
    assert torch.equal(margin > 0, right)


def test_the_gradient_norm_predicts_the_first_order_drop_of_the_margin(trained):
    model, x, y = trained
    eps = 1e-4
    margin, norm = margins_and_gradients(model, x, y)
    # The worst L∞ step against the margin moves every pixel by ε against the sign of its gradient.
    pixels = x.clone().requires_grad_(True)
    logits = model(pixels)
    others = logits.masked_fill(torch.nn.functional.one_hot(y, 10).bool(), float("-inf")).max(1).values
    direction = torch.autograd.grad((logits.gather(1, y[:, None]).squeeze(1) - others).sum(), pixels)[0].sign()
    moved, _ = margins_and_gradients(model, x - eps * direction, y)
    assert np.median(np.abs((margin - moved).numpy() / (eps * norm.numpy()) - 1)) < 0.05


def test_corruptions_keep_pixels_valid_and_their_neutral_setting_changes_nothing(trained):
    _, x, _ = trained
    generator = torch.Generator().manual_seed(0)
    assert torch.allclose(corrupt("contrast", x, 1.0, generator), x)
    assert torch.allclose(corrupt("gaussian_noise", x, 0.0, generator), x)
    blurred = corrupt("gaussian_blur", x, 1.5, generator)
    assert blurred.shape == x.shape and float((blurred - x).abs().mean()) > 0
    assert float(blurred.mean()) == pytest.approx(float(x.mean()), abs=0.02)  # a blur moves detail, not light
    for name in CORRUPTIONS:
        out = corrupt(name, x, 0.5, generator)
        assert float(out.min()) >= 0 and float(out.max()) <= 1
