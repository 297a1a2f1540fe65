"""
Row-level reading of GLUE-format TSV and transfer-set JSONL files, shared by the teacher-logit
reader and the augmentation predictor, so that both report bad input the same way:
`path:line: problem`.
"""

import json
import logging
import math
import os
from collections import Counter
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from allennlp.common import util
from allennlp.common.checks import ConfigurationError
from allennlp.data import DatasetReader

logger = logging.getLogger(__name__)

JSONL_SUFFIXES = (".jsonl", ".json")
TEACHER_LOGITS_KEY = "teacher_logits"


class DataFormatError(ValueError):
    """
    A row of an input file cannot be used. The message always starts with `path:line:` so that the
    user can open the file at the bad row.
    """

    def __init__(self, path: str, line_number: int, problem: str) -> None:
        super().__init__(f"{path}:{line_number}: {problem}")
        self.path = path
        self.line_number = line_number
        self.problem = problem


#: The longest line a reader accepts by default, in bytes: GLUE's longest line is under 2 kB, so a
#: longer one is almost surely a broken file (a missing newline), not a sentence.
MAX_LINE_BYTES = 100_000


def is_sharded(reader: DatasetReader) -> bool:
    """Whether `reader.shard_iterable` gives it only a share of each file's rows."""
    return util.is_distributed() or reader._worker_info is not None


def raise_error(error: "DataFormatError") -> None:
    """The default `on_error` of `iter_rows`: stop at the first bad line."""
    raise error


class SkippedRows:
    """
    The `on_error` of a reader asked to skip bad rows (`skip_bad_rows`): counts each bad row by
    its problem and keeps the first few `file:line`s, for one warning at the end of the file
    (`warn`), so that nothing is dropped silently. Without `skip`, it raises the error.
    """

    def __init__(self, skip: bool) -> None:
        self._skip = skip
        self._problems: Counter = Counter()
        self._examples: List[str] = []

    def __call__(self, error: "DataFormatError") -> None:
        if not self._skip:
            raise error
        problem = str(error).split(": ", 1)[-1]
        self._problems[problem.split(" (")[0][:60]] += 1
        if len(self._examples) < 5:
            self._examples.append(str(error)[:200])

    @property
    def count(self) -> int:
        """The number of rows skipped so far."""
        return sum(self._problems.values())

    def finish(self, path: str, instances: int, sharded: bool) -> None:
        """
        The end of `path`: `warn`, then fail when none of its rows made an instance (every row
        skipped), unless the reader read only its share of a sharded file, which may be empty.

        # Raises
        `DataFormatError` (`NO_ROWS`, with the number of bad rows skipped).
        """
        self.warn(path)
        if instances == 0 and not sharded:
            raise no_rows_error(path, 1, self.count)

    def warn(self, path: str) -> None:
        """Logs one warning with the number of rows skipped in `path` (none: no warning)."""
        if self.count:
            logger.warning(
                "%s: skipped %d bad rows (skip_bad_rows): %s. First: %s",
                path,
                self.count,
                "; ".join(f"{count} × {problem}" for problem, count in self._problems.items()),
                " | ".join(self._examples),
            )


def _decoded_lines(
    path: str,
    raw_lines: Iterable[bytes],
    max_line_bytes: Optional[int],
    on_error: Callable[["DataFormatError"], None],
) -> Iterator[Tuple[int, str]]:
    for line_number, raw in enumerate(raw_lines, start=1):
        if max_line_bytes is not None and len(raw) > max_line_bytes:
            on_error(
                DataFormatError(
                    path,
                    line_number,
                    f"line of {len(raw):,} bytes, more than max_line_bytes ({max_line_bytes:,})",
                )
            )
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            on_error(DataFormatError(path, line_number, f"not valid UTF-8 ({error.reason})"))
            continue
        if line_number == 1:
            line = line.lstrip("\ufeff")
        yield line_number, line.rstrip("\r\n")


