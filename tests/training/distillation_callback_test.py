import json
from types import SimpleNamespace

import pytest
import torch
from allennlp.commands.train import train_model_from_file
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.data.batch import Batch
from allennlp.models import Model

from allennlp_distill.dataset_readers import PairTeacherLogitsReader, TeacherLogitsReader
from allennlp_distill.training import DistillationCallback, KlSoftLoss, MseSoftLoss
from allennlp_distill.training.losses import distillation_loss, regression_distillation_loss
from tests.conftest import FIXTURES


@pytest.fixture()
def student_and_batch():
    instances = list(TeacherLogitsReader().read(str(FIXTURES / "transfer_set.jsonl")))
    vocab = Vocabulary.from_instances(instances)
    params = Params.from_file(str(FIXTURES / "bilstm_student.jsonnet"))
    model = Model.from_params(vocab=vocab, params=params["model"])
    batch = Batch(instances)
    batch.index_instances(vocab)
    return model, batch.as_tensor_dict()


def fake_trainer(model, batches_done=0, epochs=2, batches_per_epoch=5):
    return SimpleNamespace(
        model=model,
        data_loader=[None] * batches_per_epoch,
        _num_epochs=epochs,
        _total_batches_completed=batches_done,
    )


@pytest.mark.parametrize(
    "schedule, batches_done, alpha, temperature",
    [
        ({"alpha": 0.3, "temperature": 2.0}, 0, 0.3, 2.0),
        # The last of 10 batches: the schedule's ends, not its starts, must reach the loss.
        ({"alpha": 0.9, "alpha_end": 0.1, "temperature": 4.0, "temperature_end": 1.0}, 9, 0.1, 1.0),
    ],
)
def test_training_loss_becomes_the_mixed_distillation_loss_at_the_scheduled_alpha_and_temperature(
    tmp_path, student_and_batch, schedule, batches_done, alpha, temperature
):
    model, batch = student_and_batch
    callback = DistillationCallback(str(tmp_path), soft_loss=KlSoftLoss(), **schedule)
    callback.on_start(fake_trainer(model, batches_done=batches_done, epochs=2, batches_per_epoch=5))
    model.train()
    torch.manual_seed(0)
    output = model(**batch)
    expected = distillation_loss(
        output["logits"], batch["teacher_logits"], KlSoftLoss(), alpha, temperature, batch["label"]
    )
    assert output["loss"].item() == pytest.approx(expected.loss.item(), rel=1e-5)
    metrics = model.get_metrics(reset=True)
    assert metrics["hard_loss"] == pytest.approx(expected.hard_loss.item(), rel=1e-5)
    assert metrics["soft_loss"] == pytest.approx(expected.soft_loss.item(), rel=1e-5)
    assert metrics["alpha"] == pytest.approx(alpha)
    assert metrics["temperature"] == pytest.approx(temperature)


def test_the_hard_loss_is_taken_on_the_batchs_labels_not_the_teachers_argmax(
    tmp_path, student_and_batch
):
    # In the fixture every gold label is the teacher's argmax; flipped, the two differ on every row.
    model, batch = student_and_batch
    batch["label"] = 1 - batch["label"]
    assert not torch.equal(batch["label"], batch["teacher_logits"].argmax(dim=-1))
    DistillationCallback(str(tmp_path), alpha=0.5).on_start(fake_trainer(model))
    model.train()
    torch.manual_seed(0)
    output = model(**batch)
    gold = torch.nn.functional.cross_entropy(output["logits"], batch["label"])
    assert output["hard_loss"].item() == pytest.approx(gold.item(), rel=1e-5)


def test_validation_keeps_the_models_own_loss(tmp_path, student_and_batch):
    model, batch = student_and_batch
    DistillationCallback(str(tmp_path)).on_start(fake_trainer(model))
    model.eval()
    output = model(**batch)
    gold = torch.nn.functional.cross_entropy(output["logits"], batch["label"])
    assert output["loss"].item() == pytest.approx(gold.item(), rel=1e-5)
    assert "hard_loss" not in model.get_metrics()


def test_alpha_and_temperature_change_linearly_over_training(tmp_path, student_and_batch):
    model, _ = student_and_batch
    callback = DistillationCallback(
        str(tmp_path), alpha=0.9, alpha_end=0.1, temperature=4.0, temperature_end=1.0
    )
    trainer = fake_trainer(model, epochs=2, batches_per_epoch=5)
    callback.on_start(trainer)
    schedule = []
    for done in range(10):
        trainer._total_batches_completed = done
        schedule.append((callback.alpha(), callback.temperature()))
    assert schedule[0] == pytest.approx((0.9, 4.0))
    assert schedule[-1] == pytest.approx((0.1, 1.0))
    alphas = [alpha for alpha, _ in schedule]
    assert alphas == sorted(alphas, reverse=True)
    assert alphas[4] - alphas[5] == pytest.approx(0.8 / 9)


