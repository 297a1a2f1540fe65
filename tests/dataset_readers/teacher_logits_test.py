import json

import pytest
import torch
from allennlp.data import Vocabulary
from allennlp.data.batch import Batch

from allennlp_distill.dataset_readers import DataFormatError, TeacherLogitsReader
from tests.conftest import FIXTURES


def read(path, **kwargs):
    return list(TeacherLogitsReader(**kwargs).read(str(path)))


def write(tmp_path, name, content, mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_reads_glue_tsv_with_gold_labels_and_no_teacher_logits():
    instances = read(FIXTURES / "sst2_train.tsv")
    assert len(instances) == 16
    first = instances[0]
    assert [
        t.text for t in first["tokens"]
    ] == "hide new secretions from the parental units".split()
    assert first["label"].label == "0"
    assert "teacher_logits" not in first.fields


def test_tsv_without_label_column_gives_unlabelled_instances(tmp_path):
    path = write(tmp_path, "test.tsv", "index\tsentence\n0\tuneasy mishmash of styles\n")
    (instance,) = read(path)
    assert "label" not in instance.fields


def test_tsv_tolerates_bom_crlf_and_quote_characters(tmp_path):
    path = write(tmp_path, "x.tsv", '\ufeffsentence\tlabel\r\na "quoted" word\t1\r\n')
    (instance,) = read(path)
    assert [t.text for t in instance["tokens"]] == ["a", '"', "quoted", '"', "word"]
    assert instance["label"].label == "1"


def test_transfer_set_logits_follow_the_vocabulary_label_order_not_the_file_order():
    instances = read(FIXTURES / "transfer_set.jsonl")
    vocab = Vocabulary.from_instances(instances)
    batch = Batch(instances)
    batch.index_instances(vocab)
    tensors = batch.as_tensor_dict()
    rows = [json.loads(line) for line in (FIXTURES / "transfer_set.jsonl").read_text().splitlines()]
    for row, logits in zip(rows, tensors["teacher_logits"]):
        for label, value in row["teacher_logits"].items():
            index = vocab.get_token_index(label, "labels")
            assert logits[index].item() == pytest.approx(value)
    assert tensors["teacher_logits"].shape == (len(rows), 2)


def test_transfer_set_row_without_gold_takes_the_teacher_argmax_as_label(tmp_path):
    row = {"sentence": "a fine film", "teacher_logits": {"neg": -1.0, "pos": 2.5}}
    (instance,) = read(write(tmp_path, "t.jsonl", json.dumps(row) + "\n"))
    assert instance["label"].label == "pos"


def test_gold_label_wins_over_teacher_argmax(tmp_path):
    row = {"sentence": "a fine film", "label": "neg", "teacher_logits": {"neg": -1.0, "pos": 2.5}}
    (instance,) = read(write(tmp_path, "t.jsonl", json.dumps(row) + "\n"))
    assert instance["label"].label == "neg"


def test_logits_whose_labels_differ_from_the_vocabulary_fail_naming_the_row(tmp_path):
    row = {"sentence": "fine", "teacher_logits": {"a": 0.0, "b": 1.0}}
    (instance,) = read(write(tmp_path, "t.jsonl", json.dumps(row) + "\n"))
    vocab = Vocabulary()
    vocab.add_tokens_to_namespace(["a", "b", "c"], "labels")
    with pytest.raises(ValueError, match=r"t\.jsonl:1: teacher logits are keyed by labels"):
        instance.index_fields(vocab)


def test_max_tokens_truncates():
    (instance, *_) = read(FIXTURES / "sst2_train.tsv", max_tokens=3)
    assert len(instance["tokens"]) == 3


BAD_ROWS = [
    ("wrong column count", "t.tsv", "sentence\tlabel\na film\t1\textra\n", r"t\.tsv:2: 3 tab-sep"),
    ("empty text", "t.tsv", "sentence\tlabel\n \t1\n", r"t\.tsv:2: empty text"),
    ("missing header", "t.tsv", "a film\t1\n", r"t\.tsv:1: the header .* has no column 'sentence'"),
    ("missing text key", "t.jsonl", '{"text": "film"}\n', r"t\.jsonl:1: no column 'sentence'"),
    (
        "text not a string",
        "t.jsonl",
        '{"sentence": 5}\n',
        r"t\.jsonl:1: column 'sentence' is not text \(int\)",
    ),
    ("invalid json", "t.jsonl", '{"sentence": "x"\n', r"t\.jsonl:1: invalid JSON"),
    ("json not an object", "t.jsonl", "[1, 2]\n", r"t\.jsonl:1: expected a JSON object"),
    (
        "nan logit",
        "t.jsonl",
        '{"sentence": "x", "teacher_logits": {"0": NaN, "1": 1}}\n',
        r"t\.jsonl:1: teacher logit for label '0' is not finite",
    ),
    (
        "infinite logit",
        "t.jsonl",
        '{"sentence": "x", "teacher_logits": {"0": Infinity, "1": 1}}\n',
        r"not finite",
    ),
    (
        "string logit",
        "t.jsonl",
        '{"sentence": "x", "teacher_logits": {"0": "1.5", "1": 1}}\n',
        r"t\.jsonl:1: teacher logit for label '0' is not a number",
    ),
    (
        "logits as a list",
        "t.jsonl",
        '{"sentence": "x", "teacher_logits": [0.1, 0.9]}\n',
        r"t\.jsonl:1: teacher_logits must be an object",
    ),
    (
        "labels change between rows",
        "t.jsonl",
        '{"sentence": "x", "teacher_logits": {"0": 1, "1": 2}}\n'
        '{"sentence": "y", "teacher_logits": {"0": 1, "2": 2}}\n',
        r"t\.jsonl:2: teacher logits are keyed by labels \['0', '2'\], but earlier rows use",
    ),
    (
        "gold label unknown to the teacher",
        "t.jsonl",
        '{"sentence": "x", "label": "7", "teacher_logits": {"0": 1, "1": 2}}\n',
        r"t\.jsonl:1: gold label '7' is not among",
    ),
    ("header alone", "t.tsv", "sentence\tlabel\n", r"t\.tsv:1: no data rows"),
    ("empty file", "t.jsonl", "", r"t\.jsonl:1: no data rows"),
    ("blank lines only", "t.jsonl", "\n \n", r"t\.jsonl:2: no data rows"),
]


@pytest.mark.parametrize("case, name, content, message", BAD_ROWS, ids=[c[0] for c in BAD_ROWS])
def test_bad_input_fails_naming_file_and_line(tmp_path, case, name, content, message):
    with pytest.raises(DataFormatError, match=message):
        read(write(tmp_path, name, content))


def test_non_utf8_bytes_fail_naming_the_line(tmp_path):
    path = write(tmp_path, "t.tsv", b"sentence\tlabel\ngood\t1\nbad \xff byte\t0\n", mode="wb")
    with pytest.raises(DataFormatError, match=r"t\.tsv:3: not valid UTF-8"):
        read(path)


def test_batch_of_teacher_logits_is_float_batch_by_labels():
    instances = read(FIXTURES / "transfer_set.jsonl")[:4]
    vocab = Vocabulary.from_instances(instances)
    batch = Batch(instances)
    batch.index_instances(vocab)
    logits = batch.as_tensor_dict()["teacher_logits"]
    assert logits.dtype == torch.float32 and logits.shape == (4, 2)


def test_a_gold_label_the_model_does_not_know_fails_naming_its_row(tmp_path):
    path = tmp_path / "dev.tsv"
    path.write_text("sentence\tlabel\na film\t1\nanother film\t7\n")
    vocab = Vocabulary()
    vocab.add_tokens_to_namespace(["0", "1"], "labels")
    instances = read(path)
    instances[0].index_fields(vocab)
    with pytest.raises(ValueError, match=r"dev\.tsv:3: label '7' is not one the model knows"):
        instances[1].index_fields(vocab)


def test_a_text_of_no_word_piece_is_a_bad_row_by_file_line_and_column(tiny_bert, tmp_path):
    """A zero-width space or a lone combining mark is not blank, but a word-piece tokenizer keeps
    only [CLS] and [SEP] of it, which AllenNLP's indexer strips to no input at all."""
    from allennlp.data.tokenizers import PretrainedTransformerTokenizer

    from allennlp_distill.dataset_readers import PairTeacherLogitsReader

    tokenizer = PretrainedTransformerTokenizer(str(tiny_bert))
    single = tmp_path / "t.tsv"
    single.write_text("sentence\tlabel\ngood\t1\n\u200b\t0\n\u0301 \u200d\t0\nbad\t0\n")
    with pytest.raises(DataFormatError, match=r"t\.tsv:3: empty text.*column 'sentence'"):
        list(TeacherLogitsReader(tokenizer=tokenizer).read(str(single)))
    kept = list(TeacherLogitsReader(tokenizer=tokenizer, skip_bad_rows=True).read(str(single)))
    assert [instance["label"].label for instance in kept] == ["1", "0"]  # good, bad
    # A word tokenizer keeps such characters as a word: the row is read.
    assert len(list(TeacherLogitsReader().read(str(single)))) == 4
    pairs = tmp_path / "p.tsv"
    pairs.write_text("sentence1\tsentence2\tlabel\na cat\t\u200b\t0\na cat\ta dog\t1\n")
    pair_tokenizer = PretrainedTransformerTokenizer(str(tiny_bert), add_special_tokens=False)
    reader = PairTeacherLogitsReader(tokenizer=pair_tokenizer)
    with pytest.raises(DataFormatError, match=r"p\.tsv:2: empty text.*column 'sentence2'"):
        list(reader.read(str(pairs)))
