from allennlp.data.token_indexers import SingleIdTokenIndexer, TokenIndexer
from allennlp.data.tokenizers import Token
from allennlp.data.vocabulary import DEFAULT_OOV_TOKEN, DEFAULT_PADDING_TOKEN

_KEPT = frozenset({DEFAULT_OOV_TOKEN, DEFAULT_PADDING_TOKEN})


@TokenIndexer.register("lowercase_words")
class LowercaseWordsIndexer(SingleIdTokenIndexer):
    """
    AllenNLP's `single_id` indexer that looks every word up lowercased (GloVe 6B is lowercase)
    except AllenNLP's own `@@UNKNOWN@@` and `@@PADDING@@`. With `single_id`'s `lowercase_tokens`,
    a mask token that the reader turned into `@@UNKNOWN@@` (Tang et al. 2019, §3.3: "[MASK],
    which corresponds to an unknown token") would become the ordinary word `@@unknown@@`, and the
    real unknown-word row would never be trained. A tagger needs this, rather than a lowercasing
    tokenizer, because its other indexer (characters) must see the word's original case.

    Registered as a `TokenIndexer` with name "lowercase_words"; its parameters are `single_id`'s
    less `lowercase_tokens` (namespace default `"tokens"`).
    """

    def __init__(self, namespace: str = "tokens", **kwargs) -> None:
        super().__init__(namespace=namespace, lowercase_tokens=False, **kwargs)

    def _get_feature_value(self, token: Token) -> str:
        text = super()._get_feature_value(token)
        return text if text in _KEPT else text.lower()
