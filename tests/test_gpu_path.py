"""The GPU path: --device cuda and --amp for training, evaluation and measurement.

Without a CUDA GPU only the refusals and the key invariants run: a CPU run's key must stay what it was, so the
runs in existing stores and shipped files stay current. The rest skips where torch sees no GPU.
"""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
import torch

from scaling_core.cli.main import main
from scaling_core.core.errors import ConfigError
from scaling_core.lab.runs import code_version, lab_network, lab_settings, run_key, run_version
from scaling_core.lab.train import Budget, check_training_device, train

CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
TINY = Budget(epochs=1, batch_size=128, learning_rate=0.004, weight_decay=1e-4)


def test_cpu_run_keys_are_unchanged():
    # The key of this run before devices existed (and shipped mnist5k's code version): a CPU key must not move.
    network = lab_network("mnist5k", "efficientnet", 0.0)
    budget = lab_settings().budget
    assert code_version("mnist5k") == "2f7f27332fdb"
    expected = "de2abb7dfaca02775a98d44e21c80b2505556a2efc7ed968d2acd754257da7b4"
    assert run_key("mnist5k", network, 0, budget) == expected
    assert run_key("mnist5k", network, 0, budget, "cpu", False) == expected
    assert run_version("mnist5k") == code_version("mnist5k")


def test_gpu_and_mixed_precision_runs_are_keyed_apart():
    network = lab_network("digits", "efficientnet", 0.0)
    budget = lab_settings().budget
    keys = {run_key("digits", network, 0, budget, device, amp) for device, amp in (("cpu", False), ("cuda", False))}
    keys.add(run_key("digits", network, 0, budget, "cuda", True))
    assert len(keys) == 3
    versions = {run_version("digits", d, a) for d, a in (("cpu", False), ("cuda", False), ("cuda", True))}
    assert len(versions) == 3 and all(len(v) == 12 for v in versions)


def test_mixed_precision_needs_the_gpu():
    with pytest.raises(ConfigError, match="--amp"):
        check_training_device("cpu", True)
    with pytest.raises(ConfigError, match="--device"):
        check_training_device("tpu", False)
    check_training_device("cuda", True, here=False)  # on a cluster each worker checks its own GPU


@pytest.mark.skipif(CUDA, reason="checks the refusal on a machine without CUDA")
@pytest.mark.parametrize(
    "argv",
    [
        [
            "lab",
            "run",
            "--dataset",
            "digits",
            "--recipes",
            "efficientnet",
            "--phis",
            "0",
            "--seeds",
            "1",
            "--device",
            "cuda",
        ],
        ["bench", "--preset", "b0", "--device", "cuda"],
    ],
)
def test_cuda_without_a_gpu_is_one_line_and_exit_2(argv, store, capsys):
    assert main([*argv, "--store", store.url]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "cuda" in err and "no CUDA device" in err, err
    assert store.lab_run_keys([]) == set()


@pytest.mark.skipif(CUDA, reason="checks the refusal on a machine without CUDA")
def test_amp_without_the_gpu_is_refused_before_training(store, capsys):
    argv = ["lab", "run", "--dataset", "digits", "--recipes", "efficientnet", "--phis", "0", "--seeds", "1", "--amp"]
    assert main([*argv, "--store", store.url]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "--amp" in err, err


@pytest.mark.skipif(CUDA, reason="checks the refusal on a machine without CUDA")
def test_train_and_evaluation_refuse_cuda_without_a_gpu():
    from scaling_core.lab.evaluations import trained_classifier
    from scaling_core.nn.build import build_model

    network = lab_network("digits", "efficientnet", 0.0)
    with pytest.raises(ConfigError, match="no CUDA device"):
        train("digits", network, 0, TINY, device="cuda")
    buffer = io.BytesIO()
    torch.save(build_model(network).state_dict(), buffer)  # untrained weights: only the refusal is checked
    with pytest.raises(ConfigError, match="no CUDA device"):
        trained_classifier("digits", network, buffer.getvalue(), device="cuda")


@needs_cuda
@pytest.mark.parametrize("amp", [False, True])
def test_training_on_the_gpu_learns_and_saves_cpu_weights(amp):
    from scaling_core.nn.checkpoint import load_state_dict

    result = train("digits", lab_network("digits", "efficientnet", 0.0), 0, TINY, device="cuda", amp=amp)
    assert 0.3 < result.accuracy <= 1.0  # ten classes: far above chance after one epoch
    state = load_state_dict(result.checkpoint)
    assert all(t.device.type == "cpu" for t in state.values())
    assert torch.load(io.BytesIO(result.checkpoint), weights_only=True).keys() == state.keys()


@needs_cuda
def test_evaluation_on_the_gpu_matches_the_cpu():
    from scaling_core.lab.data import resample
    from scaling_core.lab.evaluations import embed, trained_classifier

    network = lab_network("digits", "efficientnet", 0.0)
    checkpoint = train("digits", network, 0, TINY).checkpoint
    cpu, data = trained_classifier("digits", network, checkpoint)
    gpu, _ = trained_classifier("digits", network, checkpoint, device="cuda")
    x = resample(data.test_x[:64], network.resolution_px).clamp(0, 1)
    with torch.no_grad():
        on_cpu, on_gpu = cpu(x), gpu(x)
    assert on_gpu.device.type == "cpu"  # CPU tensors in and out: evaluations written for the CPU run unchanged
    torch.testing.assert_close(on_gpu, on_cpu, atol=1e-3, rtol=1e-3)
    assert abs(embed(gpu, x) - embed(cpu, x)).max() < 1e-3


@needs_cuda
def test_gpu_measurement_records_the_gpu(store):
    from scaling_core.core.presets import scale_preset
    from scaling_core.hardware.measure import MeasureOptions, measure_cached

    options = MeasureOptions(device="cuda", min_run_time_s=0.05)
    row, cached = measure_cached(scale_preset("b0"), options, store)
    assert not cached and row["device"] == "cuda" and row["best_ms"] > 0
    assert torch.cuda.get_device_name(0) in row["fingerprint"]


@needs_cuda
def test_lab_run_on_the_gpu_through_the_cli(store, capsys):
    argv = ["lab", "run", "--dataset", "digits", "--recipes", "efficientnet", "--phis", "0", "--seeds", "1"]
    assert main([*argv, "--epochs", "1", "--device", "cuda", "--amp", "--store", store.url, "--json"]) == 0
    assert '"seeds":1' in capsys.readouterr().out.replace(" ", "")
    budget, network = replace(lab_settings().budget, epochs=1), lab_network("digits", "efficientnet", 0.0)
    assert store.lab_run_keys([run_key("digits", network, 0, budget)]) == set()  # not a CPU run…
    gpu_key = run_key("digits", network, 0, budget, "cuda", True)
    assert store.lab_run_keys([gpu_key]) == {gpu_key}  # …but the GPU's, in mixed precision
