"""Evaluation metrics of the lab's dense tasks on generated scenes: segmentation, detection, classification.

Data conventions (those of `scaling_core.lab.scenes`):
- masks: integer arrays (N, H, W) of class indices, 0 = background, IGNORE_INDEX (255) = not graded;
- boxes of one image: an integer array (K, 5) of class, x0, y0, x1, y1 in pixels, x1 and y1 exclusive (x1 − x0 is
  the width), in the image's native coordinates; predictions are evaluated at the native size of the truth.

Each metric is an accumulator: `update` with batches, `result` once at the end. Scores are pooled over the whole
set (one confusion matrix, one pool of boundary pixels, one COCO evaluation), never means of per-image scores, so
an image with few pixels or objects weighs what its pixels or objects weigh.

Size buckets follow COCO's small / medium / large, their area thresholds scaled to the scene's side by
`scenes.size_thresholds`. An object's area is its box's area ((x1 − x0) · (y1 − y0)) everywhere here, since only
boxes reach the metrics; COCO's own detection buckets use the same box area for boxes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass

import numpy as np
from scipy import ndimage

from scaling_core.core.errors import ConfigError
from scaling_core.lab.mask_folders import IGNORE_INDEX
from scaling_core.lab.scenes import COCO_IMAGE_PX, SIZE_BUCKETS, size_thresholds

# Csurka et al.'s BF score allows 0.75% of the image diagonal (≈1.4 px at the 128-px scenes, 2.7 px at 256); a fixed
# 2 px is of that order and forgives what is no error at these sizes (the boundary drawn one pixel to the other side
# of the edge, as the two-sided boundary here has pixels on both), while a thin object (a wire, a stroke: 1-3 px)
# whose outline is predicted a whole width away still counts as missed.
BOUNDARY_TOLERANCE_PX = 2
_CROSS = ndimage.generate_binary_structure(2, 1)  # the pixel and its 4 neighbours


def size_bucket_of_area(area: float, size_px: int) -> str:
    """The size bucket ("small", "medium" or "large") of an object of `area` px² in scenes `size_px` across."""
    small, medium = size_thresholds(_positive_int("size_px", size_px))
    if not np.isfinite(area) or area < 0:
        raise ConfigError("area", area, "a finite number ≥ 0 (px²)")
    return SIZE_BUCKETS[0] if area < small else SIZE_BUCKETS[1] if area < medium else SIZE_BUCKETS[2]


def confusion_matrix(predicted: np.ndarray, truth: np.ndarray, classes: int) -> np.ndarray:
    """Pixel counts (classes, classes), rows the true class and columns the predicted one, ignore pixels left out."""
    graded = truth != IGNORE_INDEX
    # bincount over truth·C + predicted is exact in int64 and needs no torch, so pages can use the accumulator too.
    pairs = truth[graded].astype(np.int64) * classes + predicted[graded].astype(np.int64)
    return np.bincount(pairs, minlength=classes * classes).reshape(classes, classes)


def miou_of(confusion: np.ndarray) -> float | None:
    """The mean IoU of a confusion matrix over the classes it has seen (TP + FP + FN > 0); None if it saw none."""
    true_positive = np.diag(confusion).astype(np.float64)
    union = confusion.sum(axis=0) + confusion.sum(axis=1) - true_positive
    # A class in neither truth nor prediction says nothing about the model: scoring it 0 (or 1) would move the mean.
    seen = union > 0
    return float(np.mean(true_positive[seen] / union[seen])) if seen.any() else None


def label_boundaries(labels: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    """The boundary pixels of a label map (H, W): those with a 4-neighbour of another label, outside `excluded`."""
    # The image's edge is no boundary: 'nearest' repeats the edge pixel outside the image.
    high = ndimage.maximum_filter(labels, footprint=_CROSS, mode="nearest")
    low = ndimage.minimum_filter(labels, footprint=_CROSS, mode="nearest")
    return (high != low) & ~excluded


@dataclass(frozen=True)
class BoundaryCounts:
    """Boundary pixels of a prediction and its truth, and how many of each lie within the tolerance of the other."""

    predicted: int
    predicted_matched: int
    true: int
    true_matched: int


def boundary_counts(
    predicted: np.ndarray, truth: np.ndarray, tolerance_px: float = BOUNDARY_TOLERANCE_PX
) -> BoundaryCounts:
    """The boundary counts of one label map (H, W) against its truth (ignore pixels and their neighbours left out)."""
    # Next to an ignore region the truth's boundary is unknown, so neither map is graded there.
    excluded = ndimage.binary_dilation(truth == IGNORE_INDEX, structure=_CROSS)
    predicted_edge = label_boundaries(predicted, excluded)
    true_edge = label_boundaries(truth, excluded)
    n_predicted, n_true = int(predicted_edge.sum()), int(true_edge.sum())
    if n_predicted == 0 or n_true == 0:  # nothing to match against (and the transform needs a zero somewhere)
        return BoundaryCounts(n_predicted, 0, n_true, 0)
    to_true = ndimage.distance_transform_edt(~true_edge)
    to_predicted = ndimage.distance_transform_edt(~predicted_edge)
    return BoundaryCounts(
        predicted=n_predicted,
        predicted_matched=int((to_true[predicted_edge] <= tolerance_px).sum()),
        true=n_true,
        true_matched=int((to_predicted[true_edge] <= tolerance_px).sum()),
    )


def boundary_f1_of(counts: BoundaryCounts) -> float | None:
    """F1 of boundary precision and recall from pooled counts; None when neither map has a boundary anywhere."""
    if counts.predicted == 0 and counts.true == 0:
        return None
    precision = counts.predicted_matched / counts.predicted if counts.predicted else 0.0
    recall = counts.true_matched / counts.true if counts.true else 0.0
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


class SegmentationAccumulator:
    """mIoU, pixel accuracy, boundary F1 and mIoU per object size over a set of masks, from pooled counts.

    `classes` counts the background (class 0). mIoU is the mean IoU of one confusion matrix over the whole set,
    over the classes seen in truth or prediction (background included). Boundary F1 is Csurka et al.'s BF score
    ("What is a good evaluation measure for semantic segmentation?", BMVC 2013) in one variant: the boundary is the
    label map's (any class change, not per class) and the counts are pooled over the set rather than averaged per
    image, as mIoU is. mIoU of a size bucket is that of a confusion matrix of the pixels inside the boxes of that
    bucket's objects (background around an object included, an object's bucket read from its box's area)."""

    def __init__(self, classes: int, size_px: int) -> None:
        self.classes = _positive_int("classes", classes, maximum=IGNORE_INDEX)
        self.size_px = _positive_int("size_px", size_px)
        self.confusion = np.zeros((classes, classes), dtype=np.int64)
        self.bucket_confusion = {bucket: np.zeros_like(self.confusion) for bucket in SIZE_BUCKETS}
        self.bucket_objects = dict.fromkeys(SIZE_BUCKETS, 0)
        self.boundary = BoundaryCounts(0, 0, 0, 0)

    def update(self, predicted: np.ndarray, truth: np.ndarray, boxes: Sequence[np.ndarray] | None = None) -> None:
        """Add a batch: predicted classes (N, H, W), truth (N, H, W) with 255 ignored, and per image its boxes."""
        predicted, truth = _masks(predicted, truth, self.classes)
        if boxes is not None and len(boxes) != len(truth):
            raise ConfigError("boxes", f"{len(boxes)} arrays", f"one (K, 5) array per image ({len(truth)})")
        self.confusion += confusion_matrix(predicted, truth, self.classes)
        for index, (predicted_image, true_image) in enumerate(zip(predicted, truth)):
            counts = boundary_counts(predicted_image, true_image)
            self.boundary = BoundaryCounts(*(int(a + b) for a, b in zip(astuple(self.boundary), astuple(counts))))
            if boxes is not None:
                self._add_buckets(predicted_image, true_image, _boxes(boxes[index], f"boxes[{index}]"))

    def _add_buckets(self, predicted: np.ndarray, truth: np.ndarray, boxes: np.ndarray) -> None:
        inside = {bucket: np.zeros(truth.shape, dtype=bool) for bucket in SIZE_BUCKETS}
        for _, x0, y0, x1, y1 in boxes:
            bucket = size_bucket_of_area(float((x1 - x0) * (y1 - y0)), self.size_px)
            # A pixel in two boxes of one bucket counts once; in boxes of two buckets, once in each.
            inside[bucket][max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = True
            self.bucket_objects[bucket] += 1
        for bucket, region in inside.items():
            if region.any():
                self.bucket_confusion[bucket] += confusion_matrix(predicted[region], truth[region], self.classes)

    def result(self) -> dict[str, float | None]:
        """miou, pixel_accuracy, boundary_f1 and miou_<bucket> as fractions (None where nothing was graded)."""
        total = int(self.confusion.sum())
        scores: dict[str, float | None] = {
            "miou": miou_of(self.confusion),
            "pixel_accuracy": float(np.trace(self.confusion)) / total if total else None,
            "boundary_f1": boundary_f1_of(self.boundary),
        }
        for bucket in SIZE_BUCKETS:
            seen = self.bucket_objects[bucket] > 0
            scores[f"miou_{bucket}"] = miou_of(self.bucket_confusion[bucket]) if seen else None
        return scores


class DetectionAccumulator:
    """COCO box AP over a set of images (pycocotools' COCOeval, run once in `result`).

    This is what torchmetrics' MeanAveragePrecision(iou_type="bbox", backend="pycocotools") runs, called directly
    because that class refuses to start without torchvision, which the lab does not install (its default
    thresholds, float32 steps, can differ from pycocotools' own in the fourth decimal). COCO's area ranges are
    fixed (32², 96² px² at ~640 px images), so every coordinate, truth and prediction, is multiplied by
    640 / size_px before evaluation: the buckets then fall at `scenes.size_thresholds(size_px)` of box area, and IoU,
    being scale-free, is unchanged. Up to 100 detections per image count (COCO's default); labels are object classes
    as given (1..C). An area exactly on a threshold goes to both buckets, as in pycocotools."""

    def __init__(self, size_px: int) -> None:
        self.size_px = _positive_int("size_px", size_px)
        self.predictions: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.truths: list[np.ndarray] = []

    def update(
        self, predictions: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]], truths: Sequence[np.ndarray]
    ) -> None:
        """Add images: per image its predicted (boxes (M, 4) x0 y0 x1 y1, scores (M,), labels (M,)) and truth (K, 5)."""
        if len(predictions) != len(truths):
            raise ConfigError("predictions", f"{len(predictions)} images", f"one per truth ({len(truths)})")
        for index, (prediction, truth) in enumerate(zip(predictions, truths)):
            self.predictions.append(_detections(prediction, f"predictions[{index}]"))
            self.truths.append(_boxes(truth, f"truths[{index}]"))

    def result(self) -> dict[str, float | None]:
        """ap50, ap (IoU 0.5:0.95) and ap_<bucket> as fractions (None where there is no truth to score)."""
        import contextlib
        import io

        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval

        names = ("ap", "ap50", *(f"ap_{bucket}" for bucket in SIZE_BUCKETS))
        if not any(len(truth) for truth in self.truths):
            return dict.fromkeys(names)
        scale = COCO_IMAGE_PX / self.size_px
        truth_boxes = [(truth[:, 1:] * scale, np.ones(len(truth)), truth[:, 0]) for truth in self.truths]
        predicted = [(boxes * scale, scores, labels) for boxes, scores, labels in self.predictions]
        classes = sorted({int(c) for _, _, labels in truth_boxes + predicted for c in labels})
        truth_set, predicted_set = COCO(), COCO()
        for coco, images, with_scores in ((truth_set, truth_boxes, False), (predicted_set, predicted, True)):
            coco.dataset = {
                "images": [{"id": index} for index in range(len(images))],
                "categories": [{"id": label} for label in classes],
                "annotations": _coco_annotations(images, with_scores),
            }
            with contextlib.redirect_stdout(io.StringIO()):  # pycocotools reports progress on stdout
                coco.createIndex()
        evaluation = COCOeval(truth_set, predicted_set, iouType="bbox")
        with contextlib.redirect_stdout(io.StringIO()):
            evaluation.evaluate()
            evaluation.accumulate()
            evaluation.summarize()
        # stats: AP, AP50, AP75, AP small, medium, large (100 detections), -1 where no truth falls in the range
        stats = [float(evaluation.stats[index]) for index in (0, 1, 3, 4, 5)]
        return {name: None if value < 0 else value for name, value in zip(names, stats)}


