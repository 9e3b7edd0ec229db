"""What the Tasks, Lab and Pareto pages show of the dense lab: the measured study, its claims and sample predictions.

Metrics are fractions in the runs and the JSON; here they become percentages, as every page shows accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scaling_core.app.views.lab import modelled_shape
from scaling_core.lab.dense_data import SCENES
from scaling_core.lab.dense_runs import dense_runs, study_points
from scaling_core.lab.dense_settings import dense_settings
from scaling_core.lab.dense_train import SAMPLE_MIN_SCORE
from scaling_core.lab.dense_verdicts import METRIC_WORDS, dense_claims
from scaling_core.lab.runs import lab_recipe
from scaling_core.lab.scenes import scene_settings

# Each task's metrics, its primary one (dense_train.PRIMARY, the store's `accuracy`) first.
TASK_METRICS = {
    "classification": ("top1", "top1_small", "top1_medium", "top1_large"),
    "segmentation": ("miou", "pixel_accuracy", "boundary_f1", "miou_small", "miou_medium", "miou_large"),
    "detection": ("ap50", "ap", "ap_small", "ap_medium", "ap_large"),
    "multitask": ("miou", "top1", "boundary_f1"),
}
METRIC_LABELS = {
    **METRIC_WORDS,
    "pixel_accuracy": "pixel accuracy",
    "top1_small": "top-1, small objects",
    "top1_medium": "top-1, medium objects",
    "top1_large": "top-1, large objects",
    "miou_medium": "mIoU on medium objects",
    "miou_large": "mIoU on large objects",
    "ap_medium": "AP on medium objects",
    "ap_large": "AP on large objects",
}
HEAD_NOTE = {
    "classification": "the backbone's own head conv, pool and linear classifier, on the image-level label",
    "segmentation": "the FPN decoder the cost tab counts (strides 4–32 in, classes at stride 4)",
    "detection": "an anchor-free centre-and-size head (CenterNet) on the FPN decoder, not EfficientDet's BiFPN "
    "and anchors, which are too slow to train on two cores",
    "multitask": "one backbone with the classification head and the FPN decoder",
}


@dataclass(frozen=True)
class DenseStudy:
    """The default study's runs (one row per network and seed) and where they come from."""

    runs: pd.DataFrame
    source: str

    @property
    def empty(self) -> bool:
        """No run measured or shipped."""
        return self.runs.empty


def dense_study(store=None, quick: bool = False) -> DenseStudy:
    """The default study on the scenes (the store's runs where it holds any, else the shipped ones), or the quick one
    (only ever trained here)."""
    settings = dense_settings()
    grid, budget = (settings.quick_study, settings.quick_budget) if quick else (settings.study, settings.budget)
    classes = len(scene_settings().classes)
    points = study_points(grid.tasks, grid.recipes, [float(p) for p in grid.phis], classes)
    runs, source = dense_runs(SCENES, points, store, budget, grid.seeds)
    return DenseStudy(runs, source)


def quick_points():
    """The quick study's networks (what the Lab page's button trains)."""
    grid = dense_settings().quick_study
    return study_points(grid.tasks, grid.recipes, [float(p) for p in grid.phis], len(scene_settings().classes))


def seed_statistics(fractions: pd.Series, prefix: str) -> dict[str, float]:
    """A metric's mean, sd, min and max over seeds in % (`<prefix>_mean`, …; NaN where too few seeds)."""
    values = 100.0 * fractions.astype(float).dropna()
    return {
        f"{prefix}_mean": values.mean() if len(values) else np.nan,
        f"{prefix}_std": values.std(ddof=1) if len(values) > 1 else np.nan,
        f"{prefix}_min": values.min() if len(values) else np.nan,
        f"{prefix}_max": values.max() if len(values) else np.nan,
    }


