import json
import re
import subprocess
import sys
from typing import Any, Dict

import pytest
import torch
from allennlp.commands.train import train_model_from_file
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allennlp_distill.commands import export_archive
from allennlp_distill.commands.export_encoders import (
    ExportedPooledEncoder,
    ExportedTransformerEncoder,
    pack_by_length,
)
from allennlp_distill.commands.measure import count_parameters
from allennlp_distill.modules.pooled_bilstm import PooledBiLstm
from allennlp_distill.modules.pooled_transformer import PooledTransformer
from allennlp_distill.serving import ExportedStudent
from tests.conftest import FIXTURES, REPO, run_allennlp

SENTENCES = [
    "A bad, dumb movie.",
    "the greatest musicians",
    "unseen words everywhere [MASK]",
    "x",
]


def serve(export_dir, *texts):
    """`serving.py EXPORT_DIR TEXT...` run as a file; fails the test if it fails."""
    command = [sys.executable, "allennlp_distill/serving.py", str(export_dir), *texts]
    return subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True)


@pytest.fixture(
    params=["tiny_student_archive", "tiny_cnn_student_archive", "tiny_transformer_student_archive"]
)
def any_student_archive(request):
    """Each single-sentence student (BiLSTM, CNN, transformer) trained once on the fixtures."""
    return request.getfixturevalue(request.param)


