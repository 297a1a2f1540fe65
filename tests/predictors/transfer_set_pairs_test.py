import json

import pytest
from allennlp.predictors import Predictor

from tests.conftest import FIXTURES

MRPC_TRAIN = FIXTURES / "pairs" / "mrpc_train.tsv"
STSB_TRAIN = FIXTURES / "pairs" / "stsb_train.tsv"


def transfer_set(archive, train, batch_size=5, **kwargs):
    predictor = Predictor.from_path(
        str(archive), "transfer_set", unigram_file=str(train), **{"n_iter": 6, **kwargs}
    )
    lines = train.read_text(encoding="utf-8").splitlines(keepends=True)
    inputs = [predictor.load_line(line) for line in lines if line.strip()]
    text = ""
    for start in range(0, len(inputs), batch_size):
        batch = inputs[start : start + batch_size]
        text += "".join(predictor.dump_line(out) for out in predictor.predict_batch_json(batch))
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def mrpc_rows(tiny_mrpc_teacher_archive):
    return transfer_set(tiny_mrpc_teacher_archive, MRPC_TRAIN)


def test_pair_rows_keep_the_input_columns_and_gold_label(mrpc_rows):
    originals = [row for row in mrpc_rows if not row["augmented"]]
    assert len(originals) == 12
    gold = [line.split("\t") for line in MRPC_TRAIN.read_text("utf-8-sig").splitlines()[1:]]
    assert [(r["#1 String"], r["#2 String"], r["Quality"]) for r in originals] == [
        (row[3], row[4], row[0]) for row in gold
    ]
    assert all(set(row["teacher_logits"]) == {"0", "1"} for row in mrpc_rows)


def test_each_augmented_pair_changes_one_or_both_sentences_of_an_input_pair(mrpc_rows):
    originals = {(r["#1 String"], r["#2 String"]) for r in mrpc_rows if not r["augmented"]}
    firsts = {first for first, _ in originals}
    seconds = {second for _, second in originals}
    copies = [(r["#1 String"], r["#2 String"]) for r in mrpc_rows if r["augmented"]]
    assert len(copies) > 12 and not set(copies) & originals
    kept_first = sum(first in firsts and second not in seconds for first, second in copies)
    kept_second = sum(second in seconds and first not in firsts for first, second in copies)
    changed_both = sum(first not in firsts and second not in seconds for first, second in copies)
    assert kept_first > 0 and kept_second > 0 and changed_both > 0
    assert all("label" not in r and "Quality" not in r for r in mrpc_rows if r["augmented"])


def test_output_does_not_depend_on_the_batch_size(tiny_mrpc_teacher_archive, mrpc_rows):
    again = transfer_set(tiny_mrpc_teacher_archive, MRPC_TRAIN, batch_size=3)
    assert [(r["#1 String"], r["#2 String"]) for r in again] == [
        (r["#1 String"], r["#2 String"]) for r in mrpc_rows
    ]


def test_a_regression_teacher_writes_its_score(tiny_stsb_teacher_archive):
    rows = transfer_set(tiny_stsb_teacher_archive, STSB_TRAIN)
    assert all(list(row["teacher_logits"]) == ["score"] for row in rows)
    assert {row["score"] for row in rows if not row["augmented"]} >= {"0.400", "3.250"}


def test_sentence_pair_predictor_serves_a_pair_model(tiny_mrpc_teacher_archive):
    # The teacher reads pairs with the same reader as the students, so it serves them too.
    predictor = Predictor.from_path(str(tiny_mrpc_teacher_archive), "sentence_pair")
    output = predictor.predict("A man plays a guitar.", "A person plays guitar.")
    assert output["label"] in {"0", "1"} and len(output["probs"]) == 2
