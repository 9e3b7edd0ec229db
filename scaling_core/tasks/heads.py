"""Task heads as data: detection (EfficientDet), segmentation, multi-task and video, on a scaled backbone.

One frozen description per task (`TaskArch`), read by both the counter (`scaling_core.tasks.cost`) and
the torch builder (`scaling_core.nn.task_build`). Rounding happens here, once.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import ClassVar

from scaling_core.core.arch import Classifier, ConvBNAct, ScaledArch, require_classes, scale, scale_recipe
from scaling_core.core.base import BaseSpec, load_base
from scaling_core.core.errors import ConfigError
from scaling_core.core.paths import DATA_DIR
from scaling_core.core.presets import get_preset, official_multipliers, preset_table
from scaling_core.core.recipe import Multipliers, Recipe
from scaling_core.core.rounding import RoundingPolicy, round_channels, round_resolution

TASKS = ("classification", "detection", "segmentation", "multitask", "video")
NECK_SCALINGS = ("efficientdet", "recipe")
TASK_DIR = DATA_DIR / "tasks"


@dataclass(frozen=True)
class Tap:
    """A backbone feature taken by a head: output of stage `stage` (0-based) at stride 2^level."""

    stage: int
    level: int
    channels: int


@dataclass(frozen=True)
class BiFPN:
    """EfficientDet's neck: P6, P7 made from P5, then `repeats` BiFPN layers of width `width` over P3–P7."""

    kind: ClassVar[str] = "bifpn"
    component: ClassVar[str] = "neck"
    taps: tuple[Tap, ...]
    width: int
    repeats: int
    min_level: int = 3
    max_level: int = 7


def bifpn_nodes(min_level: int, max_level: int) -> tuple[tuple[int, tuple[tuple[str, int], ...]], ...]:
    """EfficientDet's BiFPN graph: (output level, inputs) per node; an input is ("input", level) or ("node", index).

    Top-down nodes fuse each input level with the node above it; bottom-up nodes fuse the input,
    the top-down node of the same level (where there is one) and the node below (automl's bifpn_config).
    """
    nodes: list[tuple[int, tuple[tuple[str, int], ...]]] = []
    top_down: dict[int, int] = {}
    previous: tuple[str, int] = ("input", max_level)
    for level in range(max_level - 1, min_level - 1, -1):
        nodes.append((level, (("input", level), previous)))
        previous = ("node", len(nodes) - 1)
        top_down[level] = len(nodes) - 1
    for level in range(min_level + 1, max_level + 1):
        middle = (("node", top_down[level]),) if level in top_down else ()
        nodes.append((level, (("input", level), *middle, previous)))
        previous = ("node", len(nodes) - 1)
    return tuple(nodes)


def bifpn_outputs(min_level: int, max_level: int) -> dict[int, int]:
    """Node index of each level's BiFPN output: the last node written at that level."""
    return {level: i for i, (level, _) in enumerate(bifpn_nodes(min_level, max_level))}


@dataclass(frozen=True)
class PredictionNet:
    """EfficientDet box or class net: `repeats` separable convs shared over levels (batch norm per level),
    then a predictor."""

    kind: ClassVar[str] = "prediction_net"
    component: ClassVar[str] = "head"
    name: str
    width: int
    repeats: int
    outputs: int
    levels: tuple[int, ...]


@dataclass(frozen=True)
class FPNDecoder:
    """Semantic segmentation decoder: per-pixel classes at stride 2^output_level."""

    kind: ClassVar[str] = "fpn_decoder"
    component: ClassVar[str] = "head"
    taps: tuple[Tap, ...]
    width: int
    num_classes: int
    output_level: int = 2


@dataclass(frozen=True)
class ClassificationHead:
    """The backbone's own 1×1 head conv (None where the family has none), global pool and linear classifier."""

    kind: ClassVar[str] = "classification_head"
    component: ClassVar[str] = "head"
    head: ConvBNAct | None
    classifier: Classifier


@dataclass(frozen=True)
class TemporalHead:
    """Per-frame 1×1 head conv and pool, then a temporal conv (same width) + BN + SiLU, mean over time, linear."""

    kind: ClassVar[str] = "temporal_head"
    component: ClassVar[str] = "head"
    head: ConvBNAct
    kernel: int
    frames: int
    num_classes: int


@dataclass(frozen=True)
class TaskArch:
    """A task network: a backbone (stem and stages of `backbone`) and its heads; `frames` > 1 only for video.

    `multipliers` are the continuous (d, w, r, t) the task was scaled by, before rounding
    (for EfficientDet's rules, r is the detector's own input growth 1 + φ/4).
    """

    task: str
    backbone: ScaledArch
    heads: tuple
    multipliers: Multipliers
    frames: int = 1
    label: str = ""

    @property
    def resolution_px(self) -> int:
        """Input side in pixels."""
        return self.backbone.resolution_px


