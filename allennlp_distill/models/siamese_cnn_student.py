from typing import Optional, Sequence

from allennlp.data import Vocabulary
from allennlp.models.model import Model
from allennlp.modules import TextFieldEmbedder
from allennlp.nn import InitializerApplicator

from allennlp_distill.models.siamese_bilstm_student import SiameseBiLstmStudent
from allennlp_distill.modules.wide_cnn_encoder import WideCnnEncoder


@Model.register("siamese_cnn_student")
class SiameseCnnStudent(SiameseBiLstmStudent):
    """
    The sentence-pair twin of `cnn_student` ("Which Student is Best?", arXiv 2201.00558, §3; Kim
    2014, §2): one `wide_cnn` encoder shared by both sentences in place of Tang et al.'s BiLSTM
    (§3.2), then the same pair features `[h1; h2; h1 ⊙ h2; |h1 − h2|]`, ReLU layer and logits (or
    score, with `regression`) as `siamese_bilstm_student`, whose outputs, metrics, predictor and
    export it shares.

    Registered as a `Model` with name "siamese_cnn_student".

    # Parameters
    vocab : `Vocabulary`
    text_field_embedder : `TextFieldEmbedder`
        Embeds both sentences: `(batch_size, num_tokens, embedding_dim)` each.
    num_filters : `int`, optional (default = `100`)
    ngram_filter_sizes : `Sequence[int]`, optional (default = `(3, 4, 5)`)
        The pair features have `4 * num_filters * len(ngram_filter_sizes)` dimensions.
    relu_size : `int`, optional (default = `400`)
    dropout : `float`, optional (default = `0.5`)
        Dropout on the pair features.
    regression : `bool`, optional (default = `False`)
    positive_label : `str`, optional (default = `None`)
    label_namespace : `str`, optional (default = `"labels"`)
    initializer : `InitializerApplicator`, optional

    `forward(sentence1, sentence2, label=None)` is `SiameseBiLstmStudent.forward`.

    # Raises
    `ConfigurationError` for an empty `ngram_filter_sizes` or a width or filter count below 1.
    """

    def __init__(
        self,
        vocab: Vocabulary,
        text_field_embedder: TextFieldEmbedder,
        num_filters: int = 100,
        ngram_filter_sizes: Sequence[int] = (3, 4, 5),
        relu_size: int = 400,
        dropout: float = 0.5,
        regression: bool = False,
        positive_label: Optional[str] = None,
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
            regression=regression,
            positive_label=positive_label,
            label_namespace=label_namespace,
            initializer=initializer,
            encoder=encoder,
            **kwargs,
        )
