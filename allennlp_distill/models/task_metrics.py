"""
The task metrics every model of the plugin reports, kept in one place so that teacher, student and
baseline are scored alike: accuracy (and F1 of a positive label, GLUE's MRPC/QQP metric) for
classification, Pearson and Spearman correlation (GLUE's STS-B metric) for regression.
"""

from typing import Dict, Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.training.metrics import (
    CategoricalAccuracy,
    F1Measure,
    PearsonCorrelation,
    SpearmanCorrelation,
)


class ClassificationMetrics:
    """
    `accuracy`, plus `f1` (and its `precision`, `recall`) of `positive_label` when given.

    # Parameters
    vocab : `Vocabulary`
    label_namespace : `str`
    positive_label : `str`, optional
        The label name whose F1 is reported (GLUE: `"1"` for MRPC and QQP).

    # Raises
    `ConfigurationError` when `positive_label` is not in the vocabulary's label namespace.
    """

    def __init__(
        self, vocab: Vocabulary, label_namespace: str, positive_label: Optional[str] = None
    ) -> None:
        self._accuracy = CategoricalAccuracy()
        self._f1: Optional[F1Measure] = None
        if positive_label is not None:
            labels = vocab.get_token_to_index_vocabulary(label_namespace)
            if positive_label not in labels:
                raise ConfigurationError(
                    f"model.positive_label {positive_label!r} is not a label of the data "
                    f"({sorted(labels)})"
                )
            self._f1 = F1Measure(labels[positive_label])

    def __call__(self, logits: torch.Tensor, label: torch.Tensor) -> None:
        """`logits` `(batch_size, num_labels)`, `label` `(batch_size,)` label indices."""
        self._accuracy(logits, label)
        if self._f1 is not None:
            self._f1(logits, label)

    def get_metric(self, reset: bool = False) -> Dict[str, float]:
        metrics = {"accuracy": self._accuracy.get_metric(reset)}
        if self._f1 is not None:
            metrics.update(self._f1.get_metric(reset))
        return metrics


class RegressionMetrics:
    """`pearson` and `spearman` correlation of predicted and gold scores."""

    def __init__(self) -> None:
        self._pearson = PearsonCorrelation()
        self._spearman = SpearmanCorrelation()

    def __call__(self, score: torch.Tensor, label: torch.Tensor) -> None:
        """`score` and `label`: `(batch_size,)`."""
        self._pearson(score, label)
        self._spearman(score, label)

    def get_metric(self, reset: bool = False) -> Dict[str, float]:
        return {
            "pearson": float(self._pearson.get_metric(reset)),
            "spearman": float(self._spearman.get_metric(reset)),
        }
