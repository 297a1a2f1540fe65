"""
Distillation losses: a soft loss between student and teacher logits and a hard cross-entropy
loss, mixed as `L = alpha * hard + (1 - alpha) * soft` (Tang et al. 2019, §3.2, eq. 3).
"""

from typing import Callable, NamedTuple, Optional

import torch
import torch.nn.functional as F
from allennlp.common import Registrable


class SoftLoss(Registrable):
    """
    A loss between the student's and the teacher's logits, both `(batch_size, num_labels)`,
    averaged over the batch to a scalar.
    """

    default_implementation = "mse"

    def __call__(
        self, student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float
    ) -> torch.Tensor:
        raise NotImplementedError


@SoftLoss.register("mse")
class MseSoftLoss(SoftLoss):
    """
    Tang et al. (2019), eq. 2: the squared Euclidean distance between the logit vectors,
    `||z_teacher - z_student||^2`, averaged over the batch. Logits carry more than probabilities
    (they are not squashed), so no temperature is used; `temperature` is ignored.

    Registered as a `SoftLoss` with name "mse".
    """

    def __call__(
        self, student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float
    ) -> torch.Tensor:
        return (student_logits - teacher_logits).pow(2).sum(dim=-1).mean()


@SoftLoss.register("kl")
class KlSoftLoss(SoftLoss):
    """
    Hinton et al. (2015): `T^2 * KL(softmax(z_teacher / T) || softmax(z_student / T))`, averaged
    over the batch. The `T^2` factor keeps its gradients on the scale of the hard loss's.

    Registered as a `SoftLoss` with name "kl".

    # Raises
    `ValueError` for a temperature that is not positive.
    """

    def __call__(
        self, student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float
    ) -> torch.Tensor:
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        student_log_probs = F.log_softmax(student_logits / temperature, dim=-1)
        teacher_log_probs = F.log_softmax(teacher_logits / temperature, dim=-1)
        kl = F.kl_div(student_log_probs, teacher_log_probs, log_target=True, reduction="batchmean")
        return kl * temperature**2


class DistillationLossParts(NamedTuple):
    """The mixed loss being optimized and its two parts, all scalars."""

    loss: torch.Tensor
    hard_loss: torch.Tensor
    soft_loss: torch.Tensor


def _mixed(
    student: torch.Tensor, teacher: torch.Tensor, alpha: float, what: str
) -> Callable[[torch.Tensor, torch.Tensor], DistillationLossParts]:
    """Checks shapes and `alpha` (raising `ValueError`); returns the mix of hard and soft."""
    if student.shape != teacher.shape:
        raise ValueError(
            f"student {what} {tuple(student.shape)} and teacher {what} "
            f"{tuple(teacher.shape)} differ in shape"
        )
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    return lambda hard, soft: DistillationLossParts(alpha * hard + (1.0 - alpha) * soft, hard, soft)


def distillation_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    soft_loss: SoftLoss,
    alpha: float,
    temperature: float = 1.0,
    labels: Optional[torch.Tensor] = None,
    hard_loss: Optional[torch.Tensor] = None,
) -> DistillationLossParts:
    """
    `alpha * hard + (1 - alpha) * soft` (Tang et al. 2019, eq. 3), where hard is the cross-entropy
    of the student on `labels` (the gold labels, or the teacher's argmax labels where `labels` is
    `None`), or `hard_loss` where the student computed its own (a CRF tagger's sequence loss).

    # Parameters
    student_logits, teacher_logits : `torch.Tensor`
        `(batch_size, num_labels)`, columns in the same label order.
    soft_loss : `SoftLoss`
    alpha : `float`
        Weight of the hard loss, in [0, 1].
    temperature : `float`, optional (default = `1.0`)
    labels : `torch.Tensor`, optional
        `(batch_size,)` label indices.
    hard_loss : `torch.Tensor`, optional
        A scalar that replaces the cross-entropy as the hard loss.

    # Raises
    `ValueError` when the logits' shapes differ or `alpha` is outside [0, 1].

    The teacher's logits are detached: they get no gradient.
    """
    mix = _mixed(student_logits, teacher_logits, alpha, "logits")
    # The teacher's logits are targets: the gradient reaches the student only.
    teacher_logits = teacher_logits.detach().to(student_logits.dtype)
    if hard_loss is None:
        if labels is None:
            labels = teacher_logits.argmax(dim=-1)
        hard_loss = F.cross_entropy(student_logits, labels.long().view(-1))
    return mix(hard_loss, soft_loss(student_logits, teacher_logits, temperature))


def regression_distillation_loss(
    student_score: torch.Tensor,
    teacher_score: torch.Tensor,
    alpha: float,
    labels: Optional[torch.Tensor] = None,
) -> DistillationLossParts:
    """
    The distillation loss for a student with one output (STS-B, SICK relatedness): Tang et al.'s
    MSE soft loss to the teacher's score and an MSE hard loss to the gold score (the teacher's
    where `labels` is `None`), mixed as `alpha * hard + (1 - alpha) * soft`; each is averaged
    over the batch.

    # Parameters
    student_score, teacher_score : `torch.Tensor`
        `(batch_size,)`; a teacher score of shape `(batch_size, 1)` is flattened.
    alpha : `float`
        Weight of the hard loss, in [0, 1].
    labels : `torch.Tensor`, optional
        `(batch_size,)` gold scores.

    # Raises
    `ValueError` when the scores' sizes differ or `alpha` is outside [0, 1].
    """
    teacher_score = teacher_score.detach().reshape(-1).to(student_score.dtype)
    mix = _mixed(student_score, teacher_score, alpha, "scores")
    targets = teacher_score if labels is None else labels.reshape(-1).to(student_score.dtype)
    return mix(F.mse_loss(student_score, targets), F.mse_loss(student_score, teacher_score))
