import logging

import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Batch, Vocabulary
from allennlp.data.tokenizers import PretrainedTransformerTokenizer

from allennlp_distill.dataset_readers import DataFormatError, PairTeacherLogitsReader
from tests.conftest import FIXTURES

PAIRS = FIXTURES / "pairs"

# The `columns` of each real format, as training_config/tasks.libsonnet has them.
FORMATS = {
    "qqp": {"sentence1": "question1", "sentence2": "question2", "label": "is_duplicate"},
    "mnli": {"sentence1": "sentence1", "sentence2": "sentence2", "label": "gold_label"},
    "mrpc": {"sentence1": "#1 String", "sentence2": "#2 String", "label": "Quality"},
    "stsb": {"sentence1": "sentence1", "sentence2": "sentence2", "label": "score"},
    "sick": {"sentence1": "sentence_A", "sentence2": "sentence_B", "label": "entailment_judgment"},
}


def read(path, **kwargs):
    return list(PairTeacherLogitsReader(**kwargs).read(str(path)))


@pytest.mark.parametrize(
    "task, file_name, rows, labels",
    [
        ("qqp", "qqp_train.tsv", 7, {"0", "1"}),
        ("mnli", "mnli_train.tsv", 7, {"entailment", "neutral", "contradiction"}),
        ("mnli", "mnli_dev_matched.tsv", 2, {"entailment"}),
        ("mrpc", "mrpc_train.tsv", 12, {"0", "1"}),
        ("sick", "sick_train.tsv", 12, {"ENTAILMENT", "NEUTRAL", "CONTRADICTION"}),
    ],
)
def test_each_glue_format_reads_every_labelled_row(task, file_name, rows, labels):
    instances = read(PAIRS / file_name, columns=FORMATS[task], skip_labels=["-"])
    assert len(instances) == rows
    assert {instance["label"].label for instance in instances} == labels
    assert all(len(i["sentence1"]) > 0 and len(i["sentence2"]) > 0 for i in instances)


def test_mrpc_header_with_a_byte_order_mark_and_quotes_inside_the_text():
    instances = read(PAIRS / "mrpc_train.tsv", columns=FORMATS["mrpc"])
    first = [token.text for token in instances[0]["sentence1"].tokens]
    # Read with quoting off: the quote characters stay in the text, the row is not merged.
    assert first[:3] == ["Amrozi", "accused", "his"] and '"' in first


def test_sick_file_with_crlf_line_ends_keeps_no_carriage_return():
    instances = read(PAIRS / "sick_train.tsv", columns=FORMATS["sick"])
    assert all("\r" not in instance["label"].label for instance in instances)


def test_mnli_rows_without_a_gold_label_are_skipped_and_counted(caplog):
    with caplog.at_level(logging.WARNING):
        instances = read(PAIRS / "mnli_train.tsv", columns=FORMATS["mnli"], skip_labels=["-"])
    assert len(instances) == 7
    assert "skipped 1 rows by skip_labels ('-': 1)" in caplog.text


def test_stsb_scores_are_float_labels_for_regression():
    instances = read(PAIRS / "stsb_train.tsv", columns=FORMATS["stsb"], regression=True)
    assert len(instances) == 12
    first = instances[0]["label"].tensor
    assert first.dtype == torch.float32 and first.shape == () and float(first) == pytest.approx(0.4)


def test_transformer_teacher_sees_one_field_with_the_pair_special_tokens_and_segment_ids(
    tiny_bert,
):
    tokenizer = PretrainedTransformerTokenizer(str(tiny_bert), add_special_tokens=False)
    reader = PairTeacherLogitsReader(tokenizer=tokenizer, columns=FORMATS["stsb"], regression=True)
    instance = reader.text_to_instance("a b", "c")
    tokens = instance["tokens"].tokens
    assert [t.text for t in tokens] == ["[CLS]", "a", "b", "[SEP]", "c", "[SEP]"]
    assert [t.type_id for t in tokens] == [0, 0, 0, 0, 1, 1]
    assert "sentence1" not in instance.fields


