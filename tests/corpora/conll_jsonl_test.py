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


def test_plain_sentences_are_tokenized_sampled_and_held_out(tmp_path):
    from allennlp_distill.corpora.conll_jsonl import text_to_jsonl

    # CoNLL's tokens are not spaCy's ("1996-08-30" is one CoNLL token): held out all the same.
    held_out = tmp_path / "test.txt"
    held_out.write_text("EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n1996-08-30 CD I-NP O\n. . O O\n\n")
    # The second line tokenizes as the first does: written once.
    lines = ["Angela Merkel visited Paris.", "Angela Merkel visited Paris .", ""]
    lines += ["EU rejects 1996-08-30.", "A very long one " * 5]
    lines += [f"Sentence number {i} is here." for i in range(20)]
    text = tmp_path / "unlabelled.txt"
    text.write_text("\n".join(lines) + "\n")
    output = tmp_path / "unlabelled.jsonl"
    assert text_to_jsonl(str(text), str(output), max_tokens=10, exclude=[str(held_out)]) == (
        21,
        1,
        1,
    )
    rows = [json.loads(line) for line in output.open()]
    assert rows[0] == {"tokens": ["Angela", "Merkel", "visited", "Paris", "."]}
    assert rows[1]["tokens"] == ["Sentence", "number", "0", "is", "here", "."]
    # A sample: the same sentences for the same seed, in file order, another set for another.
    sampled = [tmp_path / f"sample{seed}.jsonl" for seed in (0, 0, 1)]
    for seed, path in zip((0, 0, 1), sampled):
        written, dropped, repeated = text_to_jsonl(
            str(text), str(path), 8, seed, 10, [str(held_out)]
        )
        assert (written + repeated, dropped) == (8, 1)
    first, again, other = ([json.loads(line) for line in path.open()] for path in sampled)
    assert first == again != other
    order = [row["tokens"] for row in rows]
    assert [order.index(row["tokens"]) for row in first] == sorted(
        order.index(row["tokens"]) for row in first
    )


def test_a_sample_larger_than_the_file_or_negative_is_refused(tmp_path, capsys):
    from allennlp_distill.corpora.conll_jsonl import main, text_to_jsonl

    text = tmp_path / "unlabelled.txt"
    text.write_text("One sentence.\nTwo sentences here.\nOne sentence.\n")
    message = r"unlabelled\.txt: --sample 4, but only 3 sentences of at most 9 tokens"
    with pytest.raises(ValueError, match=message):
        text_to_jsonl(str(text), str(tmp_path / "out.jsonl"), sample=4, max_tokens=9)
    with pytest.raises(ValueError, match=r"unlabelled\.txt: --sample -1 is negative"):
        text_to_jsonl(str(text), str(tmp_path / "out.jsonl"), sample=-1)
    with pytest.raises(SystemExit):
        main([str(text), "-o", str(tmp_path / "out.jsonl"), "--sample", "1"])
    assert "--sample: for --text input only" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [text]
