from allennlp_distill.predictors.sentence_embedding import SentenceEmbeddingPredictor
from allennlp_distill.predictors.sentence_pair import SentencePairPredictor
from allennlp_distill.predictors.transfer_set import TransferSetPredictor

__all__ = ["SentenceEmbeddingPredictor", "SentencePairPredictor", "TransferSetPredictor"]
