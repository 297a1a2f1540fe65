import pytest
import torch
from allennlp.common.testing import ModelTestCase

from allennlp_distill.modules import pair_features
from tests.conftest import FIXTURES


class TestSiameseBiLstmStudentClassification(ModelTestCase):
    def setup_method(self):
        super().setup_method()
        self.set_up_model(
            FIXTURES / "siamese_student_classification.jsonnet",
            FIXTURES / "pairs" / "mrpc_train.tsv",
        )

    def test_can_train_with_the_distillation_callback_save_and_load(self):
        self.ensure_model_can_train_save_and_load(self.param_file)

    def test_batch_predictions_are_consistent(self):
        self.ensure_batch_predictions_are_consistent()

    def test_one_bilstm_encodes_both_sentences(self):
        # Tang et al. 3.2: the encoder is shared (siamese), so there is exactly one LSTM.
        lstms = [m for m in self.model.modules() if isinstance(m, torch.nn.LSTM)]
        assert len(lstms) == 1 and lstms[0].bidirectional and lstms[0].num_layers == 1
        assert self.model._relu_layer.get_input_dim() == 4 * 2 * 6

    def test_output_has_logits_probs_loss_and_f1_of_the_positive_label(self):
        output = self.model(**self.dataset.as_tensor_dict())
        assert output["logits"].shape == (12, 2)
        assert torch.allclose(output["probs"].sum(-1), torch.ones(12))
        assert output["loss"].dim() == 0
        assert set(self.model.get_metrics()) == {"accuracy", "precision", "recall", "f1"}
        readable = self.model.make_output_human_readable(output)
        assert set(readable["label"]) <= {"0", "1"}

    def test_logits_come_from_the_pair_features_of_the_two_encodings(self):
        batch = self.dataset.as_tensor_dict()
        self.model.eval()
        features = pair_features(
            self.model._encode(batch["sentence1"]), self.model._encode(batch["sentence2"])
        )
        expected = self.model._output_layer(self.model._relu_layer(features))
        assert torch.allclose(self.model(**batch)["logits"], expected)


class TestSiameseBiLstmStudentRegression(ModelTestCase):
    def setup_method(self):
        super().setup_method()
        self.set_up_model(
            FIXTURES / "siamese_student_regression.jsonnet",
            FIXTURES / "pairs" / "stsb_train.tsv",
        )

    def test_can_train_with_the_distillation_callback_save_and_load(self):
        self.ensure_model_can_train_save_and_load(self.param_file)

    def test_batch_predictions_are_consistent(self):
        self.ensure_batch_predictions_are_consistent()

    def test_output_is_one_score_per_pair_with_mse_loss_and_correlations(self):
        batch = self.dataset.as_tensor_dict()
        output = self.model(**batch)
        assert output["score"].shape == (12,) and "logits" not in output
        expected = torch.nn.functional.mse_loss(output["score"], batch["label"])
        assert output["loss"].item() == pytest.approx(expected.item())
        assert set(self.model.get_metrics()) == {"pearson", "spearman"}
