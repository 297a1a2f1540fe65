import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.common.testing import ModelTestCase
from allennlp.data import Batch

from allennlp_distill.models import SiameseTransformerStudent, TransformerStudent
from allennlp_distill.modules import PooledTransformer
from tests.conftest import FIXTURES


@pytest.mark.parametrize("pooling", ["mean", "max"])
def test_each_text_is_encoded_and_pooled_over_its_own_tokens_only(pooling):
    torch.manual_seed(0)
    encoder = PooledTransformer(
        3,
        hidden_dim=8,
        num_layers=2,
        num_attention_heads=2,
        feedforward_hidden_dim=5,
        pooling=pooling,
    ).eval()
    lengths = [1, 6, 3]
    vectors = torch.randn(3, 6, 3)
    mask = torch.arange(6).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
    # Whatever lies in the padding of the batch tensor must reach neither attention nor pooling.
    vectors[~mask] = 100.0
    batch = encoder(vectors, mask)
    assert batch.shape == (3, 8)
    for row, length in enumerate(lengths):
        alone = encoder(vectors[row : row + 1, :length], None)[0]
        assert torch.allclose(batch[row], alone, atol=1e-5)
        # The pooling by hand over the text's own states.
        states = encoder._transformer(
            encoder._projection(vectors[row : row + 1, :length]),
            torch.ones(1, length, dtype=torch.bool),
        )[0]
        expected = states.mean(dim=0) if pooling == "mean" else states.max(dim=0)[0]
        assert torch.allclose(alone, expected, atol=1e-5)


def test_word_order_reaches_the_sentence_vector_through_the_positions():
    torch.manual_seed(0)
    encoder = PooledTransformer(3, hidden_dim=8, num_attention_heads=2).eval()
    words = torch.randn(1, 4, 3)
    reversed_words = words.flip(1)
    assert not torch.allclose(encoder(words, None), encoder(reversed_words, None), atol=1e-4)


def test_a_text_of_no_tokens_gets_zeros_not_nan_and_leaves_the_others_alone():
    torch.manual_seed(0)
    encoder = PooledTransformer(3, hidden_dim=4, num_attention_heads=2).eval()
    vectors = torch.randn(2, 3, 3)
    mask = torch.tensor([[False, False, False], [True, True, False]])
    batch = encoder(vectors, mask)
    assert torch.equal(batch[0], torch.zeros(4))
    assert torch.allclose(batch[1], encoder(vectors[1:, :2], None)[0], atol=1e-5)
    encoder.train()
    vectors.requires_grad_(True)
    encoder(vectors, mask).sum().backward()
    assert torch.isfinite(vectors.grad).all()


def test_a_text_is_read_up_to_max_tokens():
    torch.manual_seed(0)
    encoder = PooledTransformer(3, hidden_dim=4, num_attention_heads=2, max_tokens=4).eval()
    vectors = torch.randn(2, 6, 3)
    mask = torch.tensor([[True] * 6, [True] * 3 + [False] * 3])
    batch = encoder(vectors, mask)
    assert torch.allclose(batch[0], encoder(vectors[:1, :4], None)[0], atol=1e-6)
    assert torch.allclose(batch[1], encoder(vectors[1:, :3], None)[0], atol=1e-6)
    assert torch.allclose(encoder(vectors, None), encoder(vectors[:, :4], None), atol=1e-6)
    every = PooledTransformer(3, hidden_dim=4, num_attention_heads=2, max_tokens=None).eval()
    every.load_state_dict(encoder.state_dict())
    assert not torch.allclose(every(vectors, None)[0], batch[0], atol=1e-4)
    with pytest.raises(ConfigurationError, match="max_tokens must be at least 1"):
        PooledTransformer(3, hidden_dim=4, num_attention_heads=2, max_tokens=0)


def test_sizes_are_checked_when_built():
    with pytest.raises(ConfigurationError, match="must divide hidden_dim"):
        PooledTransformer(3, hidden_dim=10, num_attention_heads=4)
    with pytest.raises(ConfigurationError, match="num_layers must be at least 1"):
        PooledTransformer(3, num_layers=0)
    with pytest.raises(ConfigurationError, match="pooling"):
        PooledTransformer(3, pooling="cls")


class TestTransformerStudent(ModelTestCase):
    def setup_method(self):
        super().setup_method()
        self.set_up_model(FIXTURES / "transformer_student.jsonnet", FIXTURES / "sst2_train.tsv")

    def test_can_train_with_the_distillation_callback_save_and_load(self):
        self.ensure_model_can_train_save_and_load(self.param_file)

    def test_the_sentence_vector_is_a_pooled_transformer_over_the_word_vectors(self):
        assert isinstance(self.model, TransformerStudent)
        encoder = self.model._encoder
        assert isinstance(encoder, PooledTransformer)
        assert encoder.get_input_dim() == 8 and encoder.get_output_dim() == 6
        assert len(encoder._transformer._transformer.layers) == 2

    def test_padding_does_not_change_a_sentences_logits(self):
        shortest, *_, longest = sorted(self.instances, key=lambda i: len(i["tokens"]))
        self.model.eval()
        alone = self.model(**Batch([shortest]).as_tensor_dict())["logits"][0]
        padded = self.model(**Batch([shortest, longest]).as_tensor_dict())["logits"][0]
        assert torch.allclose(alone, padded, atol=1e-5)


class TestSiameseTransformerStudent(ModelTestCase):
    def setup_method(self):
        super().setup_method()
        self.set_up_model(
            FIXTURES / "siamese_transformer_student_regression.jsonnet",
            FIXTURES / "pairs" / "stsb_train.tsv",
        )

    def test_can_train_with_the_distillation_callback_save_and_load(self):
        self.ensure_model_can_train_save_and_load(self.param_file)

    def test_one_transformer_encodes_both_sentences(self):
        assert isinstance(self.model, SiameseTransformerStudent)
        encoders = [m for m in self.model.modules() if isinstance(m, PooledTransformer)]
        assert len(encoders) == 1 and encoders[0].pooling == "max"
        assert self.model._relu_layer.get_input_dim() == 4 * 4