@lru_cache(maxsize=1)
def efficientdet_table() -> dict:
    """Compound rules and published D0–D7 (data/tasks/efficientdet.json)."""
    return json.loads((TASK_DIR / "efficientdet.json").read_text())


@lru_cache(maxsize=1)
def head_table() -> dict:
    """Segmentation, multi-task and video head settings (data/tasks/heads.json)."""
    return json.loads((TASK_DIR / "heads.json").read_text())


def detection_preset_names() -> tuple[str, ...]:
    """d0 … d7."""
    return tuple(p["name"] for p in efficientdet_table()["presets"])


def get_detection_preset(name: str) -> dict:
    """A published EfficientDet variant by name."""
    for p in efficientdet_table()["presets"]:
        if p["name"] == str(name).lower():
            return p
    raise ConfigError("preset", name, f"one of {', '.join(detection_preset_names())} for the detection head")


def feature_taps(arch: ScaledArch, levels) -> tuple[Tap, ...]:
    """For each level, the last stage whose output has stride 2^level."""
    stride, last = arch.stem_stride, {}
    for i, stage in enumerate(arch.stages):
        stride *= stage.first.stride
        last[int(math.log2(stride))] = Tap(i, int(math.log2(stride)), int(stage.first.out_channels))
    missing = [lv for lv in levels if lv not in last]
    if missing:
        raise ConfigError(
            "base",
            arch.base_name,
            f"a backbone with outputs at strides {[2**lv for lv in levels]} (missing {[2**lv for lv in missing]})",
        )
    return tuple(last[lv] for lv in levels)


def _with_resolution(base: BaseSpec | str, resolution_px: int) -> BaseSpec:
    base = load_base(base) if isinstance(base, str) else base
    return replace(base, resolution_px=resolution_px)


def detection_heads(backbone: ScaledArch, width: int, bifpn_repeats: int, head_repeats: int, num_classes: int) -> tuple:
    """BiFPN over P3–P7 and the box and class nets."""
    rules = efficientdet_table()
    levels = tuple(range(rules["min_level"], rules["max_level"] + 1))
    taps = feature_taps(backbone, (3, 4, 5))
    anchors = rules["num_anchors"]
    return (
        BiFPN(taps, width, bifpn_repeats, rules["min_level"], rules["max_level"]),
        PredictionNet("class net", width, head_repeats, anchors * num_classes, levels),
        PredictionNet("box net", width, head_repeats, anchors * 4, levels),
    )


def scale_detection_preset(name: str, *, num_classes: int | None = None) -> TaskArch:
    """A published EfficientDet D0–D7: its backbone variant at the detector's input, its neck and heads."""
    p = get_detection_preset(name)
    rules = efficientdet_table()
    b = get_preset(p["backbone"])
    m = official_multipliers(b)
    backbone = scale(
        Multipliers(m.depth, m.width, p["resolution_px"] / rules["base_resolution_px"]),
        base=_with_resolution(preset_table().base, rules["base_resolution_px"]),
        policy=RoundingPolicy(resolution_multiple=1),
    )
    classes = rules["num_classes"] if num_classes is None else require_classes(num_classes)
    return TaskArch(
        "detection",
        backbone,
        detection_heads(backbone, p["width"], p["bifpn_repeats"], p["head_repeats"], classes),
        backbone.multipliers,
        label=f"EfficientDet-{p['name'].upper()} (official)",
    )


