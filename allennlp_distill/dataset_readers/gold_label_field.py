from typing import Optional

from allennlp.data.fields import LabelField
from allennlp.data.vocabulary import Vocabulary


class GoldLabelField(LabelField):
    """
    AllenNLP's `LabelField` that remembers the row it came from, so that a label the model's
    vocabulary does not have (a dev or test file with a label the training data never had) fails
    naming that row instead of with a bare `KeyError`.

    # Parameters
    label : `str`
    source : `str`, optional (default = `None`)
        `"file:line"`.
    label_namespace : `str`, optional (default = `"labels"`)
    """

    __slots__ = ["_source"]

    def __init__(
        self, label: str, source: Optional[str] = None, label_namespace: str = "labels"
    ) -> None:
        super().__init__(label, label_namespace=label_namespace)
        self._source = source

    def index(self, vocab: Vocabulary) -> None:
        """
        # Raises
        `ValueError` naming the source row when the label is not in the vocabulary.
        """
        labels = vocab.get_token_to_index_vocabulary(self._label_namespace)
        if self.label not in labels:
            where = f"{self._source}: " if self._source else ""
            raise ValueError(
                f"{where}label {self.label!r} is not one the model knows: {sorted(labels)}"
            )
        super().index(vocab)
