"""
Sequence-labelling data: CoNLL column files (CoNLL-2003 NER, UD POS as `FORM XPOS UPOS`) and
token-level transfer sets (JSONL), read into the same instances so that one student config trains
on a transfer set and validates on a gold file ("Which Student is Best?", arXiv 2201.00558, §3:
task-specific distillation for sequence labelling).
"""

import logging
import re
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.fields import Field, MetadataField, TextField
from allennlp.data.instance import Instance
from allennlp.data.token_indexers import SingleIdTokenIndexer, TokenIndexer
from allennlp.data.tokenizers import Token
from allennlp.data.vocabulary import DEFAULT_OOV_TOKEN

from allennlp_distill.dataset_readers.rows import (
    EMPTY_TEXT,
    JSONL_SUFFIXES,
    MAX_LINE_BYTES,
    TEACHER_LOGITS_KEY,
    DataFormatError,
    EmptyTextError,
    _decoded_lines,
    iter_rows,
    no_rows_error,
    raise_error,
)
from allennlp_distill.dataset_readers.token_logits_field import (
    SourcedSequenceLabelField,
    TokenTeacherLogitsField,
)

logger = logging.getLogger(__name__)

#: A tagged sentence of a file: its first line, words, POS tags (or `None`) and tags (or `None`).
TaggedRow = Tuple[int, List[str], Optional[List[str]], Optional[List[str]]]

DOCSTART = "-DOCSTART-"
_BIO_TAG = re.compile(r"^(O|[BI]-\S+)$")
_TAG_PATTERNS = {"BIO": _BIO_TAG, "IOB1": _BIO_TAG}


def iter_conll_sentences(
    path: str,
    tag_column: Optional[int] = -1,
    pos_column: Optional[int] = 1,
    max_line_bytes: Optional[int] = MAX_LINE_BYTES,
) -> Iterator[TaggedRow]:
    """
    The sentences of a CoNLL column file: one token per line, whitespace-separated columns with
    the word first, a blank line after each sentence, `-DOCSTART-` lines (document starts in
    CoNLL-2003) skipped.

    # Parameters
    tag_column : `int`, optional (default = `-1`, the last column)
        The column of the gold tag; `None` for an unlabelled file (words only are needed).
    pos_column : `int`, optional (default = `1`)
        The column of the POS tag used by POS-guided replacement; `None` to read none.

    # Returns
    `(first_line, words, pos_tags, tags)` per sentence (1-based line numbers).

    # Raises
    `DataFormatError` naming the file and line for a line that is not UTF-8 or too long, a token
    line whose column count differs from the file's first token line, or one without the tag or
    POS column; and for a file without a sentence.
    """
    columns: Optional[int] = None
    start, words, pos_tags, tags = 0, [], [], []  # type: Tuple[int, List[str], List[str], List[str]]
    sentences = 0
    last_line = 1
    with open(path, "rb") as conll_file:
        for line_number, line in _decoded_lines(path, conll_file, max_line_bytes, raise_error):
            last_line = line_number
            fields = line.split()
            if fields and fields[0] == DOCSTART:
                fields = []
            if not fields:
                if words:
                    sentences += 1
                    yield start, words, _or_none(pos_tags, pos_column), _or_none(tags, tag_column)
                start, words, pos_tags, tags = 0, [], [], []
                continue
            if columns is None:
                columns = len(fields)
                for name, column in (("tag", tag_column), ("POS", pos_column)):
                    if column is not None and not -columns <= column < columns:
                        raise DataFormatError(
                            path, line_number, f"{columns} columns, no {name} column {column}"
                        )
            elif len(fields) != columns:
                raise DataFormatError(
                    path,
                    line_number,
                    f"{len(fields)} columns where the file's first token line has {columns}",
                )
            start = start or line_number
            words.append(fields[0])
            if pos_column is not None:
                pos_tags.append(fields[pos_column])
            if tag_column is not None:
                tags.append(fields[tag_column])
    if words:
        sentences += 1
        yield start, words, _or_none(pos_tags, pos_column), _or_none(tags, tag_column)
    if sentences == 0:
        raise no_rows_error(path, last_line)


def _or_none(values: List[str], column: Optional[int]) -> Optional[List[str]]:
    return None if column is None else values


