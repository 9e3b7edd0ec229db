"""Runtimes as measurement back-ends: the same timing protocol in ONNX Runtime (fp32 and int8), OpenVINO and
torch.compile, each runtime on this machine a device of its own in the store; int8 really runs integer kernels;
a runtime that is not installed, or a precision it lacks, is one line."""

from __future__ import annotations

import json
from importlib import metadata

import pytest

from scaling_core.app.views.hardware import devices, network_in_runtimes
from scaling_core.cli.main import main
from scaling_core.core.errors import ConfigError
from scaling_core.core.presets import scale_preset
from scaling_core.core.recipe import Recipe
from scaling_core.hardware import runtimes
from scaling_core.hardware.fingerprint import OPTIONAL_FIELDS, fingerprint
from scaling_core.hardware.measure import MeasureOptions, machine_of, measure
from scaling_core.nn.onnx_export import write_onnx
from scaling_core.nn.onnx_int8 import calibration_images, int8_kernels, quantize_int8
from scaling_core.storage.store import Store
from scaling_core.tasks.heads import scale_task

TINY = scale_task("classification", Recipe(0.5, 0.5, 0.5), 1.0)  # 112 px, narrow


def test_b0_in_onnx_runtime_and_eager_are_both_stored_under_their_runtime(tmp_path, capsys):
    """`bench --runtime onnxruntime --preset b0 --json` and the eager bench of the same network: two rows, the
    runtime, its version and precision in each, fingerprints that differ only by the runtime; both devices listed."""
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    common = ["bench", "--preset", "b0", "--min-run-time", "0.05", "--store", url, "--json"]
    rows = {}
    for runtime in ("onnxruntime", "eager"):
        assert main([*common, "--runtime", runtime]) == 0
        rows[runtime] = json.loads(capsys.readouterr().out)
    ort, eager = rows["onnxruntime"], rows["eager"]
    assert (ort["runtime"], ort["runtime_version"], ort["precision"]) == (
        "onnxruntime",
        metadata.version("onnxruntime"),
        "fp32",
    )
    assert (eager["runtime"], eager["precision"]) == ("eager", "fp32")
    for row in (ort, eager):
        assert 0 < row["p10_ms"] <= row["median_ms"] <= row["p90_ms"]
    assert (
        ort["fingerprint"]["runtime"] == "onnxruntime"
        and ort["fingerprint"]["execution_provider"] == "CPUExecutionProvider"
    )
    assert "runtime" not in eager["fingerprint"]  # eager ids are the ids measurements always had
    assert ort["fingerprint"]["id"] != eager["fingerprint"]["id"] and ort["key"] != eager["key"]
    assert {k: v for k, v in ort["fingerprint"].items() if k not in OPTIONAL_FIELDS + ("id",)} == {
        k: v for k, v in eager["fingerprint"].items() if k != "id"
    }
    # This machine in another runtime is reached by the runtime picker, not listed as another device.
    assert [d.label for d in devices(Store(url))] == [f"this machine · {fingerprint('cpu').label}"]
    both = network_in_runtimes(Store(url), scale_preset("b0"), MeasureOptions())
    assert both["runtime"].tolist() == ["PyTorch eager fp32", "ONNX Runtime fp32"]
    assert both["median_ms"].tolist() == [eager["median_ms"], ort["median_ms"]]


def test_int8_runs_integer_kernels_and_is_stored_as_int8(tmp_path):
    """ONNX Runtime's QDQ int8 graph of a network runs integer convolutions (the fp32 graph runs none), and its
    measurement is stored under an int8 fingerprint apart from fp32's."""
    write_onnx(TINY, tmp_path / "fp32.onnx")
    quantize_int8(tmp_path / "fp32.onnx", tmp_path / "int8.onnx", calibration_images(112, 3))
    int8, fp32 = int8_kernels(tmp_path / "int8.onnx"), int8_kernels(tmp_path / "fp32.onnx")
    assert int8.integer_convs > 0 and int8.conv_share > 0.9 and fp32.integer_convs == 0 and fp32.float_convs > 0
    options = MeasureOptions(min_run_time_s=0.05, runtime="onnxruntime", precision="int8")
    m = measure(TINY, options)
    assert m.fingerprint.precision == "int8" and m.median_ms > 0
    assert machine_of(options).id != machine_of(MeasureOptions(runtime="onnxruntime")).id


def test_calibration_images_are_natural_and_normalised():
    """Calibration: seeded crops of skimage's photographs at the network's side and channels, normalised."""
    colour, grey = calibration_images(64, 3), calibration_images(16, 1)
    assert colour.shape[1:] == (3, 64, 64) and grey.shape[1:] == (1, 16, 16)
    assert colour.std() > 0.5 and -3 < colour.mean() < 3 and 0 <= grey.min() and grey.max() <= 1
    assert (calibration_images(64, 3) == colour).all()


@pytest.mark.parametrize("runtime", ["openvino", pytest.param("compile", marks=pytest.mark.slow)])
def test_other_runtimes_time_the_same_protocol(runtime):
    pytest.importorskip(runtime if runtime != "compile" else "torch")
    m = measure(TINY, MeasureOptions(min_run_time_s=0.05, runtime=runtime))
    assert m.fingerprint.runtime == runtime and 0 < m.p10_ms <= m.median_ms <= m.p90_ms and m.runs >= 1


def test_a_missing_runtime_names_the_package(monkeypatch, tmp_path, capsys):
    real = metadata.version

    def version(name):
        if name == "openvino":
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(runtimes.metadata, "version", version)
    assert main(["bench", "--preset", "b0", "--runtime", "openvino", "--store", f"sqlite:///{tmp_path}/s.db"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "pip install 'compound-scaling-lab[openvino]'" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"precision": "int8"}, "precision"),
        ({"runtime": "openvino", "precision": "int8"}, "precision"),
        ({"runtime": "tensorrt"}, "runtime"),
        ({"runtime": "openvino", "device": "cuda"}, "device"),
    ],
)
def test_a_precision_or_device_a_runtime_lacks_is_refused(kwargs, parameter):
    with pytest.raises(ConfigError) as refused:
        MeasureOptions(**kwargs)
    assert refused.value.parameter == parameter


def test_onnx_runtimes_refuse_options_they_cannot_honour():
    video = scale_task("video", Recipe(0.5, 0.5, 0.5), 1.0)
    with pytest.raises(ConfigError, match="batch_size"):
        runtimes.prepared_call(video, MeasureOptions(batch_size=2, runtime="onnxruntime"))
    with pytest.raises(ConfigError, match="channels_last"):
        runtimes.prepared_call(TINY, MeasureOptions(channels_last=True, runtime="onnxruntime"))


def test_eager_fingerprints_keep_their_ids():
    """A fingerprint without a runtime hashes the fields it always had (stored measurements stay found)."""
    here = fingerprint("cpu")
    assert not set(here.as_dict()) & set(OPTIONAL_FIELDS)
    assert machine_of(MeasureOptions()).id == here.id