def scale_task(
    task: str,
    recipe: Recipe,
    phi: float,
    *,
    base: BaseSpec | str = "efficientnet-b0",
    policy: RoundingPolicy | None = None,
    num_classes: int | None = None,
    neck_scaling: str = "efficientdet",
) -> TaskArch:
    """Scale a whole task network with one recipe at φ (the backbone as `scale_recipe`, the heads by their rules).

    Detection, neck_scaling="efficientdet" (the published rules, Tan et al. 2020): width
    round8(64·1.35^φ), BiFPN repeats 3 + round(φ), head repeats 3 + ⌊φ/3⌋, input 512 + 128·φ
    rounded to a multiple of 128. neck_scaling="recipe": the recipe's own multipliers for the
    whole system: width round8(64·w), repeats ⌈3·d⌉ for BiFPN and heads, input 512·r.
    Segmentation: decoder width round8(128·w), input 512·r. Multi-task: both heads at 512·r.
    Video: frames round(8·t) (at least 1), input 224·r. Inputs are rounded to the policy's multiple.
    """
    if task not in TASKS:
        raise ConfigError("head", task, f"one of {', '.join(TASKS)}")
    if neck_scaling not in NECK_SCALINGS:
        raise ConfigError("neck_scaling", neck_scaling, f"one of {', '.join(NECK_SCALINGS)}")
    policy = policy or RoundingPolicy()
    m = recipe.multipliers(phi)
    if num_classes is not None:
        num_classes = require_classes(num_classes)
    if task != "video":
        m = replace(m, frames=1.0)  # τ only scales a video clip
    if task == "classification":
        return TaskArch(
            task,
            scale_recipe(recipe, phi, base=base, policy=policy, num_classes=num_classes),
            (),
            m,
            label=_label(task, recipe, phi),
        )
    if task == "detection":
        return _scale_detection(recipe, phi, m, base, policy, num_classes, neck_scaling)
    heads = head_table()
    if task == "video":
        video = heads["video"]
        backbone = scale_recipe(
            recipe,
            phi,
            base=base,
            policy=policy,
            num_classes=video["num_classes"] if num_classes is None else num_classes,
        )
        if backbone.head is None:
            raise ConfigError("base", backbone.base_name, "a base with a 1×1 head conv for the video head")
        frames = max(1, int(math.floor(video["base_frames"] * m.frames + 0.5)))
        head = TemporalHead(backbone.head, video["temporal_kernel"], frames, backbone.classifier.num_classes)
        return TaskArch(task, backbone, (head,), m, frames, _label(task, recipe, phi))
    seg = heads["segmentation"]
    settings = heads[task]
    backbone = scale_recipe(
        recipe,
        phi,
        base=_with_resolution(base, settings["base_resolution_px"]),
        policy=policy,
        num_classes=settings["num_classes"] if num_classes is None else num_classes,
    )
    seg_classes = settings.get("segmentation_classes", backbone.classifier.num_classes)
    decoder = FPNDecoder(
        feature_taps(backbone, tuple(seg["levels"])),
        int(round_channels(seg["base_width"], m.width, policy.width_divisor)),
        seg_classes,
        seg["output_level"],
    )
    if task == "segmentation":
        return TaskArch(task, backbone, (decoder,), m, label=_label(task, recipe, phi))
    return TaskArch(
        task,
        backbone,
        (ClassificationHead(backbone.head, backbone.classifier), decoder),
        m,
        label=_label(task, recipe, phi),
    )


def _scale_detection(recipe, phi, m, base, policy, num_classes, neck_scaling) -> TaskArch:
    rules = efficientdet_table()
    if neck_scaling == "efficientdet":
        width = int(round_channels(rules["base_width"], rules["width_growth"] ** phi, policy.width_divisor))
        bifpn_repeats = rules["base_bifpn_repeats"] + int(math.floor(phi + 0.5))
        head_repeats = rules["base_head_repeats"] + int(math.floor(phi / 3))
        resolution = 1.0 + rules["resolution_step_px"] * phi / rules["base_resolution_px"]
        multiple = rules["resolution_step_px"]
    else:
        width = int(round_channels(rules["base_width"], m.width, policy.width_divisor))
        bifpn_repeats = int(math.ceil(rules["base_bifpn_repeats"] * m.depth))
        head_repeats = int(math.ceil(rules["base_head_repeats"] * m.depth))
        resolution, multiple = m.resolution, policy.resolution_multiple
    resolution_px = int(round_resolution(rules["base_resolution_px"], resolution, multiple))
    backbone = scale(
        Multipliers(m.depth, m.width, resolution_px / rules["base_resolution_px"]),
        base=_with_resolution(base, rules["base_resolution_px"]),
        policy=replace(policy, resolution_multiple=1),
    )
    classes = rules["num_classes"] if num_classes is None else num_classes
    return TaskArch(
        "detection",
        backbone,
        detection_heads(backbone, width, bifpn_repeats, head_repeats, classes),
        Multipliers(m.depth, m.width, resolution),
        label=_label("detection", recipe, phi) + f", {neck_scaling} neck rules",
    )


def _label(task: str, recipe: Recipe, phi: float) -> str:
    tau = f", τ={recipe.tau:g}" if task == "video" and recipe.tau != 1.0 else ""
    return f"{task}: α={recipe.alpha:g}, β={recipe.beta:g}, γ={recipe.gamma:g}{tau}, φ={phi:g}"


def as_task(network: ScaledArch | TaskArch) -> TaskArch:
    """A classification network is the task network with no extra heads."""
    if isinstance(network, TaskArch):
        return network
    return TaskArch("classification", network, (), network.multipliers, label=network.label)
