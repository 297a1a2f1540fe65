"""The truncated-teacher student (training_config/sst2_distill_truncated.jsonnet), on fixtures."""

import json
import shutil

import _jsonnet
import torch
from allennlp.common import Params
from allennlp.data import Vocabulary
from allennlp.models import Model
from transformers import AutoModel

from allennlp_distill.config_vars import default_config_vars
from tests.conftest import CONFIGS, FIXTURES, run_allennlp, task_env

ONE_BLOCK = {"model.text_field_embedder.token_embedders.tokens.transformer_kwargs":
             {"num_hidden_layers": 1}}  # fmt: skip


def transformer_of(model: Model) -> torch.nn.Module:
    return model._text_field_embedder._token_embedders["tokens"].transformer_model  # type: ignore


def one_block_student(ext_vars: dict) -> Model:
    """The truncated student of the SST-2 config, built (not trained) with one block of the tiny
    BERT's two, as the config's `initializer` leaves it."""
    params = json.loads(
        _jsonnet.evaluate_file(
            str(CONFIGS / "sst2_distill_truncated.jsonnet"),
            ext_vars={**default_config_vars(), **ext_vars, "DISTILL_EPOCHS": ""},
        )
    )
    embedder = params["model"]["text_field_embedder"]["token_embedders"]["tokens"]
    assert embedder["transformer_kwargs"] == {"num_hidden_layers": 2}  # of MiniLM's 6
    embedder["transformer_kwargs"] = {"num_hidden_layers": 1}  # of the tiny BERT's 2
    vocab = Vocabulary(non_padded_namespaces=["labels"])
    vocab.add_tokens_to_namespace(["0", "1"], "labels")
    return Model.from_params(vocab=vocab, params=Params(params).pop("model"))


def test_the_student_starts_from_the_teacher_models_first_blocks(tiny_teacher_env):
    transformer = transformer_of(one_block_student(tiny_teacher_env))
    pretrained = AutoModel.from_pretrained(tiny_teacher_env["DISTILL_TEACHER_MODEL"])
    assert len(transformer.encoder.layer) == 1 and len(pretrained.encoder.layer) == 2
    for name, value in transformer.encoder.layer[0].state_dict().items():
        assert torch.equal(value, pretrained.encoder.layer[0].state_dict()[name]), name


def test_the_student_can_start_from_the_fine_tuned_teacher_and_loads_without_it(
    tiny_teacher_env, tiny_teacher_archive, tmp_path
):
    from allennlp.models.archival import load_archive

    teacher_copy = tmp_path / "teacher.tar.gz"
    shutil.copy(tiny_teacher_archive, teacher_copy)
    env = {**tiny_teacher_env, "DISTILL_TRUNCATE_FROM": str(teacher_copy)}
    student = one_block_student(env)
    teacher = load_archive(str(tiny_teacher_archive)).model
    pretrained = AutoModel.from_pretrained(tiny_teacher_env["DISTILL_TEACHER_MODEL"])
    started = {**transformer_of(student).embeddings.state_dict(),
               **transformer_of(student).encoder.layer[0].state_dict()}  # fmt: skip
    fine_tuned = {**transformer_of(teacher).embeddings.state_dict(),
                  **transformer_of(teacher).encoder.layer[0].state_dict()}  # fmt: skip
    original = {**pretrained.embeddings.state_dict(), **pretrained.encoder.layer[0].state_dict()}
    for name, value in started.items():
        assert torch.equal(value, fine_tuned[name]), name
    # Fine-tuning moved the teacher's weights: the test tells the two starting points apart.
    assert any(not torch.equal(fine_tuned[name], original[name]) for name in started)

    # Trained so, the archive loads and predicts once the teacher is gone.
    out = tmp_path / "run"
    run_allennlp("train", str(CONFIGS / "sst2_distill_truncated.jsonnet"), "-s", str(out),
                 "-o", json.dumps(ONE_BLOCK), env=env)  # fmt: skip
    teacher_copy.unlink()
    (tmp_path / "in.jsonl").write_text('{"sentence": "a gorgeous , witty movie ."}\n')
    run_allennlp("predict", str(out / "model.tar.gz"), str(tmp_path / "in.jsonl"),
                 "--output-file", str(tmp_path / "out.jsonl"), env={})  # fmt: skip
    assert json.loads((tmp_path / "out.jsonl").read_text())["label"] in {"0", "1"}


def test_the_student_learns_the_transfer_set_and_predicts(tiny_teacher_env, tmp_path):
    out = tmp_path / "run"
    run_allennlp("train", str(CONFIGS / "sst2_distill_truncated.jsonnet"), "-s", str(out),
                 "-o", json.dumps(ONE_BLOCK), env=tiny_teacher_env)  # fmt: skip
    metrics = json.loads((out / "metrics.json").read_text())
    # The distillation callback ran: MSE on the teacher's logits, no gold loss (alpha 0).
    assert metrics["training_soft_loss"] > 0 and metrics["training_alpha"] == 0.0
    (tmp_path / "in.jsonl").write_text('{"sentence": "a gorgeous , witty movie [MASK] ."}\n')
    run_allennlp("predict", str(out / "model.tar.gz"), str(tmp_path / "in.jsonl"),
                 "--output-file", str(tmp_path / "out.jsonl"), env={})  # fmt: skip
    prediction = json.loads((tmp_path / "out.jsonl").read_text())
    assert prediction["label"] in {"0", "1"} and len(prediction["logits"]) == 2


def test_the_pair_twin_reads_both_sentences_as_one_input_and_learns_the_transfer_set(
    tiny_teacher_env, tmp_path
):
    env = {
        **task_env(tiny_teacher_env, "mrpc"),
        "DISTILL_TRANSFER_SET": str(FIXTURES / "pairs" / "mrpc_transfer_set.jsonl"),
    }
    out = tmp_path / "run"
    run_allennlp("train", str(CONFIGS / "mrpc_distill_truncated.jsonnet"), "-s", str(out),
                 "-o", json.dumps(ONE_BLOCK), env=env)  # fmt: skip
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["training_soft_loss"] > 0 and metrics["training_alpha"] == 0.0
    # A cross-encoder, as the teacher: one word-piece sequence [CLS] a [SEP] b [SEP], not two.
    from allennlp.models.archival import load_archive

    reader = load_archive(str(out / "model.tar.gz")).validation_dataset_reader
    instance = reader.text_to_instance("a man sings", "a person sings")
    pieces = [token.text for token in instance["tokens"].tokens]
    assert set(instance.fields) >= {"tokens"} and "sentence2" not in instance.fields
    assert pieces[0] == "[CLS]" and pieces.count("[SEP]") == 2 and pieces[-1] == "[SEP]"
    (tmp_path / "in.jsonl").write_text(
        '{"sentence1": "a man sings", "sentence2": "a person sings"}\n'
    )
    run_allennlp("predict", str(out / "model.tar.gz"), str(tmp_path / "in.jsonl"),
                 "--predictor", "sentence_pair",
                 "--output-file", str(tmp_path / "out.jsonl"), env={})  # fmt: skip
    prediction = json.loads((tmp_path / "out.jsonl").read_text())
    assert prediction["label"] in {"0", "1"} and len(prediction["logits"]) == 2
