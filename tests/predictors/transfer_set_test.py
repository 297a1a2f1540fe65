import copy
import dataclasses
import inspect
import json

import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import load_archive
from allennlp.predictors import Predictor

from allennlp_distill.augmentation import AugmentationRates
from allennlp_distill.dataset_readers import DataFormatError
from allennlp_distill.predictors import TaggingTransferSetPredictor, TransferSetPredictor
from tests.conftest import FIXTURES

TRAIN = FIXTURES / "sst2_train.tsv"


def transfer_set(archive, lines, batch_size=4, **kwargs):
    predictor = Predictor.from_path(
        str(archive), "transfer_set", unigram_file=str(TRAIN), **{"n_iter": 5, **kwargs}
    )
    inputs = [predictor.load_line(line) for line in lines if line.strip()]
    text = ""
    for start in range(0, len(inputs), batch_size):
        batch = inputs[start : start + batch_size]
        text += "".join(predictor.dump_line(out) for out in predictor.predict_batch_json(batch))
    return predictor, text


@pytest.fixture(scope="module")
def tsv_lines():
    return TRAIN.read_text().splitlines(keepends=True)


def test_every_sentence_is_kept_with_its_gold_label_plus_distinct_copies(
    tiny_teacher_archive, tsv_lines
):
    _, text = transfer_set(tiny_teacher_archive, tsv_lines)
    rows = [json.loads(line) for line in text.splitlines()]
    originals = [row for row in rows if not row["augmented"]]
    expected = [line.split("\t") for line in tsv_lines[1:]]
    assert [(r["sentence"], r["label"]) for r in originals] == [
        (s.strip(), label.strip()) for s, label in expected
    ]
    texts = [row["sentence"] for row in rows]
    assert len(texts) == len(set(texts))
    assert len(rows) - len(originals) <= 5 * len(originals)
    assert any(row["augmented"] for row in rows)
    assert all("label" not in row for row in rows if row["augmented"])


def test_an_original_equal_to_an_earlier_copy_keeps_its_gold_row(tiny_teacher_archive, tsv_lines):
    _, text = transfer_set(tiny_teacher_archive, tsv_lines[:2])
    copy = next(json.loads(line) for line in text.splitlines() if json.loads(line)["augmented"])
    lines = tsv_lines[:2] + [f"{copy['sentence']}\t1\n", tsv_lines[1]]
    _, text = transfer_set(tiny_teacher_archive, lines, batch_size=1)
    originals = [
        json.loads(line) for line in text.splitlines() if not json.loads(line)["augmented"]
    ]
    # The third input was written as a copy of the first; the fourth repeats the first.
    assert [(row["sentence"], row["label"]) for row in originals] == [
        (tsv_lines[1].split("\t")[0].strip(), tsv_lines[1].split("\t")[1].strip()),
        (copy["sentence"], "1"),
    ]


def test_logits_are_the_teachers_keyed_by_label_name(tiny_teacher_archive, tsv_lines):
    predictor, text = transfer_set(tiny_teacher_archive, tsv_lines[:4])
    rows = [json.loads(line) for line in text.splitlines()]
    assert all(set(row["teacher_logits"]) == {"0", "1"} for row in rows)
    reader, model = predictor._dataset_reader, predictor._model
    labels = model.vocab.get_index_to_token_vocabulary("labels")
    for row in rows[:3]:
        instance = reader.text_to_instance(row["sentence"])
        reader.apply_token_indexers(instance)
        with torch.inference_mode():
            logits = model.forward_on_instance(instance)["logits"]
        expected = {labels[i]: float(v) for i, v in enumerate(logits)}
        assert row["teacher_logits"] == pytest.approx(expected, abs=1e-4)


def test_output_depends_on_the_seed_only_not_on_the_batch_size(tiny_teacher_archive, tsv_lines):
    _, one = transfer_set(tiny_teacher_archive, tsv_lines, batch_size=1)
    _, many = transfer_set(tiny_teacher_archive, tsv_lines, batch_size=7)
    _, other_seed = transfer_set(tiny_teacher_archive, tsv_lines, seed=1)
    assert one == many
    assert one != other_seed


@pytest.mark.parametrize("predictor", [TransferSetPredictor, TaggingTransferSetPredictor])
def test_without_rates_the_predictors_augment_at_the_rules_defaults(predictor):
    # rules_test pins AugmentationRates() to Tang et al.'s; scripts/pipeline.sh passes n_iter only.
    parameters = inspect.signature(predictor.__init__).parameters
    rates = dataclasses.asdict(AugmentationRates())
    assert {name: parameters[name].default for name in rates} == rates


