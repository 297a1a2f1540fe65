import pytest
import torch
from allennlp.common.testing import ModelTestCase
from allennlp.data import Batch

from tests.conftest import FIXTURES


class TestBiLstmStudent(ModelTestCase):
    def setup_method(self):
        super().setup_method()
        self.set_up_model(FIXTURES / "bilstm_student.jsonnet", FIXTURES / "sst2_train.tsv")

    def test_can_train_with_the_distillation_callback_save_and_load(self):
        self.ensure_model_can_train_save_and_load(self.param_file)

    def test_batch_predictions_are_consistent(self):
        self.ensure_batch_predictions_are_consistent()

    def test_sentence_vector_is_the_final_forward_and_backward_states(self):
        # Tang et al. 3.1: one BiLSTM layer, the last forward and the first backward state.
        encoder = self.model._encoder
        assert encoder.get_output_dim() == 2 * 6
        assert encoder._module.num_layers == 1 and encoder._module.bidirectional
        # A sentence alone (no padding), run through the LSTM by hand: the forward direction's
        # state after its last word beside the backward direction's after its first word.
        shortest = min(self.instances, key=lambda instance: len(instance["tokens"]))
        tokens = Batch([shortest]).as_tensor_dict()["tokens"]
        self.model.eval()
        with torch.no_grad():
            embedded = self.model._text_field_embedder(tokens)
            states, _ = encoder._module(embedded)  # (1, num_tokens, 2 * 6)
            sentence = encoder(embedded, torch.ones(embedded.shape[:2], dtype=torch.bool))
        assert torch.allclose(sentence[0], torch.cat([states[0, -1, :6], states[0, 0, 6:]]))

    def test_output_has_logits_probs_and_loss_of_the_right_shapes(self):
        batch = self.dataset.as_tensor_dict()
        output = self.model(**batch)
        assert output["logits"].shape == (16, 2)
        assert torch.allclose(output["probs"].sum(-1), torch.ones(16))
        assert output["loss"].dim() == 0
        readable = self.model.make_output_human_readable(output)
        assert set(readable["label"]) <= {"0", "1"}

    def test_padding_does_not_change_a_sentences_logits(self):
        shortest, *_, longest = sorted(self.instances, key=lambda i: len(i["tokens"]))
        self.model.eval()
        alone = self.model(**Batch([shortest]).as_tensor_dict())["logits"][0]
        padded = self.model(**Batch([shortest, longest]).as_tensor_dict())["logits"][0]
        assert torch.allclose(alone, padded, atol=1e-6)

    def test_probs_are_the_softmax_and_loss_the_cross_entropy_of_the_logits(self):
        batch = self.dataset.as_tensor_dict()
        output = self.model(**batch)
        logits, labels = output["logits"], batch["label"]
        assert torch.allclose(output["probs"], torch.softmax(logits, dim=-1))
        expected = -torch.log_softmax(logits, dim=-1)[torch.arange(len(labels)), labels].mean()
        assert output["loss"].item() == pytest.approx(expected.item(), rel=1e-5)
