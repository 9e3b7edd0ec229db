"""A scaled network as an ONNX file: exported by torch.onnx, checked by onnx.checker, and run by ONNX Runtime against
PyTorch on a fixed input.

What is written (data/export/settings.json): the opset; the builder's untrained weights (seeded) with batch-norm
statistics taken from random images, so the outputs depend on the input and the comparison can fail; the batch axis
dynamic for image networks, while a video network keeps its clip layout (one clip of `frames` images as its first
axis: every axis static); heads as their raw outputs (detection's class logits and box regressions of every anchor,
no decoding or NMS in the graph); and metadata a user needs to run the file (input size and layout, normalisation,
classes, outputs, where the weights come from).
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from pydantic import PositiveFloat, PositiveInt

from scaling_core.core.errors import ConfigError
from scaling_core.core.settings import SettingsModel, load_settings
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import (
    ClassificationHead,
    FPNDecoder,
    PredictionNet,
    TaskArch,
    TemporalHead,
    efficientdet_table,
)

if TYPE_CHECKING:  # torch and onnxruntime load when a network is exported, not when the settings are read
    import onnxruntime
    import torch

INPUT_NAME = {"video": "clip"}  # every other head takes "image"
OUTPUT_NAMES = {
    "classification": ("logits",),
    "segmentation": ("class_logits_per_pixel",),
    "detection": ("class_logits", "box_regression"),
    "multitask": ("logits", "class_logits_per_pixel"),
    "video": ("logits",),
}


class _ExportFile(SettingsModel):
    opset: PositiveInt
    check_batch: PositiveInt
    seed: int
    statistics_images: PositiveInt
    absolute_tolerance: PositiveFloat
    relative_tolerance: PositiveFloat


class _Normalisation(SettingsModel):
    mean: list[float]
    std: list[PositiveFloat]
    words: str


class _Int8File(SettingsModel):
    calibration_images: PositiveInt
    natural_images: list[str]


class ExportSettingsFile(SettingsModel):
    """The schema of data/export/settings.json."""

    note: str | None = None
    export: _ExportFile
    normalisation: dict[str, _Normalisation]
    int8: _Int8File


@lru_cache(maxsize=1)
def export_settings() -> ExportSettingsFile:
    """The shipped export settings (ConfigError naming the key if the file is malformed)."""
    return load_settings("export/settings.json", ExportSettingsFile)


@dataclass(frozen=True)
class ExportReport:
    """An exported file: where, the opset, its inputs and outputs (name, shape with named dynamic axes, type), and
    ONNX Runtime's largest difference from PyTorch on the check input with the tolerance it passed."""

    path: str
    opset: int
    inputs: list[dict]
    outputs: list[dict]
    max_abs_difference: float
    tolerance: float
    dynamic_axes: dict[str, list[str]]
    metadata: dict[str, str]

    def as_dict(self) -> dict:
        """JSON-ready fields."""
        return asdict(self)


def dynamic_batch(task: TaskArch) -> bool:
    """Whether the file's first axis is a dynamic batch: image networks yes, a video network's clip layout no."""
    return task.task != "video"


def normalisation_words(channels: int) -> str:
    """How the file's input is normalised, in words, for a channel count."""
    table = export_settings().normalisation
    return table[str(channels)].words if str(channels) in table else "as the network was trained (unknown here)"


def classes_words(task: TaskArch) -> str:
    """The classes each output scores, in words (detection: per anchor)."""
    anchors = efficientdet_table()["num_anchors"]
    words = []
    for head in task.heads:
        if isinstance(head, FPNDecoder):
            words.append(f"{head.num_classes} per-pixel classes")
        elif isinstance(head, PredictionNet) and head.name == "class net":
            words.append(f"{head.outputs // anchors} object classes × {anchors} anchors per cell")
        elif isinstance(head, TemporalHead):
            words.append(f"{head.num_classes} clip classes")
        elif isinstance(head, ClassificationHead):
            words.append(f"{head.classifier.num_classes} image classes")
    return "; ".join(words) or f"{task.backbone.classifier.num_classes} image classes"


def export_metadata(task: TaskArch) -> dict[str, str]:
    """What a user needs to run the file: input size and layout, normalisation, classes, outputs, the weights."""
    arch = task.backbone
    side, settings = arch.resolution_px, export_settings()
    shape = (
        f"{task.frames} × {arch.in_channels} × {side} × {side}"
        if task.task == "video"
        else (f"batch × {arch.in_channels} × {side} × {side}")
    )
    report = count_task(task)
    return {
        "network": task.label or task.task,
        "task": task.task,
        "input": f"{INPUT_NAME.get(task.task, 'image')}: float32, NCHW, {shape}"
        + (" (one clip: frames as the first axis)" if task.task == "video" else ""),
        "input_side_px": str(side),
        "normalisation": normalisation_words(arch.in_channels),
        "classes": classes_words(task),
        "outputs": "raw head outputs: "
        + ", ".join(OUTPUT_NAMES[task.task])
        + (" (per anchor of every level; no box decoding or NMS in the graph)" if task.task == "detection" else ""),
        "weights": f"untrained: the builder's initialisation (seed {settings.export.seed}) with batch-norm statistics "
        f"from {settings.export.statistics_images} random images; for deployment latency, or to load trained weights",
        "macs_modelled": str(int(report.macs)),
        "params_modelled": str(int(report.params)),
        "producer": "scaling_core (Compound Scaling Lab)",
    }


