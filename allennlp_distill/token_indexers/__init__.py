from allennlp_distill.token_indexers.capped_characters import CappedCharactersIndexer
from allennlp_distill.token_indexers.lowercase_words import LowercaseWordsIndexer
from allennlp_distill.token_indexers.word_casing import WordCasingIndexer

__all__ = ["CappedCharactersIndexer", "LowercaseWordsIndexer", "WordCasingIndexer"]
