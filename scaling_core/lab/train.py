"""One lab run: train a network on a lab dataset for the fixed budget, deterministically on one thread.

On a CUDA GPU (`device="cuda"`) the images live on the GPU for the whole run, and automatic mixed precision
(`amp`: float16 autocast with a gradient scaler) is an option; GPU kernels are not bit-reproducible, so such runs
are keyed apart from the CPU's (scaling_core.lab.runs.run_key).

A run may learn from a teacher as well (knowledge distillation, Hinton et al. 2015, "Distilling
the knowledge in a neural network"): the loss is α·T²·KL(teacher_T ‖ student_T) + (1 − α)·CE with
both softmaxes at temperature T; the T² keeps the soft term's gradients on the scale of the hard
term's as T changes. At α = 0 it is the plain run, bit for bit.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import numpy as np

from scaling_core.core.arch import ScaledArch
from scaling_core.core.errors import ConfigError
from scaling_core.hardware.fingerprint import require_device
from scaling_core.lab.data import load_dataset, resample


@dataclass(frozen=True)
class Budget:
    """The fixed training budget of every lab run."""

    epochs: int
    batch_size: int
    learning_rate: float
    weight_decay: float


@dataclass(frozen=True)
class Distillation:
    """A teacher's logits on the training images (in the dataset's training order), its temperature and weight α."""

    teacher_logits: np.ndarray
    temperature: float
    alpha: float


@dataclass(frozen=True)
class TrainResult:
    """Test accuracy after the budget, the per-epoch curve, the training steps' wall time and the trained weights."""

    accuracy: float
    curve: tuple[dict, ...]
    train_time_s: float
    checkpoint: bytes


@dataclass(frozen=True)
class Split:
    """A dataset's images at one input size, standardised by the training images' mean and deviation."""

    train_x: object
    train_y: object
    test_x: object
    test_y: object


def split_at(dataset: str, px: int) -> Split:
    """The dataset at px × px, standardised as every lab run is."""
    import torch

    data = load_dataset(dataset)
    train_x, test_x = resample(data.train_x, px), resample(data.test_x, px)
    mean, std = train_x.mean(), train_x.std()
    return Split(
        (train_x - mean) / std, torch.as_tensor(data.train_y), (test_x - mean) / std, torch.as_tensor(data.test_y)
    )


def check_training_device(device: str, amp: bool, here: bool = True) -> None:
    """Refuse (one-line ConfigError) mixed precision off the GPU and, when training `here`, a device this machine
    lacks (on a cluster each worker checks its own)."""
    if device not in ("cpu", "cuda"):
        raise ConfigError("--device", device, "cpu or cuda")
    if amp and device != "cuda":
        raise ConfigError("--amp", device, "with --device cuda only (mixed precision is a GPU option)")
    if here:
        require_device(device, "--device")


def on_device(split: Split, device: str) -> Split:
    """The split's tensors moved to the device (the lab's datasets fit in any GPU's memory)."""
    return Split(*(t.to(device) for t in (split.train_x, split.train_y, split.test_x, split.test_y)))


def train(
    dataset: str,
    network: ScaledArch,
    seed: int,
    budget: Budget,
    distillation: Distillation | None = None,
    device: str = "cpu",
    amp: bool = False,
) -> TrainResult:
    """Train one network on one dataset with one seed (deterministic on one thread), from a teacher if given; on
    a CUDA GPU with device="cuda", in mixed precision with amp."""
    import torch

    from scaling_core.nn.build import build_model

    check_training_device(device, amp)
    torch.set_num_threads(1)
    split = split_at(dataset, network.resolution_px)
    torch.manual_seed(seed)
    model = build_model(network)
    if device != "cpu":
        model, split = model.to(device), on_device(split, device)
    curve, elapsed = fit(model, split, seed, budget, distillation, amp)
    buffer = io.BytesIO()
    torch.save(model.to("cpu").state_dict(), buffer)  # CPU tensors: loadable on any machine
    return TrainResult(curve[-1]["test_accuracy"], tuple(curve), elapsed, buffer.getvalue())


def fit(
    model, split: Split, seed: int, budget: Budget, distillation: Distillation | None = None, amp: bool = False
) -> tuple[list[dict], float]:
    """Train a model in place for the budget (AdamW, one-cycle schedule): per-epoch curve and training seconds.

    The model and the split are on one device; `amp` (CUDA only) runs the forward passes under float16 autocast
    and scales the loss so small gradients survive float16.
    """
    import torch
    import torch.nn.functional as F

    device = split.train_y.device
    scaler = torch.amp.GradScaler("cuda", enabled=amp)

    optimiser = torch.optim.AdamW(model.parameters(), lr=budget.learning_rate, weight_decay=budget.weight_decay)
    steps_per_epoch = -(-len(split.train_y) // budget.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=budget.learning_rate, total_steps=budget.epochs * steps_per_epoch
    )
    teacher = (
        None
        if distillation is None
        else torch.as_tensor(distillation.teacher_logits, dtype=torch.float32, device=device)
    )
    shuffle = torch.Generator().manual_seed(seed)
    curve = []
    elapsed = 0.0
    for epoch in range(1, budget.epochs + 1):
        model.train()
        order = torch.randperm(len(split.train_y), generator=shuffle).to(device)  # drawn on the CPU: same order
        total = 0.0
        start = time.perf_counter()
        for step in range(steps_per_epoch):
            batch = order[step * budget.batch_size : (step + 1) * budget.batch_size]
            with torch.autocast(device.type, dtype=torch.float16, enabled=amp):
                logits = model(split.train_x[batch])
                loss = F.cross_entropy(logits, split.train_y[batch])
                if teacher is not None:
                    loss = (1 - distillation.alpha) * loss + distillation.alpha * soft_loss(
                        logits, teacher[batch], distillation.temperature
                    )
            optimiser.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimiser)
            scaler.update()
            schedule.step()
            total += loss.item() * len(batch)
        elapsed += time.perf_counter() - start  # training steps only, not the evaluation below
        curve.append(
            {
                "epoch": epoch,
                "train_loss": total / len(split.train_y),
                "test_accuracy": evaluate(model, split.test_x, split.test_y, amp=amp),
            }
        )
    return curve, elapsed


def soft_loss(student_logits, teacher_logits, temperature: float):
    """T²·KL(softmax(teacher/T) ‖ softmax(student/T)), mean over the batch."""
    import torch.nn.functional as F

    return temperature**2 * F.kl_div(
        F.log_softmax(student_logits / temperature, dim=1),
        F.log_softmax(teacher_logits / temperature, dim=1),
        reduction="batchmean",
        log_target=True,
    )


def evaluate(model, images, labels, batch_size: int = 512, amp: bool = False) -> float:
    """Share of correctly classified images (eval mode, no gradients; float16 autocast with amp, on CUDA)."""
    import torch

    model.eval()
    with torch.no_grad(), torch.autocast(images.device.type, dtype=torch.float16, enabled=amp):
        correct = sum(
            int((model(images[i : i + batch_size]).argmax(1) == labels[i : i + batch_size]).sum())
            for i in range(0, len(labels), batch_size)
        )
    return correct / len(labels)