def task_summary(study: DenseStudy, task: str) -> pd.DataFrame:
    """Per recipe and φ of the task's grid: input, costs, measured latency and each metric's mean, sd, min and max
    over seeds (in %), and the accuracy model's shape started from the measured φ = 0 primary metric."""
    runs = study.runs
    if runs.empty:
        return pd.DataFrame()
    grid = runs[(runs["task"] == task) & (runs["role"] == "grid")]
    rows = []
    for (recipe, phi), group in grid.groupby(["recipe", "phi"], sort=True):
        first = group.iloc[0]
        row = {
            "recipe": recipe,
            "alias": first["alias"],
            "phi": phi,
            "resolution": int(first["resolution"]),
            "macs": int(first["macs"]),
            "params": int(first["params"]),
            "activations": int(first["activations"]),
            "latency_ms": first["latency_ms"],
            "seeds": len(group),
            "depth_multiplier": first["depth_multiplier"],
            "width_multiplier": first["width_multiplier"],
            "resolution_multiplier": first["resolution_multiplier"],
            **{k: first[k] for k in ("alpha", "beta", "gamma", "total_blocks")},
        }
        for metric in TASK_METRICS[task]:
            row.update(seed_statistics(group[f"metric_{metric}"], metric))
        rows.append(row)
    frame = pd.DataFrame(rows)
    primary = TASK_METRICS[task][0]
    frame["modelled_shape"] = modelled_shape(frame.assign(accuracy_mean=frame[f"{primary}_mean"]))
    return frame


def source_task(source: str) -> str | None:
    """The dense task of a Pareto accuracy source `dense:<task>` (None for another source)."""
    return source.split(":", 1)[1] if source.startswith("dense:") else None


def source_title(task: str) -> str:
    """A dense Pareto source in words: the task's primary metric on the scenes."""
    return f"{METRIC_LABELS[TASK_METRICS[task][0]]} of {task} on generated scenes"


def claims_table(study: DenseStudy, task: str) -> pd.DataFrame:
    """The task's claims: the difference that decides each (percentage points), its seed interval and verdict."""
    claims = dense_claims(study.runs, task) if not study.empty else []
    rows = []
    for claim in claims:
        low, high = claim.interval if claim.interval else (np.nan, np.nan)
        scale = 100.0
        rows.append(
            {
                "claim": claim.claim,
                "difference": np.nan if claim.difference is None else scale * claim.difference,
                "low": scale * low,
                "high": scale * high,
                "seeds": claim.seeds,
                "verdict": claim.verdict.split(":")[0],
                "why": claim.verdict.split(": ", 1)[-1],
                "how": claim.how,
            }
        )
    return pd.DataFrame(rows)


def curves_of(study: DenseStudy, task: str) -> pd.DataFrame:
    """The learning curves of the task's grid at its largest φ: recipe, seed, epoch and the primary metric (%)."""
    runs = study.runs
    if runs.empty:
        return pd.DataFrame()
    grid = runs[(runs["task"] == task) & (runs["role"] == "grid")]
    top = grid[grid["phi"] == grid["phi"].max()]
    primary = TASK_METRICS[task][0]
    rows = [
        {"recipe": r["recipe"], "phi": r["phi"], "seed": r["seed"], "epoch": p["epoch"], "metric": 100.0 * p[primary]}
        for _, r in top.iterrows()
        for p in r["curve"]
        if p.get(primary) is not None
    ]
    return pd.DataFrame(rows, columns=["recipe", "phi", "seed", "epoch", "metric"])


@dataclass(frozen=True)
class LateChange:
    """How each run's metric moved over the last evaluation interval (points) and over how many epochs."""

    low: float
    high: float
    mean: float
    epochs: int

    @property
    def levelled(self) -> bool:
        """Levelled off: the runs no longer rise on average (mean change within ±LEVELLED_POINTS); single runs
        still move either way by about the seed-to-seed noise."""
        return abs(self.mean) < LEVELLED_POINTS


LEVELLED_POINTS = 1.0


def late_change(curves: pd.DataFrame) -> LateChange | None:
    """How much the metric moved between each run's last two evaluations: what says whether the curves have
    levelled off (None with fewer than two evaluations)."""
    changes, epochs = [], 0
    for _, run in curves.groupby(["recipe", "seed"]):
        run = run.sort_values("epoch")
        if len(run) < 2:
            continue
        changes.append(float(run["metric"].iloc[-1] - run["metric"].iloc[-2]))
        epochs = int(run["epoch"].iloc[-1] - run["epoch"].iloc[-2])
    return LateChange(min(changes), max(changes), float(np.mean(changes)), epochs) if changes else None