def iter_rows(
    path: str,
    max_line_bytes: Optional[int] = MAX_LINE_BYTES,
    on_error: Callable[[DataFormatError], None] = raise_error,
    required_columns: Sequence[str] = (),
) -> Iterator[Tuple[int, Dict[str, Any]]]:
    """
    Yields `(line_number, row)` for every non-blank data line of `path` (1-based line numbers).

    A path ending in `.jsonl` or `.json` is read as one JSON object per line. Any other path is read
    as tab-separated values with a header row and no quoting (GLUE's format: sentences may contain
    `"`), tolerating a UTF-8 byte-order mark and CRLF line ends.

    # Parameters
    max_line_bytes : `int`, optional (default = `MAX_LINE_BYTES`)
        Longer lines are bad lines; `None` accepts any length.
    on_error : `Callable[[DataFormatError], None]`, optional (default = raise it)
        Called with each bad line's error; reading goes on with the next line if it returns
        (e.g. `SkippedRows(skip=True)`). A bad or missing header always raises.
    required_columns : `Sequence[str]`, optional (default = `()`)
        TSV columns the header must name (a file whose header row is missing fails at line 1).

    # Raises
    `DataFormatError` (through `on_error`) for a line that is too long, not UTF-8, not a JSON
    object, or has a different number of tab-separated columns than the header; and, always,
    for a file without a data row (empty, or a header alone): `allennlp evaluate` would
    otherwise report an accuracy of 0 and a transfer set would be empty.
    `ConfigurationError` for a JSONL transfer set that `allennlp transfer-set` has not finished
    (`refuse_unfinished_transfer_set`).
    """
    is_jsonl = path.endswith(JSONL_SUFFIXES)
    if is_jsonl:
        refuse_unfinished_transfer_set(path)
    rows = 0
    last_line = 1
    skipped: List[DataFormatError] = []

    def skip(error: DataFormatError) -> None:
        on_error(error)
        skipped.append(error)

    with open(path, "rb") as data_file:
        lines = _decoded_lines(path, data_file, max_line_bytes, skip)
        header: Optional[List[str]] = None
        for line_number, line in lines:
            last_line = line_number
            if not line.strip():
                continue
            if header is None and not is_jsonl:
                header = parse_tsv_header(path, line_number, line, required_columns)
                continue
            try:
                if is_jsonl:
                    row = parse_json_row(path, line_number, line)
                else:
                    row = parse_tsv_row(path, line_number, line, header or [])
            except DataFormatError as error:
                skip(error)
                continue
            rows += 1
            yield line_number, row
    if rows == 0:
        raise no_rows_error(path, last_line, len(skipped))


def progress_path(output_file: str) -> str:
    """Where `allennlp transfer-set` records its progress on `output_file`."""
    return output_file + ".progress"


def refuse_unfinished_transfer_set(path: str) -> None:
    """
    Refuses a transfer set that `allennlp transfer-set` began and has not finished: its progress
    record (`progress_path`) exists without `"complete": true`, so its rows are those of an
    interrupted run (a file of no record, e.g. `allennlp predict`'s output, is read as it is).

    # Raises
    `ConfigurationError` naming the file and the record's input lines.
    """
    record = progress_path(path)
    if not os.path.exists(record):
        return
    try:
        with open(record, encoding="utf-8") as record_file:
            progress = json.load(record_file)
    except (OSError, ValueError) as error:
        raise ConfigurationError(
            f"{record} is unreadable ({error}): {path} may be cut short"
        ) from error
    if not progress.get("complete"):
        raise ConfigurationError(
            f"{path} is an unfinished transfer set ({record}: {progress.get('input_lines')} input "
            "lines labelled, not complete): wait for `allennlp transfer-set` if it is still "
            "running, else run the same command again to finish it (it resumes), then train"
        )


def no_rows_error(path: str, line_number: int, skipped: int = 0) -> "DataFormatError":
    """The one error for a file that gave nothing to read (`NO_ROWS`), with its skipped rows."""
    return DataFormatError(
        path, line_number, NO_ROWS + (f" ({skipped} bad rows skipped)" if skipped else "")
    )


