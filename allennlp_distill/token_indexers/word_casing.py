from allennlp.data.token_indexers import SingleIdTokenIndexer, TokenIndexer
from allennlp.data.tokenizers import Token
from allennlp.data.vocabulary import DEFAULT_OOV_TOKEN

from allennlp_distill.serving import word_casing


@TokenIndexer.register("word_casing")
class WordCasingIndexer(SingleIdTokenIndexer):
    """
    One id per word for its casing class (`word_casing`: numeric, all lower-case, initial
    upper-case, ...), the casing feature of Reimers & Gurevych 2017 (arXiv 1707.06799) that
    gives a tagger over lowercase word vectors (GloVe 6B) the case that a name in NER is told
    by, at the cost of an embedding lookup instead of a character CNN. AllenNLP's unknown word
    `@@UNKNOWN@@` (a teacher's mask token, Tang et al. 2019, §3.3) has no casing: it gets the
    namespace's unknown id.

    Registered as a `TokenIndexer` with name "word_casing"; its parameters are `single_id`'s
    less `lowercase_tokens` and `feature_name` (namespace default `"word_casing"`). Embed it with
    an `embedding` whose `vocab_namespace` is the same.
    """

    def __init__(self, namespace: str = "word_casing", **kwargs) -> None:
        super().__init__(namespace=namespace, lowercase_tokens=False, **kwargs)

    def _get_feature_value(self, token: Token) -> str:
        text = super()._get_feature_value(token)
        return DEFAULT_OOV_TOKEN if text == DEFAULT_OOV_TOKEN else word_casing(text)
