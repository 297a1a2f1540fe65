import json

import pytest
import torch
from allennlp.common import Params
from allennlp.common.checks import ConfigurationError
from allennlp.common.testing import ModelTestCase
from allennlp.data import Batch
from allennlp.models import Model

from allennlp_distill.models import SentenceRepresentationStudent
from allennlp_distill.modules import PooledBiLstm
from tests.conftest import FIXTURES
from tests.tiny_sentence_vectors import TEACHER_SIZE, write_tiny_sentence_vectors

CONFIG = FIXTURES / "sentence_representation_student.jsonnet"


@pytest.fixture(scope="module")
def vectors(tiny_bert, tmp_path_factory):
    return write_tiny_sentence_vectors(tiny_bert, tmp_path_factory.mktemp("sentence_vectors"))


class TestSentenceRepresentationStudent(ModelTestCase):
    @pytest.fixture(autouse=True)
    def set_up_on_the_tiny_vectors(self, vectors, monkeypatch):
        # The fixture config names the folder through the external variables of the real one.
        monkeypatch.setenv("DISTILL_SENTENCE_VECTORS", str(vectors))
        monkeypatch.setenv("DISTILL_SENTENCE_VECTORS_DEV", str(vectors))
        torch.manual_seed(0)
        self.set_up_model(CONFIG, vectors)

    def build(self, **model_overrides) -> SentenceRepresentationStudent:
        params = Params.from_file(str(CONFIG), params_overrides=json.dumps(model_overrides))
        model = Model.from_params(vocab=self.vocab, params=params["model"])
        assert isinstance(model, SentenceRepresentationStudent)
        return model

    def batch(self, instances=None):
        batch = Batch(instances or self.instances)
        batch.index_instances(self.vocab)
        return batch.as_tensor_dict()

    def test_can_train_save_and_load(self):
        self.ensure_model_can_train_save_and_load(self.param_file)

    def test_batch_predictions_are_consistent(self):
        self.ensure_batch_predictions_are_consistent()

    def test_the_sentence_vector_is_the_projected_pooled_bilstm_state(self):
        encoder = self.model._encoder
        assert isinstance(encoder, PooledBiLstm) and encoder.pooling == "max"
        tensors = self.batch()
        output = self.model(**tensors)
        assert output["sentence_vector"].shape == (len(self.instances), TEACHER_SIZE)
        self.model.eval()
        alone = self.model(tokens=self.batch(self.instances[:1])["tokens"])
        assert set(alone) == {"sentence_vector"}  # no target, no loss
        mask = tensors["tokens"]["tokens"]["tokens"] != 0
        words = self.model._text_field_embedder(tensors["tokens"])
        expected = self.model._projection(encoder(words, mask))
        assert torch.allclose(self.model(**tensors)["sentence_vector"], expected, atol=1e-6)

    def test_the_default_encoder_is_a_max_pooled_bilstm_of_300_units(self):
        model = SentenceRepresentationStudent(
            self.vocab, self.model._text_field_embedder, teacher_size=TEACHER_SIZE
        )
        assert isinstance(model._encoder, PooledBiLstm) and model._encoder.pooling == "max"
        assert model._encoder.get_output_dim() == 2 * 300

    def test_the_loss_is_the_mean_squared_difference_from_the_teacher_vector(self):
        tensors = self.batch()
        output = self.model(**tensors)
        difference = output["sentence_vector"] - tensors["teacher_vector"]
        expected = (difference**2).sum() / difference.numel()
        assert output["loss"].item() == pytest.approx(expected.item(), rel=1e-5)

    def test_the_cosine_loss_is_one_minus_the_mean_cosine_similarity(self):
        model = self.build(**{"model.loss": "cosine"})
        tensors = self.batch()
        output = model(**tensors)
        student, teacher = output["sentence_vector"], tensors["teacher_vector"]
        cosine = (student * teacher).sum(-1) / (student.norm(dim=-1) * teacher.norm(dim=-1))
        assert output["loss"].item() == pytest.approx(1 - cosine.mean().item(), rel=1e-5)
        # Only the direction counts: three times each student vector is as good.
        with torch.no_grad():
            model._projection.weight.mul_(3.0)
            model._projection.bias.mul_(3.0)
        assert model(**tensors)["loss"].item() == pytest.approx(output["loss"].item(), rel=1e-5)
        with pytest.raises(ConfigurationError, match="model.loss must be one of"):
            self.build(**{"model.loss": "kl"})

    def test_metrics_are_mse_and_mean_cosine_over_every_sentence_of_the_epoch(self):
        self.model.get_metrics(reset=True)
        halves = [self.instances[:7], self.instances[7:]]
        students, teachers = [], []
        for half in halves:
            tensors = self.batch(half)
            students.append(self.model(**tensors)["sentence_vector"].detach())
            teachers.append(tensors["teacher_vector"])
        student, teacher = torch.cat(students), torch.cat(teachers)
        metrics = self.model.get_metrics(reset=True)
        assert set(metrics) == {"mse", "cosine"}
        assert metrics["mse"] == pytest.approx(((student - teacher) ** 2).mean().item(), rel=1e-5)
        cosine = torch.nn.functional.cosine_similarity(student, teacher, dim=-1).mean()
        assert metrics["cosine"] == pytest.approx(cosine.item(), rel=1e-5)
        assert self.model.get_metrics() == {"mse": 0.0, "cosine": 0.0}

    def test_training_brings_the_students_vectors_towards_the_teachers(self):
        tensors = self.batch()
        optimizer = torch.optim.Adam(self.model.parameters(), lr=0.03)
        self.model.get_metrics(reset=True)
        self.model(**tensors)
        start = self.model.get_metrics(reset=True)
        for _ in range(20):
            optimizer.zero_grad()
            self.model(**tensors)["loss"].backward()
            optimizer.step()
        self.model(**tensors)
        end = self.model.get_metrics(reset=True)
        assert end["mse"] < start["mse"] / 4
        assert end["cosine"] > max(start["cosine"], 0.5)

    def test_vectors_of_another_width_than_teacher_size_stop_at_the_first_batch(self):
        model = self.build(**{"model.teacher_size": TEACHER_SIZE + 2})
        with pytest.raises(ConfigurationError, match="are 16-d but model.teacher_size is 18"):
            model(**self.batch())