def split_table(study: DenseStudy) -> pd.DataFrame:
    """The multi-task budget split: per decoder base width, the share of MACs in the heads, the backbone's φ, and
    top-1 and mIoU over seeds (%)."""
    runs = study.runs
    if runs.empty:
        return pd.DataFrame()
    split = runs[runs["role"] == "split"]
    rows = []
    for width, group in split.groupby("decoder_width"):
        first = group.iloc[0]
        rows.append(
            {
                "decoder_width": int(width),
                "head_share": float(first["head_macs_share"]),
                "phi": float(first["phi"]),
                "resolution": int(first["resolution"]),
                "macs": int(first["macs"]),
                "top1_mean": 100.0 * group["metric_top1"].mean(),
                "miou_mean": 100.0 * group["metric_miou"].mean(),
                "miou_std": 100.0 * group["metric_miou"].std(ddof=1) if len(group) > 1 else np.nan,
                "seeds": len(group),
            }
        )
    return pd.DataFrame(rows)


def split_caption() -> str:
    """What the budget split table shows, with the recipe and φ of its budget (from the settings)."""
    split = dense_settings().split
    return (
        f"One multi-task budget (the {lab_recipe(split.recipe).name} recipe's MACs at φ = {split.phi:g}) split between "
        "the shared backbone and the heads: a wider decoder leaves a smaller backbone (the largest φ that fits). "
        "Measured, mean over seeds."
    )


def study_budget_text(quick: bool = False) -> str:
    """How every dense run trains, in one sentence (from the settings)."""
    b = dense_settings().quick_budget if quick else dense_settings().budget
    scenes = scene_settings()
    train = b.train_images or scenes.train_images
    val = b.val_images or scenes.val_images
    return (
        f"{train} train and {val} validation scenes, {b.epochs} epochs at batch {b.batch_size}, AdamW (lr "
        f"{b.learning_rate:g}, weight decay {b.weight_decay:g}), one-cycle schedule, random left–right mirroring; "
        f"metrics on the validation scenes at their native {scenes.size_px} px"
    )


def quick_study_text() -> str:
    """What the quick study trains, in a few words (from the settings)."""
    grid, b = dense_settings().quick_study, dense_settings().quick_budget
    return (
        f"{', '.join(grid.tasks)} on the first {b.train_images} scenes for {b.epochs} epochs: {len(grid.recipes)} "
        f"recipes, φ ∈ {{{', '.join(f'{p:g}' for p in grid.phis)}}}, {grid.seeds} seeds"
    )


def recipe_text(alias: str) -> str:
    """A lab recipe with its coefficients, in words."""
    named = lab_recipe(alias)
    r = named.recipe
    return f"{named.name} (α {r.alpha:.3f}, β {r.beta:.3f}, γ {r.gamma:.3f})"


# A colour-blind-safe palette (Okabe & Ito), background first: each colour's name is what the caption says.
COLOURS = {
    "dark grey": (40, 40, 40),
    "orange": (230, 159, 0),
    "sky blue": (86, 180, 233),
    "green": (0, 158, 115),
    "yellow": (240, 228, 66),
    "pink": (204, 121, 167),
}
PALETTE = np.array(list(COLOURS.values()), dtype=np.uint8)
IGNORE_COLOUR = (255, 255, 255)
HEADER_PX = 32  # two lines of Pillow's default font: the recipe, then its φ and input


@dataclass(frozen=True)
class Mosaic:
    """An image of validation scenes in rows: input, truth, then each recipe's prediction; and its caption."""

    image: np.ndarray
    caption: str


def colour_legend(names: tuple[str, ...]) -> str:
    """Which colour each class is drawn in, in words."""
    return ", ".join(f"{name}: {colour}" for name, colour in zip(names, COLOURS))


def coloured(mask: np.ndarray) -> np.ndarray:
    """A class-index mask as colours (a colour-blind-safe palette; 255, ignore, white)."""
    image = PALETTE[np.minimum(mask, len(PALETTE) - 1)]
    image[mask == 255] = IGNORE_COLOUR
    return image


