from allennlp_distill.token_indexers.lowercase_words import LowercaseWordsIndexer

__all__ = ["LowercaseWordsIndexer"]
