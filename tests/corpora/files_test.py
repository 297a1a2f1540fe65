import os
import stat

import pytest

from allennlp_distill.corpora.files import atomic_text_file, tsv_bytes, write_files_atomically


def test_a_streamed_file_appears_whole_and_readable_by_everyone(tmp_path):
    path = tmp_path / "deeper" / "corpus.txt"
    with atomic_text_file(str(path)) as file:
        file.write("première phrase\n")
        assert not path.exists()  # nothing at the final name until the block ends
        file.write("second\n")
    assert path.read_text(encoding="utf-8") == "première phrase\nsecond\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert os.listdir(path.parent) == ["corpus.txt"]


def test_an_error_while_streaming_keeps_the_old_file_and_leaves_no_scratch(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("old\n")
    with pytest.raises(ValueError, match="bad line"):
        with atomic_text_file(str(path)) as file:
            file.write("new\n")
            raise ValueError("bad line")
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["corpus.txt"]


def test_files_written_together_leave_no_half_written_or_scratch_file(tmp_path, monkeypatch):
    write_files_atomically(str(tmp_path / "out"), {"a.txt": b"a", "b.txt": b"b"})
    assert sorted(os.listdir(tmp_path / "out")) == ["a.txt", "b.txt"]

    replaced = []

    def replace_once(source, target):
        if replaced:
            raise OSError("disk full")
        replaced.append(target)
        os.rename(source, target)

    monkeypatch.setattr(os, "replace", replace_once)
    with pytest.raises(OSError, match="disk full"):
        write_files_atomically(str(tmp_path / "new"), {"a.txt": b"1", "b.txt": b"2"})
    assert os.listdir(tmp_path / "new") == ["a.txt"]  # the first file only: no scratch left


def test_tsv_bytes_writes_the_header_then_one_line_per_row():
    assert tsv_bytes(("sentence", "label"), [("a b", "1"), ("ç", "0")]) == (
        "sentence\tlabel\na b\t1\nç\t0\n".encode()
    )
    assert tsv_bytes(["x"], []) == b"x\n"
