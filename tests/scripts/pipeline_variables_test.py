import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

# A stand-in for `allennlp` that records each call's subcommand with the variables the pipeline
# sets for it, and writes the output the pipeline checks for, so the script runs in a second.
FAKE_ALLENNLP = r"""#!/usr/bin/env bash
echo "$1 DISTILL_AMP=${DISTILL_AMP:-} DISTILL_TRAIN=$DISTILL_TRAIN" >> "$CALLS"
out=
while [ $# -gt 0 ]; do
  case $1 in -s|-o|--output-file) out=$2; shift ;; esac
  shift
done
case $out in
  */teacher|*/student|*/baseline) mkdir -p "$out" && touch "$out/model.tar.gz" ;;
  *) echo '{}' > "$out" ;;
esac
"""


def run_pipeline(tmp_path: Path, **variables: str) -> list:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "allennlp"
    fake.write_text(FAKE_ALLENNLP)
    fake.chmod(0o755)
    # The pipeline asks the Python beside `allennlp` for the task's files.
    python = bin_dir / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    calls = tmp_path / "calls.txt"
    env = {
        **os.environ,
        "ALLENNLP": str(fake),
        "CALLS": str(calls),
        "TRAIN": "train.tsv",
        "DEV": "dev.tsv",
        "OUT": str(tmp_path / "run"),
        **variables,
    }
    env.pop("DISTILL_AMP", None)
    subprocess.run(
        ["bash", "scripts/pipeline.sh"], cwd=REPO, env=env, check=True, capture_output=True
    )
    return calls.read_text().splitlines()


def test_teacher_amp_and_teacher_train_reach_the_teacher_alone(tmp_path):
    calls = run_pipeline(tmp_path, TEACHER_AMP="bf16", TEACHER_TRAIN="sample.tsv")
    trains = [call for call in calls if call.startswith("train ")]
    assert trains == [
        "train DISTILL_AMP=bf16 DISTILL_TRAIN=sample.tsv",  # the teacher
        "train DISTILL_AMP= DISTILL_TRAIN=train.tsv",  # the student
        "train DISTILL_AMP= DISTILL_TRAIN=train.tsv",  # the baseline
    ]
    assert "transfer-set DISTILL_AMP= DISTILL_TRAIN=train.tsv" in calls


def test_without_teacher_amp_every_step_trains_in_the_default_precision(tmp_path):
    calls = run_pipeline(tmp_path)
    assert [call for call in calls if call.startswith("train ")] == [
        "train DISTILL_AMP= DISTILL_TRAIN=train.tsv"
    ] * 3