def test_max_tokens_truncates_the_longer_sentence_first(tiny_bert):
    tokenizer = PretrainedTransformerTokenizer(str(tiny_bert), add_special_tokens=False)
    reader = PairTeacherLogitsReader(tokenizer=tokenizer, max_tokens=7)
    tokens = [t.text for t in reader.text_to_instance("a b c d e", "f g")["tokens"].tokens]
    assert tokens == ["[CLS]", "a", "b", "[SEP]", "f", "g", "[SEP]"]


def test_a_transformer_tokenizer_adding_its_own_special_tokens_is_a_configuration_error(
    tiny_bert,
):
    with pytest.raises(ConfigurationError, match="add_special_tokens: false"):
        PairTeacherLogitsReader(tokenizer=PretrainedTransformerTokenizer(str(tiny_bert)))


def test_an_unknown_column_role_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="dataset_reader.columns.*premise"):
        PairTeacherLogitsReader(columns={"premise": "sentence1"})


def test_transfer_set_rows_get_the_teachers_argmax_label_when_they_have_no_gold_one():
    path = PAIRS / "mrpc_transfer_set.jsonl"
    instances = read(path, columns=FORMATS["mrpc"])
    augmented = instances[1]
    assert augmented["label"].label == "0"  # logits {"0": 0.088, "1": -0.26}
    vocab = Vocabulary.from_instances(instances)
    batch = Batch(instances)
    batch.index_instances(vocab)
    logits = batch.as_tensor_dict()["teacher_logits"]
    one = vocab.get_token_index("1", "labels")
    assert logits.shape == (20, 2) and logits[0, one] == pytest.approx(1.476)


def test_regression_transfer_set_gives_the_teacher_score_and_gold_or_teacher_label():
    instances = read(PAIRS / "stsb_transfer_set.jsonl", columns=FORMATS["stsb"], regression=True)
    original, augmented = instances[0], instances[1]
    assert original["teacher_logits"].tensor.shape == (1,)
    assert float(original["label"].tensor) == pytest.approx(0.4)  # gold
    assert float(augmented["label"].tensor) == pytest.approx(
        float(augmented["teacher_logits"].tensor[0])
    )


@pytest.mark.parametrize(
    "content, regression, problem",
    [
        ("sentence1\tsentence2\tlabel\na\tb\t1\tx\n", False, ":2: 4 tab-separated columns"),
        (
            "sentence1\tsentence2\tlabel\na\t \t1\n",
            False,
            ":2: empty text: nothing to classify .*; column 'sentence2'",
        ),
        ("sentence1\tlabel\na\t1\n", False, ":1: the header .* has no column 'sentence2'"),
        (
            "sentence1\tsentence2\tlabel\na\tb\tfive\n",
            True,
            ":2: label \\(label\\) is not a finite",
        ),
        ("sentence1\tsentence2\tlabel\na\tb\tnan\n", True, ":2: label \\(label\\) is not a finite"),
    ],
)
def test_bad_tsv_rows_name_the_file_and_line(tmp_path, content, regression, problem):
    path = tmp_path / "bad.tsv"
    path.write_text(content)
    with pytest.raises(DataFormatError, match=problem):
        read(path, regression=regression)


@pytest.mark.parametrize(
    "row, regression, problem",
    [
        ('{"sentence1": "a", "sentence2": "b", "teacher_logits": {"0": 1}}', True, "keyed by"),
        ('{"sentence1": "a", "sentence2": "b", "teacher_logits": {"score": "x"}}', True, "number"),
        (
            '{"sentence1": "a", "sentence2": "b", "label": "2", "teacher_logits": {"0": 1}}',
            False,
            "gold label '2' is not among",
        ),
    ],
)
def test_bad_transfer_set_rows_name_the_file_and_line(tmp_path, row, regression, problem):
    path = tmp_path / "bad.jsonl"
    path.write_text(row + "\n")
    with pytest.raises(DataFormatError, match=f"bad.jsonl:1: .*{problem}"):
        read(path, regression=regression)
