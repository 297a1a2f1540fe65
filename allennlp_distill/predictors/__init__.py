from allennlp_distill.predictors.sentence_embedding import SentenceEmbeddingPredictor
from allennlp_distill.predictors.sentence_pair import SentencePairPredictor
from allennlp_distill.predictors.transfer_set import TransferSetPredictor

__all__ = [
    "SentenceEmbeddingPredictor",
    "SentencePairPredictor",
    "TaggerPredictor",
    "TaggingTransferSetPredictor",
    "TransferSetPredictor",
]
from allennlp_distill.predictors.tagger import TaggerPredictor
from allennlp_distill.predictors.tagging_transfer_set import TaggingTransferSetPredictor
