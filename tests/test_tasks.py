import math

import numpy as np
import pytest

from scaling_core import Recipe, RoundingPolicy, count
from scaling_core.core.errors import ConfigError
from scaling_core.nn.verify import verify
from scaling_core.tasks.budget import compare_at_budget, largest_phi_within, macs_at
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import (
    bifpn_nodes,
    detection_preset_names,
    efficientdet_table,
    get_detection_preset,
    scale_detection_preset,
    scale_task,
)
from scaling_core.tasks.law import check_law

PAPER = Recipe(1.2, 1.1, 1.15)


@pytest.mark.parametrize("name", detection_preset_names())
def test_efficientdet_presets_match_the_published_figures(name):
    published = get_detection_preset(name)
    report = count_task(scale_detection_preset(name))
    assert report.params == pytest.approx(published["published_params_m"] * 1e6, rel=0.10)
    assert report.macs == pytest.approx(published["published_gmacs"] * 1e9, rel=0.15)


def test_efficientdet_d3_layout():
    task = scale_detection_preset("d3")
    bifpn, class_net, box_net = task.heads
    assert (task.resolution_px, bifpn.width, bifpn.repeats, class_net.repeats) == (896, 160, 6, 4)
    assert [tap.level for tap in bifpn.taps] == [3, 4, 5]
    assert (class_net.outputs, box_net.outputs) == (9 * 90, 9 * 4)