def iter_tagged_rows(
    path: str,
    tag_column: Optional[int] = -1,
    pos_column: Optional[int] = 1,
    max_line_bytes: Optional[int] = MAX_LINE_BYTES,
) -> Iterator[Tuple[TaggedRow, Optional[Dict[str, List[float]]]]]:
    """
    Each sentence of a CoNLL column file, or each row of a JSONL file
    `{"tokens": [...], "tags": [...], "pos": [...], "teacher_logits": {tag: [logit per token]}}`
    (`tags`, `pos` and `teacher_logits` optional), with its teacher logits (`None` for CoNLL).

    # Raises
    `DataFormatError` naming file and line, as `iter_conll_sentences` and for a JSONL row whose
    `tokens` is not a list of strings, holds no word (`EMPTY_TEXT`), or whose `tags`, `pos` or
    per-tag logits do not have one entry per token.
    """
    if not path.endswith(JSONL_SUFFIXES):
        for sentence in iter_conll_sentences(path, tag_column, pos_column, max_line_bytes):
            yield sentence, None
        return
    for line_number, row in iter_rows(path, max_line_bytes):
        words = row.get("tokens")
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise DataFormatError(path, line_number, "'tokens' is not a list of strings")
        if not "".join(words).strip():
            raise DataFormatError(path, line_number, f"{EMPTY_TEXT}; 'tokens' holds no word")
        per_token = {key: row.get(key) for key in ("tags", "pos")}
        for key, values in per_token.items():
            if values is not None and (not isinstance(values, list) or len(values) != len(words)):
                raise DataFormatError(
                    path, line_number, f"{key!r} does not have one entry per token ({len(words)})"
                )
        logits = row.get(TEACHER_LOGITS_KEY)
        if logits is not None:
            logits = _token_logits(path, line_number, logits, len(words))
        yield (line_number, words, per_token["pos"], per_token["tags"]), logits


def _token_logits(
    path: str, line_number: int, logits: object, num_tokens: int
) -> Dict[str, List[float]]:
    if not isinstance(logits, dict) or not logits:
        raise DataFormatError(path, line_number, "'teacher_logits' is not an object {tag: [...]}")
    for tag, values in logits.items():
        if not isinstance(values, list) or len(values) != num_tokens:
            raise DataFormatError(
                path,
                line_number,
                f"teacher logits of tag {tag!r} do not have one entry per token ({num_tokens})",
            )
        if not all(isinstance(value, (int, float)) and value == value for value in values):
            raise DataFormatError(
                path, line_number, f"teacher logits of tag {tag!r} are not all numbers"
            )
    return logits


