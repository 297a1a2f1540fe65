import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary

from allennlp_distill.models.task_metrics import ClassificationMetrics


def labels_vocab() -> Vocabulary:
    vocab = Vocabulary()
    vocab.add_tokens_to_namespace(["0", "1"], "labels")
    return vocab


def test_a_positive_label_the_data_lacks_is_named_with_the_labels_it_has():
    with pytest.raises(ConfigurationError, match=r"positive_label 'yes' .* \(\['0', '1'\]\)"):
        ClassificationMetrics(labels_vocab(), "labels", positive_label="yes")


def test_f1_is_of_the_named_positive_label():
    vocab = labels_vocab()
    metrics = ClassificationMetrics(vocab, "labels", positive_label="1")
    # Label "1": two right, one missed, one false alarm: precision = recall = F1 = 2/3.
    logits = torch.tensor([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    gold = torch.tensor([vocab.get_token_index(label, "labels") for label in "11100"])
    metrics(logits, gold)
    values = metrics.get_metric(reset=True)
    assert values["accuracy"] == pytest.approx(0.6)
    assert values["f1"] == pytest.approx(2 / 3)
