"""Interrupted training, reproducibility and archive safety, through the real code paths."""

import json
import os
import pickle
import signal
import subprocess
import sys
import tarfile
import time

import pytest
import torch
from allennlp.commands.train import train_model_from_file
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allennlp_distill.commands import write_transfer_set
from tests.conftest import FIXTURES, REPO, run_allennlp

STUDENT = FIXTURES / "bilstm_student.jsonnet"
TRAIN = FIXTURES / "sst2_train.tsv"


def test_recover_after_sigkill_finishes_all_epochs_with_a_loadable_archive(tmp_path):
    out = tmp_path / "student"
    overrides = json.dumps({"trainer.num_epochs": 40})
    train = ["train", str(STUDENT), "-s", str(out), "-o", overrides]
    process = subprocess.Popen(
        [sys.executable, "-m", "allennlp", *train, "--include-package", "allennlp_distill"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while process.poll() is None and not (out / "metrics_epoch_2.json").exists():
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (out / "model.tar.gz").exists(), "the run finished before it could be killed"

    run_allennlp(*train, "--recover", env={})
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epoch"] == 39
    assert all((out / f"metrics_epoch_{epoch}.json").exists() for epoch in range(40))
    archive = load_archive(str(out / "model.tar.gz"))
    assert archive.model.vocab.get_vocab_size("labels") == 2


def test_the_same_seed_gives_a_byte_identical_transfer_set(tiny_teacher_archive, tmp_path):
    def transfer_set(name, seed):
        predictor = Predictor.from_path(
            str(tiny_teacher_archive), "transfer_set", unigram_file=str(TRAIN), seed=seed
        )
        path = tmp_path / name
        write_transfer_set(predictor, str(TRAIN), str(path), batch_size=5)
        return path.read_bytes()

    first = transfer_set("a.jsonl", 7)
    assert transfer_set("b.jsonl", 7) == first
    assert transfer_set("c.jsonl", 8) != first


def test_the_same_seed_gives_the_same_student_metrics(tmp_path):
    def train(name):
        train_model_from_file(str(STUDENT), str(tmp_path / name))
        metrics = json.loads((tmp_path / name / "metrics.json").read_text())
        # Wall time and memory vary between runs; every loss and score must not.
        return {
            key: value
            for key, value in metrics.items()
            if "duration" not in key and "memory" not in key
        }

    first = train("a")
    assert train("b") == first
    assert os.path.exists(tmp_path / "a" / "model.tar.gz")


class _Payload:
    """Unpickling this would run `os.makedirs(marker)`: what a malicious archive would do."""

    def __init__(self, marker: str) -> None:
        self._marker = marker

    def __reduce__(self):
        return (os.makedirs, (self._marker,))


def test_an_archive_whose_weights_carry_code_is_refused_without_running_it(tmp_path):
    train_model_from_file(str(STUDENT), str(tmp_path / "student"))
    with tarfile.open(tmp_path / "student" / "model.tar.gz") as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    marker = tmp_path / "code-ran"
    torch.save({"payload": _Payload(str(marker))}, tmp_path / "unpacked" / "weights.th")
    with tarfile.open(tmp_path / "evil.tar.gz", "w:gz") as archive:
        for path in (tmp_path / "unpacked").iterdir():
            archive.add(path, arcname=path.name)

    with pytest.raises(pickle.UnpicklingError, match="weights_only"):
        load_archive(str(tmp_path / "evil.tar.gz"))
    assert not marker.exists()
