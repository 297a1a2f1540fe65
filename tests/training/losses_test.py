import math

import pytest
import torch

from allennlp_distill.training import (
    KlSoftLoss,
    MseSoftLoss,
    distillation_loss,
    regression_distillation_loss,
)

STUDENT = torch.tensor([[1.0, 2.0], [0.5, -0.5]])
TEACHER = torch.tensor([[2.0, 0.0], [0.5, 1.5]])


def test_mse_is_squared_distance_per_example_averaged_over_the_batch():
    # (1 + 4) and (0 + 4): mean 4.5
    assert MseSoftLoss()(STUDENT, TEACHER, temperature=3.0).item() == pytest.approx(4.5)


def softmax(row, t):
    exps = [math.exp(v / t) for v in row]
    return [e / sum(exps) for e in exps]


def test_kl_matches_the_hand_computed_value_times_t_squared():
    t = 2.0
    expected = 0.0
    for s, z in zip(STUDENT.tolist(), TEACHER.tolist()):
        p, q = softmax(z, t), softmax(s, t)
        expected += sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))
    expected = expected / 2 * t * t
    assert KlSoftLoss()(STUDENT, TEACHER, temperature=t).item() == pytest.approx(expected, rel=1e-5)


def test_kl_of_identical_logits_is_zero():
    assert KlSoftLoss()(TEACHER, TEACHER, temperature=1.0).item() == pytest.approx(0.0, abs=1e-7)


def test_kl_rejects_non_positive_temperature():
    with pytest.raises(ValueError, match="temperature"):
        KlSoftLoss()(STUDENT, TEACHER, temperature=0.0)


def test_mixture_is_alpha_hard_plus_one_minus_alpha_soft():
    labels = torch.tensor([1, 0])
    parts = distillation_loss(STUDENT, TEACHER, MseSoftLoss(), alpha=0.25, labels=labels)
    hard = torch.nn.functional.cross_entropy(STUDENT, labels).item()
    assert parts.hard_loss.item() == pytest.approx(hard)
    assert parts.soft_loss.item() == pytest.approx(4.5)
    assert parts.loss.item() == pytest.approx(0.25 * hard + 0.75 * 4.5)


def test_hard_loss_uses_the_teacher_argmax_without_labels():
    parts = distillation_loss(STUDENT, TEACHER, MseSoftLoss(), alpha=1.0)
    expected = torch.nn.functional.cross_entropy(STUDENT, torch.tensor([0, 1])).item()
    assert parts.loss.item() == pytest.approx(expected)


def test_gradient_of_the_soft_loss_on_the_student_is_the_logit_difference():
    student = STUDENT.clone().requires_grad_()
    distillation_loss(student, TEACHER, MseSoftLoss(), alpha=0.0).loss.backward()
    # d/ds mean_b sum_k (s - t)^2 = 2 (s - t) / batch
    assert torch.allclose(student.grad, (STUDENT - TEACHER))


@pytest.mark.parametrize(
    "loss",
    [
        lambda student, teacher: distillation_loss(student, teacher, MseSoftLoss(), alpha=0.5),
        lambda student, teacher: distillation_loss(
            student, teacher, KlSoftLoss(), alpha=0.5, temperature=2.0
        ),
        lambda student, teacher: regression_distillation_loss(
            student[:, 0], teacher[:, :1], alpha=0.5
        ),
    ],
    ids=["mse", "kl", "regression"],
)
def test_the_teachers_logits_get_no_gradient(loss):
    student = STUDENT.clone().requires_grad_()
    teacher = TEACHER.clone().requires_grad_()
    loss(student, teacher).loss.backward()
    assert student.grad is not None and student.grad.any()
    assert teacher.grad is None or not teacher.grad.any()


@pytest.mark.parametrize("alpha", [-0.1, 1.1])
def test_alpha_outside_unit_interval_is_rejected(alpha):
    with pytest.raises(ValueError, match="alpha"):
        distillation_loss(STUDENT, TEACHER, MseSoftLoss(), alpha=alpha)


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match="differ in shape"):
        distillation_loss(STUDENT, TEACHER[:, :1], MseSoftLoss(), alpha=0.0)


def test_regression_soft_loss_is_mse_to_the_teacher_score_and_hard_to_the_gold_score():
    student = torch.tensor([1.0, 2.0])
    teacher = torch.tensor([[2.0], [2.0]])
    gold = torch.tensor([1.0, 4.0])
    parts = regression_distillation_loss(student, teacher, alpha=0.25, labels=gold)
    assert parts.soft_loss.item() == pytest.approx(0.5)  # ((1-2)^2 + 0) / 2
    assert parts.hard_loss.item() == pytest.approx(2.0)  # (0 + (2-4)^2) / 2
    assert parts.loss.item() == pytest.approx(0.25 * 2.0 + 0.75 * 0.5)


def test_regression_hard_target_is_the_teacher_score_without_gold_scores():
    parts = regression_distillation_loss(torch.tensor([0.0]), torch.tensor([3.0]), alpha=1.0)
    assert parts.hard_loss.item() == pytest.approx(9.0) == parts.soft_loss.item()


def test_regression_scores_of_different_sizes_are_an_error():
    with pytest.raises(ValueError, match="differ in shape"):
        regression_distillation_loss(torch.zeros(2), torch.zeros(3), alpha=0.0)
