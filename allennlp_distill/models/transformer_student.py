from typing import Optional

from allennlp.data import Vocabulary
from allennlp.models.model import Model
from allennlp.modules import TextFieldEmbedder
from allennlp.nn import InitializerApplicator

from allennlp_distill.models.bilstm_student import BiLstmStudent
from allennlp_distill.modules.pooled_transformer import MAX_TOKENS, PooledTransformer


@Model.register("transformer_student")
class TransformerStudent(BiLstmStudent):
    """
    The small-transformer student of "Which Student is Best?" (arXiv 2201.00558, §3) for
    single-sentence tasks: the same word vectors as Tang et al.'s BiLSTM student, a few
    self-attention blocks over them (`pooled_transformer`: projection to `hidden_dim`, sinusoidal
    positions, `num_layers` blocks, mean or max pooling), then the same ReLU and output layers as
    `bilstm_student`, whose training, distillation losses, outputs, predictor and export it shares.

    Registered as a `Model` with name "transformer_student".

    # Parameters
    vocab : `Vocabulary`
    text_field_embedder : `TextFieldEmbedder`
        Embeds the `tokens` field: shape `(batch_size, num_tokens, embedding_dim)`.
    hidden_dim : `int`, optional (default = `200`)
        Width of the blocks and of the sentence vector.
    num_layers : `int`, optional (default = `2`)
    num_attention_heads : `int`, optional (default = `4`)
    feedforward_hidden_dim : `int`, optional (default = `400`)
    pooling : `str`, optional (default = `"mean"`)
    max_tokens : `int`, optional (default = `512`)
        A text's tokens read, its first ones (`pooled_transformer`'s; `None`: all).
    transformer_dropout : `float`, optional (default = `0.1`)
        Dropout inside the blocks.
    relu_size : `int`, optional (default = `200`)
    dropout : `float`, optional (default = `0.0`)
        Dropout on the pooled sentence vector.
    label_namespace : `str`, optional (default = `"labels"`)
    initializer : `InitializerApplicator`, optional

    `forward(tokens, label=None)` is `BiLstmStudent.forward`: `logits` and `probs`
    `(batch_size, num_labels)`, `token_ids`, and the `loss` with `label` `(batch_size,)`.

    # Raises
    `ConfigurationError` for sizes `pooled_transformer` refuses (heads that do not divide
    `hidden_dim`, a size below 1, an unknown pooling).
    """

    def __init__(
        self,
        vocab: Vocabulary,
        text_field_embedder: TextFieldEmbedder,
        hidden_dim: int = 200,
        num_layers: int = 2,
        num_attention_heads: int = 4,
        feedforward_hidden_dim: int = 400,
        pooling: str = "mean",
        max_tokens: Optional[int] = MAX_TOKENS,
        transformer_dropout: float = 0.1,
        relu_size: int = 200,
        dropout: float = 0.0,
        label_namespace: str = "labels",
        initializer: Optional[InitializerApplicator] = None,
        **kwargs,
    ) -> None:
        encoder = PooledTransformer(
            text_field_embedder.get_output_dim(),
            hidden_dim=hidden_dim,
            num_layers=num_layers,
            num_attention_heads=num_attention_heads,
            feedforward_hidden_dim=feedforward_hidden_dim,
            dropout=transformer_dropout,
            pooling=pooling,
            max_tokens=max_tokens,
        )
        super().__init__(
            vocab,
            text_field_embedder,
            relu_size=relu_size,
            dropout=dropout,
            label_namespace=label_namespace,
            initializer=initializer,
            encoder=encoder,
            **kwargs,
        )
