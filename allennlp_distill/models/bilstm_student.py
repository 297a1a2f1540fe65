from typing import Dict, Optional

import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import TextFieldTensors, Vocabulary
from allennlp.models.model import Model
from allennlp.modules import FeedForward, TextFieldEmbedder
from allennlp.modules.seq2vec_encoders import LstmSeq2VecEncoder, Seq2VecEncoder
from allennlp.nn import Activation, InitializerApplicator
from allennlp.nn.util import get_text_field_mask, get_token_ids_from_text_field_tensors
from allennlp.training.metrics import CategoricalAccuracy


def bilstm_encoder(input_size: int, hidden_size: int) -> LstmSeq2VecEncoder:
    """
    Tang et al. (2019) §3.1's encoder: one bidirectional LSTM layer over `(batch_size,
    num_tokens, input_size)` embeddings whose output, `(batch_size, 2 * hidden_size)`, is the
    final forward state followed by the final backward state (padding skipped by packing).
    """
    return LstmSeq2VecEncoder(
        input_size=input_size, hidden_size=hidden_size, num_layers=1, bidirectional=True
    )


def student_encoder(
    text_field_embedder: TextFieldEmbedder, encoder: Optional[Seq2VecEncoder], hidden_size: int
) -> Seq2VecEncoder:
    """
    A student's sentence encoder: `encoder` when given (e.g. Kim's CNN), else Tang et al.'s
    BiLSTM of `hidden_size` units per direction over the embedder's vectors.

    # Raises
    `ConfigurationError` when `encoder`'s input width is not the embedder's output width.
    """
    width = text_field_embedder.get_output_dim()
    if encoder is None:
        return bilstm_encoder(width, hidden_size)
    if encoder.get_input_dim() != width:
        raise ConfigurationError(
            f"model.encoder reads {encoder.get_input_dim()}-d vectors but "
            f"model.text_field_embedder gives {width}-d ones: make them equal (the word "
            "vectors' width is their embedding_dim)"
        )
    return encoder


def relu_layer(input_dim: int, size: int) -> FeedForward:
    """Tang et al. (2019)'s ReLU layer between the sentence vector(s) and the output layer."""
    relu = Activation.by_name("relu")()
    return FeedForward(input_dim=input_dim, num_layers=1, hidden_dims=size, activations=relu)


@Model.register("bilstm_student")
class BiLstmStudent(Model):
    """
    The single-sentence student of Tang et al. (2019), §3.1: word embeddings, one bidirectional
    LSTM layer whose final forward and backward states are concatenated, one ReLU layer, and a
    linear layer that gives the logits. Its inputs and outputs are those of AllenNLP's
    `basic_classifier`, so AllenNLP's `text_classifier` predictor serves it.

    The paper uses 300-d word2vec vectors, hidden size 150 (SST-2) to 300, a 200 to 400-unit ReLU
    layer, and no dropout.

    Registered as a `Model` with name "bilstm_student".

    # Parameters
    vocab : `Vocabulary`
    text_field_embedder : `TextFieldEmbedder`
        Embeds the `tokens` field: shape `(batch_size, num_tokens, embedding_dim)`.
    hidden_size : `int`, optional (default = `150`)
        LSTM units per direction; the sentence vector has `2 * hidden_size` dimensions.
    relu_size : `int`, optional (default = `200`)
        Units of the ReLU layer between the sentence vector and the logits.
    dropout : `float`, optional (default = `0.0`)
        Dropout on the sentence vector, before the ReLU layer.
    label_namespace : `str`, optional (default = `"labels"`)
    initializer : `InitializerApplicator`, optional
    encoder : `Seq2VecEncoder`, optional (default = Tang's BiLSTM of `hidden_size` units)
        Another sentence encoder in the BiLSTM's place, e.g. Kim's CNN (`cnn_student`).

    # Raises
    `ConfigurationError` when `encoder`'s input width is not the embedder's output width.

    `forward(tokens, label=None)` returns `logits` and `probs`, both `(batch_size, num_labels)`,
    `token_ids`, and, with `label` `(batch_size,)`, the cross-entropy `loss` on it. With the
    `distillation` trainer callback the loss being optimized becomes the distillation loss.
    """

    def __init__(
        self,
        vocab: Vocabulary,
        text_field_embedder: TextFieldEmbedder,
        hidden_size: int = 150,
        relu_size: int = 200,
        dropout: float = 0.0,
        label_namespace: str = "labels",
        initializer: Optional[InitializerApplicator] = None,
        encoder: Optional[Seq2VecEncoder] = None,
        **kwargs,
    ) -> None:
        super().__init__(vocab, **kwargs)
        self._text_field_embedder = text_field_embedder
        self._encoder = student_encoder(text_field_embedder, encoder, hidden_size)
        self._dropout = torch.nn.Dropout(dropout)
        self._relu_layer = relu_layer(self._encoder.get_output_dim(), relu_size)
        self._label_namespace = label_namespace
        self._classification_layer = torch.nn.Linear(
            relu_size, vocab.get_vocab_size(label_namespace)
        )
        self._accuracy = CategoricalAccuracy()
        self._loss = torch.nn.CrossEntropyLoss()
        (initializer or InitializerApplicator())(self)

    def forward(
        self, tokens: TextFieldTensors, label: Optional[torch.IntTensor] = None
    ) -> Dict[str, torch.Tensor]:
        """
        # Parameters
        tokens : `TextFieldTensors`
            Token ids, `(batch_size, num_tokens)`.
        label : `torch.IntTensor`, optional
            Label indices, `(batch_size,)`.

        # Returns
        `logits`, `probs`: `(batch_size, num_labels)`; `token_ids`: `(batch_size, num_tokens)`;
        `loss` (scalar cross-entropy) when `label` is given.
        """
        mask = get_text_field_mask(tokens)
        sentence = self._encoder(self._text_field_embedder(tokens), mask)
        logits = self._classification_layer(self._relu_layer(self._dropout(sentence)))
        output = {
            "logits": logits,
            "probs": torch.softmax(logits, dim=-1),
            "token_ids": get_token_ids_from_text_field_tensors(tokens),
        }
        if label is not None:
            output["loss"] = self._loss(logits, label.long().view(-1))
            self._accuracy(logits, label)
        return output

    def make_output_human_readable(
        self, output_dict: Dict[str, torch.Tensor]
    ) -> Dict[str, torch.Tensor]:
        """Adds `label`, the most probable label name of each instance."""
        labels = self.vocab.get_index_to_token_vocabulary(self._label_namespace)
        output_dict["label"] = [  # type: ignore[assignment]
            labels[int(index)] for index in output_dict["probs"].argmax(dim=-1)
        ]
        output_dict["tokens"] = [  # type: ignore[assignment]
            [self.vocab.get_token_from_index(int(i), "tokens") for i in ids if int(i) != 0]
            for ids in output_dict["token_ids"]
        ]
        return output_dict

    def get_metrics(self, reset: bool = False) -> Dict[str, float]:
        return {"accuracy": self._accuracy.get_metric(reset)}

    default_predictor = "text_classifier"