def test_each_sentence_draws_its_own_random_stream(tiny_teacher_archive):
    # Two sentences of ten words: one stream for both would mask them at the same positions.
    lines = ["sentence\tlabel\n", " ".join(f"a{i}" for i in range(10)) + "\t1\n"]
    lines.append(" ".join(f"b{i}" for i in range(10)) + "\t0\n")
    _, text = transfer_set(
        tiny_teacher_archive, lines, p_mask=0.5, p_pos=0.0, p_ng=0.0, n_iter=1, mask_token="[M]"
    )
    copies = [json.loads(line)["sentence"].split() for line in text.splitlines()]
    masked = [
        [index for index, word in enumerate(copy) if word == "[M]"]
        for copy in copies
        if "[M]" in copy
    ]
    assert len(masked) == 2 and masked[0] != masked[1]


@pytest.fixture(scope="module")
def teacher(tiny_teacher_archive):
    return load_archive(str(tiny_teacher_archive))


def reader_with_mask_token(teacher, mask_token):
    """A copy of the teacher's reader whose transformer tokenizer has `mask_token`."""
    reader = copy.copy(teacher.validation_dataset_reader)
    reader._tokenizer = copy.deepcopy(reader._tokenizer)
    reader._tokenizer.tokenizer.mask_token = mask_token
    return reader


@pytest.mark.parametrize(
    "mask_token, teachers_mask_token, expected",
    [("<m>", "[MASK]", "<m>"), (None, "<mask>", "<mask>"), (None, None, "[MASK]")],
    ids=["given", "the_teachers", "default"],
)
def test_masked_copies_use_the_given_mask_token_else_the_teachers_else_bracket_mask(
    teacher, tsv_lines, mask_token, teachers_mask_token, expected
):
    predictor = TransferSetPredictor(
        teacher.model,
        reader_with_mask_token(teacher, teachers_mask_token),
        p_mask=0.9,
        p_pos=0.0,
        p_ng=0.0,
        n_iter=2,
        unigram_file=str(TRAIN),
        mask_token=mask_token,
    )
    inputs = [predictor.load_line(line) for line in tsv_lines[:3]]
    rows = [row for output in predictor.predict_batch_json(inputs) for row in output["rows"]]
    words = {word for row in rows if row["augmented"] for word in row["sentence"].split()}
    assert expected in words
    assert not words & ({"<m>", "<mask>", "[MASK]"} - {expected})


def test_json_input_lines_work_like_tsv(tiny_teacher_archive, tsv_lines):
    json_lines = [
        json.dumps({"sentence": line.split("\t")[0], "label": line.split("\t")[1].strip()}) + "\n"
        for line in tsv_lines[1:]
    ]
    _, from_tsv = transfer_set(tiny_teacher_archive, tsv_lines)
    _, from_json = transfer_set(tiny_teacher_archive, json_lines)
    assert from_json == from_tsv


def test_a_tsv_line_with_the_wrong_column_count_names_the_input_line(tiny_teacher_archive):
    with pytest.raises(DataFormatError, match="input:3: 3 tab-separated columns"):
        transfer_set(tiny_teacher_archive, ["sentence\tlabel\n", "ok\t1\n", "bad\t1\tx\n"])


def test_a_text_the_teachers_word_pieces_drop_is_refused_by_line_and_never_a_copy(
    tiny_teacher_archive,
):
    # A zero-width space is not blank, but the word-piece tokenizer keeps nothing of it: as a
    # training row it is named by line (the reader would refuse it); as an n-gram copy of a good
    # row, dropped.
    with pytest.raises(DataFormatError, match="input:3: empty text.*column 'sentence' has no"):
        transfer_set(tiny_teacher_archive, ["sentence\tlabel\n", "ok\t1\n", "\u200b\t1\n"])
    line = "great " + "\u200b " * 4 + "film\t1\n"
    predictor, text = transfer_set(tiny_teacher_archive, ["sentence\tlabel\n", line], n_iter=40)
    item = (line.split("\t")[0].strip(),)
    drawn = list(predictor._copies(item))
    assert any(predictor._no_tokens(copy[0]) for copy in drawn)  # the rules drew some
    rows = [json.loads(row) for row in text.splitlines()]
    assert len(rows) > 1 and not any(predictor._no_tokens(row["sentence"]) for row in rows)
    assert {row["sentence"] for row in rows[1:]} == {
        copy[0] for copy in drawn if not predictor._no_tokens(copy[0])
    }


def test_bad_rates_are_configuration_errors(tiny_teacher_archive):
    with pytest.raises(ConfigurationError, match="p_mask \\+ p_pos"):
        transfer_set(tiny_teacher_archive, [], p_mask=0.7, p_pos=0.7)


def test_a_missing_unigram_file_is_a_configuration_error(tiny_teacher_archive, tmp_path):
    with pytest.raises(ConfigurationError, match="unigram_file"):
        Predictor.from_path(
            str(tiny_teacher_archive), "transfer_set", unigram_file=str(tmp_path / "none.tsv")
        )
