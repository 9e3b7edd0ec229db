"""Dense-task metrics: mIoU from one confusion matrix (as torchmetrics computes it), boundary F1 within a tolerance,
COCO box AP with its size buckets scaled to the scene, top-1 per size bucket; hand-checked cases throughout."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from scaling_core.core.errors import ConfigError
from scaling_core.lab.dense_metrics import (
    BOUNDARY_TOLERANCE_PX,
    BoundaryCounts,
    ClassificationAccumulator,
    DetectionAccumulator,
    SegmentationAccumulator,
    boundary_counts,
    size_bucket_of_area,
)
from scaling_core.lab.scenes import size_thresholds

SIZE_PX = 128  # small < (32 · 128/640)² = 40.96 px², medium < (96 · 0.2)² = 368.64 px²


def segmentation(predicted: np.ndarray, truth: np.ndarray, classes: int, boxes=None) -> dict[str, float | None]:
    accumulator = SegmentationAccumulator(classes, SIZE_PX)
    accumulator.update(np.asarray(predicted), np.asarray(truth), boxes)
    return accumulator.result()


def square_mask(side: int, top: int, left: int, width: int, label: int = 1) -> np.ndarray:
    mask = np.zeros((1, side, side), dtype=np.int64)
    mask[0, top : top + width, left : left + width] = label
    return mask


def test_importing_loads_no_torch() -> None:
    code = "import sys, scaling_core.lab.dense_metrics; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_size_bucket_of_area_uses_the_scaled_coco_thresholds() -> None:
    assert size_thresholds(SIZE_PX) == pytest.approx((40.96, 368.64))
    assert [size_bucket_of_area(area, SIZE_PX) for area in (25, 40, 41, 144, 368, 369, 900)] == [
        "small",
        "small",
        "medium",
        "medium",
        "medium",
        "large",
        "large",
    ]
    assert size_bucket_of_area(1023, 640) == "small" and size_bucket_of_area(1024, 640) == "medium"
    with pytest.raises(ConfigError, match="size_px"):
        size_bucket_of_area(10, 0)


def test_miou_equals_torchmetrics_jaccard_when_every_class_is_present() -> None:
    import torch
    from torchmetrics.classification import MulticlassJaccardIndex

    classes = 5
    rng = np.random.default_rng(0)
    reference = MulticlassJaccardIndex(num_classes=classes, average="macro", ignore_index=255)
    accumulator = SegmentationAccumulator(classes, SIZE_PX)
    for _ in range(3):  # three batches: the accumulator must pool them as torchmetrics does
        truth = rng.integers(0, classes, size=(4, 24, 24))
        predicted = np.where(rng.random(truth.shape) < 0.6, truth, rng.integers(0, classes, size=truth.shape))
        truth[rng.random(truth.shape) < 0.1] = 255
        assert set(np.unique(truth[truth != 255])) == set(range(classes))
        accumulator.update(predicted, truth)
        reference.update(torch.from_numpy(predicted), torch.from_numpy(truth))
    scores = accumulator.result()
    assert 0.2 < scores["miou"] < 0.9
    assert scores["miou"] == pytest.approx(float(reference.compute()), abs=1e-6)


def test_a_class_absent_from_truth_and_prediction_is_left_out() -> None:
    truth = np.array([[[0, 1], [1, 1]]])
    predicted = np.array([[[0, 1], [0, 1]]])
    scores = segmentation(predicted, truth, classes=4)
    # IoU background = 1 / (1 + 1), IoU class 1 = 2 / (2 + 1); classes 2 and 3 are in neither map
    assert scores["miou"] == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert scores["pixel_accuracy"] == pytest.approx(3 / 4)
    # a class only predicted counts (IoU 0): it is a mistake, not an absence
    predicted[0, 0, 0] = 3
    assert segmentation(predicted, truth, classes=4)["miou"] == pytest.approx((0 + 2 / 3 + 0) / 3)


def test_miou_is_one_confusion_matrix_over_the_set_not_a_mean_of_images() -> None:
    truth_a, predicted_a = np.zeros((1, 2, 2), dtype=int), np.zeros((1, 2, 2), dtype=int)
    truth_b, predicted_b = np.ones((1, 2, 2), dtype=int), np.array([[[1, 0], [0, 0]]])
    per_image_mean = (1.0 + (1 / 4 + 0) / 2) / 2  # image a: background IoU 1; image b: class 1 1/4, background 0
    pooled = (4 / 7 + 1 / 4) / 2  # background 4 / (4 + 3), class 1 1 / (1 + 3)
    accumulator = SegmentationAccumulator(2, SIZE_PX)
    accumulator.update(predicted_a, truth_a)
    accumulator.update(predicted_b, truth_b)
    assert accumulator.result()["miou"] == pytest.approx(pooled)
    assert accumulator.result()["miou"] != pytest.approx(per_image_mean)
    both = segmentation(np.concatenate([predicted_a, predicted_b]), np.concatenate([truth_a, truth_b]), 2)
    assert both["miou"] == pytest.approx(pooled) and both["pixel_accuracy"] == pytest.approx(5 / 8)


def test_ignore_pixels_are_not_graded() -> None:
    truth = np.array([[[0, 1, 255, 255], [0, 1, 255, 255]]])
    predicted = np.array([[[0, 1, 1, 0], [0, 1, 0, 1]]])
    scores = segmentation(predicted, truth, classes=2)
    assert scores["miou"] == 1.0 and scores["pixel_accuracy"] == 1.0
    scores = segmentation(predicted, np.full_like(truth, 255), classes=2)
    assert scores["miou"] is None and scores["pixel_accuracy"] is None and scores["boundary_f1"] is None


def test_boundary_f1_is_one_when_perfect_and_within_tolerance() -> None:
    truth = square_mask(40, 10, 10, 12)
    assert segmentation(truth, truth, 2)["boundary_f1"] == 1.0
    assert segmentation(square_mask(40, 11, 10, 12), truth, 2)["boundary_f1"] == 1.0  # one pixel down
    shifted = segmentation(square_mask(40, 15, 15, 12), truth, 2)["boundary_f1"]  # five pixels down and right
    assert shifted is not None and 0.0 < shifted < 0.6
    assert segmentation(np.zeros_like(truth), truth, 2)["boundary_f1"] == 0.0  # no predicted boundary at all


def test_boundary_counts_of_a_hand_checked_example() -> None:
    # truth: one pixel of class 1 in the middle of 5×5: its boundary is it and its 4 neighbours (5 pixels);
    # predicted: the corner pixel: boundary (0,0), (0,1), (1,0). Within 2 px (Euclidean): (0,1) and (1,0) are √2
    # from (1,2) and (2,1); (0,0) is √5 from every true boundary pixel; (2,2), (3,2), (2,3) are ≥ √5 from (0,1)/(1,0).
    assert BOUNDARY_TOLERANCE_PX == 2
    truth, predicted = np.zeros((5, 5), dtype=int), np.zeros((5, 5), dtype=int)
    truth[2, 2], predicted[0, 0] = 1, 1
    assert boundary_counts(predicted, truth) == BoundaryCounts(predicted=3, predicted_matched=2, true=5, true_matched=2)
    precision, recall = 2 / 3, 2 / 5
    scores = segmentation(predicted[None], truth[None], 2)
    assert scores["boundary_f1"] == pytest.approx(2 * precision * recall / (precision + recall)) == 0.5
    # a row: true boundary {2, 3}; predicted {4, 5} (matched, 1 and 2 px away) and {9, 10} (7 px away)
    truth_row = np.array([[[0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]]])
    predicted_row = np.array([[[0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0]]])
    assert segmentation(predicted_row, truth_row, 2)["boundary_f1"] == pytest.approx(2 * 0.5 * 1 / 1.5)


def test_boundary_counts_are_pooled_and_ignore_borders_are_not_boundaries() -> None:
    truth, predicted = np.zeros((2, 5, 5), dtype=int), np.zeros((2, 5, 5), dtype=int)
    truth[:, 2, 2], predicted[0, 0, 0], predicted[1, 2, 2] = 1, 1, 1  # image 0 as above (F1 ½), image 1 perfect
    pooled_precision, pooled_recall = (2 + 5) / (3 + 5), (2 + 5) / (5 + 5)
    expected = 2 * pooled_precision * pooled_recall / (pooled_precision + pooled_recall)
    assert segmentation(predicted, truth, 2)["boundary_f1"] == pytest.approx(expected)
    assert expected != pytest.approx((0.5 + 1.0) / 2)
    # the only class change in the truth is across an ignore pixel; the prediction's change there is not graded
    truth_row, predicted_row = np.array([[[0, 0, 255, 1, 1]]]), np.array([[[0, 0, 0, 1, 1]]])
    assert segmentation(predicted_row, truth_row, 2)["boundary_f1"] is None


def test_segmentation_size_buckets_grade_the_pixels_inside_each_buckets_boxes() -> None:
    truth = np.zeros((1, 64, 64), dtype=np.int64)
    truth[0, 2:7, 2:7] = 1  # 5×5 = 25 px²: small
    truth[0, 20:50, 20:50] = 2  # 30×30 = 900 px²: large
    predicted = truth.copy()
    predicted[0, 20:50, 20:50] = 0  # the large object missed entirely
    boxes = [np.array([[1, 2, 2, 7, 7], [2, 20, 20, 50, 50]])]
    scores = segmentation(predicted, truth, 3, boxes)
    assert scores["miou_small"] == 1.0
    assert scores["miou_large"] == 0.0  # class 2: 900 missed; background: 900 false, none right
    assert scores["miou_medium"] is None
    assert segmentation(predicted, truth, 3)["miou_small"] is None  # no boxes, no buckets


def test_segmentation_refuses_bad_input() -> None:
    truth = np.zeros((1, 4, 4), dtype=int)
    with pytest.raises(ConfigError, match="predicted"):
        segmentation(np.full_like(truth, 3), truth, 3)
    with pytest.raises(ConfigError, match="truth"):
        segmentation(truth, np.full_like(truth, 7), 3)
    with pytest.raises(ConfigError, match="predicted"):
        segmentation(np.zeros((1, 4, 5), dtype=int), truth, 3)  # predictions are graded at the truth's size
    with pytest.raises(ConfigError, match="classes"):
        SegmentationAccumulator(0, SIZE_PX)


def detection(predictions, truths, size_px: int = SIZE_PX) -> dict[str, float | None]:
    accumulator = DetectionAccumulator(size_px)
    accumulator.update(predictions, truths)
    return accumulator.result()


def predicted_boxes(boxes, scores=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    boxes = np.asarray(boxes)
    scores = np.linspace(0.9, 0.5, len(boxes)) if scores is None else np.asarray(scores, dtype=float)
    return boxes[:, 1:].astype(float), scores, boxes[:, 0]


SMALL, MEDIUM, LARGE = [1, 2, 2, 7, 7], [2, 20, 20, 32, 32], [3, 50, 50, 80, 80]  # 5×5, 12×12 and 30×30 px


def test_ap_is_one_for_perfect_boxes_and_zero_for_misplaced_ones() -> None:
    truth = np.array([SMALL, MEDIUM, LARGE])
    perfect = detection([predicted_boxes(truth)], [truth])
    assert perfect == pytest.approx({"ap": 1.0, "ap50": 1.0, "ap_small": 1.0, "ap_medium": 1.0, "ap_large": 1.0})
    misplaced = truth + np.array([0, 60, 0, 60, 0])
    assert detection([predicted_boxes(misplaced)], [truth]) == {
        "ap": 0.0,
        "ap50": 0.0,
        "ap_small": 0.0,
        "ap_medium": 0.0,
        "ap_large": 0.0,
    }
    wrong_class = truth + np.array([1, 0, 0, 0, 0])
    assert detection([predicted_boxes(wrong_class)], [truth])["ap50"] == 0.0


def test_ap_buckets_follow_the_scene_scaled_thresholds() -> None:
    truth = np.array([SMALL, MEDIUM, LARGE])
    only_medium = np.array([SMALL, MEDIUM, LARGE]) + np.array([[0, 40, 0, 40, 0], [0, 0, 0, 0, 0], [0, 40, 0, 40, 0]])
    scores = detection([predicted_boxes(only_medium)], [truth])
    assert (scores["ap_small"], scores["ap_medium"], scores["ap_large"]) == pytest.approx((0.0, 1.0, 0.0))
    # at 640 px (no scaling) all three objects are below 32² and COCO would call them small
    at_640 = detection([predicted_boxes(only_medium)], [truth], size_px=640)
    assert at_640["ap_medium"] is None and at_640["ap_large"] is None


def test_ap50_of_a_hand_computed_ranking_and_iou() -> None:
    truth = np.array([[1, 10, 10, 30, 30]])
    # a false box ranked first, the true one second: precision ½ at recall 1, so AP50 = ½
    false_first = predicted_boxes([[1, 60, 60, 80, 80], [1, 10, 10, 30, 30]], scores=[0.9, 0.8])
    assert detection([false_first], [truth])["ap50"] == pytest.approx(0.5)
    # IoU of a box shifted by 4 px: 16·20 / (2·400 − 320) = ⅔: a match at thresholds 0.5 to 0.65 (4 of 10)
    shifted = predicted_boxes([[1, 14, 10, 34, 30]])
    scores = detection([shifted], [truth])
    assert scores["ap50"] == pytest.approx(1.0) and scores["ap"] == pytest.approx(0.4)


def test_ap_pools_images_and_handles_empty_ones() -> None:
    truth = np.array([LARGE])
    nothing = (np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype=int))
    assert detection([nothing], [truth])["ap50"] == 0.0
    # two images, one found, one missed: recall ½ at precision 1, so AP50 ≈ ½ (101-point interpolation: 51/101)
    scores = detection([predicted_boxes(truth), nothing], [truth, truth])
    assert scores["ap50"] == pytest.approx(51 / 101)
    assert detection([nothing], [np.zeros((0, 5), dtype=int)]) == dict.fromkeys(
        ["ap", "ap50", "ap_small", "ap_medium", "ap_large"]
    )
    with pytest.raises(ConfigError, match="predictions"):
        detection([nothing], [truth, truth])


def test_classification_top1_and_buckets_of_the_labelled_objects_largest_box() -> None:
    labels = np.array([1, 2, 3, 4])
    predicted = np.array([1, 2, 0, 4])
    boxes = [
        np.array([SMALL, [2, 50, 50, 80, 80]]),  # class 1's only box is 5×5 (the large box is class 2's): small
        np.array([[2, 0, 0, 3, 3], [2, 20, 20, 32, 32]]),  # class 2's largest box is 12×12: medium
        np.array([LARGE]),  # large, and wrong
        np.array([SMALL]),  # no box of class 4: in no bucket
    ]
    accumulator = ClassificationAccumulator(SIZE_PX)
    accumulator.update(predicted[:2], labels[:2], boxes[:2])
    accumulator.update(predicted[2:], labels[2:], boxes[2:])
    assert accumulator.result() == {"top1": 0.75, "top1_small": 1.0, "top1_medium": 1.0, "top1_large": 0.0}
    unbucketed = ClassificationAccumulator(SIZE_PX)
    unbucketed.update(predicted, labels)
    assert unbucketed.result() == {"top1": 0.75, "top1_small": None, "top1_medium": None, "top1_large": None}
    assert ClassificationAccumulator(SIZE_PX).result()["top1"] is None
    with pytest.raises(ConfigError, match="boxes"):
        accumulator.update(predicted, labels, boxes[:1])
