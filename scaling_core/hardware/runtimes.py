"""The runtimes a latency is measured in: PyTorch eager, torch.compile, ONNX Runtime (fp32 and int8) and OpenVINO.

Each runtime turns a network into one call that runs a batch; hardware/measure.py times that call with the same
protocol whatever the runtime (torch.utils.benchmark's blocked_autorange: warm-up, blocks, median and p10/p90, the
same threads). The ONNX runtimes run the file nn/onnx_export.py writes (the builder's weights, batch-norm statistics
from random images); int8 is ONNX Runtime's static QDQ quantization (nn/onnx_int8.py), refused unless the graph
ONNX Runtime runs has integer convolutions. A runtime on a device is a device of its own: its name, version,
execution provider and precision enter the fingerprint (hardware/fingerprint.py), so measurements of two runtimes
never mix and each pair gets its own latency model.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Protocol

from scaling_core.core.errors import ConfigError
from scaling_core.hardware.fingerprint import RuntimeStamp
from scaling_core.tasks.heads import TaskArch

RUNTIMES = ("eager", "compile", "onnxruntime", "openvino")
PRECISIONS = ("fp32", "int8")
# A runtime and precision as one choice (the pages' picker and links): the runtime, with "-int8" for int8.
RUNTIME_CHOICES = ("eager", "compile", "onnxruntime", "onnxruntime-int8", "openvino")


def runtime_choice(choice: str) -> tuple[str, str]:
    """(runtime, precision) of a RUNTIME_CHOICES entry."""
    runtime, _, precision = choice.partition("-")
    return runtime, precision or "fp32"


@dataclass(frozen=True)
class Runtime:
    """A runtime: its words, the module it needs and how to install it, its precisions and devices."""

    name: str
    words: str
    module: str
    distribution: str
    install: str
    precisions: tuple[str, ...]
    devices: tuple[str, ...]


RUNTIME_TABLE = {
    "eager": Runtime("eager", "PyTorch eager", "torch", "torch", "torch==2.13.0", ("fp32",), ("cpu", "cuda")),
    "compile": Runtime(
        "compile", "torch.compile (inductor)", "torch", "torch", "torch==2.13.0", ("fp32",), ("cpu", "cuda")
    ),
    "onnxruntime": Runtime(
        "onnxruntime", "ONNX Runtime", "onnxruntime", "onnxruntime", "onnxruntime", ("fp32", "int8"), ("cpu", "cuda")
    ),
    "openvino": Runtime(
        "openvino", "OpenVINO", "openvino", "openvino", "'compound-scaling-lab[openvino]'", ("fp32",), ("cpu",)
    ),
}


class Setup(Protocol):
    """What a runtime needs of the measuring options (hardware/measure.MeasureOptions)."""

    batch_size: int
    threads: int
    channels_last: bool
    device: str
    runtime: str
    precision: str


def check_runtime(runtime: str, precision: str, device: str = "cpu") -> Runtime:
    """The runtime if it takes this precision on this device; a one-line ConfigError naming what is wrong."""
    if runtime not in RUNTIME_TABLE:
        raise ConfigError("runtime", str(runtime)[:40], f"one of {', '.join(RUNTIMES)}")
    entry = RUNTIME_TABLE[runtime]
    if precision not in entry.precisions:
        raise ConfigError("precision", str(precision)[:40], f"{' or '.join(entry.precisions)} with {runtime}")
    if device not in entry.devices:
        raise ConfigError("device", device, f"{' or '.join(entry.devices)} with {runtime}")
    if precision == "int8" and device != "cpu":
        raise ConfigError(
            "device", device, "cpu with int8 (the check that int8 runs integer kernels reads the CPU's graph)"
        )
    return entry


def installed_version(runtime: str) -> str:
    """The installed version of a runtime's package; a one-line ConfigError naming the package otherwise."""
    entry = RUNTIME_TABLE[runtime]
    try:
        return metadata.version(entry.distribution)
    except metadata.PackageNotFoundError:
        raise ConfigError("runtime", runtime, f"installed: pip install {entry.install} ({entry.words})") from None


def execution_provider(runtime: str, device: str) -> str:
    """What runs the graph inside the runtime (ONNX Runtime's execution provider, OpenVINO's device)."""
    return {
        "compile": "inductor",
        "onnxruntime": "CUDAExecutionProvider" if device == "cuda" else "CPUExecutionProvider",
        "openvino": "CPU",
    }.get(runtime, "")


def runtime_stamp(runtime: str, precision: str, device: str) -> RuntimeStamp | None:
    """What the fingerprint records of the runtime (None for PyTorch eager in fp32, whose ids never change)."""
    check_runtime(runtime, precision, device)
    if runtime == "eager":
        return None
    return RuntimeStamp(runtime, installed_version(runtime), execution_provider(runtime, device), precision)


