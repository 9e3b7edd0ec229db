"""The networks of the dense lab: the dense base scaled by a recipe at φ, with the head of a task.

One backbone (data/bases/lab-dense.json: 64 px colour, stages down to stride 32) serves four tasks:
- classification: the backbone's own head conv, pool and linear classifier over the object classes;
- segmentation: the FPN decoder the Tasks page counts (strides 4–32 in, per-pixel classes at stride 4 out),
  its width round(decoder_width · w);
- detection: an anchor-free centre-and-size head (CenterNet, Zhou, Wang & Krähenbühl 2019, "Objects as Points")
  on the same FPN decoder: per object class a centre heatmap, plus a sub-cell offset (2) and log box size (2), so
  C + 4 output channels at stride 4. EfficientDet's BiFPN with 9 anchors per cell is what the Tasks page counts for
  detection at 512 px and up; it is too slow to train on two CPU cores, so the lab says which head it trained;
- multitask: one backbone feeding both the classification head and the segmentation decoder.
Each is a `TaskArch`, the description the counter and the builder both read, so a trained network's MACs are the
analytic count (nn/verify.py checks it).
"""

from __future__ import annotations

from functools import lru_cache

from scaling_core.core.arch import scale_recipe
from scaling_core.core.errors import ConfigError
from scaling_core.core.rounding import RoundingPolicy, round_channels
from scaling_core.lab.dense_settings import DENSE_TASKS, dense_settings
from scaling_core.lab.runs import lab_recipe
from scaling_core.tasks.heads import ClassificationHead, FPNDecoder, TaskArch, feature_taps

DETECTION_EXTRA_OUTPUTS = 4  # offset x, offset y, log width, log height


def require_task(task: str) -> str:
    """The task if the dense lab trains it; a one-line ConfigError otherwise."""
    if task not in DENSE_TASKS:
        raise ConfigError("--task", str(task)[:40], f"one of {', '.join(DENSE_TASKS)}")
    return task


@lru_cache(maxsize=1024, typed=True)
def dense_network(
    task: str,
    alias: str,
    phi: float,
    object_classes: int,
    decoder_width: int | None = None,
    base: str | None = None,
) -> TaskArch:
    """A dense base (the lab's by default, or a family's) scaled by a lab recipe at φ with the task's head for
    `object_classes` classes, rounded by the dense lab's policy (kept: the pages ask for the whole grid on every run).
    `decoder_width` overrides the decoder's base width (the multi-task budget split)."""
    require_task(task)
    settings = dense_settings()
    named = lab_recipe(alias)
    policy: RoundingPolicy = settings.rounding
    backbone = scale_recipe(
        named.recipe,
        phi,
        base=base or settings.base,
        policy=policy,
        num_classes=object_classes,
        label=f"{named.name}, φ={phi:g}",
    )
    m = backbone.multipliers
    heads = settings.heads
    width = int(round_channels(decoder_width or heads.decoder_width, m.width, policy.width_divisor))
    taps = feature_taps(backbone, heads.levels)
    label = f"{task}: {named.name}, φ={phi:g}" + (f", decoder {decoder_width}" if decoder_width else "")
    if task == "classification":
        return TaskArch(task, backbone, (), m, label=label)
    if task == "detection":
        decoder = FPNDecoder(taps, width, object_classes + DETECTION_EXTRA_OUTPUTS, heads.output_level)
        return TaskArch(task, backbone, (decoder,), m, label=label)
    decoder = FPNDecoder(taps, width, object_classes + 1, heads.output_level)
    if task == "segmentation":
        return TaskArch(task, backbone, (decoder,), m, label=label)
    return TaskArch(task, backbone, (ClassificationHead(backbone.head, backbone.classifier), decoder), m, label=label)