def parse_json_row(path: str, line_number: int, line: str) -> Dict[str, Any]:
    """
    One transfer-set line as a dict.

    # Raises
    `DataFormatError` for invalid JSON or a JSON value that is not an object.
    """
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise DataFormatError(path, line_number, f"invalid JSON ({error.msg})") from None
    if not isinstance(row, dict):
        raise DataFormatError(path, line_number, "expected a JSON object")
    return row


def parse_tsv_header(
    path: str, line_number: int, line: str, required_columns: Sequence[str] = ()
) -> List[str]:
    """
    A TSV header line's column names (stripped).

    # Raises
    `DataFormatError` when a required column is missing (often: the header row itself is).
    """
    header = [column.strip() for column in line.split("\t")]
    missing = [column for column in required_columns if column not in header]
    if missing:
        raise DataFormatError(
            path,
            line_number,
            f"the header {header} has no column {missing[0]!r}; the first line of a TSV file "
            "must name its columns",
        )
    return header


def parse_tsv_row(path: str, line_number: int, line: str, header: List[str]) -> Dict[str, str]:
    """
    One TSV data line as `{column: value}`, values unstripped and unquoted.

    # Raises
    `DataFormatError` when its number of columns differs from the header's.
    """
    columns = line.split("\t")
    if len(columns) != len(header):
        raise DataFormatError(
            path,
            line_number,
            f"{len(columns)} tab-separated columns, but the header has {len(header)}",
        )
    return dict(zip(header, columns))


def require_text(path: str, line_number: int, row: Dict[str, Any], column: str) -> str:
    """
    Returns the stripped text in `row[column]`.

    # Raises
    `DataFormatError` when the column is missing or not a string, and for a blank text with
    `EMPTY_TEXT`, the answer every path gives (`refuse_empty_text`).
    """
    if column not in row:
        raise DataFormatError(
            path, line_number, f"no column {column!r} (columns: {', '.join(map(str, row))})"
        )
    text = row[column]
    if not isinstance(text, str):
        kind = type(text).__name__
        raise DataFormatError(path, line_number, f"column {column!r} is not text ({kind})")
    if not text.strip():
        raise DataFormatError(path, line_number, f"{EMPTY_TEXT}; column {column!r}")
    return text.strip()


def parse_teacher_logits(
    path: str, line_number: int, value: Any, expected_labels: Optional[Iterable[str]]
) -> Dict[str, float]:
    """
    Validates a `{label name: logit}` mapping from a transfer set.

    `expected_labels`, when given, is the label set every row of the file must have (the first
    row's). Returns the mapping with `str` keys and `float` values.

    # Raises
    `DataFormatError` when the value is not a non-empty mapping of finite numbers, or its labels
    differ from `expected_labels`.
    """
    if not isinstance(value, dict) or not value:
        raise DataFormatError(
            path, line_number, 'teacher_logits must be an object {"label": logit, ...}'
        )
    logits: Dict[str, float] = {}
    for label, logit in value.items():
        if isinstance(logit, bool) or not isinstance(logit, (int, float)):
            raise DataFormatError(
                path, line_number, f"teacher logit for label {label!r} is not a number: {logit!r}"
            )
        if not math.isfinite(logit):
            raise DataFormatError(
                path, line_number, f"teacher logit for label {label!r} is not finite: {logit}"
            )
        logits[str(label)] = float(logit)
    if expected_labels is not None and set(logits) != set(expected_labels):
        raise DataFormatError(
            path,
            line_number,
            f"teacher logits are keyed by labels {sorted(logits)}, "
            f"but earlier rows use {sorted(expected_labels)}",
        )
    return logits


