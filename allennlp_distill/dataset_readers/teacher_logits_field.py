from typing import Dict, Optional

import torch
from allennlp.data.fields.field import Field
from allennlp.data.vocabulary import Vocabulary

from allennlp_distill.dataset_readers.gold_label_field import GoldLabelField
from allennlp_distill.dataset_readers.rows import TEACHER_LOGITS_KEY


class TeacherLogitsField(Field[torch.Tensor]):
    """
    The teacher's logits for one instance, kept keyed by label **name** until indexing, when they
    are laid out in the order of the vocabulary's label namespace. AllenNLP numbers labels by
    frequency, so a bare logit vector would silently disagree with the student's label indices.

    # Parameters
    logits : `Dict[str, float]`
        Label name to the teacher's logit (pre-softmax score).
    label_namespace : `str`, optional (default = `"labels"`)
        The namespace that the `LabelField` of the same instance uses.
    source : `str`, optional (default = `None`)
        Where the logits came from (`"file:line"`), named in indexing errors.

    `as_tensor` gives shape `(num_labels,)`; a batch is `(batch_size, num_labels)`.
    """

    __slots__ = ["logits", "_label_namespace", "_source", "_indexed"]

    def __init__(
        self,
        logits: Dict[str, float],
        label_namespace: str = "labels",
        source: Optional[str] = None,
    ) -> None:
        self.logits = logits
        self._label_namespace = label_namespace
        self._source = source
        self._indexed: Optional[torch.Tensor] = None

    def count_vocab_items(self, counter: Dict[str, Dict[str, int]]) -> None:
        # Counted so that a label the teacher knows but no gold row uses still gets an index.
        for label in self.logits:
            counter[self._label_namespace][label] += 1

    def index(self, vocab: Vocabulary) -> None:
        """
        # Raises
        `ValueError` naming the source row when the logits' labels are not exactly the labels of
        the vocabulary's namespace.
        """
        label_to_index = vocab.get_token_to_index_vocabulary(self._label_namespace)
        if set(label_to_index) != set(self.logits):
            where = f"{self._source}: " if self._source else ""
            raise ValueError(
                f"{where}teacher logits are keyed by labels {sorted(self.logits)}, but the "
                f"vocabulary namespace {self._label_namespace!r} has {sorted(label_to_index)}"
            )
        ordered = [0.0] * len(label_to_index)
        for label, index in label_to_index.items():
            ordered[index] = self.logits[label]
        self._indexed = torch.tensor(ordered, dtype=torch.float32)

    def get_padding_lengths(self) -> Dict[str, int]:
        return {}

    def as_tensor(self, padding_lengths: Dict[str, int]) -> torch.Tensor:
        if self._indexed is None:
            raise RuntimeError("TeacherLogitsField.index(vocab) must be called before as_tensor")
        return self._indexed

    def empty_field(self) -> "TeacherLogitsField":
        return TeacherLogitsField({}, self._label_namespace)

    def human_readable_repr(self) -> Dict[str, float]:
        return dict(self.logits)

    def __len__(self) -> int:
        return len(self.logits)

    def __str__(self) -> str:
        return f"TeacherLogitsField({self.logits}) in namespace {self._label_namespace!r}."


def classification_targets(
    label: Optional[str], teacher_logits: Optional[Dict[str, float]], source: Optional[str]
) -> Dict[str, Field]:
    """
    The target fields of a classification instance: `label` (the gold label, or for a
    transfer-set row without one the teacher's argmax label, Tang et al.'s hard target for
    augmented examples) and `teacher_logits`, each when known.
    """
    fields: Dict[str, Field] = {}
    if label is None and teacher_logits:
        label = max(teacher_logits, key=teacher_logits.__getitem__)
    if label is not None:
        fields["label"] = GoldLabelField(label, source=source)
    if teacher_logits is not None:
        fields[TEACHER_LOGITS_KEY] = TeacherLogitsField(teacher_logits, source=source)
    return fields
