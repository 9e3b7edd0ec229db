"""Distillation's loss and training, magnitude pruning, and the distill command end to end on the small digits set."""

import json

import numpy as np
import pytest
import torch

from scaling_core.cli.main import main
from scaling_core.lab.runs import lab_network
from scaling_core.lab.train import Budget, Distillation, soft_loss, train
from scaling_core.studies.representation.distill import magnitude_prune, measured_sparsity

BUDGET = Budget(epochs=2, batch_size=128, learning_rate=0.004, weight_decay=1e-4)


def test_at_alpha_zero_distillation_is_training_alone_bit_for_bit():
    network = lab_network("digits", "efficientnet", 0)
    alone = train("digits", network, 3, BUDGET)
    logits = np.random.default_rng(0).normal(size=(1437, 10)) * 5
    silent = train("digits", network, 3, BUDGET, Distillation(logits, temperature=4.0, alpha=0.0))
    assert silent.checkpoint == alone.checkpoint and silent.curve == alone.curve
    taught = train("digits", network, 3, BUDGET, Distillation(logits, temperature=4.0, alpha=0.5))
    assert taught.checkpoint != alone.checkpoint  # the teacher term is not ignored when it has weight


def test_the_soft_loss_is_zero_for_a_perfect_copy_and_scales_with_t_squared():
    teacher = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]])
    assert float(soft_loss(teacher, teacher, 4.0)) == pytest.approx(0.0, abs=1e-7)
    student = torch.zeros_like(teacher)
    p = torch.softmax(teacher / 2.0, dim=1)
    kl = float((p * (p.log() - torch.log(torch.full_like(p, 1 / 3)))).sum(1).mean())
    assert float(soft_loss(student, teacher, 2.0)) == pytest.approx(4.0 * kl, rel=1e-5)


def test_magnitude_pruning_zeroes_the_requested_share_of_the_smallest_weights():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.Flatten(), torch.nn.Linear(8, 4))
    before = torch.cat([model[0].weight.detach().flatten(), model[2].weight.detach().flatten()]).abs()
    parameters = magnitude_prune(model, 0.6)
    assert measured_sparsity(parameters) == pytest.approx(0.6, abs=0.01)
    after = torch.cat([model[0].weight.detach().flatten(), model[2].weight.detach().flatten()])
    assert before[after != 0].min() >= before[after == 0].max()


# Trains networks through the command (a minute or more on two cores): run with -m slow; the canaries in
# tests/test_versions.py check the same computations in the default run.
@pytest.mark.slow
def test_the_distill_command_trains_teachers_and_students_and_prunes_them(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    args = [
        "distill",
        "--dataset",
        "digits",
        "--teacher-phis",
        "1",
        "--student-phis",
        "0",
        "--seeds",
        "1",
        "--epochs",
        "6",
        "--sparsities",
        "0,0.5,0.9",
        "--workers",
        "1",
        "--store",
        url,
        "--json",
    ]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    students = {r["teacher_phi"]: r for r in out["records"]}
    assert set(students) == {None, 1.0}
    assert students[1.0]["teacher_accuracy"] > 0.5 and students[None]["curve"] is None
    for record in out["records"]:
        sweep = record["pruning"]
        assert [p["sparsity"] for p in sweep] == [0.0, 0.5, 0.9]
        assert sweep[0]["accuracy"] == pytest.approx(record["accuracy"])
        assert [round(p["measured_sparsity"], 2) for p in sweep] == [0.0, 0.5, 0.9]
        # Half the weights gone costs a lot, and one epoch of fine-tuning with the zeros kept wins most back.
        assert sweep[1]["accuracy"] < record["accuracy"] - 0.1
        assert sweep[1]["accuracy_finetuned"] > sweep[1]["accuracy"] + 0.2
    assert main([*args, "--no-run"]) == 0
    assert json.loads(capsys.readouterr().out)["records"] == out["records"]
    assert main([*args[:-1], "--temperature", "0"]) == 2