def _coco_annotations(images: list[tuple[np.ndarray, np.ndarray, np.ndarray]], with_scores: bool) -> list[dict]:
    annotations: list[dict] = []
    for image, (boxes, scores, labels) in enumerate(images):
        for (x0, y0, x1, y1), score, label in zip(boxes.tolist(), scores.tolist(), labels.tolist()):
            width, height = x1 - x0, y1 - y0
            annotation = {
                "id": len(annotations) + 1,  # COCOeval reads id 0 as "no match"
                "image_id": image,
                "category_id": int(label),
                "bbox": [x0, y0, width, height],
                "area": width * height,
                "iscrowd": 0,
            }
            if with_scores:
                annotation["score"] = score
            annotations.append(annotation)
    return annotations


class ClassificationAccumulator:
    """Top-1 accuracy over a set of images, overall and per size bucket of the labelled object.

    An image's bucket is that of the largest box (by box area) of its labelled class; an image with no such box
    is in no bucket. Labels are compared as given (object classes 1..C)."""

    def __init__(self, size_px: int) -> None:
        self.size_px = _positive_int("size_px", size_px)
        self.correct = 0
        self.images = 0
        self.bucket_correct = dict.fromkeys(SIZE_BUCKETS, 0)
        self.bucket_images = dict.fromkeys(SIZE_BUCKETS, 0)

    def update(self, predicted: np.ndarray, labels: np.ndarray, boxes: Sequence[np.ndarray] | None = None) -> None:
        """Add a batch: predicted classes (N,), true labels (N,), and per image its boxes (K, 5) for the buckets."""
        predicted, labels = _integers("predicted", predicted, 1), _integers("labels", labels, 1)
        if predicted.shape != labels.shape:
            raise ConfigError("predicted", f"shape {predicted.shape}", f"the labels' shape {labels.shape}")
        if boxes is not None and len(boxes) != len(labels):
            raise ConfigError("boxes", f"{len(boxes)} arrays", f"one (K, 5) array per image ({len(labels)})")
        hits = predicted == labels
        self.correct += int(hits.sum())
        self.images += len(labels)
        for index, image in enumerate(boxes if boxes is not None else []):
            image_boxes = _boxes(image, f"boxes[{index}]")
            own = image_boxes[image_boxes[:, 0] == labels[index]]
            if len(own):
                areas = (own[:, 3] - own[:, 1]) * (own[:, 4] - own[:, 2])
                bucket = size_bucket_of_area(float(areas.max()), self.size_px)
                self.bucket_images[bucket] += 1
                self.bucket_correct[bucket] += int(hits[index])

    def result(self) -> dict[str, float | None]:
        """top1 and top1_<bucket> as fractions (None where no image was seen)."""
        scores: dict[str, float | None] = {"top1": self.correct / self.images if self.images else None}
        for bucket in SIZE_BUCKETS:
            seen = self.bucket_images[bucket]
            scores[f"top1_{bucket}"] = self.bucket_correct[bucket] / seen if seen else None
        return scores


