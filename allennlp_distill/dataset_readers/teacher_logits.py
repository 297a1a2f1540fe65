import logging
from typing import Dict, Iterable, Optional, Tuple

from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.fields import Field, TextField
from allennlp.data.instance import Instance
from allennlp.data.token_indexers import SingleIdTokenIndexer, TokenIndexer
from allennlp.data.tokenizers import Tokenizer

from allennlp_distill.dataset_readers.rows import (
    MAX_LINE_BYTES,
    TEACHER_LOGITS_KEY,
    DataFormatError,
    EmptyTextError,
    SkippedRows,
    SpecialTokenCount,
    is_sharded,
    iter_rows,
    optional_label,
    read_teacher_logits,
    refuse_empty_text,
    refuse_no_tokens,
    require_text,
)
from allennlp_distill.dataset_readers.teacher_logits_field import (
    classification_targets,
)
from allennlp_distill.tokenizers.spacy_rules import SpacyRulesTokenizer

logger = logging.getLogger(__name__)

__all__ = ["TEACHER_LOGITS_KEY", "TeacherLogitsReader"]


@DatasetReader.register("teacher_logits")
class TeacherLogitsReader(SpecialTokenCount, DatasetReader):
    """
    Reads gold-labelled GLUE-format TSV and teacher-labelled transfer-set JSONL into the same
    instances, so one student config trains on a transfer set and validates on a GLUE dev file
    (Tang et al. 2019, §3: the student learns from the teacher's logits on the transfer set).

    Files ending in `.jsonl`/`.json` hold one object per line:
    `{"sentence": "...", "teacher_logits": {"0": -1.3, "1": 2.1}, "label": "1"}`, where the text
    key is `text_column`, the logits are keyed by label name, and the gold label is optional. Any
    other file is GLUE TSV with a header row (`sentence<TAB>label`), read without quoting.

    Each instance has `tokens` (`TextField`), `label` (`LabelField`: the gold label, or, for a
    transfer-set row without one, the teacher's argmax label, which is the hard target Tang et al.
    use for augmented examples) when either is known, and `teacher_logits`
    (`TeacherLogitsField`, shape `(num_labels,)` once indexed) for transfer-set rows.

    Registered as a `DatasetReader` with name "teacher_logits".

    # Parameters
    tokenizer : `Tokenizer`, optional (default = `SpacyRulesTokenizer()`)
        Splits the text into tokens; a `pretrained_transformer` tokenizer for a teacher.
    token_indexers : `Dict[str, TokenIndexer]`, optional
        Default `{"tokens": SingleIdTokenIndexer()}`.
    text_column : `str`, optional (default = `"sentence"`)
        The TSV column or JSON key holding the text.
    label_column : `str`, optional (default = `"label"`)
        The TSV column or JSON key holding the gold label. A file without it yields unlabelled
        instances (e.g. GLUE test files).
    max_tokens : `int`, optional (default = `None`)
        Keep at most this many tokens (a transformer teacher's input limit).
    skip_bad_rows : `bool`, optional (default = `False`)
        Skip rows that would raise `DataFormatError` (a missing header still raises), and log
        how many, by problem, in one warning at the end of each file.
    max_line_bytes : `int`, optional (default = `100_000`)
        Longer lines are bad rows (`None`: no limit).

    # Raises
    `DataFormatError` (a `ValueError`) naming `file:line` for a malformed line, a missing or
    empty text, non-finite or non-numeric logits, or logits whose labels differ from the rest of
    the file's, or from the gold label.
    """

    def __init__(
        self,
        tokenizer: Optional[Tokenizer] = None,
        token_indexers: Optional[Dict[str, TokenIndexer]] = None,
        text_column: str = "sentence",
        label_column: str = "label",
        max_tokens: Optional[int] = None,
        skip_bad_rows: bool = False,
        max_line_bytes: Optional[int] = MAX_LINE_BYTES,
        **kwargs,
    ) -> None:
        super().__init__(
            manual_distributed_sharding=True, manual_multiprocess_sharding=True, **kwargs
        )
        self._tokenizer = tokenizer or SpacyRulesTokenizer()
        self._token_indexers = token_indexers or {"tokens": SingleIdTokenIndexer()}
        self._text_column = text_column
        self._label_column = label_column
        self._max_tokens = max_tokens
        self._skip_bad_rows = skip_bad_rows
        self._max_line_bytes = max_line_bytes

    @property
    def text_columns(self) -> Tuple[str, ...]:
        """The column holding the text, as a 1-tuple (a pair reader has two)."""
        return (self._text_column,)

    @property
    def label_column(self) -> str:
        """The column holding the gold label."""
        return self._label_column

    def _read(self, file_path: str) -> Iterable[Instance]:
        path = str(file_path)
        labels_in_file = None
        skipped = SkippedRows(self._skip_bad_rows)
        rows = iter_rows(path, self._max_line_bytes, skipped, required_columns=self.text_columns)
        instances = 0
        for line_number, row in self.shard_iterable(rows):
            try:
                text = require_text(path, line_number, row, self._text_column)
                label = optional_label(row, self._label_column)
                teacher_logits = read_teacher_logits(path, line_number, row, label, labels_in_file)
            except DataFormatError as error:
                skipped(error)
                continue
            source = f"{path}:{line_number}"
            try:
                instance = self.text_to_instance(text, label, teacher_logits, source=source)
            except EmptyTextError as error:  # no token the tokenizer keeps: a bad row too
                skipped(DataFormatError(path, line_number, error.problem))
                continue
            if teacher_logits is not None:
                labels_in_file = labels_in_file or list(teacher_logits)
            instances += 1
            yield instance
        skipped.finish(path, instances, is_sharded(self))

    def text_to_instance(
        self,
        text: str,
        label: Optional[str] = None,
        teacher_logits: Optional[Dict[str, float]] = None,
        source: Optional[str] = None,
    ) -> Instance:
        """
        Builds an instance without token indexers (`apply_token_indexers` adds them).

        # Parameters
        text : `str`
        label : `str`, optional
            The gold label; without it and with `teacher_logits`, the teacher's argmax label.
        teacher_logits : `Dict[str, float]`, optional
            Label name to teacher logit.
        source : `str`, optional
            `"file:line"`, named in indexing errors.

        # Raises
        `EmptyTextError` (a `ValueError`) for an empty or whitespace-only `text`
        (`refuse_empty_text`), or one of which the tokenizer keeps no token (`refuse_no_tokens`).
        """
        refuse_empty_text(text, source)
        tokens = self._tokenizer.tokenize(text)
        refuse_no_tokens(tokens, self.special_tokens(), self._text_column, source)
        if self._max_tokens is not None:
            tokens = tokens[: self._max_tokens]
        fields: Dict[str, Field] = {"tokens": TextField(tokens)}
        fields.update(classification_targets(label, teacher_logits, source))
        return Instance(fields)

    def apply_token_indexers(self, instance: Instance) -> None:
        instance.fields["tokens"].token_indexers = self._token_indexers  # type: ignore[attr-defined]
