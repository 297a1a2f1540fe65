from allennlp_distill.augmentation.rules import (
    AugmentationRates,
    PosUnigrams,
    augment_once,
    augmented_copies,
    augmented_pair_copies,
)

__all__ = [
    "AugmentationRates",
    "PosUnigrams",
    "augment_once",
    "augmented_copies",
    "augmented_pair_copies",
]
