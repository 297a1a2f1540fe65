import json
import re
from pathlib import Path

import pytest
import torch
from allennlp.data import Batch, Vocabulary
from allennlp.data.vocabulary import DEFAULT_OOV_TOKEN

from allennlp_distill.dataset_readers.rows import DataFormatError
from allennlp_distill.dataset_readers.tagging import TaggingReader, iter_conll_sentences
from tests.conftest import FIXTURES

CONLL = FIXTURES / "conll2003_tiny.txt"
UD = FIXTURES / "ud_ewt_tiny.txt"


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_conll2003_sentences_skip_docstart_and_keep_line_numbers():
    sentences = list(iter_conll_sentences(str(CONLL)))
    assert len(sentences) == 60
    line, words, pos, tags = sentences[0]
    assert line == 3  # after "-DOCSTART- -X- -X- O" and a blank line
    assert words[:3] == ["EU", "rejects", "German"]
    assert pos[:3] == ["NNP", "VBZ", "JJ"]
    assert tags[:3] == ["B-ORG", "O", "B-MISC"]
    assert sentences[1][1:] == (["Peter", "Blackburn"], ["NNP", "NNP"], ["B-PER", "I-PER"])
    assert all(DOC not in s[1] for s in sentences for DOC in ["-DOCSTART-"])


def test_ud_columns_give_upos_tags_and_ptb_pos():
    _, words, pos, tags = next(iter_conll_sentences(str(UD)))
    assert words[:3] == ["Al", "-", "Zaman"]
    assert pos[:3] == ["NNP", "HYPH", "NNP"]
    assert tags[:3] == ["PROPN", "PUNCT", "PROPN"]


def test_wrong_column_count_names_file_and_line(tmp_path):
    path = write(tmp_path / "bad.txt", "EU NNP B-NP B-ORG\nrejects VBZ O\n")
    with pytest.raises(DataFormatError, match=r"bad\.txt:2: 3 columns where .* has 4"):
        list(iter_conll_sentences(path))


def test_empty_document_and_trailing_sentence_without_blank_line(tmp_path):
    path = write(
        tmp_path / "docs.txt",
        "-DOCSTART- -X- -X- O\n\n-DOCSTART- -X- -X- O\n\nPeter NNP B-NP B-PER\n",
    )
    assert [s[1] for s in iter_conll_sentences(path)] == [["Peter"]]


def test_file_without_a_sentence_is_an_error(tmp_path):
    path = write(tmp_path / "empty.txt", "-DOCSTART- -X- -X- O\n\n")
    with pytest.raises(DataFormatError, match="empty.txt"):
        list(iter_conll_sentences(path))


def test_tag_outside_bio_names_its_own_line(tmp_path):
    path = write(tmp_path / "bio.txt", "\nEU NNP B-NP B-ORG\nrejects VBZ B-VP PERSON\n")
    reader = TaggingReader(label_encoding="BIO")
    with pytest.raises(DataFormatError, match=r"bio\.txt:3: tag 'PERSON' is not BIO"):
        list(reader.read(path))


def test_tag_outside_the_models_tag_set_names_the_row(tmp_path):
    reader = TaggingReader()
    train = list(reader.read(str(CONLL)))
    vocab = Vocabulary.from_instances(train)
    path = write(tmp_path / "dev.txt", "EU NNP B-NP B-ORG\n\nParis NNP B-NP B-CITY\n")
    instance = list(reader.read(path))[1]
    with pytest.raises(ValueError, match=r"dev\.txt:3: tag\(s\) \['B-CITY'\] are not in"):
        instance.index_fields(vocab)


def transfer_rows(tmp_path: Path, rows) -> str:
    path = tmp_path / "transfer.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


def test_transfer_set_rows_give_teacher_argmax_tags_and_logits_in_vocabulary_order(tmp_path):
    logits = {"O": [2.0, -1.0, 0.5], "B-PER": [0.0, 3.0, 0.0], "I-PER": [-1.0, 0.0, 1.5]}
    path = transfer_rows(
        tmp_path, [{"tokens": ["Hi", "Peter", "Blackburn"], "teacher_logits": logits}]
    )
    reader = TaggingReader()
    instances = list(reader.read(path))
    assert instances[0]["tags"].labels == ["O", "B-PER", "I-PER"]
    # A vocabulary whose tag order is not the file's: the field must follow the vocabulary.
    vocab = Vocabulary()
    for tag in ["I-PER", "O", "B-PER"]:
        vocab.add_token_to_namespace(tag, "labels")
    for instance in instances:
        reader.apply_token_indexers(instance)
    batch = Batch(instances)
    batch.index_instances(vocab)
    tensor = batch.as_tensor_dict()["teacher_logits"]
    assert tensor.shape == (1, 3, 3)
    expected = torch.tensor([logits["I-PER"], logits["O"], logits["B-PER"]]).T
    assert torch.equal(tensor[0], expected)


