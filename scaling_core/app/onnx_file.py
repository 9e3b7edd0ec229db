"""The Explorer's ONNX download: the network exported and checked (nn/onnx_export.py), as bytes for the browser."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from scaling_core.core.errors import ConfigError
from scaling_core.nn.onnx_export import ExportReport
from scaling_core.tasks.cost import count_task
from scaling_core.tasks.heads import TaskArch

# A page holds the file in memory and sends it whole: 4 bytes a weight, so 50 M parameters is a 200 MB download.
MAX_DOWNLOAD_PARAMS = 50_000_000


def onnx_file_name(task: TaskArch) -> str:
    """A file name for the network: its label's letters, digits and dots, dashed."""
    stem = re.sub(r"[^A-Za-z0-9.]+", "-", task.label or task.task).strip("-").lower()
    return f"{stem[:80] or 'network'}.onnx"


def onnx_download(task: TaskArch) -> tuple[bytes, ExportReport]:
    """The exported file's bytes and its report (ConfigError beyond MAX_DOWNLOAD_PARAMS: the CLI writes those)."""
    from scaling_core.nn.onnx_export import export_onnx

    params = int(count_task(task).params)
    if params > MAX_DOWNLOAD_PARAMS:
        raise ConfigError(
            "parameters",
            f"{params:,}",
            f"at most {MAX_DOWNLOAD_PARAMS:,} for a download (`scaling_core export … -o FILE` writes any size)",
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / onnx_file_name(task)
        report = export_onnx(task, path)
        return path.read_bytes(), report