def read_teacher_logits(
    path: str,
    line_number: int,
    row: Dict[str, Any],
    label: Optional[str],
    expected_labels: Optional[Iterable[str]],
) -> Optional[Dict[str, float]]:
    """
    The row's `teacher_logits` (see `parse_teacher_logits`), or `None` for a row without them
    (a gold-labelled GLUE row).

    # Raises
    `DataFormatError` as `parse_teacher_logits` does, and when the gold `label` is not one of the
    teacher's labels.
    """
    if TEACHER_LOGITS_KEY not in row:
        return None
    logits = parse_teacher_logits(path, line_number, row[TEACHER_LOGITS_KEY], expected_labels)
    if label is not None and label not in logits:
        raise DataFormatError(
            path,
            line_number,
            f"gold label {label!r} is not among the teacher's labels {sorted(logits)}",
        )
    return logits


def optional_label(row: Dict[str, Any], column: Optional[str]) -> Optional[str]:
    """The stripped value of `row[column]`, or `None` when the column is absent or blank."""
    value = row.get(column) if column is not None else None
    return None if value is None or str(value).strip() == "" else str(value).strip()


class EmptyTextError(ValueError):
    """
    A text with nothing to read (`EMPTY_TEXT`): `refuse_empty_text`, `refuse_no_tokens`. The
    message names `source` (`"file:line"`) when given; `problem` is the message without it (a
    reader counts such a row as a bad one, `SkippedRows`).
    """

    def __init__(self, source: Optional[str], problem: str) -> None:
        super().__init__(f"{source + ': ' if source else ''}{problem}")
        self.problem = problem


def refuse_empty_text(text: str, source: Optional[str] = None) -> None:
    """
    The one answer to an empty or whitespace-only text on every path that reads one (readers,
    hence `allennlp evaluate` and `predict`; `serving.py` says the same): a student has no
    word to read and a teacher nothing to label.

    # Raises
    `EmptyTextError` (a `ValueError`) naming `source` (`"file:line"`) when given.
    """
    if not text.strip():
        raise EmptyTextError(source, EMPTY_TEXT)


def refuse_no_tokens(
    tokens: Sequence[Any], special_tokens: int, column: str, source: Optional[str] = None
) -> None:
    """
    `refuse_empty_text`'s answer for a text that is not blank but of which the tokenizer keeps
    nothing but the `special_tokens` it adds to any text (`special_token_count`): a word-piece
    tokenizer drops a zero-width space, a lone combining mark or a control character, leaving
    `[CLS] [SEP]`, which AllenNLP's transformer indexer strips to no input at all (its embedder
    then fails on an empty tensor). `serving.py` refuses such a text alike.

    # Raises
    `EmptyTextError` naming `source` and the text's `column`.
    """
    if len(tokens) <= special_tokens:
        raise EmptyTextError(source, no_token_problem(column))


def no_token_problem(column: str) -> str:
    """`refuse_no_tokens`' answer for a text in `column`, without its source."""
    return f"{EMPTY_TEXT}; column {column!r} has no token"


def special_token_count(tokenizer: Any) -> int:
    """The tokens `tokenizer.tokenize` gives a text of nothing: a pre-trained transformer's
    `[CLS]` and `[SEP]` where it adds them, none for a word tokenizer."""
    return len(tokenizer.tokenize(""))


class SpecialTokenCount:
    """
    For a reader with a `_tokenizer` (the teacher-logit readers): `special_tokens()`, the tokens
    that tokenizer adds to every text (`special_token_count`), counted on first use, which
    `refuse_no_tokens` needs and the transfer-set predictor asks its reader for.
    """

    _tokenizer: Any
    _special_token_count: Optional[int] = None

    def special_tokens(self) -> int:
        """The count: 2 for a BERT word-piece tokenizer (`[CLS]`, `[SEP]`), 0 for a word one."""
        if self._special_token_count is None:
            self._special_token_count = special_token_count(self._tokenizer)
        return self._special_token_count


NO_ROWS = "no data rows (an empty file, or a header alone): nothing to read"

EMPTY_TEXT = "empty text: nothing to classify (give at least one word)"
