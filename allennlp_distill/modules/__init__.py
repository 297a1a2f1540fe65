from allennlp_distill.modules.packaged_word_vectors import PackagedWordVectors

__all__ = ["PackagedWordVectors"]