def prepared_model(task: TaskArch) -> torch.nn.Module:
    """The network's torch model in eval mode: seeded weights, batch-norm statistics from random images."""
    import torch

    from scaling_core.nn.task_build import build_task_model, task_input

    settings = export_settings().export
    torch.manual_seed(settings.seed)
    model = build_task_model(task)
    example = task_input(task)
    generator = torch.Generator().manual_seed(settings.seed)
    momentum = {}
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            momentum[module] = module.momentum
            module.momentum = None  # a cumulative average over the statistics images
    model.train()
    with torch.no_grad():
        for _ in range(settings.statistics_images if dynamic_batch(task) else 1):
            model(torch.randn(example.shape, generator=generator))
    for module, value in momentum.items():
        module.momentum = value
    return model.eval()


def check_input(task: TaskArch) -> torch.Tensor:
    """The fixed input of the check: check_batch images (one clip for video), standard normal, seeded."""
    import torch

    from scaling_core.nn.task_build import task_input

    settings = export_settings().export
    example = task_input(task)
    shape = (settings.check_batch, *example.shape[1:]) if dynamic_batch(task) else tuple(example.shape)
    return torch.randn(shape, generator=torch.Generator().manual_seed(settings.seed + 1))


UNSUPPORTED = (
    re.compile(r"(aten[:.]+[A-Za-z_0-9.]+)"),
    re.compile(r"operator '?([A-Za-z_0-9.:]+)'?", re.IGNORECASE),
)


def failing_operator(error: BaseException) -> str:
    """The operator an export error names (aten::… or the op it reports), else the error's first line."""
    text = f"{error}"
    for pattern in UNSUPPORTED:
        found = pattern.search(text)
        if found:
            return found.group(1)
    return text.splitlines()[0][:80] if text else type(error).__name__


def write_onnx(task: TaskArch, path: Path, model=None, opset: int | None = None) -> None:
    """torch.onnx's export of the network (the torch.export-based exporter) to `path`; a one-line ConfigError
    naming the operator if it does not export."""
    import torch

    opset = opset or export_settings().export.opset
    model = model if model is not None else prepared_model(task)
    example = check_input(task)
    dynamic = ({0: torch.export.Dim("batch", min=1, max=1024)},) if dynamic_batch(task) else None
    names = OUTPUT_NAMES[task.task]
    try:
        # The exporter reports its progress on stdout, which `--json` keeps for the result.
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (example,),
                str(path),
                input_names=[INPUT_NAME.get(task.task, "image")],
                output_names=list(names),
                opset_version=opset,
                dynamo=True,
                dynamic_shapes=dynamic,
                external_data=False,
                verbose=False,
            )
    except Exception as error:  # noqa: BLE001 - the exporter raises many types; each becomes one line
        raise ConfigError(
            "network",
            task.label[:60] or task.task,
            f"one whose every operator ONNX opset {opset} expresses ({failing_operator(error)} does not export)",
        ) from None


def export_onnx(task: TaskArch, path: str | Path, opset: int | None = None) -> ExportReport:
    """Export, check with onnx.checker, stamp the metadata, and compare ONNX Runtime's outputs with PyTorch's."""
    import numpy as np
    import onnx
    import torch

    settings = export_settings().export
    opset = opset or settings.opset
    path = Path(path)
    model = prepared_model(task)
    write_onnx(task, path, model, opset)
    proto = onnx.load(str(path))
    metadata = export_metadata(task)
    onnx.helper.set_model_props(proto, metadata)
    onnx.save(proto, str(path))
    onnx.checker.check_model(str(path), full_check=True)
    example = check_input(task)
    with torch.no_grad():
        expected = model(example)
    expected = [t.numpy() for t in (expected if isinstance(expected, tuple) else (expected,))]
    session = onnx_session(path)
    got = session.run(None, {session.get_inputs()[0].name: example.numpy()})
    difference = max(float(np.max(np.abs(g - e))) for g, e in zip(got, expected))
    largest = max(float(np.max(np.abs(e))) for e in expected)
    tolerance = settings.absolute_tolerance + settings.relative_tolerance * largest
    if not difference <= tolerance:
        raise ConfigError(
            "network",
            task.label[:60] or task.task,
            f"an export ONNX Runtime runs as PyTorch does "
            f"(max |difference| {difference:.3g} > tolerance {tolerance:.3g})",
        )
    return ExportReport(
        str(path),
        opset,
        [_value_info(v) for v in proto.graph.input],
        [_value_info(v) for v in proto.graph.output],
        difference,
        tolerance,
        {v.name: [d.dim_param for d in v.type.tensor_type.shape.dim if d.dim_param] for v in proto.graph.input},
        metadata,
    )


QUIET = 3  # ONNX Runtime's log severity: errors only


def onnx_session(
    path: str | Path, threads: int = 0, providers: tuple[str, ...] = ("CPUExecutionProvider",)
) -> onnxruntime.InferenceSession:
    """An ONNX Runtime session of a file (threads 0: the runtime's default), or ConfigError naming the package."""
    ort = require_package("onnxruntime", "onnxruntime")
    options = ort.SessionOptions()
    options.log_severity_level = QUIET
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=list(providers))


def require_package(module: str, install: str) -> ModuleType:
    """The imported module, or a one-line ConfigError naming the package to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError("runtime", module, f"installed: pip install {install}") from None


def _value_info(value) -> dict:
    """Name, shape (a dynamic axis by its name) and element type of a graph input or output."""
    import onnx

    tensor = value.type.tensor_type
    shape = [d.dim_param or d.dim_value for d in tensor.shape.dim]
    return {"name": value.name, "shape": shape, "type": onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type).name}


def metadata_of(path: str | Path) -> dict[str, str]:
    """The metadata an exported file carries."""
    import onnx

    return {p.key: p.value for p in onnx.load(str(path), load_external_data=False).metadata_props}
