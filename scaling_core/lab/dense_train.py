"""One dense run: train a task network of the dense lab on scenes or a folder, deterministically on one thread.

The same loop as the classification lab's (AdamW, one-cycle schedule, seeded initialisation and shuffling, one
thread), with each task's loss:
- classification: cross-entropy on the image-level label;
- segmentation: per-pixel cross-entropy at the native size of the masks (the stride-4 logits upsampled
  bilinearly), 255 ignored, so a network that cannot see a thin object pays for every pixel it misses;
- detection (CenterNet, Zhou et al. 2019): a penalty-reduced focal loss (α = 2, β = 4) on the class heatmaps against
  Gaussians at the object centres (σ a sixth of the box's geometric mean side in cells, at least half a cell), and
  L1 on the sub-cell offset and the log box size at the centre cells, normalised by the number of objects;
- multitask: the sum of the classification and segmentation losses, weighted equally.
Images are resized (bilinear, antialiased) from their native side to the network's input and standardised per
channel with the training images' statistics. Every metric is computed at the native size of the labels
(lab/dense_metrics.py), so what a low input resolution loses is counted.
"""

from __future__ import annotations

import base64
import io
import math
import time
from dataclasses import dataclass

import numpy as np

from scaling_core.lab.dense_data import NO_LABEL, DenseData, DenseSet
from scaling_core.lab.dense_metrics import ClassificationAccumulator, DetectionAccumulator, SegmentationAccumulator
from scaling_core.lab.dense_settings import DenseBudget, dense_settings
from scaling_core.lab.mask_folders import IGNORE_INDEX
from scaling_core.tasks.heads import TaskArch

PRIMARY = {"classification": "top1", "segmentation": "miou", "detection": "ap50", "multitask": "miou"}
CURVE_POINTS = 8  # validation passes per run: enough to see a curve level off, few enough that AP stays cheap
FOCAL_ALPHA, FOCAL_BETA = 2.0, 4.0
MIN_SIGMA_CELLS = 0.5
SAMPLE_MIN_SCORE = 0.3  # boxes kept for the Lab page's samples (AP scores every box)
HEATMAP_PRIOR = 0.1  # CenterNet's initial centre probability: without it the focal loss starts ~50× too large


@dataclass(frozen=True)
class DenseResult:
    """Final validation metrics (fractions), the learning curve, training seconds, weights and sample predictions."""

    metrics: dict
    curve: tuple[dict, ...]
    train_time_s: float
    checkpoint: bytes
    samples: dict


@dataclass(frozen=True)
class Prepared:
    """A part of the data as tensors at the network's input: standardised images, native masks, labels, boxes."""

    x: object
    masks: object
    labels: object
    part: DenseSet


def _subset(part: DenseSet, count: int) -> DenseSet:
    """The first `count` images of a part (all of them for 0)."""
    if not count or count >= len(part):
        return part
    return DenseSet(part.images[:count], part.masks[:count], part.boxes[:count], part.labels[:count])


def _resized(images: np.ndarray, side: int):
    """Images resized to side × side (bilinear, antialiased), as a new tensor."""
    import torch
    import torch.nn.functional as F

    x = torch.as_tensor(images)
    if x.shape[-1] == side:
        return x.clone()
    return F.interpolate(x, size=(side, side), mode="bilinear", antialias=True, align_corners=False)


def prepare(data: DenseData, budget: DenseBudget, side: int) -> tuple[Prepared, Prepared]:
    """The train and validation parts at `side` px, standardised by the training images' per-channel statistics."""
    import torch

    train, val = _subset(data.train, budget.train_images), _subset(data.val, budget.val_images)
    train_x, val_x = _resized(train.images, side), _resized(val.images, side)
    mean = train_x.mean(dim=(0, 2, 3), keepdim=True)
    std = train_x.std(dim=(0, 2, 3), keepdim=True).clamp_min(1e-6)

    def part(x, p: DenseSet) -> Prepared:
        return Prepared((x - mean) / std, torch.as_tensor(p.masks.astype(np.int64)), torch.as_tensor(p.labels), p)

    return part(train_x, train), part(val_x, val)


def _outputs(model, x) -> tuple:
    """A model's outputs as a tuple (a network without heads returns one tensor)."""
    out = model(x)
    return out if isinstance(out, tuple) else (out,)


def detection_targets(part: DenseSet, classes: int, grid: int):
    """CenterNet's targets on a grid × grid output: class heatmaps (N, C, g, g), regression (N, 4, g, g: offset x, y,
    log width, log height) and the mask of centre cells (N, g, g)."""
    import torch

    n, cell = len(part), part.size_px / grid
    heat = np.zeros((n, classes, grid, grid), np.float32)
    regression = np.zeros((n, 4, grid, grid), np.float32)
    centres = np.zeros((n, grid, grid), np.float32)
    ys, xs = np.mgrid[0:grid, 0:grid]
    for i, boxes in enumerate(part.boxes):
        for c, x0, y0, x1, y1 in boxes:
            cx, cy = (x0 + x1) / 2 / cell, (y0 + y1) / 2 / cell
            col, row = min(int(cx), grid - 1), min(int(cy), grid - 1)
            sigma = max(MIN_SIGMA_CELLS, math.sqrt((x1 - x0) * (y1 - y0)) / cell / 6)
            gaussian = np.exp(-((xs - col) ** 2 + (ys - row) ** 2) / (2 * sigma**2))
            heat[i, c - 1] = np.maximum(heat[i, c - 1], gaussian)
            regression[i, :, row, col] = (cx - col, cy - row, math.log(x1 - x0), math.log(y1 - y0))
            centres[i, row, col] = 1.0
    return torch.as_tensor(heat), torch.as_tensor(regression), torch.as_tensor(centres)


