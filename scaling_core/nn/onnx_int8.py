"""int8 for ONNX Runtime: static quantization of an exported file, calibrated on images of the network's own input,
and a check that the quantized graph really runs int8 kernels.

ONNX Runtime's `quantize_static` (data/export/settings.json): QDQ format, per-channel symmetric int8 weights, uint8
activations, MinMax calibration over `calibration_images` images. The images: natural photographs from skimage.data
(seeded square crops resized to the input side, normalised as the file's metadata says; grayscale for one-channel
networks) unless the caller passes its own (the quantization study passes the lab's data). The check: ONNX Runtime
optimises the QDQ graph for its CPU, fusing QuantizeLinear → Conv → DequantizeLinear into integer kernels
(QLinearConv, ConvInteger, ...); the optimised graph is read back and its integer and float convolutions counted.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scaling_core.core.errors import ConfigError
from scaling_core.nn.onnx_export import QUIET, export_settings, require_package

# Operators of ONNX Runtime's optimised graph that compute in integers.
INTEGER_OPS = frozenset(
    {
        "QLinearConv",
        "ConvInteger",
        "QLinearMatMul",
        "MatMulInteger",
        "QGemm",
        "QLinearAdd",
        "QLinearMul",
        "QLinearSigmoid",
        "QLinearGlobalAveragePool",
        "QLinearAveragePool",
        "QLinearConcat",
        "QLinearLeakyRelu",
        "QLinearSoftmax",
        "DynamicQuantizeMatMul",
        "MatMulIntegerToFloat",
    }
)
INTEGER_CONVS = frozenset({"QLinearConv", "ConvInteger"})
FLOAT_CONVS = frozenset({"Conv", "FusedConv", "NhwcFusedConv"})


@dataclass(frozen=True)
class Int8Kernels:
    """What ONNX Runtime's optimised int8 graph computes in integers: its integer convolutions, the float ones left,
    and every integer operator."""

    integer_convs: int
    float_convs: int
    integer_ops: int

    @property
    def conv_share(self) -> float:
        """The share of convolutions that run as integer kernels."""
        total = self.integer_convs + self.float_convs
        return self.integer_convs / total if total else 0.0


def natural_images(count: int, side: int, channels: int, seed: int = 0) -> np.ndarray:
    """`count` seeded square crops of skimage.data's photographs, resized to side × side, in [0, 1], NCHW float32
    (grayscale by luminance for one channel)."""
    import skimage.data
    from PIL import Image

    names = export_settings().int8.natural_images
    rng = np.random.default_rng(seed)
    images = []
    for i in range(count):
        photo = getattr(skimage.data, names[i % len(names)])()
        height, width = photo.shape[:2]
        crop = int(min(height, width) * rng.uniform(0.5, 1.0))
        top, left = rng.integers(0, height - crop + 1), rng.integers(0, width - crop + 1)
        picture = Image.fromarray(photo[top : top + crop, left : left + crop]).convert("L" if channels == 1 else "RGB")
        array = np.asarray(picture.resize((side, side), Image.Resampling.BILINEAR), dtype=np.float32) / 255.0
        images.append(array[None] if channels == 1 else array.transpose(2, 0, 1))
    return np.stack(images)


def normalised(images: np.ndarray) -> np.ndarray:
    """Images in [0, 1] normalised as the export's metadata says for their channel count."""
    table = export_settings().normalisation
    entry = table.get(str(images.shape[1]))
    if entry is None:
        return images
    mean = np.asarray(entry.mean, dtype=np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(entry.std, dtype=np.float32).reshape(1, -1, 1, 1)
    return ((images - mean) / std).astype(np.float32)


def calibration_images(side: int, channels: int, images: np.ndarray | None = None) -> np.ndarray:
    """The calibration set: the caller's images (already as the network takes them) or natural ones, normalised."""
    if images is not None:
        return np.asarray(images, dtype=np.float32)
    count = export_settings().int8.calibration_images
    return normalised(natural_images(count, side, channels, export_settings().export.seed))


def quantize_int8(source: str | Path, target: str | Path, images: np.ndarray) -> None:
    """Static int8 quantization of an fp32 ONNX file (QDQ, per-channel weights) calibrated on `images` (NCHW, one
    image per calibration step)."""
    require_package("onnxruntime", "onnxruntime")
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    input_name = onnx.load(str(source), load_external_data=False).graph.input[0].name

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter([{input_name: image[None]} for image in images])

        def get_next(self) -> dict | None:
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as folder:
        prepared = Path(folder) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared),
            str(target),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
        )


def int8_kernels(path: str | Path, threads: int = 1) -> Int8Kernels:
    """Count the integer and float convolutions of the graph ONNX Runtime runs for a file on this CPU."""
    ort = require_package("onnxruntime", "onnxruntime")
    import onnx

    with tempfile.TemporaryDirectory() as folder:
        optimised = Path(folder) / "optimised.onnx"
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.optimized_model_filepath = str(optimised)
        options.log_severity_level = QUIET  # its note that the saved graph is specific to this CPU is the point
        ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        ops = [node.op_type for node in onnx.load(str(optimised), load_external_data=False).graph.node]
    return Int8Kernels(
        sum(op in INTEGER_CONVS for op in ops),
        sum(op in FLOAT_CONVS for op in ops),
        sum(op in INTEGER_OPS for op in ops),
    )


def require_int8(kernels: Int8Kernels, label: str) -> Int8Kernels:
    """The kernels if the graph runs integer convolutions, else a one-line ConfigError."""
    if kernels.integer_convs == 0:
        raise ConfigError(
            "precision", "int8", f"a graph ONNX Runtime runs in integers ({label[:40]}: no integer convolution)"
        )
    return kernels