def _positive_int(parameter: str, value: object, maximum: int | None = None) -> int:
    allowed = "a whole number ≥ 1" + (f" and ≤ {maximum}" if maximum is not None else "")
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ConfigError(parameter, value, allowed)
    if value < 1 or (maximum is not None and value > maximum):
        raise ConfigError(parameter, value, allowed)
    return int(value)


def _integers(parameter: str, value: np.ndarray, ndim: int) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != ndim or not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.bool_)):
        raise ConfigError(parameter, f"{array.dtype} array of shape {array.shape}", f"an integer array of {ndim} axes")
    return array


def _masks(predicted: np.ndarray, truth: np.ndarray, classes: int) -> tuple[np.ndarray, np.ndarray]:
    predicted, truth = _integers("predicted", predicted, 3), _integers("truth", truth, 3)
    if predicted.shape != truth.shape:
        raise ConfigError("predicted", f"shape {predicted.shape}", f"the truth's shape {truth.shape} (native size)")
    if predicted.size and (predicted.min() < 0 or predicted.max() >= classes):
        raise ConfigError("predicted", f"values in [{predicted.min()}, {predicted.max()}]", f"classes 0..{classes - 1}")
    bad = (truth < 0) | ((truth >= classes) & (truth != IGNORE_INDEX))
    if bad.any():
        raise ConfigError("truth", f"value {truth[bad][0]}", f"classes 0..{classes - 1} or {IGNORE_INDEX} (ignore)")
    return predicted, truth


