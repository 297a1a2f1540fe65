import json

import pytest

from allennlp_distill.corpora.conll_jsonl import conll_to_jsonl
from allennlp_distill.dataset_readers.rows import DataFormatError
from allennlp_distill.dataset_readers.tagging import iter_conll_sentences
from tests.conftest import FIXTURES


def test_every_sentence_becomes_one_json_line(tmp_path):
    output = tmp_path / "train.jsonl"
    assert conll_to_jsonl(str(FIXTURES / "conll2003_tiny.txt"), str(output)) == 60
    rows = [json.loads(line) for line in output.open()]
    expected = list(iter_conll_sentences(str(FIXTURES / "conll2003_tiny.txt")))
    assert [(r["tokens"], r["pos"], r["tags"]) for r in rows] == [s[1:] for s in expected]


def test_a_bad_line_leaves_no_output(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("EU NNP B-NP B-ORG\n\nrejects VBZ\n")
    output = tmp_path / "train.jsonl"
    with pytest.raises(DataFormatError, match=r"bad\.txt:3:"):
        conll_to_jsonl(str(bad), str(output))
    assert list(tmp_path.iterdir()) == [bad]
