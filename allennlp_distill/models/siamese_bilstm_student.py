from typing import Dict, Optional, Union

import torch
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.models.model import Model
from allennlp.modules import Seq2VecEncoder, TextFieldEmbedder
from allennlp.nn import InitializerApplicator
from allennlp.nn.util import get_text_field_mask

from allennlp_distill.models.bilstm_student import relu_layer, student_encoder
from allennlp_distill.models.task_metrics import ClassificationMetrics, RegressionMetrics
from allennlp_distill.modules.pair_features import pair_features


@Model.register("siamese_bilstm_student")
class SiameseBiLstmStudent(Model):
    """
    The sentence-pair student of Tang et al. (2019), §3.2: one BiLSTM, shared by both sentences,
    encodes each into `h = [forward final state; backward final state]`; the pair features
    `[h1; h2; h1 ⊙ h2; |h1 − h2|]` go through one ReLU layer to the logits, or, with
    `regression`, to a single score (STS-B, SICK relatedness).

    Registered as a `Model` with name "siamese_bilstm_student".

    # Parameters
    vocab : `Vocabulary`
    text_field_embedder : `TextFieldEmbedder`
        Embeds both sentences: `(batch_size, num_tokens, embedding_dim)` each.
    hidden_size : `int`, optional (default = `150`)
        LSTM units per direction; the pair features have `8 * hidden_size` dimensions.
    relu_size : `int`, optional (default = `400`)
        Units of the ReLU layer (Tang et al.: 400 for sentence pairs).
    dropout : `float`, optional (default = `0.0`)
        Dropout on the pair features.
    regression : `bool`, optional (default = `False`)
        Output one score trained with mean squared error instead of logits.
    positive_label : `str`, optional (default = `None`)
        Classification only: report this label's `f1`, `precision` and `recall` too.
    label_namespace : `str`, optional (default = `"labels"`)
    initializer : `InitializerApplicator`, optional
    encoder : `Seq2VecEncoder`, optional (default = Tang's BiLSTM of `hidden_size` units)
        Another sentence encoder in the BiLSTM's place, shared by both sentences, e.g. Kim's CNN
        (`siamese_cnn_student`); the pair features have 4 times its output width.

    # Raises
    `ConfigurationError` when `encoder`'s input width is not the embedder's output width.
    """

    def __init__(
        self,
        vocab: Vocabulary,
        text_field_embedder: TextFieldEmbedder,
        hidden_size: int = 150,
        relu_size: int = 400,
        dropout: float = 0.0,
        regression: bool = False,
        positive_label: Optional[str] = None,
        label_namespace: str = "labels",
        initializer: Optional[InitializerApplicator] = None,
        encoder: Optional[Seq2VecEncoder] = None,
        **kwargs,
    ) -> None:
        super().__init__(vocab, **kwargs)
        self._text_field_embedder = text_field_embedder
        self._encoder = student_encoder(text_field_embedder, encoder, hidden_size)
        self._dropout = torch.nn.Dropout(dropout)
        # Over pair_features: four sentence vectors' worth of features.
        self._relu_layer = relu_layer(4 * self._encoder.get_output_dim(), relu_size)
        self._regression = regression
        self._label_namespace = label_namespace
        num_outputs = 1 if regression else vocab.get_vocab_size(label_namespace)
        self._output_layer = torch.nn.Linear(relu_size, num_outputs)
        self._metrics: Union[ClassificationMetrics, RegressionMetrics] = (
            RegressionMetrics()
            if regression
            else ClassificationMetrics(vocab, label_namespace, positive_label)
        )
        (initializer or InitializerApplicator())(self)

    def _encode(self, sentence: TextFieldTensors) -> torch.Tensor:
        mask = get_text_field_mask(sentence)
        return self._encoder(self._text_field_embedder(sentence), mask)

    def forward(
        self,
        sentence1: TextFieldTensors,
        sentence2: TextFieldTensors,
        label: Optional[torch.Tensor] = None,
    ) -> Dict[str, torch.Tensor]:
        """
        # Parameters
        sentence1, sentence2 : `TextFieldTensors`
            Token ids, `(batch_size, num_tokens_1)` and `(batch_size, num_tokens_2)`.
        label : `torch.Tensor`, optional
            Label indices `(batch_size,)`, or gold scores `(batch_size,)` with `regression`.

        # Returns
        Classification: `logits`, `probs` `(batch_size, num_labels)`; regression: `score`
        `(batch_size,)`. `loss` (cross-entropy, or mean squared error) when `label` is given.
        """
        features = pair_features(self._encode(sentence1), self._encode(sentence2))
        outputs = self._output_layer(self._relu_layer(self._dropout(features)))
        if self._regression:
            score = outputs.squeeze(-1)
            output = {"score": score}
            if label is not None:
                output["loss"] = torch.nn.functional.mse_loss(score, label.to(score.dtype))
                self._metrics(score, label)
            return output
        output = {"logits": outputs, "probs": torch.softmax(outputs, dim=-1)}
        if label is not None:
            output["loss"] = torch.nn.functional.cross_entropy(outputs, label.long().view(-1))
            self._metrics(outputs, label)
        return output

    def make_output_human_readable(
        self, output_dict: Dict[str, torch.Tensor]
    ) -> Dict[str, torch.Tensor]:
        """Adds `label`, the most probable label name of each instance (classification)."""
        if not self._regression:
            labels = self.vocab.get_index_to_token_vocabulary(self._label_namespace)
            output_dict["label"] = [  # type: ignore[assignment]
                labels[int(index)] for index in output_dict["probs"].argmax(dim=-1)
            ]
        return output_dict

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        return self._metrics.get_metric(reset)

    default_predictor = "sentence_pair"
