import logging
import math
from collections import Counter
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.fields import Field, TensorField, TextField
from allennlp.data.instance import Instance
from allennlp.data.token_indexers import SingleIdTokenIndexer, TokenIndexer
from allennlp.data.tokenizers import PretrainedTransformerTokenizer, Token, Tokenizer

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
from allennlp_distill.serving import longest_first
from allennlp_distill.tokenizers.spacy_rules import SpacyRulesTokenizer

logger = logging.getLogger(__name__)

#: The key of a regression teacher's single output in a transfer set's `teacher_logits`.
SCORE = "score"
_ROLES = ("sentence1", "sentence2", "label")


@DatasetReader.register("pair_teacher_logits")
class PairTeacherLogitsReader(SpecialTokenCount, DatasetReader):
    """
    Reads sentence pairs, gold-labelled (GLUE/SICK TSV) or teacher-labelled (transfer-set JSONL),
    for a teacher that encodes both sentences jointly or a siamese student that encodes each alone
    (Tang et al. 2019, §3.2). It is `teacher_logits`'s twin for pairs; see there for the JSONL
    format. `columns` names the file's columns, so real GLUE files are read unmodified (no
    quoting, UTF-8 byte-order mark and CRLF tolerated):

    | task | `columns` (`sentence1`, `sentence2`, `label`) |
    |---|---|
    | QQP | `question1`, `question2`, `is_duplicate` |
    | MNLI | `sentence1`, `sentence2`, `gold_label` (`skip_labels: ["-"]`) |
    | MRPC | `#1 String`, `#2 String`, `Quality` |
    | STS-B | `sentence1`, `sentence2`, `score` (`regression: true`) |
    | SICK | `sentence_A`, `sentence_B`, `entailment_judgment` or `relatedness_score` |

    Instances have, with `combine_input_fields`, one `tokens` field holding both sentences with
    the tokenizer's pair special tokens and segment ids (a transformer teacher), or else
    `sentence1` and `sentence2` fields (a siamese student). A classification instance has a
    `label` `LabelField` (gold, or the teacher's argmax label for a transfer-set row without one)
    and `teacher_logits` (`TeacherLogitsField`, `(num_labels,)` once indexed). A regression
    instance has a float `label` (`()`: gold score, or the teacher's) and `teacher_logits`
    `(1,)`, the teacher's score, stored in the transfer set as `{"score": x}`.

    Registered as a `DatasetReader` with name "pair_teacher_logits".

    # Parameters
    tokenizer : `Tokenizer`, optional (default = `SpacyRulesTokenizer()`)
        A `pretrained_transformer` tokenizer must have `add_special_tokens: false`: the reader
        adds the pair's special tokens itself.
    token_indexers : `Dict[str, TokenIndexer]`, optional (default = `{"tokens": single_id}`)
    columns : `Dict[str, str]`, optional (default = the names of the roles)
        The file columns (or JSON keys) of the roles `sentence1`, `sentence2` and `label`.
    combine_input_fields : `bool`, optional (default = whether `tokenizer` is a transformer's)
    regression : `bool`, optional (default = `False`)
        The label is a number (STS-B, SICK relatedness) and the teacher gives one score.
    skip_labels : `Sequence[str]`, optional (default = `()`)
        Gold labels whose rows are skipped, e.g. MNLI/SNLI's `-` (no annotator majority); the
        number skipped is logged as a warning at the end of each file.
    max_tokens : `int`, optional (default = `None`)
        Combined: at most this many tokens in all, special tokens included, taken from the longer
        sentence first. Separate: at most this many per sentence.
    skip_bad_rows : `bool`, optional (default = `False`)
        Skip rows that would raise `DataFormatError` (a missing header still raises), and log
        how many, by problem, in one warning at the end of each file.
    max_line_bytes : `int`, optional (default = `100_000`)
        Longer lines are bad rows (`None`: no limit).

    # Raises
    `ConfigurationError` for an unknown role in `columns` or a transformer tokenizer that adds
    its own special tokens; `DataFormatError` naming `file:line` as `teacher_logits` does, and
    for a regression label or teacher score that is not a finite number.
    """

    def __init__(
        self,
        tokenizer: Optional[Tokenizer] = None,
        token_indexers: Optional[Dict[str, TokenIndexer]] = None,
        columns: Optional[Dict[str, str]] = None,
        combine_input_fields: Optional[bool] = None,
        regression: bool = False,
        skip_labels: Sequence[str] = (),
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
        unknown = set(columns or {}) - set(_ROLES)
        if unknown:
            raise ConfigurationError(
                f"dataset_reader.columns: unknown role(s) {sorted(unknown)}; use {list(_ROLES)}"
            )
        self._columns = {**{role: role for role in _ROLES}, **(columns or {})}
        is_transformer = isinstance(self._tokenizer, PretrainedTransformerTokenizer)
        if isinstance(self._tokenizer, PretrainedTransformerTokenizer) and (
            self._tokenizer._add_special_tokens
        ):
            raise ConfigurationError(
                "dataset_reader.tokenizer: set add_special_tokens: false; the pair reader adds "
                "the pair's special tokens (and segment ids) itself"
            )
        self._combine = is_transformer if combine_input_fields is None else combine_input_fields
        self._regression = regression
        self._skip_labels = set(skip_labels)
        self._max_tokens = max_tokens
        self._skip_bad_rows = skip_bad_rows
        self._max_line_bytes = max_line_bytes

    @property
    def text_columns(self) -> Tuple[str, ...]:
        """The columns of the first and the second sentence."""
        return (self._columns["sentence1"], self._columns["sentence2"])

    @property
    def label_column(self) -> str:
        """The column holding the gold label."""
        return self._columns["label"]

    def _read(self, file_path: str) -> Iterable[Instance]:
        path = str(file_path)
        labels_in_file = [SCORE] if self._regression else None
        skipped: Counter = Counter()
        bad_rows = SkippedRows(self._skip_bad_rows)
        rows = iter_rows(path, self._max_line_bytes, bad_rows, required_columns=self.text_columns)
        instances = 0
        for line_number, row in self.shard_iterable(rows):
            try:
                sentence1, sentence2 = (
                    require_text(path, line_number, row, column) for column in self.text_columns
                )
                label = optional_label(row, self.label_column)
                if label in self._skip_labels:
                    skipped[label] += 1
                    continue
                teacher_logits = read_teacher_logits(
                    path, line_number, row, None if self._regression else label, labels_in_file
                )
                if self._regression and label is not None:
                    label = str(_finite(path, line_number, label, f"label ({self.label_column})"))
            except DataFormatError as error:
                bad_rows(error)
                continue
            source = f"{path}:{line_number}"
            try:
                instance = self.text_to_instance(
                    sentence1, sentence2, label, teacher_logits, source=source
                )
            except EmptyTextError as error:  # no token the tokenizer keeps: a bad row too
                bad_rows(DataFormatError(path, line_number, error.problem))
                continue
            if teacher_logits is not None:
                labels_in_file = labels_in_file or list(teacher_logits)
            instances += 1
            yield instance
        if skipped:
            logger.warning(
                "%s: skipped %d rows by skip_labels (%s)",
                path,
                sum(skipped.values()),
                ", ".join(f"{label!r}: {count}" for label, count in sorted(skipped.items())),
            )
        bad_rows.finish(path, instances, is_sharded(self))

    def text_to_instance(
        self,
        sentence1: str,
        sentence2: str,
        label: Optional[str] = None,
        teacher_logits: Optional[Dict[str, float]] = None,
        source: Optional[str] = None,
    ) -> Instance:
        """
        Builds an instance without token indexers (`apply_token_indexers` adds them).

        # Parameters
        sentence1, sentence2 : `str`
        label : `str`, optional
            The gold label (a number, as text, for regression).
        teacher_logits : `Dict[str, float]`, optional
            Label name to teacher logit; `{"score": x}` for regression.
        source : `str`, optional
            `"file:line"`, named in indexing errors.

        # Raises
        `EmptyTextError` (a `ValueError`) for an empty or whitespace-only sentence
        (`refuse_empty_text`), or one of which the tokenizer keeps no token (`refuse_no_tokens`).
        """
        refuse_empty_text(sentence1, source)
        refuse_empty_text(sentence2, source)
        tokens1 = self._tokenizer.tokenize(sentence1)
        tokens2 = self._tokenizer.tokenize(sentence2)
        for tokens, column in zip((tokens1, tokens2), self.text_columns):
            refuse_no_tokens(tokens, self.special_tokens(), column, source)
        fields: Dict[str, Field] = {}
        if self._combine:
            budget = None
            if self._max_tokens is not None:
                budget = self._max_tokens - self._tokenizer.num_special_tokens_for_pair()
            tokens1, tokens2 = _truncate_longest_first(tokens1, tokens2, budget)
            fields["tokens"] = TextField(self._tokenizer.add_special_tokens(tokens1, tokens2))
        else:
            fields["sentence1"] = TextField(tokens1[: self._max_tokens])
            fields["sentence2"] = TextField(tokens2[: self._max_tokens])
        if self._regression:
            if teacher_logits is not None:
                score = teacher_logits[SCORE]
                fields[TEACHER_LOGITS_KEY] = TensorField(torch.tensor([score]))
                label = str(score) if label is None else label
            if label is not None:
                fields["label"] = TensorField(torch.tensor(float(label)))
            return Instance(fields)
        fields.update(classification_targets(label, teacher_logits, source))
        return Instance(fields)

    def apply_token_indexers(self, instance: Instance) -> None:
        for name in ("tokens", "sentence1", "sentence2"):
            if name in instance.fields:
                instance.fields[name].token_indexers = self._token_indexers  # type: ignore


def _truncate_longest_first(
    tokens1: List[Token], tokens2: List[Token], budget: Optional[int]
) -> Tuple[List[Token], List[Token]]:
    """Drops tokens from the end of the longer sentence until both fit in `budget` tokens
    (`serving.longest_first`, which serving uses to cut a pair the same way)."""
    keep1, keep2 = longest_first(len(tokens1), len(tokens2), budget)
    return tokens1[:keep1], tokens2[:keep2]


def _finite(path: str, line_number: int, value: str, what: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise DataFormatError(path, line_number, f"{what} is not a finite number: {value!r}")
    return number
