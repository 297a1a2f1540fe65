from typing import Optional

from allennlp.data import Vocabulary
from allennlp.models.model import Model
from allennlp.modules import TextFieldEmbedder
from allennlp.nn import InitializerApplicator

from allennlp_distill.models.siamese_bilstm_student import SiameseBiLstmStudent
from allennlp_distill.modules.pooled_transformer import MAX_TOKENS, PooledTransformer


@Model.register("siamese_transformer_student")
class SiameseTransformerStudent(SiameseBiLstmStudent):
    """
    The sentence-pair twin of `transformer_student` ("Which Student is Best?", arXiv 2201.00558,
    §3): one `pooled_transformer` encoder shared by both sentences in place of Tang et al.'s
    BiLSTM (§3.2), then the same pair features `[h1; h2; h1 ⊙ h2; |h1 − h2|]`, ReLU layer and
    logits (or score, with `regression`) as `siamese_bilstm_student`, whose outputs, metrics,
    predictor and export it shares.

    Registered as a `Model` with name "siamese_transformer_student".

    # Parameters
    vocab : `Vocabulary`
    text_field_embedder : `TextFieldEmbedder`
        Embeds both sentences: `(batch_size, num_tokens, embedding_dim)` each.
    hidden_dim : `int`, optional (default = `200`)
        The pair features have `4 * hidden_dim` dimensions.
    num_layers : `int`, optional (default = `2`)
    num_attention_heads : `int`, optional (default = `4`)
    feedforward_hidden_dim : `int`, optional (default = `400`)
    pooling : `str`, optional (default = `"mean"`)
    max_tokens : `int`, optional (default = `512`)
        A text's tokens read, its first ones (`pooled_transformer`'s; `None`: all).
    transformer_dropout : `float`, optional (default = `0.1`)
    relu_size : `int`, optional (default = `400`)
    dropout : `float`, optional (default = `0.0`)
        Dropout on the pair features.
    regression : `bool`, optional (default = `False`)
    positive_label : `str`, optional (default = `None`)
    label_namespace : `str`, optional (default = `"labels"`)
    initializer : `InitializerApplicator`, optional

    `forward(sentence1, sentence2, label=None)` is `SiameseBiLstmStudent.forward`.

    # Raises
    `ConfigurationError` for sizes `pooled_transformer` refuses.
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
        relu_size: int = 400,
        dropout: float = 0.0,
        regression: bool = False,
        positive_label: Optional[str] = None,
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
            regression=regression,
            positive_label=positive_label,
            label_namespace=label_namespace,
            initializer=initializer,
            encoder=encoder,
            **kwargs,
        )
