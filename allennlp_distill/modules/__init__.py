from allennlp_distill.modules.packaged_word_vectors import PackagedWordVectors
from allennlp_distill.modules.pair_features import pair_features

__all__ = ["PackagedWordVectors", "pair_features"]
