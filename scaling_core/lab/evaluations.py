"""Deterministic evaluations of trained lab runs, run in worker processes and cached in the store by kind.

An evaluation gets a run's checkpoint (read from the store by the client and sent with the job, so workers need
no database) and returns a JSON-ready dict; it is keyed by the run, the settings it depends on and its
computation's version, so re-running fills only what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from scaling_core.core.arch import ScaledArch
from scaling_core.hardware.fingerprint import require_device
from scaling_core.lab.runs import grid_points, run_key
from scaling_core.lab.train import Budget
from scaling_core.storage.keys import digest


@dataclass(frozen=True)
class RunRef:
    """One trained run of a grid point: its recipe, φ, seed, network, lab run key and evaluation key."""

    alias: str
    phi: float
    seed: int
    network: ScaledArch
    run_key: str
    key: str


# evaluate(dataset, run, the checkpoint of run.run_key, settings) -> a JSON-ready dict
Evaluate = Callable[[str, RunRef, bytes, Any], dict]


def evaluation_key(lab_run_key: str, settings: dict, version: str) -> str:
    """The cache key of one run's evaluation: the run, the settings (JSON-ready) and the code's version."""
    return digest([lab_run_key, settings, version])


def grid_runs(
    dataset: str,
    aliases: Sequence[str],
    phis: Sequence[float],
    seeds: int,
    budget: Budget,
    settings: dict,
    version: str,
    se_position: str = "after_depthwise",
) -> list[RunRef]:
    """Every (recipe, φ, seed) of a grid with its lab run key and evaluation key."""
    runs = []
    for point in grid_points(dataset, aliases, phis, se_position):
        for seed in range(seeds):
            lab_key = run_key(dataset, point.network, seed, budget)
            runs.append(
                RunRef(point.alias, point.phi, seed, point.network, lab_key, evaluation_key(lab_key, settings, version))
            )
    return runs


def trained_classifier(dataset: str, network: ScaledArch, checkpoint: bytes, device: str = "cpu"):
    """A run's trained model taking pixels in [0, 1] (standardised inside as its training did), and the dataset.

    With device="cuda" the model runs on the GPU but still takes and gives CPU tensors (hooks move them), so an
    evaluation written for the CPU runs there unchanged."""
    from scaling_core.lab.data import load_dataset, resample
    from scaling_core.nn.build import build_model
    from scaling_core.nn.checkpoint import load_state_dict
    from scaling_core.nn.pixel_input import Normalised

    data = load_dataset(dataset)
    train_x = resample(data.train_x, network.resolution_px)  # the training's standardisation, recomputed as it was
    model = build_model(network)
    model.load_state_dict(load_state_dict(checkpoint))
    classifier = Normalised(model.eval(), train_x.mean(), train_x.std()).eval()
    if device != "cpu":
        require_device(device, "--device")
        classifier.to(device)
        classifier.register_forward_pre_hook(lambda _module, inputs: tuple(x.to(device) for x in inputs))
        classifier.register_forward_hook(lambda _module, _inputs, output: output.cpu())
    return classifier, data


def embed(classifier, pixels, batch_size: int = 512):
    """Frozen features of a trained_classifier: the head conv's output, globally pooled (what the classifier reads)."""
    import torch

    net = classifier.model
    device = next(net.parameters()).device
    with torch.no_grad():
        parts = [
            torch.flatten(net.pool(net.head(net.stages(net.stem((batch - classifier.mean) / classifier.std)))), 1)
            for batch in torch.split(torch.as_tensor(pixels).to(device), batch_size)
        ]
    return torch.cat(parts).cpu().numpy().astype("float64")