def detection_loss(maps, heat, regression, centres):
    """Focal loss on the heatmaps plus L1 on offset and log size at the centre cells, per object."""
    import torch

    classes = heat.shape[1]
    p = torch.sigmoid(maps[:, :classes]).clamp(1e-4, 1 - 1e-4)
    positive = heat.eq(1).float()
    focal = -(
        positive * (1 - p) ** FOCAL_ALPHA * torch.log(p)
        + (1 - positive) * (1 - heat) ** FOCAL_BETA * p**FOCAL_ALPHA * torch.log(1 - p)
    ).sum()
    l1 = (torch.abs(maps[:, classes:] - regression) * centres.unsqueeze(1)).sum()
    return (focal + l1) / centres.sum().clamp_min(1.0)


def decode_detections(maps, classes: int, side_px: int, keep: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per image the `keep` highest centre peaks (a 3×3 local maximum) as boxes in native pixels, scores, classes."""
    import torch
    import torch.nn.functional as F

    heat = torch.sigmoid(maps[:, :classes].float())
    peaks = heat * (F.max_pool2d(heat, 3, 1, 1) == heat)
    n, _, grid, _ = heat.shape
    cell = side_px / grid
    scores, where = peaks.flatten(1).topk(min(keep, classes * grid * grid), dim=1)
    label, rest = where // (grid * grid), where % (grid * grid)
    row, col = rest // grid, rest % grid
    out = []
    for i in range(n):
        r = maps[i, classes:, row[i], col[i]].float()
        cx, cy = (col[i] + r[0]) * cell, (row[i] + r[1]) * cell
        w, h = torch.exp(r[2].clamp(max=10)), torch.exp(r[3].clamp(max=10))
        boxes = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1).clamp(0, side_px)
        out.append((boxes.numpy(), scores[i].numpy(), (label[i] + 1).numpy()))
    return out


def mirrored(tensor, flip):
    """The batch with the images where `flip` is true mirrored left to right."""
    import torch

    return torch.where(flip.view(-1, *[1] * (tensor.dim() - 1)), tensor.flip(-1), tensor)


class TaskLoss:
    """The loss of a task on a batch of the training part (detection's targets made once per run).

    Each training image is mirrored left to right with probability ½ (drawn from the run's seeded generator), its
    labels with it: the only augmentation, as a scene or a photograph means the same mirrored. A mirrored centre
    at x lies at g − x on a grid of g cells, so its sub-cell offset becomes 1 − offset."""

    def __init__(self, task: str, train: Prepared, classes: int, grid: int | None) -> None:
        self.task, self.train = task, train
        self.targets = detection_targets(train.part, classes, grid) if task == "detection" else None

    def batch(self, batch, flip) -> object:
        """The batch's standardised images, mirrored where `flip` says."""
        return mirrored(self.train.x[batch], flip)

    def __call__(self, outputs: tuple, batch, flip) -> object:
        import torch
        import torch.nn.functional as F

        if self.task == "detection":
            heat, regression, centres = (mirrored(t[batch], flip) for t in self.targets)
            offset_x = torch.where(flip.view(-1, 1, 1), 1 - regression[:, 0], regression[:, 0])
            regression = torch.cat([offset_x.unsqueeze(1), regression[:, 1:]], 1)
            return detection_loss(outputs[0], heat, regression, centres)
        total = 0.0
        if self.task in ("classification", "multitask"):
            labels = self.train.labels[batch] - 1  # object classes 1 … C as 0 … C−1; no label (−1) is ignored
            if (labels >= 0).any():  # a batch of unlabelled images only would make the mean NaN
                total = total + F.cross_entropy(outputs[0], labels, ignore_index=NO_LABEL - 1)
        if self.task in ("segmentation", "multitask"):
            masks = mirrored(self.train.masks[batch], flip)
            logits = F.interpolate(outputs[-1], size=masks.shape[-2:], mode="bilinear", align_corners=False)
            total = total + F.cross_entropy(logits, masks, ignore_index=IGNORE_INDEX)
        return total


def evaluate_dense(model, task: str, val: Prepared, classes: int, keep: int, batch_size: int = 50) -> tuple[dict, dict]:
    """The task's validation metrics (fractions, by object size too) and the predictions for the first images."""
    import torch
    import torch.nn.functional as F

    side = val.part.size_px
    segmentation = SegmentationAccumulator(classes + 1, side)
    detection = DetectionAccumulator(side)
    classification = ClassificationAccumulator(side)
    predictions: dict = {}
    model.eval()
    with torch.no_grad():
        for start in range(0, len(val.part), batch_size):
            end = min(start + batch_size, len(val.part))
            outputs = _outputs(model, val.x[start:end])
            boxes = val.part.boxes[start:end]
            if task in ("classification", "multitask"):
                labels = (outputs[0].argmax(1) + 1).numpy()
                truth = val.part.labels[start:end]
                graded = truth != NO_LABEL  # a folder's image without any object has no label to score
                if graded.any():
                    classification.update(labels[graded], truth[graded], [b for b, g in zip(boxes, graded) if g])
                predictions.setdefault("labels", []).extend(labels.tolist())
            if task in ("segmentation", "multitask"):
                logits = F.interpolate(outputs[-1], size=(side, side), mode="bilinear", align_corners=False)
                masks = logits.argmax(1).numpy().astype(np.uint8)
                segmentation.update(masks, val.part.masks[start:end], boxes)
                predictions.setdefault("masks", []).extend(masks)
            if task == "detection":
                found = decode_detections(outputs[0], classes, side, keep)
                detection.update(found, boxes)
                predictions.setdefault("boxes", []).extend(found)
    metrics: dict = {}
    if task in ("classification", "multitask"):
        metrics.update(classification.result())
    if task in ("segmentation", "multitask"):
        metrics.update(segmentation.result())
    if task == "detection":
        metrics.update(detection.result())
    return metrics, predictions


def sample_predictions(predictions: dict, count: int, most_boxes: int = 20) -> dict:
    """What the Lab page shows of a run: for the first `count` validation images the predicted masks (PNG, base64),
    boxes scoring at least SAMPLE_MIN_SCORE (class, x0, y0, x1, y1, score) and labels."""
    from PIL import Image

    samples: dict = {}
    if "masks" in predictions:
        encoded = []
        for mask in predictions["masks"][:count]:
            buffer = io.BytesIO()
            Image.fromarray(mask).save(buffer, format="PNG", optimize=True)
            encoded.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
        samples["masks"] = encoded
    if "boxes" in predictions:
        samples["boxes"] = [
            [
                [int(c), *(round(float(v), 1) for v in b), round(float(s), 3)]
                for b, s, c in zip(*found)
                if s >= SAMPLE_MIN_SCORE
            ][:most_boxes]
            for found in predictions["boxes"][:count]
        ]
    if "labels" in predictions:
        samples["labels"] = [int(v) for v in predictions["labels"][:count]]
    return samples


def decoded_mask(encoded: str) -> np.ndarray:
    """A sample mask back from its PNG."""
    from PIL import Image

    with Image.open(io.BytesIO(base64.b64decode(encoded))) as image:
        return np.asarray(image)


def train_dense(task: str, data: DenseData, network: TaskArch, seed: int, budget: DenseBudget) -> DenseResult:
    """Train one task network on a dense dataset with one seed (deterministic on one thread)."""
    import torch

    from scaling_core.nn.task_build import build_task_model

    torch.set_num_threads(1)
    settings = dense_settings()
    classes = data.object_classes
    train, val = prepare(data, budget, network.resolution_px)
    torch.manual_seed(seed)
    model = build_task_model(network).train()
    grid = None
    if task == "detection":
        with torch.no_grad():
            model.heads[-1].classifier.bias[:classes] = math.log(HEATMAP_PRIOR / (1 - HEATMAP_PRIOR))
            grid = int(_outputs(model.eval(), train.x[:1])[0].shape[-1])
        model.train()
    loss_of = TaskLoss(task, train, classes, grid)
    optimiser = torch.optim.AdamW(model.parameters(), lr=budget.learning_rate, weight_decay=budget.weight_decay)
    steps_per_epoch = -(-len(train.part) // budget.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=budget.learning_rate, total_steps=budget.epochs * steps_per_epoch
    )
    shuffle = torch.Generator().manual_seed(seed)
    every = max(1, budget.epochs // CURVE_POINTS)
    curve, elapsed, metrics, predictions = [], 0.0, {}, {}
    for epoch in range(1, budget.epochs + 1):
        model.train()
        order = torch.randperm(len(train.part), generator=shuffle)
        total = 0.0
        start = time.perf_counter()
        for step in range(steps_per_epoch):
            batch = order[step * budget.batch_size : (step + 1) * budget.batch_size]
            flip = torch.rand(len(batch), generator=shuffle) < 0.5
            loss = loss_of(_outputs(model, loss_of.batch(batch, flip)), batch, flip)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(batch)
        elapsed += time.perf_counter() - start
        if epoch % every == 0 or epoch == budget.epochs:
            metrics, predictions = evaluate_dense(model, task, val, classes, settings.max_detections)
            curve.append({"epoch": epoch, "train_loss": total / len(train.part), **metrics})
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return DenseResult(
        metrics, tuple(curve), elapsed, buffer.getvalue(), sample_predictions(predictions, settings.samples)
    )
