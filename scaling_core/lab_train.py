"""One lab run: train a network on a lab dataset for the fixed budget, deterministically on one thread."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

from .arch import ScaledArch
from .lab_data import load_dataset, resample


@dataclass(frozen=True)
class Budget:
    """The fixed training budget of every lab run."""

    epochs: int
    batch_size: int
    learning_rate: float
    weight_decay: float


@dataclass(frozen=True)
class TrainResult:
    """Test accuracy after the budget, the per-epoch curve, the training steps' wall time and the trained weights."""

    accuracy: float
    curve: tuple[dict, ...]
    train_time_s: float
    checkpoint: bytes


def train(dataset: str, network: ScaledArch, seed: int, budget: Budget) -> TrainResult:
    """Train one network on one dataset with one seed (deterministic on one thread)."""
    import torch
    import torch.nn.functional as F

    from .build import build_model

    torch.set_num_threads(1)
    data = load_dataset(dataset)
    px = network.resolution_px
    train_x, test_x = resample(data.train_x, px), resample(data.test_x, px)
    mean, std = train_x.mean(), train_x.std()
    train_x, test_x = (train_x - mean) / std, (test_x - mean) / std
    train_y, test_y = torch.as_tensor(data.train_y), torch.as_tensor(data.test_y)
    torch.manual_seed(seed)
    model = build_model(network).train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=budget.learning_rate, weight_decay=budget.weight_decay)
    steps_per_epoch = -(-len(train_y) // budget.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=budget.learning_rate,
                                                   total_steps=budget.epochs * steps_per_epoch)
    shuffle = torch.Generator().manual_seed(seed)
    curve = []
    elapsed = 0.0
    for epoch in range(1, budget.epochs + 1):
        model.train()
        order = torch.randperm(len(train_y), generator=shuffle)
        total = 0.0
        start = time.perf_counter()
        for step in range(steps_per_epoch):
            batch = order[step * budget.batch_size:(step + 1) * budget.batch_size]
            loss = F.cross_entropy(model(train_x[batch]), train_y[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(batch)
        elapsed += time.perf_counter() - start  # training steps only, not the evaluation below
        curve.append({"epoch": epoch, "train_loss": total / len(train_y),
                      "test_accuracy": evaluate(model, test_x, test_y)})
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return TrainResult(curve[-1]["test_accuracy"], tuple(curve), elapsed, buffer.getvalue())


def evaluate(model, images, labels, batch_size: int = 512) -> float:
    """Share of correctly classified images (eval mode, no gradients)."""
    import torch

    model.eval()
    with torch.no_grad():
        correct = sum(int((model(images[i:i + batch_size]).argmax(1) == labels[i:i + batch_size]).sum())
                      for i in range(0, len(labels), batch_size))
    return correct / len(labels)
