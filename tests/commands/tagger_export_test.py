"""
`allennlp distill-export` of a tagger student (word vectors, character CNN, BiLSTM) and its
serving path in `serving.py`: the same logits, tags and spans as the AllenNLP model and the
`tagger` predictor.
"""

import json
import random
import re
import subprocess
import sys

import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_utils.span_utils import (
    bio_tags_to_spans,
    iob1_tags_to_spans,
)
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allennlp_distill.commands import export_archive
from allennlp_distill.commands.report import write_report
from allennlp_distill.commands.scoring import evaluate_exported_tagger
from allennlp_distill.dataset_readers.rows import EMPTY_TEXT, DataFormatError
from allennlp_distill.serving import ExportedStudent, tag_spans
from tests.conftest import (
    CONFIGS,
    FIXTURES,
    REPO,
    run_allennlp,
    strong_crf_scores,
    tagger_logits,
)

SENTENCES = [
    ["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."],
    ["Peter", "Blackburn"],
    # A mask word, words no vector knows, characters the training set never had, one-letter
    # words (shorter than the character filters), very long words (over the characters indexer's
    # cap).
    [
        "[MASK]",
        "visited",
        "Zürich",
        "and",
        "Ōsaka",
        "x",
        "Q",
        "-",
        "a" * 40,
        "https://www.example.org/Zürich-2026?query=x",
    ],
    ["x"],
]


@pytest.fixture(scope="module")
def tagger_archive(tmp_path_factory, tiny_teacher_env):
    """The real conll2003 student config (characters and all) trained on the fixture's gold tags."""
    out = tmp_path_factory.mktemp("tagger") / "run"
    env = {
        **tiny_teacher_env,
        "DISTILL_TRAIN": str(FIXTURES / "conll2003_tiny.txt"),
        "DISTILL_DEV": str(FIXTURES / "conll2003_tiny.txt"),
        "DISTILL_EMBEDDING_DIM": "8",
        "DISTILL_EPOCHS": "4",
    }
    # A learning rate at which the BiLSTM-CRF finds spans in 4 epochs of 60 sentences (at the
    # config's 1e-3 it still tags every word O, and no span comparison would mean anything).
    overrides = '{"trainer.optimizer.lr": 0.01}'
    run_allennlp(
        "train", str(CONFIGS / "conll2003_baseline.jsonnet"), "-s", str(out), "-o", overrides,
        env=env,
    )  # fmt: skip
    return out / "model.tar.gz"


def test_the_exported_tagger_gives_the_allennlp_models_logits_tags_and_spans(
    tagger_archive, tmp_path
):
    export_archive(str(tagger_archive), str(tmp_path / "export"))
    exported = ExportedStudent(str(tmp_path / "export"))
    assert exported.tagger and exported.label_encoding == "BIO"
    expected = tagger_logits(tagger_archive, SENTENCES)
    # A padded batch (the packed LSTM, characters padded to the longest word) and one sentence
    # at a time (the dense path).
    batch = exported.outputs(exported.tagger_inputs(SENTENCES))
    for row, words, reference in zip(batch, SENTENCES, expected):
        assert torch.allclose(row[: len(words)], reference, atol=1e-5)
    for words, reference in zip(SENTENCES, expected):
        alone = exported.outputs(exported.tagger_inputs([words]))[0]
        assert torch.allclose(alone, reference, atol=1e-5)
    predictor = Predictor.from_path(str(tagger_archive), "tagger")
    served = exported.tag_words(SENTENCES)
    assert served == [predictor.predict_json({"tokens": words}) for words in SENTENCES]
    # A sentence as text: spaCy's rules split it as the predictor's tokenizer does.
    text = "Peter Blackburn visited Zürich, didn't he?"
    assert exported.predict([text]) == [predictor.predict(text)]
    # No sentences, no results; an empty one among others is refused by name.
    assert exported.tag_words([]) == [] and exported.predict([]) == []
    with pytest.raises(ValueError, match=re.escape(EMPTY_TEXT)):
        exported.predict([text, " ", text])
    # Words given, all blank: no sentence on either path.
    for path in (
        exported.tag_words,
        lambda sentences: predictor.predict_json({"tokens": sentences[0]}),
    ):
        with pytest.raises(ValueError, match=re.escape(EMPTY_TEXT)):
            path([[" ", ""]])