@DatasetReader.register("tagging")
class TaggingReader(DatasetReader):
    """
    Reads gold-tagged CoNLL column files and teacher-labelled token-level transfer sets (JSONL,
    written by `allennlp transfer-set` with a tagger teacher) into the same instances.

    Each instance has `tokens` (`TextField` of the words as given: lowercasing, if any, is the
    token indexer's), `tags` (`SequenceLabelField`: the gold tags, or, for a transfer-set row
    without them, the teacher's argmax tag of each token: the hard target of Tang et al. 2019,
    §3.2, per token), when either is known, `teacher_logits` (`TokenTeacherLogitsField`,
    `(num_tokens, num_tags)` once indexed) for transfer-set rows, and `metadata`
    (`{"words": [...]}`).

    Registered as a `DatasetReader` with name "tagging".

    # Parameters
    token_indexers : `Dict[str, TokenIndexer]`, optional
        Default `{"tokens": SingleIdTokenIndexer()}`; `pretrained_transformer_mismatched` for a
        transformer teacher (each word is the mean of its word pieces; AllenNLP's rule).
    tag_column : `int`, optional (default = `-1`)
        The CoNLL column of the gold tag: `-1` (last) is the NER tag of CoNLL-2003 and the UPOS
        tag of `FORM XPOS UPOS` files.
    pos_column : `int`, optional (default = `1`)
        The CoNLL column of the POS tag, kept for POS-guided replacement (`None`: none).
    label_encoding : `str`, optional (default = `None`)
        `"BIO"` or `"IOB1"` to check that every gold tag is `O` or `B-`/`I-` plus a type.
    tags : `Sequence[str]`, optional (default = `None`)
        The task's tag set: a gold tag outside it is an error naming its line, so a stray tag
        never becomes a class of its own (`None`: no check beyond `label_encoding`).
    unknown_tokens : `Sequence[str]`, optional (default = `()`)
        Words read as `@@UNKNOWN@@` (a student reading a transfer set: the teacher's mask token,
        `[MASK]` or `<mask>`, so the augmentation trains the unknown-word vector).
    max_line_bytes : `int`, optional (default = `100_000`)

    # Raises
    `DataFormatError` (a `ValueError`) naming `file:line` for a malformed line or row
    (`iter_tagged_rows`) and for a tag that breaks `label_encoding`; a `ValueError` naming the
    row when a tag or the logits' tags are outside the vocabulary's at indexing.
    """

    def __init__(
        self,
        token_indexers: Optional[Dict[str, TokenIndexer]] = None,
        tag_column: int = -1,
        pos_column: Optional[int] = 1,
        label_encoding: Optional[str] = None,
        tags: Optional[Sequence[str]] = None,
        unknown_tokens: Sequence[str] = (),
        max_line_bytes: Optional[int] = MAX_LINE_BYTES,
        **kwargs,
    ) -> None:
        super().__init__(
            manual_distributed_sharding=True, manual_multiprocess_sharding=True, **kwargs
        )
        if label_encoding is not None and label_encoding not in _TAG_PATTERNS:
            raise ValueError(
                f"tagging reader: label_encoding must be one of {sorted(_TAG_PATTERNS)} or null, "
                f"got {label_encoding!r}"
            )
        self._token_indexers = token_indexers or {"tokens": SingleIdTokenIndexer()}
        self._tag_column = tag_column
        self._pos_column = pos_column
        self._label_encoding = label_encoding
        self._tags = None if tags is None else frozenset(tags)
        self._unknown_tokens = frozenset(unknown_tokens)
        self._max_line_bytes = max_line_bytes

    def _read(self, file_path: str) -> Iterable[Instance]:
        path = str(file_path)
        rows = iter_tagged_rows(path, self._tag_column, self._pos_column, self._max_line_bytes)
        for (line_number, words, _pos, tags), logits in self.shard_iterable(rows):
            source = f"{path}:{line_number}"
            if tags is not None:
                self.check_tags(path, line_number, tags)
            yield self.text_to_instance(words, tags, logits, source=source)

    def check_tags(self, path: str, line_number: int, tags: Sequence[str]) -> None:
        """
        # Raises
        `DataFormatError` naming the tag's own line (a CoNLL file) for a tag outside `tags` or
        not of `label_encoding`.
        """
        pattern = _TAG_PATTERNS.get(self._label_encoding or "")
        for offset, tag in enumerate(tags):
            line = line_number + offset if not path.endswith(JSONL_SUFFIXES) else line_number
            if self._tags is not None and tag not in self._tags:
                raise DataFormatError(
                    path, line, f"tag {tag!r} is not in the task's tag set {sorted(self._tags)}"
                )
            if pattern is not None and not pattern.match(tag):
                raise DataFormatError(
                    path,
                    line,
                    f"tag {tag!r} is not {self._label_encoding} (O, or B-/I- and a type)",
                )

    def text_to_instance(
        self,
        words: Sequence[str],
        tags: Optional[Sequence[str]] = None,
        teacher_logits: Optional[Dict[str, List[float]]] = None,
        source: Optional[str] = None,
    ) -> Instance:
        """
        Builds an instance without token indexers (`apply_token_indexers` adds them).

        # Parameters
        words : `Sequence[str]`
            The sentence's tokens, as the gold file splits them.
        tags : `Sequence[str]`, optional
            One gold tag per word; without it and with `teacher_logits`, the teacher's argmax.
        teacher_logits : `Dict[str, List[float]]`, optional
            Tag name to the teacher's logit of each word.
        source : `str`, optional
            `"file:line"`, named in indexing errors.

        # Raises
        `EmptyTextError` (a `ValueError`, `EMPTY_TEXT`) for a sentence of no words; `ValueError`
        for tags or logits of another length than `words`.
        """
        if not "".join(words).strip():
            raise EmptyTextError(source, EMPTY_TEXT)
        text_field = TextField(
            [Token(DEFAULT_OOV_TOKEN if w in self._unknown_tokens else w) for w in words]
        )
        fields: Dict[str, Field] = {
            "tokens": text_field,
            "metadata": MetadataField({"words": list(words)}),
        }
        if tags is None and teacher_logits:
            names = list(teacher_logits)
            tags = [
                max(names, key=lambda name: teacher_logits[name][i])  # noqa: B023
                for i in range(len(words))
            ]
        if tags is not None:
            if len(tags) != len(words):
                raise ValueError(f"{source or 'input'}: {len(tags)} tags for {len(words)} words")
            fields["tags"] = SourcedSequenceLabelField(list(tags), text_field, source=source)
        if teacher_logits is not None:
            fields[TEACHER_LOGITS_KEY] = TokenTeacherLogitsField(
                teacher_logits, text_field, source=source
            )
        return Instance(fields)

    def apply_token_indexers(self, instance: Instance) -> None:
        instance.fields["tokens"].token_indexers = self._token_indexers  # type: ignore[attr-defined]
