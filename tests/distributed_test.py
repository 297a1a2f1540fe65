"""
Distributed training through `training_config/devices.libsonnet`: two CPU worker processes
(gloo) train the real student config to the same model as one process.

With unshuffled batches, AllenNLP gives rank r the instances i ≡ r (mod 2), so two workers with
batches of 5 see, at each step, exactly the 10 instances of the one-process run's batch of 10;
DDP averages their gradients, which for a mean loss over equal halves is the one-process gradient.
The student has no dropout, so the two runs must end at the same weights (to float rounding).
"""

import json
from pathlib import Path

import pytest
import torch
from allennlp.models.archival import load_archive

from tests.conftest import CONFIGS, run_allennlp, task_env

BATCH = 10  # the fixture transfer set has 20 rows: two steps per epoch


def _config(tmp_path: Path, batch_size: int) -> Path:
    """`sst2_distill.jsonnet`'s student with unshuffled batches of `batch_size`."""
    config = tmp_path / f"student_batch{batch_size}.jsonnet"
    config.write_text(
        f'local student = import "{CONFIGS}/student.libsonnet";\n'
        f'local tasks = import "{CONFIGS}/tasks.libsonnet";\n'
        "student.distilled(tasks.sst2, epochs=2)\n"
        f"  + {{ data_loader: {{ batch_size: {batch_size}, shuffle: false }} }}\n"
    )
    return config


@pytest.fixture(scope="module")
def one_and_two_processes(tmp_path_factory, tiny_teacher_env):
    """(one-process run, two-process run) serialization directories of the same student."""
    tmp_path = tmp_path_factory.mktemp("distributed")
    env = {
        **task_env(tiny_teacher_env, "sst2"),
        "DISTILL_EMBEDDING_DIM": "8",  # the fixture vectors' width
        "DISTILL_EPOCHS": "2",
        "OMP_NUM_THREADS": "1",
    }
    one = tmp_path / "one"
    run_allennlp("train", str(_config(tmp_path, BATCH)), "-s", str(one), env=env)
    two = tmp_path / "two"
    run_allennlp(
        "train",
        str(_config(tmp_path, BATCH // 2)),
        "-s",
        str(two),
        env={**env, "DISTILL_DISTRIBUTED": "-1,-1"},
    )
    return one, two


def test_two_cpu_workers_train_the_one_process_model(one_and_two_processes):
    one, two = one_and_two_processes
    assert "World size: 2" in (two / "out.log").read_text()
    single = load_archive(str(one / "model.tar.gz")).model.state_dict()
    double = load_archive(str(two / "model.tar.gz")).model.state_dict()
    assert single.keys() == double.keys()
    # Workers that did not average their gradients, or did not train, would each end elsewhere.
    for name, value in single.items():
        torch.testing.assert_close(double[name], value, atol=1e-5, rtol=1e-4, msg=name)


def test_the_distillation_metrics_are_over_every_worker(one_and_two_processes):
    one, two = one_and_two_processes
    single = json.loads((one / "metrics.json").read_text())
    double = json.loads((two / "metrics.json").read_text())
    for name in ("training_soft_loss", "validation_accuracy", "best_validation_accuracy"):
        assert double[name] == pytest.approx(single[name], rel=1e-4, abs=1e-6), name


def test_one_device_is_not_distributed_training(tiny_teacher_env, tmp_path):
    result = run_allennlp(
        "train",
        str(CONFIGS / "sst2_distill.jsonnet"),
        "-s",
        str(tmp_path / "run"),
        env={**task_env(tiny_teacher_env, "sst2"), "DISTILL_DISTRIBUTED": "0"},
        fails=True,
    )
    assert "DISTILL_DISTRIBUTED='0' names one device" in result.stderr
    assert not (tmp_path / "run").exists()