@pytest.mark.parametrize("phi", range(8))
def test_efficientdet_compound_rules(phi):
    task = scale_task("detection", PAPER, phi)
    bifpn, class_net, _ = task.heads
    width = 64 * 1.35**phi
    assert bifpn.width % 8 == 0 and abs(bifpn.width - width) <= 4
    assert (bifpn.repeats, class_net.repeats, task.resolution_px) == (3 + phi, 3 + phi // 3, 512 + 128 * phi)


def test_bifpn_graph_is_efficientdets():
    assert bifpn_nodes(3, 7) == (
        (6, (("input", 6), ("input", 7))),
        (5, (("input", 5), ("node", 0))),
        (4, (("input", 4), ("node", 1))),
        (3, (("input", 3), ("node", 2))),
        (4, (("input", 4), ("node", 2), ("node", 3))),
        (5, (("input", 5), ("node", 1), ("node", 4))),
        (6, (("input", 6), ("node", 0), ("node", 5))),
        (7, (("input", 7), ("node", 6))),
    )


def random_task_configs(n, seed):
    rng = np.random.default_rng(seed)
    heads = ["detection", "segmentation", "multitask", "video"]
    for i in range(n):
        head = heads[i % len(heads)]
        recipe = Recipe(*rng.uniform([1.0, 0.9, 0.8, 1.0], [1.3, 1.2, 1.1, 1.4]))
        yield (
            head,
            recipe,
            float(rng.uniform(0, 1.2)),
            str(rng.choice(["efficientdet", "recipe"])),
            int(rng.integers(2, 120)),
            int(rng.choice([8, 16, 32])),
        )


@pytest.mark.parametrize("head, recipe, phi, neck, classes, multiple", list(random_task_configs(8, seed=11)))
def test_random_task_networks_equal_fvcore(head, recipe, phi, neck, classes, multiple):
    task = scale_task(
        head, recipe, phi, neck_scaling=neck, num_classes=classes, policy=RoundingPolicy(resolution_multiple=multiple)
    )
    result = verify(task)
    assert result.ok, result.differences


def test_efficientdet_d0_equals_fvcore():
    result = verify(scale_detection_preset("d0", num_classes=20))
    assert result.ok, result.differences


@pytest.mark.slow
@pytest.mark.parametrize("name", ["d1", "d2", "d3"])
def test_larger_efficientdets_equal_fvcore(name):
    result = verify(scale_detection_preset(name))
    assert result.ok, result.differences


@pytest.mark.slow
@pytest.mark.parametrize("head, recipe, phi, neck, classes, multiple", list(random_task_configs(16, seed=12)))
def test_more_task_networks_equal_fvcore(head, recipe, phi, neck, classes, multiple):
    task = scale_task(
        head,
        recipe,
        phi * 2,
        neck_scaling=neck,
        num_classes=classes,
        policy=RoundingPolicy(resolution_multiple=multiple),
    )
    result = verify(task)
    assert result.ok, result.differences


def test_video_costs_follow_the_frame_count():
    short = scale_task("video", Recipe(1.2, 1.1, 1.15, 1.0), 2.0)
    long = scale_task("video", Recipe(1.2, 1.1, 1.15, 1.5), 2.0)
    assert (short.frames, long.frames) == (8, 18)  # round(8 · 1.5²)
    a, b = count_task(short), count_task(long)
    assert b.by_component()["backbone"].macs * short.frames == a.by_component()["backbone"].macs * long.frames
    assert a.params == b.params


def test_multitask_is_the_sum_of_its_two_heads():
    multi = count_task(scale_task("multitask", PAPER, 1.5))
    seg = count_task(scale_task("segmentation", PAPER, 1.5))
    decoder = {p.name: p.counts.macs for p in seg.parts}["segmentation decoder"]
    parts = {p.name: p.counts for p in multi.parts}
    assert parts["segmentation decoder"].macs == decoder
    classification = scale_task("multitask", PAPER, 1.5).backbone
    head_and_classifier = count(classification).parts[-2:]
    assert parts["classification head"].macs == sum(p.counts.macs for p in head_and_classifier)


def test_the_law_fit_is_what_the_counts_give():
    check = check_law("classification")
    table = check.table
    x = np.column_stack([np.ones(len(table)), np.log(table[["depth", "width", "resolution"]].to_numpy())])
    y = np.log(table["macs"].to_numpy(float))
    coefficients = np.linalg.pinv(x) @ y  # an independent least-squares solution
    assert [check.fit.exponents[k] for k in ("depth", "width", "resolution")] == pytest.approx(coefficients[1:])
    residual = y - x @ coefficients
    assert check.fit.r_squared == pytest.approx(1 - residual @ residual / ((y - y.mean()) ** 2).sum())
    worst = table.loc[table["deviation"].abs().idxmax()]
    task = scale_task("classification", Recipe(worst["alpha"], worst["beta"], worst["gamma"]), worst["phi"])
    base = count_task(scale_task("classification", PAPER, 0.0)).macs
    m = task.multipliers
    law = base * m.depth * m.width**2 * m.resolution**2
    assert check.max_deviation == pytest.approx(count_task(task).macs / law - 1, rel=1e-12)
    assert 0.95 < check.fit.r_squared < 1.0


def test_efficientdets_own_rules_break_the_law_more_than_the_recipes():
    own, recipe = check_law("detection", "efficientdet"), check_law("detection", "recipe")
    assert abs(own.max_deviation) > abs(recipe.max_deviation)
    assert own.component_fits["neck"].exponents["width"] < 0.5  # the BiFPN width ignores β
    assert recipe.component_fits["neck"].exponents["width"] > 1.5


def test_video_frames_exponent_is_one():
    check = check_law("video")
    assert check.fit.exponents["frames"] == pytest.approx(1.0, abs=0.05)


def test_largest_phi_within_a_budget():
    budget = 20e9
    phi = largest_phi_within("segmentation", PAPER, budget)
    assert macs_at("segmentation", PAPER, phi) <= budget < macs_at("segmentation", PAPER, phi + 0.002)


def test_recipes_compared_at_one_budget():
    table = compare_at_budget("multitask", 15e9)
    assert (table["MACs"] <= 15e9).all() and len(table) == 3
    leaning = table.set_index("recipe").loc["segmentation-leaning"]
    effnet = table.set_index("recipe").loc["EfficientNet (published)"]
    assert leaning["resolution (px)"] > effnet["resolution (px)"]
    assert {"MACs: classification head", "MACs: segmentation decoder"} <= set(table.columns)


def test_detection_preset_backbones_and_inputs_come_from_the_data():
    rules = efficientdet_table()
    assert [p["backbone"] for p in rules["presets"]] == ["b0", "b1", "b2", "b3", "b4", "b5", "b6", "b6"]
    assert math.isclose(rules["width_growth"], 1.35)


def test_a_recipe_that_does_not_grow_still_respects_the_budget():
    flat = Recipe(1.0, 1.0, 1.0)  # EfficientDet's own rules still grow the detector with φ
    budget = 1.5 * macs_at("detection", flat, 0.0)
    phi = largest_phi_within("detection", flat, budget)
    assert macs_at("detection", flat, phi) <= budget
    shrinking = Recipe(1.2, 0.9, 1.0)
    budget = 1.16 * macs_at("classification", shrinking, 0.0)
    assert macs_at("classification", shrinking, largest_phi_within("classification", shrinking, budget)) <= budget


def test_tau_only_scales_video():
    task = scale_task("segmentation", Recipe(1.2, 1.1, 1.15, 1.5), 2.0)
    assert task.multipliers.frames == 1.0 and "τ" not in task.label
    assert scale_task("video", Recipe(1.2, 1.1, 1.15, 1.5), 2.0).multipliers.frames == pytest.approx(2.25)


@pytest.mark.parametrize("head, classes", [("detection", -5), ("segmentation", 0), ("video", 2.5)])
def test_class_counts_are_validated_for_every_head(head, classes):
    with pytest.raises(ConfigError, match="num_classes"):
        scale_task(head, PAPER, 1.0, num_classes=classes)
