"""Perturbations of a classifier's input: FGSM and PGD (L∞), common corruptions, logit margins, gradient norms.

Everything works on pixels in [0, 1] at the network's input size; the model given must take such pixels
(normalisation inside it, see `scaling_core.nn.pixel_input.Normalised`), so the ε ball and the valid range are
those of the image.

- FGSM (Goodfellow et al., ICLR 2015): x + ε·sign(∇ₓ CE), clipped to [0, 1].
- PGD (Madry et al., ICLR 2018): a uniform random start in the ε ball, then `steps` steps of size
  `step_size`·ε along sign(∇ₓ CE), each projected back onto the ε ball and [0, 1]. The attack keeps,
  per image, the first perturbation that fools the model (or the last one), so it is never weaker than
  its own iterates.
- Corruptions (after Hendrycks & Dietterich, ICLR 2019): Gaussian noise of standard deviation s,
  Gaussian blur of standard deviation s pixels, contrast scaled by s around each image's mean.
- Logit margin: z_y − max_{j≠y} z_j (positive when correct). Its input-gradient's L1 norm is the dual
  of L∞: to first order an L∞ attack of size ε lowers the margin by ε·‖∇ₓ margin‖₁.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


def _loss_gradient(model, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    x = x.detach().requires_grad_(True)
    loss = F.cross_entropy(model(x), y, reduction="sum")
    return torch.autograd.grad(loss, x)[0]


def fgsm(model, x: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    """The fast gradient sign attack of size ε (L∞), within [0, 1]."""
    if eps == 0:
        return x.clone()
    return (x + eps * _loss_gradient(model, x, y).sign()).clamp(0.0, 1.0).detach()


def pgd(
    model, x: torch.Tensor, y: torch.Tensor, eps: float, steps: int, step_size: float, generator: torch.Generator
) -> torch.Tensor:
    """Projected gradient descent with a random start (L∞ ball of radius ε, step step_size·ε), within [0, 1]."""
    if eps == 0:
        return x.clone()
    start = torch.rand(x.shape, generator=generator, dtype=x.dtype) * 2 - 1
    adversarial = (x + eps * start).clamp(0.0, 1.0)
    best = adversarial.clone()
    fooled = torch.zeros(len(x), dtype=torch.bool)
    for step in range(steps + 1):
        if step:
            adversarial = adversarial + step_size * eps * _loss_gradient(model, adversarial, y).sign()
            adversarial = torch.min(torch.max(adversarial, x - eps), x + eps).clamp(0.0, 1.0).detach()
        with torch.no_grad():
            wrong = model(adversarial).argmax(1) != y
        # Keep the first perturbation that fools each image; the others follow the iterates to the last.
        keep = ~fooled
        best[keep] = adversarial[keep]
        fooled |= wrong
    return best


def _gaussian_noise(x: torch.Tensor, s: float, generator: torch.Generator) -> torch.Tensor:
    return x + s * torch.randn(x.shape, generator=generator, dtype=x.dtype)


def _gaussian_blur(x: torch.Tensor, s: float, generator: torch.Generator) -> torch.Tensor:
    radius = max(1, int(3 * s + 0.5))
    taps = torch.exp(-0.5 * (torch.arange(-radius, radius + 1, dtype=x.dtype) / s) ** 2)
    taps = taps / taps.sum()
    channels = x.shape[1]
    padded = F.pad(x, (radius, radius, radius, radius), mode="replicate")
    rows = F.conv2d(padded, taps.view(1, 1, 1, -1).repeat(channels, 1, 1, 1), groups=channels)
    return F.conv2d(rows, taps.view(1, 1, -1, 1).repeat(channels, 1, 1, 1), groups=channels)


def _contrast(x: torch.Tensor, s: float, generator: torch.Generator) -> torch.Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return mean + s * (x - mean)


CORRUPTIONS: dict[str, Callable[[torch.Tensor, float, torch.Generator], torch.Tensor]] = {
    "gaussian_noise": _gaussian_noise,
    "gaussian_blur": _gaussian_blur,
    "contrast": _contrast,
}


def corrupt(name: str, x: torch.Tensor, severity: float, generator: torch.Generator) -> torch.Tensor:
    """A common corruption of strength `severity` (its parameter s, see the module docstring), within [0, 1]."""
    return CORRUPTIONS[name](x, severity, generator).clamp(0.0, 1.0)


def accuracy(model, x: torch.Tensor, y: torch.Tensor) -> float:
    """Share of images classified correctly."""
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def margins_and_gradients(model, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per image: the logit margin z_y − max_{j≠y} z_j and the L1 norm of its gradient with respect to the pixels."""
    x = x.detach().requires_grad_(True)
    logits = model(x)
    true = logits.gather(1, y[:, None]).squeeze(1)
    others = logits.masked_fill(F.one_hot(y, logits.shape[1]).bool(), float("-inf")).max(1).values
    margin = true - others
    gradient = torch.autograd.grad(margin.sum(), x)[0]
    return margin.detach(), gradient.abs().flatten(1).sum(1)