def prepared_call(task: TaskArch, setup: Setup, memory_limit_bytes: int | None = None) -> Callable[[], object]:
    """One call that runs a batch of the network in the setup's runtime (built, exported or quantized first)."""
    from scaling_core.core.memory import check_memory
    from scaling_core.tasks.cost import count_task

    check_runtime(setup.runtime, setup.precision, setup.device)
    installed_version(setup.runtime)
    check_memory(count_task(task), memory_limit_bytes, setup.batch_size)
    if setup.runtime in ("onnxruntime", "openvino"):
        if task.task == "video" and setup.batch_size > 1:
            raise ConfigError("batch_size", setup.batch_size, "1 for a video network in an ONNX runtime (one clip)")
        if task.task == "video" and setup.precision == "int8":
            raise ConfigError("precision", "int8", "fp32 for a video network (its calibration takes single images)")
        if setup.channels_last:
            raise ConfigError("channels_last", True, "with eager or compile (an ONNX runtime picks its own layout)")
    return PREPARERS[setup.runtime](task, setup, memory_limit_bytes)


def _batch(task: TaskArch, batch_size: int):
    """The torch input batch of the network (zeros), as torch measures it."""
    from scaling_core.nn.task_build import task_input

    example = task_input(task)
    return example.repeat(batch_size, *([1] * (example.dim() - 1)))


def _torch_call(task: TaskArch, setup: Setup, memory_limit_bytes: int | None, compiled: bool):
    import torch

    from scaling_core.nn.task_build import build_task_model

    model = build_task_model(task, memory_limit_bytes=memory_limit_bytes)
    inputs = _batch(task, setup.batch_size)
    if setup.channels_last:
        model = model.to(memory_format=torch.channels_last)
        inputs = inputs.contiguous(memory_format=torch.channels_last)
    model, inputs = model.to(setup.device), inputs.to(setup.device)
    if compiled:
        model = torch.compile(model)
    return lambda: model(inputs)


# Exports this process has written, by network and precision: the same network timed in several runtimes, or twice
# in one plan (its held-out networks), is exported once. At most EXPORTS_KEPT files; the folder goes with the process.
EXPORTS_KEPT = 256


@lru_cache(maxsize=1)
def _exports_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="scaling-lab-onnx-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def onnx_file(task: TaskArch, precision: str = "fp32", threads: int = 1) -> Path:
    """The network exported to ONNX (nn/onnx_export.py), quantized to int8 when asked (the graph checked to run
    integer convolutions); kept for this process."""
    from scaling_core.nn.onnx_export import write_onnx
    from scaling_core.nn.onnx_int8 import calibration_images, int8_kernels, quantize_int8, require_int8
    from scaling_core.storage.keys import describe, digest

    folder = _exports_folder()
    name = digest(describe(task))[:24]
    path = folder / f"{name}-fp32.onnx"
    if not path.is_file():
        kept = sorted(folder.glob("*.onnx"), key=lambda p: p.stat().st_mtime)
        for old in kept[: max(0, len(kept) - EXPORTS_KEPT + 2)]:
            old.unlink(missing_ok=True)
        write_onnx(task, path)
    if precision != "int8":
        return path
    int8 = folder / f"{name}-int8.onnx"
    if not int8.is_file():
        arch = task.backbone
        unchecked = folder / f"{name}-int8-unchecked.onnx"
        quantize_int8(path, unchecked, calibration_images(arch.resolution_px, arch.in_channels))
        require_int8(int8_kernels(unchecked, threads), task.label)
        unchecked.rename(int8)  # only a graph that passed the check is kept under the int8 name
    return int8


def _onnxruntime_call(task: TaskArch, setup: Setup, memory_limit_bytes: int | None):
    from scaling_core.nn.onnx_export import onnx_session

    providers = (execution_provider("onnxruntime", setup.device),)
    session = onnx_session(onnx_file(task, setup.precision, setup.threads), setup.threads, providers)
    if session.get_providers()[0] != providers[0]:
        raise ConfigError("device", setup.device, f"one ONNX Runtime can run here ({session.get_providers()[0]})")
    feed = {session.get_inputs()[0].name: _batch(task, setup.batch_size).numpy()}
    return lambda: session.run(None, feed)


def _openvino_call(task: TaskArch, setup: Setup, memory_limit_bytes: int | None):
    from scaling_core.nn.onnx_export import require_package

    openvino = require_package("openvino", RUNTIME_TABLE["openvino"].install)
    inputs = _batch(task, setup.batch_size).numpy()
    core = openvino.Core()
    model = core.read_model(str(onnx_file(task, setup.precision, setup.threads)))
    model.reshape({0: list(inputs.shape)})
    compiled = core.compile_model(
        model,
        "CPU",
        {"INFERENCE_NUM_THREADS": setup.threads, "PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"},
    )
    request = compiled.create_infer_request()
    return lambda: request.infer({0: inputs})


PREPARERS: dict[str, Callable[[TaskArch, Setup, int | None], Callable[[], object]]] = {
    "eager": lambda task, setup, limit: _torch_call(task, setup, limit, compiled=False),
    "compile": lambda task, setup, limit: _torch_call(task, setup, limit, compiled=True),
    "onnxruntime": _onnxruntime_call,
    "openvino": _openvino_call,
}