def test_the_exported_tagger_hands_packing_its_lengths_on_the_cpu(tagger_archive, tmp_path):
    """As the exported BiLSTM (`export_test.py`): TorchScript refuses GPU lengths for packing."""
    export_archive(str(tagger_archive), str(tmp_path / "export"))
    code = torch.jit.load(str(tmp_path / "export" / "student.ts")).code
    assert ".pack_by_length" in code and "pack_padded_sequence" not in code


def test_the_int8_tagger_export_gives_logits_close_to_the_float_ones(tagger_archive, tmp_path):
    export_archive(str(tagger_archive), str(tmp_path / "float"))
    export_archive(str(tagger_archive), str(tmp_path / "int8"), int8=True)
    exported = [ExportedStudent(str(tmp_path / name)) for name in ("float", "int8")]
    logits = [student.outputs(student.tagger_inputs(SENTENCES)) for student in exported]
    spread = (logits[0] - logits[0].mean()).abs().max().item()
    difference = (logits[1] - logits[0]).abs().max().item()
    # (Not equal to 1e-5 batch against alone: dynamic int8 scales each batch's activations.)
    assert difference < 0.1 * spread, (difference, spread)


def test_serving_py_tags_sentences_run_as_a_file(tagger_archive, tmp_path):
    # (That serving.py imports no AllenNLP is export_test.py's.)
    export_archive(str(tagger_archive), str(tmp_path / "export"))
    command = [
        sys.executable, "allennlp_distill/serving.py",
        str(tmp_path / "export"), "Peter Blackburn visited Paris .", "x",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    exported = ExportedStudent(str(tmp_path / "export"))
    assert lines == exported.predict(["Peter Blackburn visited Paris .", "x"])
    assert lines[0]["words"] == ["Peter", "Blackburn", "visited", "Paris", "."]


def test_report_measures_an_exported_tagger_like_its_archive(tagger_archive, tmp_path):
    export_archive(str(tagger_archive), str(tmp_path / "export"))
    conll = str(FIXTURES / "conll2003_tiny.txt")
    student, exported = write_report(
        [("student", str(tagger_archive), ""), ("exported", str(tmp_path / "export"), "")],
        conll,
        str(tmp_path / "report"),
        threads=1,
        texts=8,
        batch_sizes=(1, 4),
        heldout_file=conll,
    )
    assert student["f1-measure-overall"] > 0  # spans found: the comparison below means something
    for metric in ("accuracy", "f1-measure-overall"):
        assert exported[metric] == pytest.approx(student[metric], abs=1e-6)
        assert exported["heldout"][metric] == pytest.approx(student[metric], abs=1e-6)
    assert exported["parameters"] == student["parameters"]
    assert exported["parameters_without_embeddings"] == student["parameters_without_embeddings"]
    assert exported["tokens_per_text"] == pytest.approx(student["tokens_per_text"])
    assert set(exported["throughput"]) == {1, 4} and exported["serving_memory_mb"] > 0


def test_a_tag_the_exported_tagger_does_not_know_names_file_and_line(tagger_archive, tmp_path):
    export_archive(str(tagger_archive), str(tmp_path / "export"))
    bad = tmp_path / "bad.txt"
    bad.write_text("Peter NNP B-PER\nvisited VBD O\n\nParis NNP B-CITY\n")
    with pytest.raises(DataFormatError, match="bad.txt:4.*B-CITY"):
        evaluate_exported_tagger(ExportedStudent(str(tmp_path / "export")), str(bad))


def test_a_transformer_tagger_is_refused_with_a_clear_error(tagger_archive, tmp_path):
    archive = load_archive(str(tagger_archive))
    archive.model._encoder = None  # a teacher: no BiLSTM encoder
    from allennlp_distill.commands.export_models import ExportableTagger

    with pytest.raises(ConfigurationError, match="transformer tagger"):
        ExportableTagger(archive.model)


def test_embedders_and_character_settings_serving_cannot_mirror_are_refused(
    tagger_archive, tiny_teacher_env, tmp_path
):
    from allennlp_distill.commands.export_models import ExportableTagger

    archive = load_archive(str(tagger_archive))
    embedders = archive.model._text_field_embedder._token_embedders
    embedders["pos"] = embedders["tokens"]
    with pytest.raises(ConfigurationError, match=r"not \['pos', 'token_characters', 'tokens'\]"):
        ExportableTagger(archive.model)
    # Lowercased characters: serving.py would index them as written.
    env = {
        **tiny_teacher_env,
        "DISTILL_TRAIN": str(FIXTURES / "conll2003_tiny.txt"),
        "DISTILL_DEV": str(FIXTURES / "conll2003_tiny.txt"),
        "DISTILL_EMBEDDING_DIM": "8",
        "DISTILL_EPOCHS": "1",
    }
    overrides = (
        '{"dataset_reader.token_indexers.token_characters.character_tokenizer": '
        '{"lowercase_characters": true}}'
    )
    run_allennlp(
        "train", str(CONFIGS / "conll2003_baseline.jsonnet"), "-s", str(tmp_path / "run"),
        "-o", overrides, env=env,
    )  # fmt: skip
    with pytest.raises(ConfigurationError, match="sets character_tokenizer.lowercase_characters"):
        export_archive(str(tmp_path / "run" / "model.tar.gz"), str(tmp_path / "export"))
    assert not (tmp_path / "export").exists()


def test_a_part_of_speech_tagger_exports_with_accuracy_and_no_spans(tiny_teacher_env, tmp_path):
    # The ud_pos student: no label encoding, so tags without spans and accuracy without span F1.
    ud = str(FIXTURES / "ud_ewt_tiny.txt")
    env = {**tiny_teacher_env, "DISTILL_TRAIN": ud, "DISTILL_DEV": ud,
           "DISTILL_EMBEDDING_DIM": "8", "DISTILL_EPOCHS": "2"}  # fmt: skip
    run_allennlp(
        "train", str(CONFIGS / "ud_pos_baseline.jsonnet"), "-s", str(tmp_path / "run"), env=env
    )  # fmt: skip
    archive = tmp_path / "run" / "model.tar.gz"
    export_archive(str(archive), str(tmp_path / "export"))
    exported = ExportedStudent(str(tmp_path / "export"))
    assert exported.tagger and exported.label_encoding is None
    assert "PROPN" in exported.labels and "B-PER" not in exported.labels
    batch = exported.outputs(exported.tagger_inputs(SENTENCES))
    for row, words, reference in zip(batch, SENTENCES, tagger_logits(archive, SENTENCES)):
        assert torch.allclose(row[: len(words)], reference, atol=1e-5)
    predictor = Predictor.from_path(str(archive), "tagger")
    served = exported.tag_words(SENTENCES)
    assert served == [predictor.predict_json({"tokens": words}) for words in SENTENCES]
    assert all("spans" not in row for row in served)
    rows, metrics = evaluate_exported_tagger(exported, ud)
    run_allennlp(
        "evaluate", str(archive), ud, "--output-file", str(tmp_path / "metrics.json"), env=env
    )  # fmt: skip
    evaluated = json.loads((tmp_path / "metrics.json").read_text())
    assert len(rows) == 40 and set(metrics) == {"accuracy"}
    assert metrics["accuracy"] == pytest.approx(evaluated["accuracy"], abs=1e-6)
    assert not any(key.startswith("f1") for key in evaluated)


# conll2003_baseline_casing.jsonnet with a character CNN too (its configs have none).
CHARACTERS_TOO = {
    "dataset_reader.token_indexers.token_characters": {
        "type": "capped_characters", "min_padding_length": 3,
    },
    "model.text_field_embedder.token_embedders.token_characters": {
        "type": "real_word_characters",
        "embedding": {"embedding_dim": 16, "vocab_namespace": "token_characters"},
        "encoder": {
            "type": "cnn", "embedding_dim": 16, "num_filters": 5, "ngram_filter_sizes": [3],
        },
    },
    "model.encoder.input_size": 8 + 5 + 8,
}  # fmt: skip


@pytest.fixture(scope="module", params=["casing", "characters and casing"])
def casing_archive(request, tmp_path_factory, tiny_teacher_env):
    """conll2003_baseline_casing.jsonnet (word vectors and a casing class per word, no
    characters; or with characters too) trained on the fixture's gold tags."""
    out = tmp_path_factory.mktemp("casing") / "run"
    conll = str(FIXTURES / "conll2003_tiny.txt")
    env = {**tiny_teacher_env, "DISTILL_TRAIN": conll, "DISTILL_DEV": conll,
           "DISTILL_EMBEDDING_DIM": "8", "DISTILL_EPOCHS": "4"}  # fmt: skip
    overrides = {"trainer.optimizer.lr": 0.01}
    if request.param == "characters and casing":
        overrides.update(CHARACTERS_TOO)
    run_allennlp(
        "train", str(CONFIGS / "conll2003_baseline_casing.jsonnet"), "-s", str(out),
        "-o", json.dumps(overrides), env=env,
    )  # fmt: skip
    return out / "model.tar.gz"


def test_a_casing_tagger_exports_with_the_allennlp_models_outputs(casing_archive, tmp_path):
    export_archive(str(casing_archive), str(tmp_path / "export"))
    meta = json.loads((tmp_path / "export" / "vocab.json").read_text())
    assert meta["casing"][:2] == ["@@PADDING@@", "@@UNKNOWN@@"]
    assert "initial_upper" in meta["casing"]
    exported = ExportedStudent(str(tmp_path / "export"))
    # "Peter" and "peter" are one word vector: only the casing tells them apart.
    sentences = SENTENCES + [["peter", "blackburn", "IN", "1996", "@@UNKNOWN@@"]]
    expected = tagger_logits(casing_archive, sentences)
    batch = exported.outputs(exported.tagger_inputs(sentences))
    for row, words, reference in zip(batch, sentences, expected):
        assert torch.allclose(row[: len(words)], reference, atol=1e-5)
    alone = exported.outputs(exported.tagger_inputs([sentences[1]]))[0]
    assert torch.allclose(alone, expected[1], atol=1e-5)
    predictor = Predictor.from_path(str(casing_archive), "tagger")
    assert exported.tag_words(sentences) == [
        predictor.predict_json({"tokens": words}) for words in sentences
    ]
    token_ids, char_ids = exported.tagger_inputs(sentences)[:2]
    with pytest.raises(torch.jit.Error, match="give casing_ids"):
        torch.jit.load(str(tmp_path / "export" / "student.ts"))(token_ids, char_ids)
    export_archive(str(casing_archive), str(tmp_path / "int8"), int8=True)
    int8 = ExportedStudent(str(tmp_path / "int8"))
    difference = (int8.outputs(int8.tagger_inputs(sentences)) - batch).abs().max().item()
    assert difference < 0.1 * (batch - batch.mean()).abs().max().item()


def test_casing_settings_serving_cannot_mirror_are_refused(casing_archive):
    from allennlp.data.token_indexers import SingleIdTokenIndexer

    from allennlp_distill.commands.export import _check_casing_indexer
    from allennlp_distill.commands.export_models import ExportableTagger

    archive = load_archive(str(casing_archive))
    embedders = archive.model._text_field_embedder._token_embedders
    casing = embedders["word_casing"]
    embedders["word_casing"] = embedders["tokens"]
    with pytest.raises(ConfigurationError, match="word_casing as an embedding"):
        ExportableTagger(archive.model)
    embedders["word_casing"] = casing
    casing.max_norm = 1.0
    with pytest.raises(ConfigurationError, match="without projection_dim or max_norm"):
        ExportableTagger(archive.model)
    reader = archive.validation_dataset_reader
    reader._token_indexers["word_casing"] = SingleIdTokenIndexer(namespace="word_casing")
    with pytest.raises(ConfigurationError, match="token_indexers.word_casing"):
        _check_casing_indexer(reader, "model.tar.gz")


@pytest.mark.parametrize("encoding", ["BIO", "IOB1"])
def test_serving_spans_are_allennlps(encoding):
    to_spans = bio_tags_to_spans if encoding == "BIO" else iob1_tags_to_spans
    rng = random.Random(0)
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    for _ in range(2000):
        sequence = [rng.choice(tags) for _ in range(rng.randint(0, 9))]
        words = [f"w{i}" for i in range(len(sequence))]
        expected = sorted(to_spans(sequence), key=lambda span: span[1])
        served = tag_spans(words, sequence)
        assert [(s["type"], (s["start"], s["end"])) for s in served] == expected, sequence
        assert all(s["text"] == " ".join(words[s["start"] : s["end"] + 1]) for s in served)
    with pytest.raises(ValueError, match="not BIO"):
        tag_spans(["a"], ["U-PER"])


def _random_crf(num_tags: int, constraints, seed: int):
    from allennlp.modules import ConditionalRandomField

    crf = ConditionalRandomField(num_tags, constraints)
    strong_crf_scores(crf, seed)
    return crf


@pytest.mark.parametrize("encoding", ["BIO", "IOB1", None])
def test_batched_viterbi_finds_allennlps_paths(encoding):
    from allennlp.modules.conditional_random_field import allowed_transitions

    from allennlp_distill.modules.crf_decoding import crf_transitions, viterbi_paths

    tags = {0: "O", 1: "B-PER", 2: "I-PER", 3: "B-LOC", 4: "I-LOC"}
    crf = _random_crf(5, allowed_transitions(encoding, tags) if encoding else None, seed=1)
    scripted = torch.jit.script(viterbi_paths)
    torch.manual_seed(2)
    lengths = torch.tensor([7, 1, 4, 7, 2, 5])
    logits = torch.randn(6, 7, 5) * 2
    # Two sentences whose argmax starts with I-PER, which BIO forbids (the start constraints).
    logits[0, 0, 2] = logits[1, 0, 2] = 20.0
    mask = torch.arange(7).unsqueeze(0) < lengths.unsqueeze(1)
    expected = [path for path, _ in crf.viterbi_tags(logits, mask)]
    for decode in (viterbi_paths, scripted):
        paths = decode(logits, lengths, crf_transitions(crf))
        assert [row[:length].tolist() for row, length in zip(paths, lengths)] == expected
        assert not paths[~mask].any()  # 0 past each sentence's end
    argmax = [row[:length].tolist() for row, length in zip(logits.argmax(-1), lengths)]
    assert argmax != expected  # the transitions changed some path: the comparison means something


def test_an_exported_crf_tagger_decodes_as_the_allennlp_model(tiny_teacher_env, tmp_path):
    from allennlp_distill.commands.export_models import ExportableTagger

    env = {
        **tiny_teacher_env,
        "DISTILL_TRAIN": str(FIXTURES / "conll2003_tiny.txt"),
        "DISTILL_DEV": str(FIXTURES / "conll2003_tiny.txt"),
        "DISTILL_EMBEDDING_DIM": "8",
        "DISTILL_EPOCHS": "2",
    }
    run_allennlp(
        "train", str(CONFIGS / "conll2003_baseline.jsonnet"), "-s", str(tmp_path / "run"),
        "-o", '{"model.crf": true}', env=env,
    )  # fmt: skip
    archive_file = tmp_path / "run" / "model.tar.gz"
    export_archive(str(archive_file), str(tmp_path / "export"))
    exported = ExportedStudent(str(tmp_path / "export"))
    assert exported.crf
    predictor = Predictor.from_path(str(archive_file), "tagger")
    assert exported.tag_words(SENTENCES) == [
        predictor.predict_json({"tokens": words}) for words in SENTENCES
    ]
    conll = str(FIXTURES / "conll2003_tiny.txt")
    _, metrics = evaluate_exported_tagger(exported, conll)
    run_allennlp(
        "evaluate", str(archive_file), conll, "--output-file", str(tmp_path / "m.json"), env=env
    )  # fmt: skip
    evaluated = json.loads((tmp_path / "m.json").read_text())
    for metric in ("accuracy", "f1-measure-overall"):
        assert metrics[metric] == pytest.approx(evaluated[metric], abs=1e-6)
    # distill-report: the same metrics and weights (the CRF's scores; not its constraint mask).
    student, served = write_report(
        [("student", str(archive_file), ""), ("exported", str(tmp_path / "export"), "")],
        conll, str(tmp_path / "report"), threads=1, texts=8, batch_sizes=(1, 4),
    )  # fmt: skip
    assert served["f1-measure-overall"] == pytest.approx(student["f1-measure-overall"], abs=1e-6)
    assert served["parameters"] == student["parameters"]
    assert served["parameters_without_embeddings"] == student["parameters_without_embeddings"]
    # Transitions far from the few steps' training, so that the path is not the argmax: the
    # scripted module decodes as the model's CRF still.
    model = load_archive(str(archive_file)).model.eval()
    strong_crf_scores(model._crf, seed=3)
    module = torch.jit.script(ExportableTagger(model).eval())
    inputs = exported.tagger_inputs(SENTENCES)
    lengths = torch.tensor([len(words) for words in SENTENCES])
    logits = module(*inputs)
    mask = torch.arange(logits.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)
    expected = [path for path, _ in model._crf.viterbi_tags(logits, mask)]
    paths = module.tags(logits, lengths)
    assert [row[:n].tolist() for row, n in zip(paths, lengths)] == expected
    assert expected != [row[:n].tolist() for row, n in zip(logits.argmax(-1), lengths)]
