"""
Row-level reading of GLUE-format TSV and transfer-set JSONL files, shared by the teacher-logit
reader and the augmentation predictor, so that both report bad input the same way:
`path:line: problem`.
"""

import json
import math
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

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


def _decoded_lines(path: str, raw_lines: Iterable[bytes]) -> Iterator[Tuple[int, str]]:
    for line_number, raw in enumerate(raw_lines, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise DataFormatError(path, line_number, f"not valid UTF-8 ({error.reason})") from None
        if line_number == 1:
            line = line.lstrip("\ufeff")
        yield line_number, line.rstrip("\r\n")


def iter_rows(path: str) -> Iterator[Tuple[int, Dict[str, Any]]]:
    """
    Yields `(line_number, row)` for every non-blank data line of `path` (1-based line numbers).

    A path ending in `.jsonl` or `.json` is read as one JSON object per line. Any other path is read
    as tab-separated values with a header row and no quoting (GLUE's format: sentences may contain
    `"`), tolerating a UTF-8 byte-order mark and CRLF line ends.

    # Raises
    `DataFormatError` for a line that is not UTF-8, not a JSON object, or has a different number of
    tab-separated columns than the header.
    """
    with open(path, "rb") as data_file:
        lines = _decoded_lines(path, data_file)
        if path.endswith(JSONL_SUFFIXES):
            for line_number, line in lines:
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise DataFormatError(
                        path, line_number, f"invalid JSON ({error.msg})"
                    ) from None
                if not isinstance(row, dict):
                    raise DataFormatError(path, line_number, "expected a JSON object")
                yield line_number, row
            return
        header: Optional[List[str]] = None
        for line_number, line in lines:
            if not line.strip():
                continue
            columns = line.split("\t")
            if header is None:
                header = [column.strip() for column in columns]
                continue
            if len(columns) != len(header):
                raise DataFormatError(
                    path,
                    line_number,
                    f"{len(columns)} tab-separated columns, but the header has {len(header)}",
                )
            yield line_number, dict(zip(header, columns))


def require_text(path: str, line_number: int, row: Dict[str, Any], column: str) -> str:
    """
    Returns the stripped text in `row[column]`.

    # Raises
    `DataFormatError` when the column is missing, not a string, or blank.
    """
    if column not in row:
        raise DataFormatError(
            path, line_number, f"no column {column!r} (columns: {', '.join(map(str, row))})"
        )
    text = row[column]
    if not isinstance(text, str) or not text.strip():
        raise DataFormatError(path, line_number, f"empty text in column {column!r}")
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
