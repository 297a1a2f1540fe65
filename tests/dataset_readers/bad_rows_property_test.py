"""
Property-based tests (hypothesis) of what both readers do with malformed rows: in the default mode
the first bad row raises a `DataFormatError` naming its file and line; with `skip_bad_rows` every
good row is read, in order, and every bad row is counted in one warning — never dropped silently.
"""

import json
import logging
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allennlp_distill.dataset_readers import (
    DataFormatError,
    PairTeacherLogitsReader,
    TeacherLogitsReader,
)
from allennlp_distill.tokenizers.spacy_rules import SpacyRulesTokenizer

WORDS = st.text(alphabet="abcdefgh \"'é,.!", min_size=0, max_size=30).map(lambda s: "w" + s)

# Each kind of TSV line: a function of a text giving (bytes of the line, is it good).
TSV_LINES = {
    "good": lambda text: (f"{text}\t1".encode(), True),
    "good with CRLF": lambda text: (f"{text}\t0\r".encode(), True),
    "wrong column count": lambda text: (f"{text}\t1\textra".encode(), False),
    "empty text": lambda text: (b" \t1", False),
    "not UTF-8": lambda text: (text.encode("utf-8") + b"\xff\xfe\t1", False),
    "1 MB line": lambda text: (("x" * 1_000_000 + "\t1").encode(), False),
}
# Each kind of transfer-set line.
JSONL_LINES = {
    "good": lambda text: (json.dumps({"sentence": text, "teacher_logits": {"0": 1, "1": 2}}), True),
    "invalid JSON": lambda text: ('{"sentence": ' + json.dumps(text), False),
    "not an object": lambda text: (json.dumps([text]), False),
    "NaN logit": lambda text: (
        '{"sentence": ' + json.dumps(text) + ', "teacher_logits": {"0": NaN, "1": 2}}',
        False,
    ),
    "wrong width": lambda text: (
        json.dumps({"sentence": text, "teacher_logits": {"0": 1, "1": 2, "2": 3}}),
        False,
    ),
    "string logit": lambda text: (
        json.dumps({"sentence": text, "teacher_logits": {"0": "1", "1": 2}}),
        False,
    ),
    "unknown gold label": lambda text: (
        json.dumps({"sentence": text, "label": "9", "teacher_logits": {"0": 1, "1": 2}}),
        False,
    ),
}


def write(lines, header, suffix, first=None):
    """
    The file's path, the good texts in order, and the line numbers of the bad lines. `first` is a
    good line put before the others (a transfer set's first row fixes its label set).
    """
    directory = Path(tempfile.mkdtemp())
    path = directory / f"data{suffix}"
    content = [header] if header else []
    good, bad = [], []
    if first is not None:
        lines = [(first, "first")] + list(lines)
    for kind, text in lines:
        line, is_good = kind(text)
        content.append(line if isinstance(line, bytes) else line.encode())
        (good if is_good else bad).append(text.strip() if is_good else len(content))
    path.write_bytes(b"\n".join(content) + b"\n")
    return path, good, bad


def check(reader_class, path, good, bad, caplog, field="tokens"):
    if bad:
        with pytest.raises(DataFormatError) as error:
            list(reader_class().read(str(path)))
        assert str(error.value).startswith(f"{path}:{bad[0]}: ")
    if not good:
        # Nothing to read is an error in both modes, never an empty dataset.
        skipped = f" \\({len(bad)} bad rows skipped\\)" if bad else ""
        with pytest.raises(DataFormatError, match=f"no data rows .*{skipped}$"):
            list(reader_class(skip_bad_rows=True).read(str(path)))
        return
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        instances = list(reader_class(skip_bad_rows=True).read(str(path)))
    tokenizer = SpacyRulesTokenizer()
    assert [[token.text for token in instance[field].tokens] for instance in instances] == [
        [token.text for token in tokenizer.tokenize(text)] for text in good
    ]
    skipped = re.findall(r"skipped (\d+) bad rows", caplog.text)
    assert [int(n) for n in skipped] == ([len(bad)] if bad else [])


SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same examples on every run, so CI cannot flake
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@SETTINGS
@given(lines=st.lists(st.tuples(st.sampled_from(list(TSV_LINES.values())), WORDS), max_size=6))
def test_tsv_rows_raise_at_the_first_bad_line_or_are_skipped_and_counted(lines, caplog):
    path, good, bad = write(lines, b"\xef\xbb\xbfsentence\tlabel", ".tsv")
    check(TeacherLogitsReader, path, good, bad, caplog)


@SETTINGS
@given(lines=st.lists(st.tuples(st.sampled_from(list(JSONL_LINES.values())), WORDS), max_size=6))
def test_transfer_set_rows_raise_at_the_first_bad_line_or_are_skipped_and_counted(lines, caplog):
    path, good, bad = write(lines, None, ".jsonl", first=JSONL_LINES["good"])
    check(TeacherLogitsReader, path, good, bad, caplog)


@SETTINGS
@given(lines=st.lists(st.tuples(st.sampled_from(list(TSV_LINES.values())), WORDS), max_size=6))
def test_pair_rows_raise_at_the_first_bad_line_or_are_skipped_and_counted(lines, caplog):
    # The same lines as pairs: the text is the first sentence, the second is fixed.
    pair_lines = [(lambda text, kind=kind: _as_pair(kind(text)), text) for kind, text in lines]
    path, good, bad = write(pair_lines, b"sentence1\tsentence2\tlabel", ".tsv")
    check(PairTeacherLogitsReader, path, good, bad, caplog, field="sentence1")


def _as_pair(line_and_goodness):
    line, is_good = line_and_goodness
    first, _, rest = line.partition(b"\t")
    return first + b"\tsecond sentence\t" + rest, is_good
