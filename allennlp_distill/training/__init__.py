from allennlp_distill.training.bf16_callback import Bf16AutocastCallback
from allennlp_distill.training.ddp import DistillDdpAccelerator
from allennlp_distill.training.distillation_callback import DistillationCallback
from allennlp_distill.training.losses import (
    DistillationLossParts,
    KlSoftLoss,
    MseSoftLoss,
    SoftLoss,
    distillation_loss,
    regression_distillation_loss,
)

__all__ = [
    "Bf16AutocastCallback",
    "DistillDdpAccelerator",
    "DistillationCallback",
    "DistillationLossParts",
    "KlSoftLoss",
    "MseSoftLoss",
    "SoftLoss",
    "distillation_loss",
    "regression_distillation_loss",
]
