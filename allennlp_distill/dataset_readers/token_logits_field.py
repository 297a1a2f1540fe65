"""
Fields of token-level distillation: per-token teacher logits kept by tag **name** until indexing,
and gold tags whose indexing errors name the row.
"""

from typing import Dict, List, Optional

import torch
from allennlp.data.fields import SequenceLabelField
from allennlp.data.fields.field import Field
from allennlp.data.fields.sequence_field import SequenceField
from allennlp.data.vocabulary import Vocabulary


class SourcedSequenceLabelField(SequenceLabelField):
    """
    AllenNLP's `SequenceLabelField` whose indexing names its row (`source`, `"file:line"`) when a
    tag is not in the vocabulary, instead of a bare `KeyError`.

    # Raises
    `ValueError` at `index` for a tag outside the namespace.
    """

    def __init__(
        self,
        labels: List[str],
        sequence_field: SequenceField,
        label_namespace: str = "labels",
        source: Optional[str] = None,
    ) -> None:
        super().__init__(labels, sequence_field, label_namespace)
        self._source = source

    def index(self, vocab: Vocabulary) -> None:
        known = vocab.get_token_to_index_vocabulary(self._label_namespace)
        unknown = sorted({label for label in self.labels if label not in known})
        if unknown:
            where = f"{self._source}: " if self._source else ""
            raise ValueError(
                f"{where}tag(s) {unknown} are not in the model's tag set {sorted(known)}"
            )
        super().index(vocab)


class TokenTeacherLogitsField(Field[torch.Tensor]):
    """
    The teacher's logits of every token of a sentence, keyed by tag name until indexing, when they
    are laid out in the order of the vocabulary's tag namespace (AllenNLP numbers tags by
    frequency: a bare matrix would silently disagree with the student's tag indices).

    `as_tensor` gives `(num_tokens, num_tags)`, zero-padded to the batch's longest sentence, so a
    batch is `(batch_size, num_tokens, num_tags)`, aligned with the `TextField`'s tokens.

    # Parameters
    logits : `Dict[str, List[float]]`
        Tag name to the teacher's logit of each token.
    sequence_field : `SequenceField`
        The tokens the logits belong to (its length is checked).
    label_namespace : `str`, optional (default = `"labels"`)
    source : `str`, optional
        `"file:line"`, named in errors.

    # Raises
    `ValueError` when a tag's logits are not one per token, and at `index` when the logits'
    tags are not exactly the namespace's.
    """

    __slots__ = ["logits", "_length", "_label_namespace", "_source", "_indexed", "_columns"]

    def __init__(
        self,
        logits: Dict[str, List[float]],
        sequence_field: SequenceField,
        label_namespace: str = "labels",
        source: Optional[str] = None,
    ) -> None:
        self.logits = logits
        self._length = sequence_field.sequence_length()
        self._label_namespace = label_namespace
        self._source = source
        self._indexed: Optional[torch.Tensor] = None
        self._columns: List[str] = []
        for tag, values in logits.items():
            if len(values) != self._length:
                raise ValueError(
                    f"{source or 'input'}: {len(values)} logits of tag {tag!r} for "
                    f"{self._length} tokens"
                )

    def count_vocab_items(self, counter: Dict[str, Dict[str, int]]) -> None:
        # So that a tag the teacher knows but no gold row uses still gets an index.
        for tag in self.logits:
            counter[self._label_namespace][tag] += 1

    def index(self, vocab: Vocabulary) -> None:
        tag_to_index = vocab.get_token_to_index_vocabulary(self._label_namespace)
        if set(tag_to_index) != set(self.logits):
            where = f"{self._source}: " if self._source else ""
            raise ValueError(
                f"{where}teacher logits are keyed by tags {sorted(self.logits)}, but the "
                f"vocabulary namespace {self._label_namespace!r} has {sorted(tag_to_index)}"
            )
        if self._indexed is not None:  # indexed before: lay the columns out again
            columns = {tag: self._indexed[:, i] for i, tag in enumerate(self._columns)}
        else:
            columns = {tag: torch.tensor(v, dtype=torch.float32) for tag, v in self.logits.items()}
        indexed = torch.empty(self._length, len(tag_to_index))
        for tag, index in tag_to_index.items():
            indexed[:, index] = columns[tag]
        self._indexed = indexed
        self._columns = sorted(tag_to_index, key=tag_to_index.__getitem__)
        # The tensor replaces the lists (a transfer set holds millions of logits).
        self.logits = {tag: [] for tag in self.logits}

    def get_padding_lengths(self) -> Dict[str, int]:
        return {"num_tokens": self._length}

    def as_tensor(self, padding_lengths: Dict[str, int]) -> torch.Tensor:
        if self._indexed is None:
            raise RuntimeError("TokenTeacherLogitsField.index(vocab) must come before as_tensor")
        padded = self._indexed.new_zeros(padding_lengths["num_tokens"], self._indexed.size(1))
        padded[: self._length] = self._indexed
        return padded

    def empty_field(self) -> "TokenTeacherLogitsField":
        field = TokenTeacherLogitsField.__new__(TokenTeacherLogitsField)
        field.logits, field._length = {}, 0
        field._label_namespace, field._source = self._label_namespace, None
        field._indexed, field._columns = torch.zeros(0, 0), []
        return field

    def human_readable_repr(self) -> Dict[str, List[float]]:
        if self._indexed is not None and self._columns:
            return {tag: self._indexed[:, i].tolist() for i, tag in enumerate(self._columns)}
        return dict(self.logits)

    def __len__(self) -> int:
        return self._length

    def __str__(self) -> str:
        return (
            f"TokenTeacherLogitsField of {self._length} tokens, tags {sorted(self.logits)} in "
            f"namespace {self._label_namespace!r}."
        )