def sample_mosaic(study: DenseStudy, task: str) -> Mosaic | None:
    """The first validation scenes with their true masks (boxes, labels) and, per recipe at the study's largest φ, the
    first seed's predictions; None when the study holds no samples for the task."""
    from PIL import Image, ImageDraw

    from scaling_core.lab.dense_train import decoded_mask
    from scaling_core.lab.scenes import draw_scenes

    runs = study.runs
    if runs.empty:
        return None
    grid = runs[(runs["task"] == task) & (runs["role"] == "grid")]
    grid = grid[grid["phi"] == grid["phi"].max()]
    chosen = grid.sort_values("seed").drop_duplicates("recipe").sort_values("recipe")
    if chosen.empty:
        return None
    settings = scene_settings()
    count = min(len(s.get("masks", s.get("boxes", s.get("labels", [])))) for s in chosen["samples"])
    if not count:
        return None
    scenes = draw_scenes(settings, "val", count)
    names = settings.class_names
    side = settings.size_px
    headers = [
        ("input", ""),
        ("truth", ""),
        *((r, f"phi {p:g}, {px} px") for r, p, px in zip(chosen["recipe"], chosen["phi"], chosen["resolution"])),
    ]
    tile_w = side + 4
    canvas = Image.new("RGB", (tile_w * len(headers), HEADER_PX + count * (side + 4)), "white")
    draw = ImageDraw.Draw(canvas)
    for column, lines in enumerate(headers):
        for line, text in enumerate(lines):
            draw.text((column * tile_w + 2, 3 + 14 * line), text, fill="black")
    for row in range(count):
        top = HEADER_PX + row * (side + 4)
        picture = (np.transpose(scenes.images[row], (1, 2, 0)) * 255).astype(np.uint8)
        canvas.paste(Image.fromarray(picture), (0, top))
        truth = coloured(scenes.masks[row]) if task != "detection" else picture.copy()
        canvas.paste(Image.fromarray(truth), (tile_w, top))
        if task == "detection":
            for c, x0, y0, x1, y1 in scenes.boxes[row]:
                draw.rectangle((tile_w + x0, top + y0, tile_w + x1 - 1, top + y1 - 1), outline=tuple(PALETTE[c]))
        if task in ("classification", "multitask"):
            draw.text((tile_w + 3, top + 3), names[scenes.labels[row]], fill="white")
        for column, samples in enumerate(chosen["samples"], start=2):
            left = column * tile_w
            if "masks" in samples:
                canvas.paste(Image.fromarray(coloured(decoded_mask(samples["masks"][row]))), (left, top))
            else:
                canvas.paste(Image.fromarray(picture), (left, top))
            for c, x0, y0, x1, y1, _ in samples.get("boxes", [[]] * count)[row]:
                draw.rectangle((left + x0, top + y0, left + x1 - 1, top + y1 - 1), outline=tuple(PALETTE[int(c)]))
            if "labels" in samples:
                draw.text((left + 3, top + 3), names[samples["labels"][row]], fill="white")
    legend = colour_legend(names)
    what = {
        "segmentation": "predicted masks",
        "multitask": "predicted masks and image labels (top left)",
        "detection": f"predicted boxes scoring at least {SAMPLE_MIN_SCORE:g}",
        "classification": "predicted image labels (top left)",
    }[task]
    caption = (
        f"Validation scenes (not trained on), the truth, and each recipe's {what} at the study's largest budget, first "
        f"seed (measured). Colours: {legend}."
    )
    return Mosaic(np.asarray(canvas), caption)


def scenes_mosaic(count: int = 6) -> Mosaic:
    """The first training scenes and their exact masks, two rows (what the dense lab learns from)."""
    from scaling_core.lab.scenes import scene_samples

    scenes = scene_samples(count)
    side = scenes.images.shape[-1]
    pictures = [(np.transpose(image, (1, 2, 0)) * 255).astype(np.uint8) for image in scenes.images]
    gap = np.full((side, 4, 3), 255, np.uint8)
    top = np.concatenate([np.concatenate([p, gap], 1) for p in pictures], 1)
    bottom = np.concatenate([np.concatenate([coloured(m), gap], 1) for m in scenes.masks], 1)
    image = np.concatenate([top, np.full((4, top.shape[1], 3), 255, np.uint8), bottom], 0)
    names = scenes.class_names
    settings = scene_settings()
    return Mosaic(
        image,
        f"Generated scenes ({settings.size_px} px) and their exact masks: objects cut from images that ship in "
        f"scikit-image and the lab's digits, {settings.scale_min_px}–{settings.scale_max_px} px across, "
        f"{settings.objects_min}–{settings.objects_max} per scene, on natural textures. Classes: "
        + ", ".join(names[1:])
        + f"; {settings.train_images} train and {settings.val_images} validation scenes, seed {settings.seed}. "
        + f"Colours: {colour_legend(names)}.",
    )
