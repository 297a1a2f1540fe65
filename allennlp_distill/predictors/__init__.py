from allennlp_distill.predictors.transfer_set import TransferSetPredictor

__all__ = ["TransferSetPredictor"]
