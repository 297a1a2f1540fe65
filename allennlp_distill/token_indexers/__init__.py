from allennlp_distill.token_indexers.capped_characters import CappedCharactersIndexer
from allennlp_distill.token_indexers.lowercase_words import LowercaseWordsIndexer

__all__ = ["CappedCharactersIndexer", "LowercaseWordsIndexer"]