def _boxes(value: np.ndarray, parameter: str) -> np.ndarray:
    array = np.asarray(value)
    if array.size == 0:
        return np.zeros((0, 5), dtype=np.int64)
    if array.ndim != 2 or array.shape[1] != 5 or not np.issubdtype(array.dtype, np.integer):
        raise ConfigError(parameter, f"{array.dtype} array of shape {array.shape}", "an integer (K, 5) array")
    if ((array[:, 3] <= array[:, 1]) | (array[:, 4] <= array[:, 2])).any():
        raise ConfigError(parameter, "an empty box", "x1 > x0 and y1 > y0 (exclusive ends)")
    return array.astype(np.int64)


def _detections(
    value: tuple[np.ndarray, np.ndarray, np.ndarray], parameter: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if len(value) != 3:
        raise ConfigError(parameter, f"{len(value)} arrays", "(boxes (M, 4), scores (M,), labels (M,))")
    boxes, scores, labels = (np.asarray(array) for array in value)
    if boxes.size == 0:  # an image with no detection may come as an empty list
        boxes, scores, labels = boxes.reshape(0, 4), scores.reshape(0), labels.reshape(0).astype(np.int64)
    if boxes.ndim != 2 or boxes.shape[1] != 4 or scores.ndim != 1 or not (len(boxes) == len(scores) == len(labels)):
        shapes = f"shapes {boxes.shape}, {scores.shape}, {labels.shape}"
        raise ConfigError(parameter, shapes, "(boxes (M, 4), scores (M,), labels (M,)) of one M")
    if not np.isfinite(boxes).all() or not np.isfinite(scores).all():
        raise ConfigError(parameter, "a box or score not finite", "finite numbers")
    if len(labels) and not np.issubdtype(labels.dtype, np.integer):
        raise ConfigError(parameter, f"labels of {labels.dtype}", "integer labels")
    return boxes.astype(np.float64), scores.astype(np.float64), labels.astype(np.int64)
