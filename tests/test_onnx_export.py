"""ONNX export: files onnx.checker accepts, whose ONNX Runtime outputs match PyTorch's on a fixed input (B0, a
detection head, a video head), with the axes and metadata a user needs; a network that does not export is one line
naming the operator; the check can fail."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
import torch

from scaling_core.cli.main import main
from scaling_core.core.errors import ConfigError
from scaling_core.core.presets import scale_preset
from scaling_core.core.recipe import Recipe
from scaling_core.nn import onnx_export
from scaling_core.nn.onnx_export import export_onnx, export_settings, metadata_of, onnx_session, prepared_model
from scaling_core.tasks.heads import as_task, scale_task

SMALL = Recipe(0.5, 0.5, 0.5)  # φ = 1: 112 px, narrow: seconds to export


def test_b0_exports_through_the_cli_and_matches_pytorch(tmp_path, capsys):
    """`export --preset b0 --json`: the file passes onnx.checker, its batch axis is dynamic, ONNX Runtime's logits
    equal PyTorch's within the tolerance printed, and the metadata says how to feed it."""
    path = tmp_path / "b0.onnx"
    assert main(["export", "--preset", "b0", "--format", "onnx", "-o", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["path"] == str(path) and report["opset"] == export_settings().export.opset
    onnx.checker.check_model(str(path), full_check=True)
    model = onnx.load(str(path))
    assert any(o.domain in ("", "ai.onnx") and o.version == report["opset"] for o in model.opset_import)
    assert report["inputs"] == [{"name": "image", "shape": ["batch", 3, 224, 224], "type": "float32"}]
    assert report["outputs"] == [{"name": "logits", "shape": ["batch", 1000], "type": "float32"}]
    assert 0 <= report["max_abs_difference"] <= report["tolerance"] < 1e-2
    metadata = metadata_of(path)
    assert "NCHW" in metadata["input"] and "224" in metadata["input"] and "1000 image classes" == metadata["classes"]
    assert "0.485" not in metadata["normalisation"] and "ImageNet" in metadata["normalisation"]
    # A batch other than the exported one runs (the axis really is dynamic).
    session = onnx_session(path)
    batch = np.zeros((3, 3, 224, 224), dtype=np.float32)
    assert session.run(None, {"image": batch})[0].shape == (3, 1000)


def test_heads_export_as_raw_outputs_with_the_clip_layout_kept(tmp_path):
    """Detection exports its class and box outputs of every anchor (no decoding or NMS: no such operator in the
    graph); video keeps its clip (frames first) with every axis static; both match PyTorch."""
    detection = scale_task("detection", SMALL, 1.0, neck_scaling="recipe")
    report = export_onnx(detection, tmp_path / "det.onnx")
    assert [o["name"] for o in report.outputs] == ["class_logits", "box_regression"]
    assert report.max_abs_difference <= report.tolerance and report.dynamic_axes == {"image": ["batch"]}
    ops = {node.op_type for node in onnx.load(str(tmp_path / "det.onnx")).graph.node}
    assert not ops & {"NonMaxSuppression", "TopK"}
    assert "anchors per cell" in report.metadata["classes"] and "no box decoding" in report.metadata["outputs"]
    video = scale_task("video", SMALL, 1.0)
    report = export_onnx(video, tmp_path / "video.onnx")
    assert report.inputs[0]["name"] == "clip" and report.inputs[0]["shape"][0] == video.frames
    assert report.dynamic_axes == {"clip": []} and all(isinstance(d, int) for d in report.inputs[0]["shape"])
    assert report.max_abs_difference <= report.tolerance and "clip classes" in report.metadata["classes"]


def test_the_checked_outputs_depend_on_the_input():
    """The exported weights carry batch-norm statistics from random images, so two inputs give different outputs
    (with the builder's fresh statistics every input gave the same logits, and any file would have passed)."""
    task = as_task(scale_preset("b0"))
    model = prepared_model(task)
    with torch.no_grad():
        first, second = model(torch.randn(2, 3, 224, 224)).unbind(0)
    assert (first - second).abs().max() > 1e-3


def test_a_graph_that_disagrees_with_pytorch_is_refused(tmp_path, monkeypatch):
    """The comparison can fail: a file written from other weights than the checked model's is refused, naming the
    difference and the tolerance."""
    task = scale_task("classification", SMALL, 1.0)
    real = onnx_export.write_onnx

    def other_weights(task, path, model=None, opset=None):
        torch.manual_seed(99)
        real(task, path, prepared_model(task).apply(_perturbed), opset)

    monkeypatch.setattr(onnx_export, "write_onnx", other_weights)
    with pytest.raises(ConfigError, match="max \\|difference\\|"):
        export_onnx(task, tmp_path / "bad.onnx")


def _perturbed(module):
    if isinstance(module, torch.nn.Conv2d):
        with torch.no_grad():
            module.weight.mul_(1.5)


def test_a_network_that_does_not_export_names_the_operator(tmp_path, monkeypatch, capsys):
    """An operator ONNX cannot express is one line naming it (here a model calling torch.linalg.eig)."""

    class Eig(torch.nn.Module):
        def forward(self, x):
            return torch.linalg.eigvals(x[:, 0, :4, :4]).real

    monkeypatch.setattr(onnx_export, "prepared_model", lambda task: Eig().eval())
    assert main(["export", "--preset", "b0", "-o", str(tmp_path / "eig.onnx")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: network = ") and "\n" not in err and "linalg_eig" in err


def test_export_refuses_a_bad_path_before_any_work(tmp_path, capsys):
    assert main(["export", "--preset", "b0", "-o", str(tmp_path / "missing" / "b0.onnx")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_explorer_exports_the_shown_network(store):
    """The Explorer's "Export to ONNX": the button exports and checks the network on the page, then offers it."""
    from apptest import open_app

    from ui.onnx_download import EXPORTED
    from ui.sections import EXPANDER_PREFIX

    at = open_app("app_pages/explorer.py", {"alpha": "0.5", "beta": "0.5", "gamma": "0.5", "phi": "1"}, timeout=180)
    at.session_state[EXPANDER_PREFIX + "onnx"] = True
    at.run()
    at.button(key="onnx_export").click().run()
    assert not at.exception
    _, data, report = at.session_state[EXPORTED]
    onnx.checker.check_model(onnx.load_from_string(data))  # the bytes offered are the checked file
    assert report.max_abs_difference <= report.tolerance and report.inputs[0]["shape"][0] == "batch"
    assert any("Checked: ONNX Runtime" in c.value for c in at.caption)


def test_a_download_too_large_for_a_page_points_to_the_cli():
    from scaling_core.app.onnx_file import onnx_download

    with pytest.raises(ConfigError, match="scaling_core export"):
        onnx_download(as_task(scale_preset("b7")))
