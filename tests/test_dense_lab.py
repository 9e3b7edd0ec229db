"""The dense lab: task networks whose MACs are the analytic count, CenterNet targets that decode to the truth, the
quick setting learning segmentation, your own folder trained from the command line, a bad folder refused file by
file, and the verdicts' arithmetic."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pydantic import ValidationError
from scipy import stats

from scaling_core.cli.main import main
from scaling_core.core.errors import ConfigError
from scaling_core.lab.comparisons import seed_interval, verdict_words
from scaling_core.lab.dense_data import DenseSet, load_dense, majority_label, mask_objects
from scaling_core.lab.dense_metrics import DetectionAccumulator, SegmentationAccumulator
from scaling_core.lab.dense_networks import DENSE_TASKS, dense_network
from scaling_core.lab.dense_runs import largest_phi_within, study_points
from scaling_core.lab.dense_settings import dense_settings
from scaling_core.lab.dense_verdicts import dense_claims, recipe_difference
from scaling_core.nn.verify import verify
from scaling_core.tasks.cost import count_task

CLASSES = 5


@pytest.mark.parametrize("task", DENSE_TASKS)
def test_trained_networks_count_exactly(task):
    """Every task network of the dense lab counts as fvcore counts the built model (MACs, params, activations)."""
    for alias, phi in (("segmentation", 1.0), ("width", 2.0)):
        assert verify(dense_network(task, alias, phi, CLASSES)).ok


def test_heads_tap_strides_4_to_32():
    """The decoder taps the dense base at strides 4, 8, 16 and 32 and outputs at stride 4; detection has C + 4
    outputs (centre heatmaps, offset, log size), segmentation C + 1 (background)."""
    seg = dense_network("segmentation", "efficientnet", 0.0, CLASSES).heads[0]
    det = dense_network("detection", "efficientnet", 0.0, CLASSES).heads[0]
    assert [t.level for t in seg.taps] == [2, 3, 4, 5] and seg.output_level == 2
    assert seg.num_classes == CLASSES + 1 and det.num_classes == CLASSES + 4
    multi = dense_network("multitask", "efficientnet", 0.0, CLASSES)
    assert [h.kind for h in multi.heads] == ["classification_head", "fpn_decoder"]


def test_centre_targets_decode_to_the_truth():
    """CenterNet targets made from the validation scenes' boxes decode back to them (AP@0.5 ≈ 1 at a 32-cell grid),
    and mirroring the targets equals the targets of the mirrored boxes (offset x becomes 1 − offset)."""
    import torch

    from scaling_core.lab import dense_train

    val = load_dense("scenes").val
    part = DenseSet(val.images[:40], val.masks[:40], val.boxes[:40], val.labels[:40])
    heat, regression, centres = dense_train.detection_targets(part, CLASSES, 32)
    maps = torch.cat([torch.logit(heat.clamp(1e-4, 1 - 1e-4)), regression], 1)
    found = dense_train.decode_detections(maps, CLASSES, part.size_px, 100)
    accumulator = DetectionAccumulator(part.size_px)
    accumulator.update(found, part.boxes)
    assert accumulator.result()["ap50"] > 0.97
    side = part.size_px
    mirrored_boxes = tuple(np.stack([b[:, 0], side - b[:, 3], b[:, 2], side - b[:, 1], b[:, 4]], 1) for b in part.boxes)
    mirrored = DenseSet(part.images[..., ::-1], part.masks[..., ::-1], mirrored_boxes, part.labels)
    heat2, regression2, centres2 = dense_train.detection_targets(mirrored, CLASSES, 32)
    flip = torch.ones(len(part), dtype=torch.bool)
    assert float((dense_train.mirrored(centres, flip) == centres2).float().mean()) > 0.99
    both = (dense_train.mirrored(centres, flip) * centres2).bool()
    offset = 1 - dense_train.mirrored(regression, flip)[:, 0]
    assert torch.allclose(offset[both], regression2[:, 0][both], atol=1e-5)


def test_quick_segmentation_learns_far_above_all_background():
    """On the packaged scenes, a φ = 0 segmentation network trained in the quick setting reaches an mIoU far above
    predicting background everywhere (which scores the background's IoU over six classes)."""
    from scaling_core.lab.dense_train import train_dense

    budget = dense_settings().quick_budget
    data = load_dense("scenes")
    result = train_dense("segmentation", data, dense_network("segmentation", "efficientnet", 0.0, CLASSES), 0, budget)
    val = data.val
    baseline = SegmentationAccumulator(CLASSES + 1, val.size_px)
    baseline.update(np.zeros_like(val.masks[: budget.val_images]), val.masks[: budget.val_images])
    floor = baseline.result()["miou"]
    assert result.metrics["miou"] > 1.5 * floor, (result.metrics, floor)
    assert result.metrics["boundary_f1"] > 0.1
    assert [p["epoch"] for p in result.curve][-1] == budget.epochs
    assert set(result.samples) == {"masks"} and len(result.samples["masks"]) == dense_settings().samples


def test_folder_objects_and_labels_come_from_the_mask():
    """A folder's boxes are the 8-connected regions of each class, its label the class with the most pixels."""
    mask = np.zeros((10, 10), np.uint8)
    mask[1:3, 1:4] = 2
    mask[6:9, 6:9] = 1
    mask[0, 9] = 1
    mask[5, 5] = 255
    boxes = mask_objects(mask)
    assert sorted(map(tuple, boxes.tolist())) == [(1, 6, 6, 9, 9), (1, 9, 0, 10, 1), (2, 1, 1, 4, 3)]
    assert majority_label(mask) == 1
    assert majority_label(np.zeros((4, 4), np.uint8)) == -1


def _write_folder(root: Path, count: int, bad: bool = False) -> Path:
    """count 48 px scenes: a blue square (class 1) or a green disc (class 2) on noise, with classes.txt."""
    rng = np.random.default_rng(0)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    (root / "classes.txt").write_text("background\nsquare\ndisc\n")
    yy, xx = np.mgrid[0:48, 0:48]
    for i in range(count):
        image = rng.integers(90, 160, (48, 48, 3)).astype(np.uint8)
        mask = np.zeros((48, 48), np.uint8)
        x, y, size = rng.integers(4, 28), rng.integers(4, 28), int(rng.integers(6, 16))
        if i % 2:
            where = (xx - x - size / 2) ** 2 + (yy - y - size / 2) ** 2 <= (size / 2) ** 2
            image[where], mask[where] = (20, 200, 40), 2
        else:
            image[y : y + size, x : x + size], mask[y : y + size, x : x + size] = (20, 40, 220), 1
        Image.fromarray(image).save(root / "images" / f"{i:03d}.png")
        if bad and i == 0:
            mask = np.zeros((40, 48), np.uint8)  # not the image's size
        if bad and i == 1:
            mask[0, 0] = 7  # beyond the three classes
        Image.fromarray(mask).save(root / "masks" / f"{i:03d}.png")
    return root


def test_a_folder_with_masks_trains_from_the_command_line(tmp_path, capsys):
    """`lab run --task segmentation --dataset folder:PATH --json` trains on your masks and prints one object per run
    with the fields the issue names, metrics as fractions."""
    folder = _write_folder(tmp_path / "shapes", 40)
    store = f"sqlite:///{tmp_path / 'store.db'}"
    argv = ["lab", "run", "--task", "segmentation", "--dataset", f"folder:{folder}", "--quick", "--phis", "0"]
    assert main([*argv, "--recipes", "efficientnet", "--seeds", "1", "--epochs", "3", "--store", store, "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert len(runs) == 1
    run = runs[0]
    assert {"task", "recipe", "phi", "resolution", "macs", "params", "seed", "metrics"} <= set(run)
    assert run["task"] == "segmentation" and run["resolution"] == 64 and run["macs"] > 0
    assert {"miou", "pixel_accuracy", "boundary_f1"} <= set(run["metrics"])
    assert all(0.0 <= run["metrics"][k] <= 1.0 for k in ("miou", "pixel_accuracy", "boundary_f1"))


def test_a_bad_mask_folder_is_refused_naming_each_file(tmp_path, capsys):
    """A folder with a mask of the wrong size and one with an index beyond its classes exits 2 before any work,
    one line per bad file, each naming the file and the problem."""
    folder = _write_folder(tmp_path / "bad", 8, bad=True)
    argv = ["lab", "run", "--task", "segmentation", "--dataset", f"folder:{folder}", "--quick"]
    assert main([*argv, "--store", f"sqlite:///{tmp_path / 'store.db'}"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line.removeprefix("error: ") for line in err.splitlines()]
    assert len(lines) == 2, err
    assert any(line.startswith("masks/000.png") and "48 × 40 px" in line for line in lines)
    assert any(line.startswith("masks/001.png") and "7" in line and "outside" in line for line in lines)


def test_a_dense_task_refuses_a_classification_dataset(capsys):
    """A dense task on the digits is a one-line error naming --dataset and what it allows."""
    assert main(["lab", "run", "--task", "detection", "--dataset", "mnist5k"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--dataset" in err and "scenes" in err


def test_seed_interval_is_students_t():
    """The interval is mean ± t(0.975, n − 1)·sd/√n; one value has none."""
    values = [0.02, 0.05, 0.03, 0.04]
    mean, (low, high) = seed_interval(values)
    half = stats.t.ppf(0.975, 3) * np.std(values, ddof=1) / 2
    assert mean == pytest.approx(0.035) and (low, high) == pytest.approx((0.035 - half, 0.035 + half))
    assert seed_interval([0.1]) == (0.1, None)
    assert verdict_words(0.03, (0.01, 0.05), 3).startswith("holds")
    assert verdict_words(-0.03, (-0.05, -0.01), 3).startswith("does not hold")
    assert verdict_words(0.01, (-0.02, 0.04), 3).startswith("inconclusive")
    assert verdict_words(0.01, None, 1).startswith("inconclusive")


def _runs(task: str, gap: float, seeds: int = 3, noise: float = 0.0) -> pd.DataFrame:
    """Synthetic runs of the three recipes: metric linear in log MACs, resolution-leaning `gap` above width-only."""
    rng = np.random.default_rng(1)
    rows = []
    offsets = {"segmentation": gap, "efficientnet": gap / 2, "width": 0.0}
    macs = {"segmentation": (1e6, 2.1e6, 4.2e6), "efficientnet": (1e6, 2e6, 4e6), "width": (1e6, 1.8e6, 3.5e6)}
    for seed in range(seeds):
        for alias, offset in offsets.items():
            for phi, m in zip((0.0, 1.0, 2.0), macs[alias]):
                value = 0.1 * np.log(m) + (offset if phi else 0.0) + noise * rng.standard_normal()
                rows.append(
                    {
                        "task": task,
                        "role": "grid",
                        "alias": alias,
                        "phi": phi,
                        "macs": m,
                        "seed": seed,
                        "metric_miou": value,
                        "metric_top1": value,
                    }
                )
    return pd.DataFrame(rows)


def test_recipes_are_compared_at_equal_macs():
    """With resolution-leaning a constant 0.05 above width-only at every φ > 0, the difference at equal MACs is 0.05
    whatever MACs each recipe reached, and with no noise the claim holds; a reversed gap refutes it."""
    runs = pd.concat([_runs("segmentation", 0.05), _runs("classification", 0.0)])
    per_seed = recipe_difference(runs, "segmentation", "miou", "segmentation", "width")
    assert len(per_seed) == 3
    # Interpolated at resolution-leaning's 2.1e6 and 4.2e6 MACs (clipped to width-only's top, 3.5e6): the 0.05 gap
    # at each, as both recipes lie on the same slope.
    assert all(abs(v - 0.05) < 1e-9 for v in per_seed.values())
    claims = {c.claim: c for c in dense_claims(runs, "segmentation")}
    assert claims["segmentation prefers resolution over width"].verdict.startswith("holds")
    reversed_runs = pd.concat([_runs("segmentation", -0.05), _runs("classification", 0.0)])
    claims = {c.claim: c for c in dense_claims(reversed_runs, "segmentation")}
    assert claims["segmentation prefers resolution over width"].verdict.startswith("does not hold")
    noisy = pd.concat([_runs("segmentation", 0.0, noise=0.05), _runs("classification", 0.0)])
    assert dense_claims(noisy, "segmentation")[0].verdict.startswith("inconclusive")


def test_the_multitask_study_pairs_two_networks_of_half_the_macs():
    """For each multi-task budget φ > 0 the study adds a classification and a segmentation network of at most half
    its MACs each, and the split's networks stay within the split budget."""
    recipe = dense_settings().split.recipe
    points = study_points(["multitask"], [recipe], [0.0, 1.0], CLASSES)
    multi = count_task(dense_network("multitask", recipe, 1.0, CLASSES)).macs
    separate = [p for p in points if p.role == "separate"]
    assert sorted(p.task for p in separate) == ["classification", "segmentation"]
    assert all(count_task(p.network).macs <= multi / 2 for p in separate)
    split = [p for p in points if p.role == "split"]
    assert [p.decoder_width for p in split] == list(dense_settings().split.decoder_widths)
    assert all(count_task(p.network).macs <= multi for p in split)
    phi = largest_phi_within("classification", recipe, CLASSES, multi / 2)
    assert count_task(dense_network("classification", recipe, phi + 0.1, CLASSES)).macs > multi / 2


def test_dense_settings_are_validated():
    """The quick budget uses part of the scenes; the default study trains three seeds of at least three budgets; a
    budget out of range is refused naming its field."""
    settings = dense_settings()
    assert 0 < settings.quick_budget.train_images < 600 and settings.budget.train_images == 0
    assert settings.study.seeds >= 3 and len(settings.study.phis) >= 3
    with pytest.raises(ConfigError, match="epochs"):
        replace(settings.budget, epochs=0)


def test_input_sides_are_whole_multiples_of_the_output_stride():
    """Every network of the study has an input side the stride-4 output divides (the losses and the decoding assume
    it); a rounding that breaks it is refused naming the key."""
    settings = dense_settings()
    points = study_points(settings.study.tasks, settings.study.recipes, settings.study.phis, CLASSES)
    stride = 2**settings.heads.output_level
    assert {p.network.resolution_px % stride for p in points} == {0}
    assert len({p.network.resolution_px for p in points}) > 1
    raw = settings.model_dump(mode="json")
    raw["rounding"]["resolution_multiple"] = 1
    with pytest.raises(ValidationError, match="dense.rounding.resolution_multiple"):
        type(settings).model_validate_json(json.dumps(raw))


def curves(final_gain: float) -> pd.DataFrame:
    """Two recipes × three seeds evaluated every 4 epochs, rising by `final_gain` points over the last interval."""
    rng = np.random.default_rng(0)
    rows = []
    for recipe in ("a", "b"):
        for seed in range(3):
            for epoch in (4, 8, 12, 16):
                metric = 40 + 2 * epoch + (final_gain if epoch == 16 else 0) + rng.normal(0, 0.3)
                rows.append({"recipe": recipe, "phi": 2.0, "seed": seed, "epoch": epoch, "metric": metric})
    flat = pd.DataFrame(rows)
    flat.loc[flat["epoch"] == 16, "metric"] -= 8  # the level of epoch 12 plus the final gain
    return flat


def test_levelled_off_means_no_rise_on_average_over_the_last_interval():
    from scaling_core.app.views.dense import late_change

    assert late_change(curves(0.0)).levelled and late_change(curves(0.0)).epochs == 4
    rising = late_change(curves(3.0))
    assert not rising.levelled and rising.low > 2 and rising.mean == pytest.approx(3.0, abs=0.5)


def test_the_shipped_study_has_levelled_off_at_the_largest_budget():
    """The shipped study's φ = 2 runs of every task no longer rise on average over their last evaluation interval."""
    from scaling_core.app.views.dense import curves_of, dense_study, late_change

    study = dense_study()
    for task in DENSE_TASKS:
        change = late_change(curves_of(study, task))
        assert change is not None and change.levelled, (task, change)


@pytest.mark.slow
def test_the_quick_study_trains_resumes_and_gives_verdicts(tmp_path, capsys):
    """`lab study --quick` trains the quick grid through the executor, a second call trains nothing, and
    `lab verdict --quick --json` gives each segmentation claim a difference and an interval over its seeds."""
    store = f"sqlite:///{tmp_path / 'store.db'}"
    assert main(["lab", "study", "--quick", "--store", store, "--json"]) == 0
    out, err = capsys.readouterr()
    runs = json.loads(out)
    grid = dense_settings().quick_study
    # Every recipe at every φ and seed is reported; the φ = 0 network, the same for every recipe, trains once a seed.
    assert len(runs) == len(grid.recipes) * len(grid.phis) * grid.seeds
    assert f"trained {(1 + len(grid.recipes) * (len(grid.phis) - 1)) * grid.seeds} runs" in err
    assert main(["lab", "study", "--quick", "--store", store]) == 0
    assert "trained 0 runs" in capsys.readouterr().err
    assert main(["lab", "verdict", "--quick", "--task", "segmentation", "--store", store, "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    first = verdict["claims"][0]
    assert verdict["task"] == "segmentation" and first["seeds"] == grid.seeds
    assert first["interval"][0] <= first["difference"] <= first["interval"][1]


def test_the_pages_lead_with_each_tasks_primary_metric():
    """The metric a page draws first is the one the store keeps as a run's accuracy."""
    from scaling_core.app.views.dense import TASK_METRICS
    from scaling_core.lab.dense_train import PRIMARY

    assert {task: metrics[0] for task, metrics in TASK_METRICS.items()} == PRIMARY
