from typing import Optional, Sequence

from allennlp.data import Vocabulary
from allennlp.models.model import Model
from allennlp.modules import TextFieldEmbedder
from allennlp.nn import InitializerApplicator

from allennlp_distill.models.bilstm_student import BiLstmStudent
from allennlp_distill.modules.wide_cnn_encoder import WideCnnEncoder


@Model.register("cnn_student")
class CnnStudent(BiLstmStudent):
    """
    A CNN student for single-sentence tasks, the CNN of "Which Student is Best?" (arXiv
    2201.00558, §3) after Kim (2014, §2): word vectors, one convolution per filter width with ReLU
    and max-over-time pooling over zero-padded text (`wide_cnn`), dropout, then the same ReLU and
    output layers as Tang et al.'s BiLSTM student, whose training, distillation losses, outputs,
    predictor and export it shares. Kim uses 300-d word2vec, widths 3/4/5 with 100 filters each
    and dropout 0.5, and no ReLU layer (set `relu_size` to keep it small).

    Registered as a `Model` with name "cnn_student".

    # Parameters
    vocab : `Vocabulary`
    text_field_embedder : `TextFieldEmbedder`
        Embeds the `tokens` field: shape `(batch_size, num_tokens, embedding_dim)`.
    num_filters : `int`, optional (default = `100`)
        Filters per width; the sentence vector has `num_filters * len(ngram_filter_sizes)`
        dimensions.
    ngram_filter_sizes : `Sequence[int]`, optional (default = `(3, 4, 5)`)
        Filter widths in tokens. Texts shorter than a filter are zero-padded, not refused.
    relu_size : `int`, optional (default = `200`)
    dropout : `float`, optional (default = `0.5`)
        Dropout on the pooled sentence vector (Kim: 0.5).
    label_namespace : `str`, optional (default = `"labels"`)
    initializer : `InitializerApplicator`, optional

    `forward(tokens, label=None)` is `BiLstmStudent.forward`: `logits` and `probs`
    `(batch_size, num_labels)`, `token_ids`, and the `loss` with `label` `(batch_size,)`.

    # Raises
    `ConfigurationError` for an empty `ngram_filter_sizes` or a width or filter count below 1.
    """

    def __init__(
        self,
        vocab: Vocabulary,
        text_field_embedder: TextFieldEmbedder,
        num_filters: int = 100,
        ngram_filter_sizes: Sequence[int] = (3, 4, 5),
        relu_size: int = 200,
        dropout: float = 0.5,
        label_namespace: str = "labels",
        initializer: Optional[InitializerApplicator] = None,
        **kwargs,
    ) -> None:
        encoder = WideCnnEncoder(
            text_field_embedder.get_output_dim(), num_filters, ngram_filter_sizes
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