def test_a_training_batch_without_teacher_logits_is_a_configuration_error(
    tmp_path, student_and_batch
):
    model, batch = student_and_batch
    DistillationCallback(str(tmp_path)).on_start(fake_trainer(model))
    model.train()
    without = {key: value for key, value in batch.items() if key != "teacher_logits"}
    with pytest.raises(ConfigurationError, match="no 'teacher_logits'"):
        model(**without)


def test_on_end_detaches_from_the_model(tmp_path, student_and_batch):
    model, batch = student_and_batch
    callback = DistillationCallback(str(tmp_path), soft_loss=MseSoftLoss())
    trainer = fake_trainer(model)
    callback.on_start(trainer)
    callback.on_end(trainer)
    assert "get_metrics" not in model.__dict__
    model.train()
    with pytest.raises(TypeError, match="teacher_logits"):
        model(**batch)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"alpha": 1.5}, "alpha"),
        ({"alpha_end": -0.5}, "alpha"),
        ({"temperature": 0}, "temperature"),
    ],
)
def test_bad_schedule_values_are_configuration_errors(tmp_path, kwargs, message):
    with pytest.raises(ConfigurationError, match=message):
        DistillationCallback(str(tmp_path), **kwargs)


def test_trainer_logs_the_parts_and_the_schedule_and_optimizes_the_logged_loss(tmp_path):
    train_model_from_file(str(FIXTURES / "bilstm_student.jsonnet"), str(tmp_path / "run"))
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["training_alpha"] == pytest.approx(0.1)
    assert {"training_hard_loss", "training_soft_loss"} <= set(metrics)
    low = min(0.1, 0.5) * metrics["training_hard_loss"] + 0.5 * metrics["training_soft_loss"]
    high = 0.5 * metrics["training_hard_loss"] + 0.9 * metrics["training_soft_loss"]
    assert low <= metrics["training_loss"] <= high
    assert "validation_hard_loss" not in metrics


@pytest.fixture()
def regression_student_and_batch():
    reader = PairTeacherLogitsReader(regression=True)
    instances = list(reader.read(str(FIXTURES / "pairs" / "stsb_transfer_set.jsonl")))
    vocab = Vocabulary.from_instances(instances)
    params = Params.from_file(str(FIXTURES / "siamese_student_regression.jsonnet"))
    model = Model.from_params(vocab=vocab, params=params["model"])
    batch = Batch(instances)
    batch.index_instances(vocab)
    return model, batch.as_tensor_dict()


def test_a_regression_student_learns_the_teachers_score(tmp_path, regression_student_and_batch):
    model, batch = regression_student_and_batch
    DistillationCallback(str(tmp_path), alpha=0.4).on_start(fake_trainer(model))
    model.train()
    torch.manual_seed(0)
    output = model(**batch)
    expected = regression_distillation_loss(
        output["score"], batch["teacher_logits"], 0.4, batch["label"]
    )
    assert output["loss"].item() == pytest.approx(expected.loss.item(), rel=1e-5)
    assert output["soft_loss"].item() > 0.0


def test_a_regression_student_with_a_kl_soft_loss_is_a_configuration_error(
    tmp_path, regression_student_and_batch
):
    model, batch = regression_student_and_batch
    DistillationCallback(str(tmp_path), soft_loss=KlSoftLoss()).on_start(fake_trainer(model))
    model.train()
    with pytest.raises(ConfigurationError, match="regression student.*mse"):
        model(**batch)


def test_a_dev_label_the_student_cannot_know_fails_before_the_first_epoch(tmp_path, monkeypatch):
    # A label neither the teacher's logits nor the transfer set's rows had (a teacher of another
    # task): AllenNLP indexes the validation data when the trainer is built, GoldLabelField names
    # the row, and no epoch runs.
    from allennlp.training.gradient_descent_trainer import GradientDescentTrainer

    def no_training(*args, **kwargs):
        raise AssertionError("an epoch began before the dev labels were checked")

    monkeypatch.setattr(GradientDescentTrainer, "_train_epoch", no_training)
    dev = tmp_path / "dev.tsv"
    dev.write_text("sentence\tlabel\na gorgeous film\t1\na dull film\t7\n")
    out = tmp_path / "run"
    overrides = json.dumps({"validation_data_path": str(dev)})
    with pytest.raises(ValueError, match=r"dev\.tsv:3: label '7' is not one the model knows"):
        train_model_from_file(
            str(FIXTURES / "bilstm_student.jsonnet"), str(out), overrides=overrides
        )
    assert not list(out.glob("*_e0*")) and not list(out.glob("metrics_epoch_*"))
