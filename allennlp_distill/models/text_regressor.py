from typing import Dict, Optional

import torch
from allennlp.common.checks import check_dimensions_match
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.models.model import Model
from allennlp.modules import Seq2VecEncoder, TextFieldEmbedder
from allennlp.nn import InitializerApplicator
from allennlp.nn.util import get_text_field_mask

from allennlp_distill.models.task_metrics import RegressionMetrics


@Model.register("text_regressor")
class TextRegressor(Model):
    """
    `basic_classifier`'s regression twin: text field embedder, `Seq2VecEncoder`, dropout and one
    linear unit giving a score, trained with mean squared error on a gold score. The teacher for
    STS-B and SICK relatedness (the text field holds both sentences, encoded jointly), whose score
    the siamese student learns to reproduce (Tang et al. 2019, §3.2, with one output).

    Registered as a `Model` with name "text_regressor".

    # Parameters
    vocab : `Vocabulary`
    text_field_embedder : `TextFieldEmbedder`
    seq2vec_encoder : `Seq2VecEncoder`
    dropout : `float`, optional (default = `0.0`)
    initializer : `InitializerApplicator`, optional
    """

    def __init__(
        self,
        vocab: Vocabulary,
        text_field_embedder: TextFieldEmbedder,
        seq2vec_encoder: Seq2VecEncoder,
        dropout: float = 0.0,
        initializer: Optional[InitializerApplicator] = None,
        **kwargs,
    ) -> None:
        super().__init__(vocab, **kwargs)
        check_dimensions_match(
            text_field_embedder.get_output_dim(),
            seq2vec_encoder.get_input_dim(),
            "text field embedder output dim",
            "seq2vec encoder input dim",
        )
        self._text_field_embedder = text_field_embedder
        self._seq2vec_encoder = seq2vec_encoder
        self._dropout = torch.nn.Dropout(dropout)
        self._output_layer = torch.nn.Linear(seq2vec_encoder.get_output_dim(), 1)
        self._metrics = RegressionMetrics()
        (initializer or InitializerApplicator())(self)

    def forward(
        self, tokens: TextFieldTensors, label: Optional[torch.Tensor] = None
    ) -> Dict[str, torch.Tensor]:
        """
        # Parameters
        tokens : `TextFieldTensors`
            `(batch_size, num_tokens)` ids (and segment ids for a pair).
        label : `torch.Tensor`, optional
            Gold scores, `(batch_size,)`.

        # Returns
        `score` `(batch_size,)`, and `loss` (mean squared error) when `label` is given.
        """
        mask = get_text_field_mask(tokens)
        encoded = self._seq2vec_encoder(self._text_field_embedder(tokens), mask=mask)
        score = self._output_layer(self._dropout(encoded)).squeeze(-1)
        output = {"score": score}
        if label is not None:
            output["loss"] = torch.nn.functional.mse_loss(score, label.to(score.dtype))
            self._metrics(score, label)
        return output

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        return self._metrics.get_metric(reset)

    default_predictor = "sentence_pair"
