"""The Explorer's "Export to ONNX" section: export on request, check against PyTorch, offer the file."""

from __future__ import annotations

import streamlit as st

from scaling_core.app.onnx_file import onnx_download, onnx_file_name
from scaling_core.nn.onnx_export import export_settings
from scaling_core.storage.keys import describe, digest
from scaling_core.tasks.heads import TaskArch
from ui.sections import lazy_expander
from ui.session import shown

EXPORTED = "_onnx_export"  # session state: (the network's digest, the file's bytes, its report)


def onnx_section(task: TaskArch) -> None:
    """A lazy expander: a button that exports and checks the shown network, then its download and the check."""
    box = lazy_expander("onnx", "Export to ONNX")
    if box is None:
        return
    box.caption(
        f"The network as an ONNX file (opset {export_settings().export.opset}, batch axis dynamic), checked by "
        "onnx.checker and run in ONNX Runtime against PyTorch on a fixed input. Weights: untrained (the builder's "
        "initialisation); the file's metadata says the input, its normalisation, the classes and the outputs. "
        "`python -m scaling_core export` does the same."
    )
    key = digest(describe(task))
    if box.button("Export and check", key="onnx_export"):
        with st.spinner("Exporting and running it in ONNX Runtime…"):
            exported = shown(onnx_download, task)
        if exported is not None:
            st.session_state[EXPORTED] = (key, *exported)
    held = st.session_state.get(EXPORTED)
    if held is None or held[0] != key:
        return
    _, data, report = held
    box.download_button(
        f"Download {onnx_file_name(task)} ({len(data) / 1e6:,.1f} MB)",
        data,
        file_name=onnx_file_name(task),
        mime="application/octet-stream",
        key="onnx_download",
    )
    shapes = "; ".join(f"{v['name']} {v['shape']}" for v in report.inputs + report.outputs)
    box.caption(
        f"Checked: ONNX Runtime's outputs within {report.max_abs_difference:.2g} of PyTorch's (tolerance "
        f"{report.tolerance:.2g}). Input and outputs: {shapes}."
    )
