import json

import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.common.testing import ModelTestCase

from allennlp_distill.models import BiLstmStudent
from allennlp_distill.modules import PooledBiLstm
from tests.conftest import FIXTURES

LENGTHS = [1, 6, 3]


def states_alone(encoder: PooledBiLstm, vectors: torch.Tensor) -> torch.Tensor:
    """The BiLSTM's states `(num_tokens, 2 * hidden_size)` of one unpadded sentence, by hand."""
    lstm = encoder._lstm._module
    assert isinstance(lstm, torch.nn.LSTM) and lstm.bidirectional and lstm.num_layers == 1
    return lstm(vectors.unsqueeze(0))[0][0]


def padded_batch():
    """Three sentences of `LENGTHS` tokens in one batch, their padding full of large values."""
    torch.manual_seed(0)
    vectors = torch.randn(len(LENGTHS), max(LENGTHS), 3)
    mask = torch.arange(max(LENGTHS)).unsqueeze(0) < torch.tensor(LENGTHS).unsqueeze(1)
    vectors[~mask] = 100.0
    return vectors, mask


@pytest.mark.parametrize("pooling", ["max", "mean"])
def test_each_sentence_is_pooled_over_its_own_tokens_states_whatever_its_padding(pooling):
    torch.manual_seed(0)
    encoder = PooledBiLstm(input_dim=3, hidden_size=4, pooling=pooling)
    assert (encoder.get_input_dim(), encoder.get_output_dim()) == (3, 8)
    vectors, mask = padded_batch()
    batch = encoder(vectors, mask)
    assert batch.shape == (3, 8)
    for row, length in enumerate(LENGTHS):
        states = states_alone(encoder, vectors[row, :length])
        expected = states.max(dim=0)[0] if pooling == "max" else states.mean(dim=0)
        assert torch.allclose(batch[row], expected, atol=1e-6)
        alone = encoder(vectors[row : row + 1, :length], None)[0]
        assert torch.allclose(alone, expected, atol=1e-6)


def test_max_and_mean_pooling_differ_and_the_default_is_max():
    torch.manual_seed(0)
    encoder = PooledBiLstm(input_dim=3, hidden_size=4)
    mean = PooledBiLstm(input_dim=3, hidden_size=4, pooling="mean")
    mean.load_state_dict(encoder.state_dict())
    vectors, mask = padded_batch()
    assert encoder.pooling == "max"
    assert not torch.allclose(encoder(vectors, mask)[1:], mean(vectors, mask)[1:])
    # A one-token sentence has one state: its max is its mean.
    assert torch.allclose(encoder(vectors, mask)[0], mean(vectors, mask)[0], atol=1e-6)


@pytest.mark.parametrize("pooling", ["max", "mean"])
def test_a_sentence_of_no_tokens_is_the_zero_vector(pooling):
    encoder = PooledBiLstm(input_dim=3, hidden_size=4, pooling=pooling)
    vectors, mask = padded_batch()
    mask[0] = False
    output = encoder(vectors, mask)
    assert torch.equal(output[0], torch.zeros(8)) and output[1:].abs().sum() > 0


def test_an_unknown_pooling_is_refused():
    with pytest.raises(ConfigurationError, match="pooling must be one of"):
        PooledBiLstm(input_dim=3, hidden_size=4, pooling="last")


class TestBiLstmStudentWithPooledBiLstm(ModelTestCase):
    """The task student of Tang et al. with the pooled encoder in place of the final states."""

    OVERRIDES = json.dumps(
        {"model.encoder": {"type": "pooled_bilstm", "input_dim": 8, "hidden_size": 4}}
    )

    def setup_method(self):
        super().setup_method()
        self.set_up_model(FIXTURES / "bilstm_student.jsonnet", FIXTURES / "sst2_train.tsv")

    def test_bilstm_student_trains_saves_and_loads_with_a_pooled_bilstm_encoder(self):
        model, loaded = self.ensure_model_can_train_save_and_load(
            FIXTURES / "bilstm_student.jsonnet", overrides=self.OVERRIDES
        )
        for student in (model, loaded):
            assert isinstance(student, BiLstmStudent)
            assert isinstance(student._encoder, PooledBiLstm)
            assert student._relu_layer.get_input_dim() == 2 * 4

    def test_a_pooled_bilstm_of_another_input_width_is_refused(self):
        embedder = self.model._text_field_embedder
        wrong = PooledBiLstm(input_dim=embedder.get_output_dim() + 1, hidden_size=4)
        with pytest.raises(ConfigurationError, match="model.encoder reads 9-d vectors"):
            BiLstmStudent(self.vocab, embedder, encoder=wrong)


@pytest.mark.parametrize("pooling", ["max", "mean"])
def test_output_dim_projects_the_pooled_states_by_one_linear_layer(pooling):
    # A task student that keeps its distilled encoder's projection (Wu et al. 2020).
    torch.manual_seed(0)
    projected = PooledBiLstm(input_dim=3, hidden_size=4, pooling=pooling, output_dim=5)
    assert (projected.get_input_dim(), projected.get_output_dim()) == (3, 5)
    plain = PooledBiLstm(input_dim=3, hidden_size=4, pooling=pooling)
    plain.load_state_dict(
        {k: v for k, v in projected.state_dict().items() if not k.startswith("projection_layer.")}
    )
    assert projected.projection_layer is not None and plain.projection_layer is None
    vectors, mask = padded_batch()
    expected = projected.projection_layer(plain(vectors, mask))
    assert expected.shape == (3, 5)
    assert torch.allclose(projected(vectors, mask), expected, atol=1e-6)
    with pytest.raises(ConfigurationError, match="output_dim must be at least 1"):
        PooledBiLstm(input_dim=3, hidden_size=4, output_dim=0)
