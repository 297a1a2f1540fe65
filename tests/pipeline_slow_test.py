import json
import os
import subprocess

import pytest

from allennlp_distill.demo import write_splits
from tests.conftest import REPO


@pytest.mark.slow
def test_demo_pipeline_on_rotten_tomatoes_distils_a_useful_student(tmp_path):
    """`scripts/pipeline.sh` on the real demo data, shortened: one teacher epoch, n_iter = 1."""
    data = tmp_path / "data"
    write_splits(str(data))
    env = {
        **os.environ,
        "DATA": str(data),
        "TEST": str(data / "test.tsv"),
        "OUT": str(tmp_path / "run"),
        "N_ITER": "1",
        "TEACHER_EPOCHS": "1",
        "STUDENT_EPOCHS": "2",
        "BASELINE_EPOCHS": "2",
        "ALLENNLP": str(REPO / ".venv" / "bin" / "allennlp"),
    }
    subprocess.run(["bash", "scripts/pipeline.sh"], cwd=REPO, env=env, check=True)
    for split in ("dev", "test"):  # the test split as `make demo` passes it: every model on it
        accuracy = {
            model: json.loads((tmp_path / "run" / model / f"{split}_metrics.json").read_text())[
                "accuracy"
            ]
            for model in ("teacher", "student", "baseline")
        }
        labels = [
            line.rsplit("\t", 1)[1] for line in (data / f"{split}.tsv").read_text().splitlines()[1:]
        ]
        majority = max(labels.count(label) for label in set(labels)) / len(labels)
        assert accuracy["teacher"] > 0.75
        assert accuracy["student"] > max(0.65, majority + 0.1), split
    predictions = (tmp_path / "run" / "student_predictions.jsonl").read_text().splitlines()
    assert [json.loads(line)["label"] in {"fresh", "rotten"} for line in predictions] == [True] * 2
