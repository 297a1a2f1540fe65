import json
from types import SimpleNamespace

import pytest
import torch
from allennlp.commands.train import train_model_from_file
from allennlp.common import Params
from allennlp.data import Vocabulary
from allennlp.data.batch import Batch
from allennlp.models import Model

from allennlp_distill.dataset_readers import TeacherLogitsReader
from allennlp_distill.training import Bf16AutocastCallback, DistillationCallback
from allennlp_distill.training.losses import MseSoftLoss, distillation_loss
from tests.conftest import FIXTURES


class Probe(torch.nn.Module):
    """A linear classifier that records the dtype its matrix product ran in."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(4, 2)
        self.seen_dtype: torch.dtype = torch.float64
        self.fail = False

    def forward(self, features: torch.Tensor) -> dict:
        logits = self.linear(features)
        self.seen_dtype = logits.dtype
        if self.fail:
            raise RuntimeError("forward failed")
        return {"logits": logits, "loss": logits.square().mean(), "count": 3}


def attached(tmp_path, model: torch.nn.Module) -> Bf16AutocastCallback:
    callback = Bf16AutocastCallback(str(tmp_path))
    callback.on_start(SimpleNamespace(model=model))
    return callback


def test_training_forward_runs_in_bfloat16_and_returns_float32(tmp_path):
    model = Probe()
    attached(tmp_path, model)
    model.train()
    output = model(torch.randn(3, 4))
    assert model.seen_dtype == torch.bfloat16
    assert output["logits"].dtype == torch.float32 and output["loss"].dtype == torch.float32
    assert output["count"] == 3
    output["loss"].backward()
    assert model.linear.weight.grad is not None
    assert model.linear.weight.dtype == model.linear.weight.grad.dtype == torch.float32
    assert not torch.is_autocast_enabled("cpu")


def test_validation_and_a_detached_callback_stay_in_float32(tmp_path):
    model = Probe()
    callback = attached(tmp_path, model)
    model.eval()
    model(torch.randn(3, 4))
    assert model.seen_dtype == torch.float32
    model.train()
    callback.on_end(SimpleNamespace(model=model))
    model(torch.randn(3, 4))
    assert model.seen_dtype == torch.float32


def test_a_forward_pass_that_raises_leaves_autocast_off(tmp_path):
    model = Probe()
    attached(tmp_path, model)
    model.train()
    model.fail = True
    with pytest.raises(RuntimeError, match="forward failed"):
        model(torch.randn(3, 4))
    assert model.seen_dtype == torch.bfloat16
    assert not torch.is_autocast_enabled("cpu")
    model.fail = False
    model.eval()
    model(torch.randn(3, 4))
    assert model.seen_dtype == torch.float32


def test_the_distillation_loss_is_computed_under_bfloat16_close_to_float32(tmp_path):
    instances = list(TeacherLogitsReader().read(str(FIXTURES / "transfer_set.jsonl")))
    vocab = Vocabulary.from_instances(instances)
    params = Params.from_file(str(FIXTURES / "bilstm_student.jsonnet"))
    model = Model.from_params(vocab=vocab, params=params["model"])
    batch = Batch(instances)
    batch.index_instances(vocab)
    tensors = batch.as_tensor_dict()
    trainer = SimpleNamespace(
        model=model, data_loader=[None], _num_epochs=1, _total_batches_completed=0
    )
    DistillationCallback(str(tmp_path), alpha=0.0).on_start(trainer)
    attached(tmp_path, model)
    model.eval()  # no dropout: the same network in both precisions
    float32_logits = model(**tensors)["logits"]
    model.train()
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    output = model(**tensors)
    assert output["logits"].dtype == output["loss"].dtype == torch.float32
    expected = distillation_loss(
        float32_logits, tensors["teacher_logits"], MseSoftLoss(), 0.0, 1.0, tensors["label"]
    ).loss
    assert output["loss"].item() == pytest.approx(expected.item(), rel=0.05)
    assert not torch.allclose(output["logits"], float32_logits, atol=1e-6)  # bf16 did run


def test_allennlp_trains_with_it(tmp_path):
    overrides = json.dumps(
        {"trainer.callbacks": [{"type": "distillation"}, {"type": "bf16_autocast"}]}
    )
    train_model_from_file(
        str(FIXTURES / "bilstm_student.jsonnet"), str(tmp_path / "run"), overrides=overrides
    )
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert torch.isfinite(torch.tensor(metrics["training_loss"]))
    assert "training_soft_loss" in metrics