def test_the_exported_student_gives_the_allennlp_models_logits(any_student_archive, tmp_path):
    archive = str(any_student_archive)
    export_archive(archive, str(tmp_path / "export"))
    # A padded batch (the packed path), one text at a time (the dense path), and the hard texts.
    assert_the_export_gives_the_predictors_logits(str(tmp_path / "export"), archive)
    # More texts than one length-sorted sub-batch of the CNN holds (LENGTH_CHUNK, 32).
    exported = ExportedStudent(str(tmp_path / "export"))
    predictor = Predictor.from_path(archive, "text_classifier")
    expected = torch.tensor([predictor.predict(sentence)["logits"] for sentence in SENTENCES])
    many = SENTENCES * (1 + 40 // len(SENTENCES))
    repeated = expected.repeat(len(many) // len(SENTENCES), 1)
    assert torch.allclose(exported.logits(exported.token_ids(many)), repeated, atol=1e-5)


def assert_empty_input_gets_a_clear_answer(exported, row):
    """A batch of empty texts, or one among others, is refused by name; no batch, no results."""
    from allennlp_distill.dataset_readers.rows import EMPTY_TEXT

    assert exported.predict_rows([]) == []
    for column in row:
        for empties in [[""] * 3, ["", "  ", "\t"]]:
            batch = [{**row, column: empty} for empty in empties]
            with pytest.raises(ValueError, match=re.escape(EMPTY_TEXT)):
                exported.predict_rows(batch)
            with pytest.raises(ValueError, match=re.escape(EMPTY_TEXT)):
                exported.predict_rows([row, *batch, row])


def test_the_export_counts_the_students_parameters(any_student_archive, tmp_path):
    # What vocab.json says is the archive's count as distill-report gives it, for every student
    # (the CNN's export holds its filters fused and zero-extended as buffers, a CRF's are too).
    export_archive(str(any_student_archive), str(tmp_path / "export"))
    meta = json.loads((tmp_path / "export" / "vocab.json").read_text())
    student = count_parameters(load_archive(str(any_student_archive)).model)
    assert meta["parameters"] == student["parameters"]
    assert meta["parameters_without_embeddings"] == student["parameters_without_embeddings"]


def test_the_int8_export_loads_and_predicts_close_to_the_float_one(any_student_archive, tmp_path):
    tiny_student_archive = any_student_archive
    export_archive(str(tiny_student_archive), str(tmp_path / "float"))
    export_archive(str(tiny_student_archive), str(tmp_path / "int8"), int8=True)
    exact = ExportedStudent(str(tmp_path / "float"))
    int8 = ExportedStudent(str(tmp_path / "int8"))
    ids = exact.token_ids(SENTENCES)
    assert json.loads((tmp_path / "int8" / "vocab.json").read_text())["int8"] is True
    assert torch.allclose(int8.logits(ids), exact.logits(ids), atol=0.1)


def test_an_existing_export_is_replaced_only_with_force(tiny_student_archive, tmp_path):
    export_archive(str(tiny_student_archive), str(tmp_path / "export"))
    before = (tmp_path / "export" / "vocab.json").read_bytes()
    with pytest.raises(ConfigurationError, match="already holds an export.*--force"):
        export_archive(str(tiny_student_archive), str(tmp_path / "export"), int8=True)
    assert (tmp_path / "export" / "vocab.json").read_bytes() == before
    export_archive(str(tiny_student_archive), str(tmp_path / "export"), int8=True, force=True)
    assert json.loads((tmp_path / "export" / "vocab.json").read_text())["int8"] is True


def test_serving_imports_neither_allennlp_nor_the_package(tiny_student_archive, tmp_path):
    export_archive(str(tiny_student_archive), str(tmp_path / "export"))
    check = (
        "import runpy, sys; runpy.run_path('allennlp_distill/serving.py', run_name='serving');"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('allennlp', 'allennlp_distill')];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", check], cwd=REPO, check=True)
    result = serve(tmp_path / "export", "a dumb movie")
    assert json.loads(result.stdout)["label"] in {"0", "1"}


def test_a_model_the_export_does_not_know_is_refused(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from allennlp.data import Vocabulary
    from allennlp.models import Model

    import allennlp_distill.commands.export as export_module

    class Unknown(Model):
        def forward(self):  # type: ignore[override]
            return {}

    archive = SimpleNamespace(model=Unknown(Vocabulary()), validation_dataset_reader=None)
    monkeypatch.setattr(export_module, "load_archive", lambda path: archive)
    with pytest.raises(ConfigurationError, match=r"truncated teacher\) models, not Unknown"):
        export_archive("unknown/model.tar.gz", str(tmp_path / "export"))
    assert not (tmp_path / "export").exists()


PAIRS = [
    {"sentence1": "A man is playing a guitar.", "sentence2": "A person plays the guitar."},
    {"sentence1": "unseen words everywhere", "sentence2": "x"},
    {"sentence1": "A woman is slicing an onion.", "sentence2": "Nobody is cooking [MASK] today."},
    # Non-ASCII, and a first sentence of 10,002 tokens (a pair's bad input, as HARD_TEXTS below).
    {"sentence1": "ñandú 東京 🙂 café", "sentence2": "A café, qwxzv."},
    {"sentence1": " ".join(["the", "marvelous", "film"] * 3334), "sentence2": "A short one."},
]


@pytest.mark.parametrize(
    "fixture,columns",
    [
        ("siamese_student_regression", ("sentence1", "sentence2")),
        ("siamese_student_classification", ("#1 String", "#2 String")),
        ("siamese_cnn_student_regression", ("sentence1", "sentence2")),
        ("siamese_transformer_student_regression", ("sentence1", "sentence2")),
        # The siamese student on a distilled sentence encoder's architecture (Wu et al. 2020),
        # and with that encoder's projection to the teacher's width (BiLSTM or CNN).
        ("siamese_student_regression+pooled", ("sentence1", "sentence2")),
        ("siamese_student_regression+projected", ("sentence1", "sentence2")),
        ("siamese_student_classification+projected_cnn", ("#1 String", "#2 String")),
    ],
)
def test_an_exported_pair_student_gives_the_allennlp_models_outputs(fixture, columns, tmp_path):
    archive = tmp_path / "run" / "model.tar.gz"
    fixture, _, pooled = fixture.partition("+")
    encoder: Dict[str, Any] = {"type": "pooled_bilstm", "input_dim": 8, "hidden_size": 3}
    if pooled == "projected_cnn":
        encoder = {"type": "wide_cnn", "embedding_dim": 8, "num_filters": 3,
                   "ngram_filter_sizes": [1, 2]}  # fmt: skip
    if pooled.startswith("projected"):
        encoder["output_dim"] = 5
    overrides = json.dumps({"model.encoder": encoder} if pooled else {})
    train_model_from_file(
        str(FIXTURES / f"{fixture}.jsonnet"), str(tmp_path / "run"), overrides=overrides
    )
    export_archive(str(archive), str(tmp_path / "export"))
    exported = ExportedStudent(str(tmp_path / "export"))
    assert exported.text_columns == list(columns)
    rows = [{columns[0]: pair["sentence1"], columns[1]: pair["sentence2"]} for pair in PAIRS]
    predictor = Predictor.from_path(str(archive), "sentence_pair")
    expected = [predictor.predict_json(pair) for pair in PAIRS]  # one at a time: no padding
    outputs = [exported.predict_rows([row])[0] for row in rows] + exported.predict_rows(rows)
    if exported.regression:
        scores = torch.tensor([output["score"] for output in outputs])
        assert torch.allclose(scores, torch.tensor([e["score"] for e in expected] * 2), atol=1e-5)
    else:
        probs = torch.tensor([list(output["probs"].values()) for output in outputs])
        reference = torch.tensor([e["probs"] for e in expected] * 2)
        assert torch.allclose(probs, reference, atol=1e-5)
        assert [o["label"] for o in outputs] == [e["label"] for e in expected] * 2
    assert_empty_input_gets_a_clear_answer(exported, rows[0])
    result = subprocess.run(
        [sys.executable, "allennlp_distill/serving.py", str(tmp_path / "export"), "a b", "c"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    assert set(json.loads(result.stdout)) == (
        {"score"} if exported.regression else {"label", "probs"}
    )


# Words of the vectors that the transfer-set fixture never shows, and text every path must take.
NEW_WORDS = ["marvelous", "café", "tedious"]
HARD_TEXTS = [
    "A marvelous café film.",
    "tedious , TEDIOUS and qwxzv",  # case, and a word no vector covers
    "[MASK] movie ñandú 東京 🙂",  # the mask token, non-ASCII
    " ".join(["the", "marvelous", "film"] * 3334),  # 10,002 tokens
]


@pytest.fixture(scope="module")
def open_vocabulary_student(tmp_path_factory):
    """The fixture student trained with the tiny vectors plus `NEW_WORDS`."""
    import numpy
    import pyarrow
    import pyarrow.parquet as parquet

    vectors = tmp_path_factory.mktemp("vectors")
    words = parquet.read_table(FIXTURES / "word_vectors" / "tiny_index.parquet").column(0)
    matrix = numpy.load(FIXTURES / "word_vectors" / "tiny_emb.npy")
    extra = numpy.random.default_rng(0).normal(size=(len(NEW_WORDS), 8)).astype(numpy.float32)
    numpy.save(vectors / "v_emb.npy", numpy.concatenate([matrix, extra]))
    table = pyarrow.table({"word": words.to_pylist() + NEW_WORDS})
    parquet.write_table(table, vectors / "v_index.parquet")
    out = tmp_path_factory.mktemp("open_student") / "run"
    overrides = {"model.text_field_embedder.token_embedders.tokens.pretrained_file": str(vectors)}
    train_model_from_file(
        str(FIXTURES / "bilstm_student.jsonnet"), str(out), overrides=json.dumps(overrides)
    )
    return out / "model.tar.gz", extra


def test_words_outside_the_transfer_set_keep_their_vectors_on_every_path(
    open_vocabulary_student, tmp_path
):
    archive, extra = open_vocabulary_student
    predictor = Predictor.from_path(str(archive), "text_classifier")
    model = predictor._model
    embedder = model._text_field_embedder._token_embedders["tokens"]
    for word, vector in zip(NEW_WORDS, extra):
        index = model.vocab.get_token_index(word)
        assert index >= embedder.num_trained  # a frozen row: never trained ...
        assert torch.allclose(embedder(torch.tensor([index])), torch.from_numpy(vector))  # ... kept
    export_archive(str(archive), str(tmp_path / "export"))
    exported = ExportedStudent(str(tmp_path / "export"))
    expected = [predictor.predict(text) for text in HARD_TEXTS]
    alone = torch.cat([exported.logits(exported.token_ids([text])) for text in HARD_TEXTS])
    assert torch.allclose(alone, torch.tensor([e["logits"] for e in expected]), atol=1e-5)
    assert [o["label"] for o in exported.predict(HARD_TEXTS)] == [e["label"] for e in expected]
    # The mask token and a word no vector covers are the trained unknown-word row on both paths.
    ids = exported.token_ids(["[MASK] qwxzv"])[0].tolist()
    assert ids == [1, 1]
    assert predictor.predict("[MASK] qwxzv")["tokens"] == ["@@UNKNOWN@@", "@@UNKNOWN@@"]
    # The serving command line and `allennlp evaluate` take them too, with the same labels.
    served = serve(tmp_path / "export", *HARD_TEXTS).stdout.splitlines()
    assert [json.loads(line)["label"] for line in served] == [e["label"] for e in expected]
    gold = tmp_path / "hard.tsv"
    gold.write_text(
        "sentence\tlabel\n" + "".join(f"{t}\t{e['label']}\n" for t, e in zip(HARD_TEXTS, expected)),
        encoding="utf-8",
    )
    run_allennlp("evaluate", str(archive), str(gold), "--output-file", str(tmp_path / "m.json"),
                 env={})  # fmt: skip
    assert json.loads((tmp_path / "m.json").read_text())["accuracy"] == 1.0


def test_empty_text_gets_the_same_clear_answer_on_every_path(open_vocabulary_student, tmp_path):
    from allennlp_distill.dataset_readers.rows import EMPTY_TEXT

    archive, _ = open_vocabulary_student
    predictor = Predictor.from_path(str(archive), "text_classifier")
    export_archive(str(archive), str(tmp_path / "export"))
    exported = ExportedStudent(str(tmp_path / "export"))
    for text in ["", "   \t "]:
        with pytest.raises(ValueError, match=re.escape(EMPTY_TEXT)):
            predictor.predict(text)
        with pytest.raises(ValueError, match=re.escape(EMPTY_TEXT)):
            exported.predict([text])
    served = subprocess.run(
        [sys.executable, "allennlp_distill/serving.py", str(tmp_path / "export"), " "],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert served.returncode != 0 and EMPTY_TEXT in served.stderr
    usage = subprocess.run(
        [sys.executable, "allennlp_distill/serving.py"], cwd=REPO, capture_output=True, text=True
    )
    assert usage.returncode != 0 and "usage:" in usage.stderr
    gold = tmp_path / "gold.tsv"
    gold.write_text("sentence\tlabel\na marvelous film\t1\n \t0\n")
    evaluated = run_allennlp("evaluate", str(archive), str(gold), env={}, fails=True)
    assert f"gold.tsv:3: {EMPTY_TEXT}; column 'sentence'" in evaluated.stderr


def test_evaluate_extend_vocab_gives_the_same_metrics_as_without(open_vocabulary_student, tmp_path):
    archive, _ = open_vocabulary_student
    gold = tmp_path / "gold.tsv"
    gold.write_text("sentence\tlabel\nqwxzv zzyq marvelous film\t1\nqwxzv tedious\t0\n")
    results = []
    for extra in ([], ["--extend-vocab"]):
        output = tmp_path / f"metrics{len(extra)}.json"
        run_allennlp("evaluate", str(archive), str(gold), "--output-file", str(output), *extra,
                     env={})  # fmt: skip
        results.append(json.loads(output.read_text()))
    assert results[0]["accuracy"] == results[1]["accuracy"]
    assert results[0]["loss"] == pytest.approx(results[1]["loss"])


@pytest.mark.parametrize("pooling", ["max", "mean"])
def test_a_student_on_a_pooled_bilstm_exports_its_own_logits(pooling, tmp_path):
    # The encoder of a task student that starts from a distilled sentence encoder (Wu et al.
    # 2020): exported as Tang's final states it would give other logits.
    encoder = {"type": "pooled_bilstm", "input_dim": 8, "hidden_size": 3, "pooling": pooling}
    overrides = json.dumps({"model.encoder": encoder, "trainer.num_epochs": 1})
    train_model_from_file(
        str(FIXTURES / "bilstm_student.jsonnet"), str(tmp_path / "run"), overrides=overrides
    )
    archive = str(tmp_path / "run" / "model.tar.gz")
    export_archive(archive, str(tmp_path / "export"))
    assert_the_export_gives_the_predictors_logits(str(tmp_path / "export"), archive)


def assert_the_export_gives_the_predictors_logits(export_dir: str, archive: str) -> None:
    """The export's logits for `SENTENCES`, in a padded batch and one at a time, are the
    `text_classifier` predictor's (one at a time: no padding in the reference) to 1e-5, and
    for `HARD_TEXTS` (non-ASCII, the mask token, 10,002 tokens) to 1e-4, labels alike."""
    exported = ExportedStudent(export_dir)
    predictor = Predictor.from_path(archive, "text_classifier")
    expected = torch.tensor([predictor.predict(sentence)["logits"] for sentence in SENTENCES])
    assert torch.allclose(exported.logits(exported.token_ids(SENTENCES)), expected, atol=1e-5)
    alone = torch.cat([exported.logits(exported.token_ids([sentence])) for sentence in SENTENCES])
    assert torch.allclose(alone, expected, atol=1e-5)
    labels = [output["label"] for output in exported.predict(SENTENCES)]
    assert labels == [predictor.predict(sentence)["label"] for sentence in SENTENCES]
    hard = [predictor.predict(text) for text in HARD_TEXTS]
    alone = torch.cat([exported.logits(exported.token_ids([text])) for text in HARD_TEXTS])
    assert torch.allclose(alone, torch.tensor([h["logits"] for h in hard]), atol=1e-4)
    assert [o["label"] for o in exported.predict(HARD_TEXTS)] == [h["label"] for h in hard]
    assert_empty_input_gets_a_clear_answer(exported, {exported.text_columns[0]: "a film"})


@pytest.mark.parametrize(
    "encoder", ["tiny_sentence_encoder_archive", "tiny_cnn_sentence_encoder_archive"]
)
def test_the_exported_sentence_encoder_gives_the_predictors_vectors(encoder, request, tmp_path):
    archive = str(request.getfixturevalue(encoder))
    export_archive(archive, str(tmp_path / "export"))
    exported = ExportedStudent(str(tmp_path / "export"))
    assert exported.sentence_encoder and exported.text_columns == ["sentence"]
    predictor = Predictor.from_path(archive)
    texts = SENTENCES + HARD_TEXTS  # non-ASCII, the mask token and 10,002 tokens too
    expected = torch.tensor(
        [predictor.predict_json({"sentence": text})["sentence_vector"] for text in texts]
    )
    batch = torch.tensor([row["sentence_vector"] for row in exported.predict(texts)])
    alone = torch.tensor([exported.predict([text])[0]["sentence_vector"] for text in texts])
    assert batch.shape == (len(texts), 16)
    assert torch.allclose(batch, expected, atol=1e-5) and torch.allclose(alone, expected, atol=1e-5)
    export_archive(archive, str(tmp_path / "int8"), int8=True)
    int8 = ExportedStudent(str(tmp_path / "int8"))
    vectors = torch.tensor([row["sentence_vector"] for row in int8.predict(SENTENCES)])
    assert torch.nn.functional.cosine_similarity(vectors, expected[: len(SENTENCES)]).min() > 0.95
    result = serve(tmp_path / "export", "a dumb movie")
    vector = json.loads(result.stdout)["sentence_vector"]
    reference = predictor.predict_json({"sentence": "a dumb movie"})["sentence_vector"]
    assert torch.allclose(torch.tensor(vector), torch.tensor(reference), atol=1e-5)


def student_of(embedding: torch.nn.Embedding, encoder: torch.nn.Module) -> torch.nn.Module:
    """The two attributes of a student that the exported encoders read."""
    student = torch.nn.Module()
    student._text_field_embedder = torch.nn.Module()
    student._text_field_embedder._token_embedders = {"tokens": embedding}
    student._encoder = encoder
    return student


@pytest.mark.parametrize("pooling,output_dim", [("max", None), ("mean", None), ("max", 5)])
def test_the_exported_pooled_encoder_is_pooled_bilstm_on_any_batch(pooling, output_dim):
    torch.manual_seed(0)
    embedding = torch.nn.Embedding(20, 4, padding_idx=0)
    encoder = PooledBiLstm(input_dim=4, hidden_size=3, pooling=pooling, output_dim=output_dim)
    encoder = encoder.eval()

    exported = torch.jit.script(ExportedPooledEncoder(student_of(embedding, encoder)))
    # Texts of 5, 2 and 0 tokens (padding last), and each alone (the dense batch-1 path).
    token_ids = torch.tensor([[3, 7, 1, 9, 4], [5, 2, 0, 0, 0], [0, 0, 0, 0, 0]])
    with torch.inference_mode():
        expected = encoder(embedding(token_ids), token_ids != 0)
        assert torch.allclose(exported(token_ids), expected, atol=1e-6)
        for row, ids in enumerate(token_ids):
            alone = exported(ids[: max(1, int((ids != 0).sum()))].unsqueeze(0))
            assert torch.allclose(alone, expected[row : row + 1], atol=1e-6)
    assert expected.shape == (3, output_dim or 6) and expected[0].abs().sum() > 0
    assert (
        not expected[2].any()
        if output_dim is None
        else torch.allclose(
            expected[2],
            encoder.projection_layer.bias,  # zeros through the projection
        )
    )


# 2 heads: torch's fused inference path; 1 head of an odd width: the plain path.
@pytest.mark.parametrize("pooling,hidden_dim,heads", [("mean", 6, 2), ("max", 5, 1)])
def test_the_exported_transformer_encoder_is_pooled_transformer_on_any_batch(
    pooling, hidden_dim, heads
):
    torch.manual_seed(0)
    embedding = torch.nn.Embedding(20, 4, padding_idx=0)
    encoder = PooledTransformer(4, hidden_dim=hidden_dim, num_layers=2, num_attention_heads=heads,
                                feedforward_hidden_dim=7, pooling=pooling).eval()  # fmt: skip

    exported = torch.jit.script(ExportedTransformerEncoder(student_of(embedding, encoder)))
    # Texts of 5, 2 and 0 tokens (padding last), and each alone (the unpadded batch-1 path);
    # an odd width has its zero position column.
    token_ids = torch.tensor([[3, 7, 1, 9, 4], [5, 2, 0, 0, 0], [0, 0, 0, 0, 0]])
    with torch.inference_mode():
        expected = encoder(embedding(token_ids), token_ids != 0)
        assert torch.allclose(exported(token_ids), expected, atol=1e-5)
        for row, ids in enumerate(token_ids):
            alone = exported(ids[: max(1, int((ids != 0).sum()))].unsqueeze(0))
            assert torch.allclose(alone, expected[row : row + 1], atol=1e-5)
    assert not expected[2].any() and expected[0].abs().sum() > 0


@pytest.mark.parametrize("runtime", ["torchscript", "onnx"])
def test_the_transformer_student_takes_hard_texts_on_every_path(
    runtime, tiny_transformer_student_archive, tmp_path
):
    # Unseen and non-ASCII words, the mask token and 10,002 tokens, of which every path reads
    # the first 512 (self-attention's memory grows with the square of the length): every path
    # gives the AllenNLP model's logits.
    archive = str(tiny_transformer_student_archive)
    export_archive(archive, str(tmp_path / "export"), onnx=runtime == "onnx")
    assert json.loads((tmp_path / "export" / "vocab.json").read_text())["max_tokens"] == 512
    exported = ExportedStudent(str(tmp_path / "export"))
    predictor = Predictor.from_path(archive, "text_classifier")
    expected = torch.tensor([predictor.predict(text)["logits"] for text in HARD_TEXTS])
    first_512 = " ".join(HARD_TEXTS[-1].split()[:512])
    assert expected[-1].tolist() == pytest.approx(predictor.predict(first_512)["logits"], abs=1e-5)
    assert exported.token_ids(HARD_TEXTS).shape == (len(HARD_TEXTS), 512)
    alone = torch.cat([exported.logits(exported.token_ids([text])) for text in HARD_TEXTS])
    assert torch.allclose(alone, expected, atol=1e-4)
    # More than a sub-batch of texts, five of them long: a few MB, not gigabytes.
    many = HARD_TEXTS * 10
    batch = exported.logits(exported.token_ids(many))
    assert torch.allclose(batch, expected.repeat(10, 1), atol=1e-4)
    if runtime == "torchscript":  # the module cuts longer ids itself too
        module = torch.jit.load(str(tmp_path / "export" / "student.ts"))
        ids = torch.randint(2, 20, (2, 600))
        assert torch.allclose(module(ids), module(ids[:, :512]), atol=1e-5)


def test_every_packed_export_hands_packing_its_lengths_on_the_cpu(tiny_student_archive, tmp_path):
    """
    Inside TorchScript, packing refuses lengths on a GPU ("'lengths' argument should be a 1D CPU
    int64 tensor"): the exported BiLSTM failed so on an H200 (`scripts/gpu_benchmark.py`). CI has
    no GPU, so the scripted code is read: each packing encoder packs by `pack_by_length`, whose
    lengths go to the CPU.
    """
    export_archive(str(tiny_student_archive), str(tmp_path / "export"))
    bilstm = torch.jit.load(str(tmp_path / "export" / "student.ts")).encoder
    embedding = torch.nn.Embedding(20, 4, padding_idx=0)
    pooled = torch.jit.script(
        ExportedPooledEncoder(student_of(embedding, PooledBiLstm(input_dim=4, hidden_size=3)))
    )
    for encoder in (bilstm, pooled):
        assert ".pack_by_length" in encoder.code and "pack_padded_sequence" not in encoder.code
    helper = torch.jit.script(pack_by_length).code
    assert "pack_padded_sequence" in helper and "torch.cpu(" in helper


def test_a_student_with_a_static_channel_gives_the_same_logits_on_every_path(tmp_path):
    # Kim's second, static channel (`static_channel`): the embedding is twice as wide, and the
    # exports embed with one table of both channels side by side.
    overrides = {
        "model.text_field_embedder.token_embedders.tokens.static_channel": True,
        "trainer.num_epochs": 1,
    }
    train_model_from_file(
        str(FIXTURES / "bilstm_student.jsonnet"),
        str(tmp_path / "run"),
        overrides=json.dumps(overrides),
    )
    archive = str(tmp_path / "run" / "model.tar.gz")
    predictor = Predictor.from_path(archive, "text_classifier")
    embedder = predictor._model._text_field_embedder._token_embedders["tokens"]
    assert embedder.get_output_dim() == 16
    # The static channel's rows are embedding weights, counted as the frozen rows are.
    counts = count_parameters(predictor._model)
    tables = [embedder.weight, embedder.frozen_weight, embedder.static_weight]
    embedding_count = counts["parameters"] - counts["parameters_without_embeddings"]
    assert embedding_count == sum(table.numel() for table in tables)
    expected = torch.tensor([predictor.predict(text)["logits"] for text in HARD_TEXTS])
    for runtime in ["torchscript", "onnx"]:
        export_archive(archive, str(tmp_path / runtime), onnx=runtime == "onnx")
        exported = ExportedStudent(str(tmp_path / runtime))
        alone = torch.cat([exported.logits(exported.token_ids([text])) for text in HARD_TEXTS])
        assert torch.allclose(alone, expected, atol=1e-5), runtime
        batch = exported.logits(exported.token_ids(HARD_TEXTS[:3]))
        assert torch.allclose(batch, expected[:3], atol=1e-5), runtime