def test_teacher_logits_are_zero_padded_to_the_longest_sentence(tmp_path):
    rows = [
        {"tokens": ["a"], "teacher_logits": {"O": [1.0], "B-X": [2.0]}},
        {"tokens": ["a", "b", "c"], "teacher_logits": {"O": [1.0, 1.0, 1.0], "B-X": [0, 0, 0]}},
    ]
    reader = TaggingReader()
    instances = list(reader.read(transfer_rows(tmp_path, rows)))
    vocab = Vocabulary.from_instances(instances)
    for instance in instances:
        reader.apply_token_indexers(instance)
    batch = Batch(instances)
    batch.index_instances(vocab)
    tensors = batch.as_tensor_dict()
    assert tensors["teacher_logits"].shape == (2, 3, 2)
    assert tensors["tokens"]["tokens"]["tokens"].shape == (2, 3)
    assert torch.all(tensors["teacher_logits"][0, 1:] == 0)


@pytest.mark.parametrize(
    "row, problem",
    [
        ({"tokens": []}, "empty text: nothing to classify .*; 'tokens' holds no word"),
        ({"tokens": "a b"}, "'tokens' is not a list of strings"),
        ({"tokens": ["a", "b"], "tags": ["O"]}, "'tags' does not have one entry per token"),
        ({"tokens": ["a"], "teacher_logits": {"O": [1.0, 2.0]}}, "one entry per token"),
        ({"tokens": ["a"], "teacher_logits": {"O": ["x"]}}, "not all numbers"),
        ({"tokens": ["a"], "teacher_logits": [1.0]}, "not an object"),
    ],
)
def test_bad_transfer_set_rows_name_file_and_line(tmp_path, row, problem):
    good = {"tokens": ["a"], "teacher_logits": {"O": [1.0]}}
    path = transfer_rows(tmp_path, [good, row])
    with pytest.raises(DataFormatError, match=rf"transfer\.jsonl:2: .*{problem}"):
        list(TaggingReader().read(path))


def test_mask_tokens_become_the_unknown_word_only_when_asked(tmp_path):
    path = transfer_rows(
        tmp_path, [{"tokens": ["[MASK]", "Peter"], "teacher_logits": {"O": [1.0, 0.0]}}]
    )
    student = list(TaggingReader(unknown_tokens=["[MASK]"]).read(path))[0]
    teacher = list(TaggingReader().read(path))[0]
    assert [t.text for t in student["tokens"].tokens] == [DEFAULT_OOV_TOKEN, "Peter"]
    assert [t.text for t in teacher["tokens"].tokens] == ["[MASK]", "Peter"]
    assert student["metadata"]["words"] == ["[MASK]", "Peter"]


def test_gold_tag_outside_the_tasks_tag_set_names_its_line(tmp_path):
    path = write(tmp_path / "ud.txt", "Al NNP PROPN\n- HYPH CCONJ\n")
    reader = TaggingReader(tags=["PROPN", "PUNCT", "CONJ"])
    with pytest.raises(DataFormatError, match=r"ud\.txt:2: tag 'CCONJ' is not in the task's"):
        list(reader.read(path))
    ner = TaggingReader(label_encoding="BIO", tags=["O", "B-PER", "I-PER"])
    path = write(tmp_path / "ner.txt", "Peter NNP B-NP B-PER\nsaid VBD B-VP B-FOO\n")
    with pytest.raises(DataFormatError, match=r"ner\.txt:2: tag 'B-FOO' is not in"):
        list(ner.read(path))


def test_a_sentence_of_no_words_gets_the_empty_text_answer_of_every_path():
    from allennlp_distill.dataset_readers.rows import EMPTY_TEXT

    with pytest.raises(ValueError, match=rf"in\.jsonl:4: {re.escape(EMPTY_TEXT)}"):
        TaggingReader().text_to_instance([], source="in.jsonl:4")
