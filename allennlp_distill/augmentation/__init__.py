from allennlp_distill.augmentation.rules import (
    AugmentationRates,
    PosUnigrams,
    augment_once,
    augmented_copies,
    augmented_pair_copies,
    item_random,
)

__all__ = [
    "AugmentationRates",
    "PosUnigrams",
    "augment_once",
    "augmented_copies",
    "augmented_pair_copies",
    "item_random",
]
