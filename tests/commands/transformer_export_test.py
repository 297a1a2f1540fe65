"""
`allennlp distill-export` of a transformer classifier (the fine-tuned teacher, the
truncated-teacher student), of one sentence or a sentence pair read jointly, and its serving path
in `serving.py`: the word pieces, logits and labels of the AllenNLP model and its
`text_classifier` (`sentence_pair`) predictor.
"""

import json
import re
import subprocess
import sys

import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.predictors import Predictor

from allennlp_distill.commands import export_archive
from allennlp_distill.commands.export_models import LengthSortedClassifier
from allennlp_distill.commands.report import write_report
from allennlp_distill.serving import ExportedStudent
from tests.conftest import CONFIGS, FIXTURES, REPO, run_allennlp

TEXTS = [
    "a gorgeous , witty , seductive movie .",
    "bad",
    # Longer than the teacher's 128 word pieces: truncated as the archive's tokenizer does.
    "the plot is nothing but boilerplate clichés " * 30,
    # A mask token, characters no word piece has, a lone letter.
    "Zürich [MASK] Ōsaka x",
]


def predictor_logits(archive, texts) -> torch.Tensor:
    predictor = Predictor.from_path(str(archive), "text_classifier")
    return torch.tensor([predictor.predict_json({"sentence": text})["logits"] for text in texts])


@pytest.fixture(scope="module")
def truncated_archive(tmp_path_factory, tiny_teacher_env):
    """The truncated-teacher student, 1 of the tiny BERT's 2 blocks, distilled for one epoch."""
    out = tmp_path_factory.mktemp("truncated") / "run"
    one_block = {"model.text_field_embedder.token_embedders.tokens.transformer_kwargs":
                 {"num_hidden_layers": 1}}  # fmt: skip
    run_allennlp("train", str(CONFIGS / "sst2_distill_truncated.jsonnet"), "-s", str(out),
                 "-o", json.dumps(one_block), env=tiny_teacher_env)  # fmt: skip
    return out / "model.tar.gz"


@pytest.mark.parametrize("model", ["teacher", "truncated"])
def test_the_exported_transformer_gives_the_archives_word_pieces_logits_and_labels(
    model, tiny_teacher_archive, truncated_archive, tmp_path
):
    archive = tiny_teacher_archive if model == "teacher" else truncated_archive
    export_archive(str(archive), str(tmp_path / "export"))
    exported = ExportedStudent(str(tmp_path / "export"))
    predictor = Predictor.from_path(str(archive), "text_classifier")
    for text in TEXTS:
        pieces = exported.wordpiece_inputs([text])[0][0].tolist()
        assert pieces == predictor.predict_json({"sentence": text})["token_ids"]
    assert len(exported.wordpiece_inputs([TEXTS[2]])[0][0]) == 128
    expected = predictor_logits(archive, TEXTS)
    rows = [{"sentence": text} for text in TEXTS]
    # A padded batch of four lengths (the trace saw one length), and each text alone.
    assert torch.allclose(exported.outputs(exported.inputs(rows)), expected, atol=1e-5)
    for row, reference in zip(rows, expected):
        assert torch.allclose(exported.outputs(exported.inputs([row]))[0], reference, atol=1e-5)
    served = exported.predict(TEXTS)
    assert [row["label"] for row in served] == [
        predictor.predict_json({"sentence": text})["label"] for text in TEXTS
    ]
    # Blank, or of no word piece but [CLS] and [SEP] (a zero-width space, a lone combining
    # mark): the same refusal from the archive's predictor and from the export.
    for nothing in ("  ", "\u200b", "\u0301 \u200d"):
        with pytest.raises(ValueError, match="empty text"):
            exported.predict([nothing])
        with pytest.raises(ValueError, match="empty text"):
            predictor.predict_json({"sentence": nothing})
    blocks = 2 if model == "teacher" else 1
    meta = json.loads((tmp_path / "export" / "vocab.json").read_text())
    assert meta["wordpieces"] == {"max_length": 128, "pad_id": 0} and meta["tokens"] == []
    state = torch.jit.load(str(tmp_path / "export" / "student.ts")).state_dict()
    layers = {re.search(r"\.encoder\.layer\.(\d+)\.", key) for key in state}
    assert {found.group(1) for found in layers if found} == {str(i) for i in range(blocks)}


def test_a_batch_of_more_than_32_texts_runs_in_length_sorted_sub_batches_in_its_own_order(
    tiny_teacher_archive, tmp_path
):
    """44 texts of 3 to ~60 pieces, shuffled: two sub-batches of 32 and 12 sorted by length, each
    cut to its longest, must give each text the archive's logits, in the batch's order."""
    export_archive(str(tiny_teacher_archive), str(tmp_path / "export"))
    exported = ExportedStudent(str(tmp_path / "export"))
    words = ["good", "dull", "movie"]
    texts = [" ".join(words[: 1 + i % 3] * (1 + (i * 7) % 19)) for i in range(44)]
    expected = predictor_logits(tiny_teacher_archive, texts)
    inputs = exported.inputs([{"sentence": text} for text in texts])
    assert inputs[0].shape[0] > exported._model.chunk_size
    assert torch.allclose(exported.outputs(inputs), expected, atol=1e-5)


