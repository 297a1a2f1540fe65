from typing import Optional

import torch
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.models.basic_classifier import BasicClassifier
from allennlp.models.model import Model

from allennlp_distill.models.task_metrics import ClassificationMetrics


@Model.register("f1_classifier")
class F1Classifier(BasicClassifier):
    """
    AllenNLP's `basic_classifier` that also reports the F1 of a positive label, the GLUE metric of
    MRPC and QQP: the teacher for paraphrase tasks, scored as the students are.

    Registered as a `Model` with name "f1_classifier".

    # Parameters
    vocab : `Vocabulary`
    positive_label : `str`, optional (default = `None`)
        The label whose `f1`, `precision` and `recall` join `accuracy`.
    **kwargs
        The parameters of `basic_classifier`.
    """

    def __init__(self, vocab: Vocabulary, positive_label: Optional[str] = None, **kwargs) -> None:
        super().__init__(vocab, **kwargs)
        self._metrics = ClassificationMetrics(vocab, self._label_namespace, positive_label)

    def forward(  # type: ignore[override]
        self, tokens: TextFieldTensors, label: Optional[torch.IntTensor] = None
    ):
        """As `basic_classifier`: `logits`, `probs` `(batch_size, num_labels)`, and `loss`."""
        output = super().forward(tokens, label)  # type: ignore[arg-type]
        if label is not None:
            self._metrics(output["logits"], label)
        return output

    def get_metrics(self, reset: bool = False):
        return self._metrics.get_metric(reset)

    default_predictor = "text_classifier"
