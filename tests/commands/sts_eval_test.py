import json

import numpy
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.predictors import Predictor
from transformers import AutoModel, AutoTokenizer

from allennlp_distill.commands.sentence_encoders import build_encoder
from allennlp_distill.commands.sts_eval import (
    cosines,
    evaluate_sts,
    markdown_table,
    read_similarity_pairs,
)
from allennlp_distill.dataset_readers.rows import DataFormatError
from tests.conftest import FIXTURES, run_allennlp

WORD_VECTORS = str(FIXTURES / "word_vectors")
STSB_HEADER = (
    "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore"
)
# Sentences of the fixture vectors' words: three pairs of one sentence twice, three of two.
SAME = ["the film is tragic poetry", "a bad movie", "those characters goes far"]
OTHER = [
    ("the worst movie", "beautiful poetry from new musicians"),
    ("a superficial story", "human dignity throughout"),
    ("deeply emotional", "revenge-of-the-nerds games"),
]


def write_stsb(path, pairs, scores):
    rows = [STSB_HEADER] + [
        f"{i}\tmain-captions\tx\t2012\t{i}\tnone\tnone\t{a}\t{b}\t{score}"
        for i, ((a, b), score) in enumerate(zip(pairs, scores))
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_both_layouts_are_read_in_file_order(tmp_path):
    stsb = write_stsb(tmp_path / "dev.tsv", [("A b.", "C d."), ("E.", "F g.")], ["4.2", "0.000"])
    first, second, scores = read_similarity_pairs(str(stsb))
    assert (first, second, scores.tolist()) == (["A b.", "E."], ["C d.", "F g."], [4.2, 0.0])

    sick = tmp_path / "SICK_test.tsv"  # SICK's test file ends its lines in CRLF
    sick.write_bytes(
        b"pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment\r\n"
        b"6\tA boy runs\tA kid runs\t4.5\tENTAILMENT\r\n"
        b"7\tA dog\tTwo cats\t1.2\tNEUTRAL\r\n"
    )
    first, second, scores = read_similarity_pairs(str(sick))
    assert (first, second, scores.tolist()) == (
        ["A boy runs", "A dog"],
        ["A kid runs", "Two cats"],
        [4.5, 1.2],
    )


def test_a_file_of_another_layout_or_a_bad_score_names_its_line(tmp_path):
    sst2 = FIXTURES / "sst2_dev.tsv"
    with pytest.raises(DataFormatError, match=f"{sst2}:1: .*none of the similarity layouts"):
        read_similarity_pairs(str(sst2))
    bad = write_stsb(tmp_path / "dev.tsv", [("A.", "B."), ("C.", "D.")], ["1", "high"])
    with pytest.raises(DataFormatError, match=f"{bad}:3: score 'high' is not a number"):
        read_similarity_pairs(str(bad))
    empty = write_stsb(tmp_path / "empty.tsv", [("A.", " ")], ["1"])
    with pytest.raises(DataFormatError, match=f"{empty}:2: empty text"):
        read_similarity_pairs(str(empty))


def test_cosines_are_row_wise_and_zero_for_a_sentence_without_a_vector():
    first = numpy.array([[1.0, 0.0], [0.0, 0.0], [3.0, 4.0]])
    second = numpy.array([[1.0, 1.0], [1.0, 0.0], [-3.0, -4.0]])
    assert cosines(first, second) == pytest.approx([2**-0.5, 0.0, -1.0])


def test_the_word_vector_floor_ranks_a_sentence_with_itself_first(tmp_path):
    pairs = [(s, s) for s in SAME] + OTHER
    agreeing = write_stsb(tmp_path / "agree.tsv", pairs, [5, 5, 5, 0, 0, 0])
    reversed_ = write_stsb(tmp_path / "reverse.tsv", pairs, [0, 0, 0, 5, 5, 5])
    encode = build_encoder(f"glove:{WORD_VECTORS}")
    vectors = encode(SAME + ["unknowable qwxz", "the worst movie"])
    assert vectors.shape == (5, 8)
    assert not vectors[3].any()  # no word of it has a vector
    [row] = evaluate_sts(
        [("glove", f"glove:{WORD_VECTORS}")], [("a", str(agreeing)), ("r", str(reversed_))]
    )
    assert row["a"]["pairs"] == 6
    # The three identical pairs have cosine 1, above every other pair; gold ties the rest.
    assert row["a"]["spearman"] > 80 and row["a"]["pearson"] > 80
    assert row["r"]["spearman"] == pytest.approx(-row["a"]["spearman"])


def test_the_teacher_encoder_is_the_stored_sentence_vectors_mean_pooling(tiny_bert):
    sentences = ["A gorgeous , witty film .", "Two words"]
    encoder = build_encoder(f"teacher:{tiny_bert}")
    vectors = encoder(sentences)
    # The timed path (length-sorted sub-batches) gives the same vectors, in the input's order.
    assert numpy.allclose(encoder.forward(encoder.prepare(sentences)), vectors, atol=2e-3)
    model = AutoModel.from_pretrained(tiny_bert).eval()
    inputs = AutoTokenizer.from_pretrained(tiny_bert)(sentences[1:], return_tensors="pt")
    with torch.inference_mode():
        expected = model(**inputs).last_hidden_state.mean(1)[0]
    assert vectors.shape == (2, 16)
    assert numpy.allclose(vectors[1], expected.numpy(), atol=2e-3)  # stored as float16


def test_the_teacher_is_timed_on_length_sorted_sub_batches_each_cut_to_its_longest(tiny_bert):
    # As the students' exports run a batch: a batch padded to its longest sentence would time
    # the teacher on padding.
    from allennlp_distill.modules.wide_cnn_encoder import LENGTH_CHUNK

    encoder = build_encoder(f"teacher:{tiny_bert}")
    sentences = [("word " * (1 + (7 * i) % 40)).strip() for i in range(2 * LENGTH_CHUNK + 5)]
    chunks = encoder.prepare(sentences)
    assert [len(positions) for positions, _ in chunks] == [LENGTH_CHUNK, LENGTH_CHUNK, 5]
    assert sorted(p for positions, _ in chunks for p in positions) == list(range(len(sentences)))
    widths = [inputs["input_ids"].shape[1] for _, inputs in chunks]
    assert widths == sorted(widths) and widths[0] < widths[-1]
    for _, inputs in chunks:  # each sub-batch as long as its longest sentence, no longer
        assert int(inputs["attention_mask"].sum(1).max()) == inputs["input_ids"].shape[1]
    model = AutoModel.from_pretrained(tiny_bert).eval()
    padded = AutoTokenizer.from_pretrained(tiny_bert)(
        sentences, padding=True, truncation=True, max_length=128, return_tensors="pt"
    )
    with torch.inference_mode():
        hidden = model(**padded).last_hidden_state
    mask = padded["attention_mask"].unsqueeze(-1)
    expected = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
    assert numpy.allclose(encoder.forward(chunks), expected, atol=1e-5)


def test_an_archive_encoder_gives_its_predictors_vectors(tiny_sentence_encoder_archive):
    sentences = ["A gorgeous , witty film .", "a bad movie"]
    # Batches of two: the two sentences of different lengths share a padded batch.
    vectors = build_encoder(str(tiny_sentence_encoder_archive))(sentences, batch_size=2)
    predictor = Predictor.from_path(str(tiny_sentence_encoder_archive))
    for vector, sentence in zip(vectors, sentences):
        expected = predictor.predict_json({"sentence": sentence})["sentence_vector"]
        assert numpy.allclose(vector, expected, atol=1e-6)


def test_an_unknown_encoder_spec_or_a_task_students_archive_is_refused(tiny_student_archive):
    for spec in ("teacher:", "runs/no_such_model.tar.gz"):
        with pytest.raises(ConfigurationError, match="not a model archive"):
            build_encoder(spec)
    with pytest.raises(ConfigurationError, match="BiLstmStudent, not a sentence_representation"):
        build_encoder(str(tiny_student_archive))


def test_constant_cosines_have_no_correlation_rather_than_nan(tmp_path):
    # Neither sentence of any pair has a word with a vector: every cosine is 0.
    pairs = [("qwxz", "zzyq"), ("qqqq", "xxxx"), ("wwzz", "zwzw")]
    stsb = write_stsb(tmp_path / "dev.tsv", pairs, [1, 2, 3])
    [row] = evaluate_sts([("glove", f"glove:{WORD_VECTORS}")], [("stsb", str(stsb))])
    assert row["stsb"] == {"spearman": None, "pearson": None, "pairs": 3}
    assert "| glove | – / – |" in markdown_table([row])


def test_the_command_writes_one_row_per_encoder(tiny_bert, tiny_sentence_encoder_archive, tmp_path):
    stsb = write_stsb(tmp_path / "dev.tsv", [(s, s) for s in SAME] + OTHER, [5, 5, 5, 0, 1, 2])
    out = tmp_path / "sts"
    result = run_allennlp(
        "sts-eval",
        f"student={tiny_sentence_encoder_archive}",
        f"teacher=teacher:{tiny_bert}",
        f"glove=glove:{WORD_VECTORS}",
        "--file",
        f"stsb={stsb}",
        "--file",
        f"sick={FIXTURES / 'pairs' / 'sick_dev.tsv'}",
        "--output-dir",
        str(out),
        env={},
    )
    rows = json.loads((out / "sts.json").read_text())
    assert [row["encoder"] for row in rows] == ["student", "teacher", "glove"]
    sick_pairs = len(read_similarity_pairs(str(FIXTURES / "pairs" / "sick_dev.tsv"))[2])
    for row in rows:
        assert row["stsb"]["pairs"] == 6 and row["sick"]["pairs"] == sick_pairs
        assert all(
            -100 <= row[f][m] <= 100 for f in ("stsb", "sick") for m in ("spearman", "pearson")
        )
    table = (out / "sts.md").read_text()
    assert table in result.stdout
    assert (
        table.splitlines()[0] == "| encoder | stsb Spearman / Pearson | sick Spearman / Pearson |"
    )
    assert f"| teacher | {rows[1]['stsb']['spearman']:.2f} / " in table
    result = run_allennlp("sts-eval", "x=glove", "--file", "bad", env={}, fails=True)
    assert "--file 'bad': expected NAME=VALUE" in result.stderr


def test_speed_is_measured_per_encoder_against_the_first(tiny_bert, tmp_path):
    stsb = write_stsb(tmp_path / "dev.tsv", [(s, s) for s in SAME] + OTHER, [5, 5, 5, 0, 1, 2])
    encoders = [("teacher", f"teacher:{tiny_bert}"), ("glove", f"glove:{WORD_VECTORS}")]
    rows = evaluate_sts(encoders, [("stsb", str(stsb))], speed_texts=4, batch_sizes=(1, 2))
    for row in rows:
        assert set(row["throughput"]) == {1, 2} and min(row["throughput"].values()) > 0
        assert set(row["latency_ms"]) == {"p50", "p95"}
    assert rows[0]["speedup"] == {1: 1.0, 2: 1.0}
    for size in (1, 2):
        ratio = rows[1]["throughput"][size] / rows[0]["throughput"][size]
        assert rows[1]["speedup"][size] == pytest.approx(ratio)
    table = markdown_table(rows)
    assert table.splitlines()[0].endswith(
        "| sentences/s @1 | sentences/s @2 | × teacher @1 | × teacher @2 |"
    )


def test_sts_eval_times_sentences_from_all_over_the_first_file(monkeypatch, tmp_path):
    from allennlp_distill.commands import measure

    pairs = [(f"first {i}", f"second {i}") for i in range(6)]
    stsb = write_stsb(tmp_path / "dev.tsv", pairs, [5, 4, 3, 2, 1, 0])
    timed = []

    def speed(name, texts, *args):
        timed.append(list(texts))
        return {"throughput": {1: 1.0}}

    monkeypatch.setattr(measure, "measure_speed", speed)
    evaluate_sts([("glove", f"glove:{WORD_VECTORS}")], [("stsb", str(stsb))], speed_texts=4)
    assert timed == [["first 0", "first 3", "second 0", "second 3"]]


@pytest.mark.parametrize(
    "encoder", ["tiny_sentence_encoder_archive", "tiny_cnn_sentence_encoder_archive"]
)
def test_an_export_folder_gives_its_archives_vectors(
    encoder, request, tiny_student_archive, tmp_path
):
    from allennlp_distill.commands.export import export_archive

    archive = str(request.getfixturevalue(encoder))
    sentences = ["A gorgeous , witty film .", "a bad movie", "those characters goes far"]
    export_archive(archive, str(tmp_path / "encoder"))
    exported = build_encoder(str(tmp_path / "encoder"))
    expected = build_encoder(archive)(sentences, batch_size=2)
    assert numpy.allclose(exported(sentences, batch_size=2), expected, atol=1e-5)
    # The timed path: one prepared batch.
    assert numpy.allclose(exported.forward(exported.prepare(sentences)), expected, atol=1e-5)
    export_archive(str(tiny_student_archive), str(tmp_path / "student"))
    with pytest.raises(ConfigurationError, match="export of a classifier, regressor or tagger"):
        build_encoder(str(tmp_path / "student"))
    # A folder that is no export (a teacher's model folder given without `teacher:`).
    with pytest.raises(ConfigurationError, match="not a model archive, a distill-export folder"):
        build_encoder(str(tmp_path))


def test_a_sentence_encoder_is_told_from_a_task_model_without_loading_it(
    tiny_sentence_encoder_archive, tiny_student_archive, tmp_path
):
    from allennlp_distill.commands.export import export_archive
    from allennlp_distill.commands.sentence_encoders import is_sentence_encoder

    assert is_sentence_encoder(str(tiny_sentence_encoder_archive))
    assert not is_sentence_encoder(str(tiny_student_archive))
    export_archive(str(tiny_sentence_encoder_archive), str(tmp_path / "encoder"))
    export_archive(str(tiny_student_archive), str(tmp_path / "student"))
    assert is_sentence_encoder(str(tmp_path / "encoder"))
    assert not is_sentence_encoder(str(tmp_path / "student"))
    assert is_sentence_encoder("teacher:all-MiniLM-L6-v2") and is_sentence_encoder("glove")
    # An archive cut off in a copy is no encoder; its loader names what is wrong with it.
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(tiny_sentence_encoder_archive.read_bytes()[:300])
    assert not is_sentence_encoder(str(truncated))
    assert not is_sentence_encoder(str(tmp_path / "missing.tar.gz"))