class ShapeRecorder(torch.nn.Module):
    """A stand-in classifier: each text's logits are its length and its first id; records the
    shapes it is called with."""

    def __init__(self) -> None:
        super().__init__()
        self.shapes: list = []

    def forward(self, token_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        self.shapes.append(tuple(token_ids.shape))
        return torch.stack([mask.sum(dim=1), token_ids[:, 0]], dim=1).float()


def test_length_sorted_sub_batches_are_cut_to_their_longest_and_come_back_in_order():
    lengths = torch.randperm(44, generator=torch.manual_seed(0)) + 1
    mask = (torch.arange(44).unsqueeze(0) < lengths.unsqueeze(1)).long()
    token_ids = (torch.arange(44) + 100).unsqueeze(1) * mask  # the first id names the text
    recorder = ShapeRecorder()
    logits = LengthSortedClassifier(recorder)(token_ids, mask)
    assert recorder.shapes == [(32, 32), (12, 44)]  # lengths 1-32, then 33-44
    assert torch.equal(logits, torch.stack([lengths, torch.arange(44) + 100], dim=1).float())
    recorder.shapes.clear()
    LengthSortedClassifier(recorder)(token_ids[:32], mask[:32])
    assert recorder.shapes == [(32, 44)]  # a batch of at most 32 runs whole


def test_the_int8_transformer_export_gives_logits_close_to_the_float_ones(
    tiny_teacher_archive, tmp_path
):
    export_archive(str(tiny_teacher_archive), str(tmp_path / "int8"), int8=True)
    exported = ExportedStudent(str(tmp_path / "int8"))
    logits = exported.outputs(exported.inputs([{"sentence": text} for text in TEXTS]))
    expected = predictor_logits(tiny_teacher_archive, TEXTS)
    spread = (expected - expected.mean()).abs().max().item()
    assert (logits - expected).abs().max().item() < 0.2 * spread
    assert json.loads((tmp_path / "int8" / "vocab.json").read_text())["int8"]


def test_serving_py_labels_texts_with_a_transformer_export_run_as_a_file(
    tiny_teacher_archive, tmp_path
):
    export_archive(str(tiny_teacher_archive), str(tmp_path / "export"))
    command = [sys.executable, "allennlp_distill/serving.py", str(tmp_path / "export"), *TEXTS]
    # The file alone, as a service runs it: neither AllenNLP nor transformers is imported.
    probe = (
        f"import runpy, sys; sys.argv = {command[1:]!r}; "
        f"runpy.run_path({command[1]!r}, run_name='__main__'); "
        "assert not {'allennlp', 'transformers'} & set(sys.modules), sorted(sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, check=True, capture_output=True, text=True
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines == ExportedStudent(str(tmp_path / "export")).predict(TEXTS)


def test_report_measures_a_transformer_export_like_its_archive(tiny_teacher_archive, tmp_path):
    export_archive(str(tiny_teacher_archive), str(tmp_path / "export"))
    dev = str(FIXTURES / "sst2_dev.tsv")
    teacher, exported = write_report(
        [("teacher", str(tiny_teacher_archive), ""), ("exported", str(tmp_path / "export"), "")],
        dev,
        str(tmp_path / "report"),
        threads=1,
        texts=8,
        batch_sizes=(1, 4),
    )
    assert exported["accuracy"] == pytest.approx(teacher["accuracy"], abs=1e-6)
    assert exported["parameters"] == teacher["parameters"]
    assert exported["parameters_without_embeddings"] == teacher["parameters_without_embeddings"]
    assert set(exported["throughput"]) == {1, 4} and exported["serving_memory_mb"] > 0


def test_a_pair_reader_without_a_bound_on_its_pieces_is_refused(tiny_mrpc_teacher_archive):
    # Without max_tokens a long pair outgrows the window: AllenNLP folds it, an export cannot.
    from allennlp.models.archival import load_archive

    from allennlp_distill.commands.export import _check_wordpiece_reader

    reader = load_archive(str(tiny_mrpc_teacher_archive)).validation_dataset_reader
    assert _check_wordpiece_reader(reader, "mrpc")["max_length"] == 128
    reader._max_tokens = None
    with pytest.raises(ConfigurationError, match="mrpc: .*dataset_reader.max_tokens for a pair"):
        _check_wordpiece_reader(reader, "mrpc")


PAIRS = [
    ("McCabe said he was considered a witness.", "He is not a suspect, McCabe said."),
    ("A cat.", "A dog is looking at the camera."),
    # Longer than the teacher's 128 pieces together: cut from the longer sentence first.
    ("the plot is nothing but boilerplate clichés " * 20, "a gorgeous , witty movie ."),
    ("bad " * 70, "good " * 90),
]


@pytest.mark.parametrize("task", ["mrpc", "stsb"])
def test_a_pair_cross_encoder_exports_with_the_readers_pieces_segments_and_outputs(
    task, tiny_mrpc_teacher_archive, tiny_stsb_teacher_archive, tmp_path
):
    from allennlp.data import Vocabulary
    from allennlp.models.archival import load_archive

    archive = str(tiny_mrpc_teacher_archive if task == "mrpc" else tiny_stsb_teacher_archive)
    export_archive(archive, str(tmp_path / "export"))
    exported = ExportedStudent(str(tmp_path / "export"))
    assert exported.regression == (task == "stsb") and len(exported.text_columns) == 2
    reader = load_archive(archive).validation_dataset_reader
    indexer = reader._token_indexers["tokens"]
    for pair in PAIRS:
        # The tiny BERT has segment embeddings: pieces and segment ids must both be what the
        # reader's indexer gave the model (it ends a pair with a single sentence's [SEP]).
        tokens = reader.text_to_instance(*pair).fields["tokens"].tokens
        indexed = indexer.tokens_to_indices(tokens, Vocabulary())
        token_ids, mask, type_ids = exported.wordpiece_pair_inputs([pair])
        assert token_ids[0].tolist() == indexed["token_ids"]
        assert type_ids[0].tolist() == indexed["type_ids"]
        assert mask[0].tolist() == [1] * len(tokens) and len(tokens) <= 128
    predictor = Predictor.from_path(archive, "sentence_pair")
    key = "score" if task == "stsb" else "logits"
    expected = torch.tensor([predictor.predict(*pair)[key] for pair in PAIRS])
    first, second = exported.text_columns
    rows = [{first: a, second: b} for a, b in PAIRS]
    assert torch.allclose(exported.outputs(exported.inputs(rows)), expected, atol=1e-5)
    for row, reference in zip(rows, expected):
        assert torch.allclose(exported.outputs(exported.inputs([row]))[0], reference, atol=1e-5)
    # More than 32 pairs: length-sorted sub-batches carry each pair's segment ids along.
    many = [rows[i % len(rows)] for i in range(40)]
    outputs = exported.outputs(exported.inputs(many))
    assert torch.allclose(outputs, expected.repeat(10, *([1] * (expected.dim() - 1))), atol=1e-5)
    served = exported.predict_rows(rows)
    if task == "stsb":
        assert [row["score"] for row in served] == pytest.approx(expected.tolist(), abs=1e-5)
    else:
        assert [row["label"] for row in served] == [predictor.predict(*p)["label"] for p in PAIRS]
    for nothing in ("", " ", "\u200b"):  # empty, blank, or no word piece
        with pytest.raises(ValueError, match="empty text"):
            exported.predict_rows([{first: "a cat", second: nothing}])
        with pytest.raises(ValueError, match="empty text"):
            predictor.predict("a cat", nothing)


class OneSegmentPairModel(torch.nn.Module):
    """A cross-encoder over a model with one token type (as RoBERTa, XLM-R): segment id 1 would
    index past its token-type embeddings."""

    def __init__(self) -> None:
        super().__init__()
        from transformers import BertConfig, BertModel

        sizes = {"hidden_size": 8, "num_attention_heads": 2, "intermediate_size": 8}
        config = BertConfig(vocab_size=20, num_hidden_layers=1, type_vocab_size=1, **sizes)
        self.transformer = BertModel(config)

    def forward(self, token_ids, mask, type_ids):
        states = self.transformer(
            input_ids=token_ids, attention_mask=mask, token_type_ids=type_ids, return_dict=False
        )[0]
        return states[:, 0, :2]


def test_a_pair_model_with_one_token_type_is_traced_with_its_own_segment_ids(tmp_path):
    from allennlp_distill.commands.export import _write_torchscript

    template = {"start": [[2, 0]], "mid": [[3, 0]], "end": [[3, 0]], "first_type": 0,
                "second_type": 0}  # fmt: skip
    module = OneSegmentPairModel().eval()
    path = _write_torchscript(module, str(tmp_path), False, True, template)
    token_ids = torch.tensor([[2, 5, 3, 6, 3], [2, 7, 3, 8, 0]])
    mask = (torch.arange(5) < torch.tensor([[5], [4]])).long()
    type_ids = torch.zeros_like(token_ids)
    with torch.no_grad():
        expected = module(token_ids, mask, type_ids)
    assert torch.allclose(torch.jit.load(path)(token_ids, mask, type_ids), expected, atol=1e-5)
    with pytest.raises(torch.jit.Error, match="needs its type_ids"):
        torch.jit.load(path)(token_ids, mask)
