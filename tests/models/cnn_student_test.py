import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.common.testing import ModelTestCase
from allennlp.data import Batch
from allennlp.modules.seq2vec_encoders import CnnEncoder
from allennlp.nn import Activation

from allennlp_distill.models import BiLstmStudent, CnnStudent
from allennlp_distill.modules import WideCnnEncoder, wide_padding
from allennlp_distill.modules.wide_cnn_encoder import (
    filter_layout,
    fused_filters,
    length_sorted_chunks,
    max_pooled_packed,
    max_pooled_windows,
    wide_packing,
)
from tests.conftest import FIXTURES


def kim_features(encoder: WideCnnEncoder, vectors: torch.Tensor) -> torch.Tensor:
    """Kim (2014) by hand: one text `(num_tokens, dim)` padded with max width - 1 zeros."""
    pad = torch.zeros(encoder._pad, vectors.shape[1])
    text = torch.cat([pad, vectors, pad]).t().unsqueeze(0)
    features = []
    for i in range(len(encoder._ngram_filter_sizes)):
        convolution = getattr(encoder, f"conv_layer_{i}")
        features.append(torch.relu(convolution(text)).max(dim=2)[0])
    return torch.cat(features, dim=1)[0]


def test_each_text_is_pooled_over_its_own_zero_padded_windows_only():
    torch.manual_seed(0)
    encoder = WideCnnEncoder(embedding_dim=3, num_filters=4, ngram_filter_sizes=[2, 4])
    lengths = [1, 6, 3]
    vectors = torch.randn(3, 6, 3)
    mask = torch.arange(6).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
    # Whatever lies in the padding of the batch tensor must not count, not even NaN.
    vectors[~mask] = float("nan")
    batch = encoder(vectors, mask)
    assert batch.shape == (3, 8)
    for row, length in enumerate(lengths):
        expected = kim_features(encoder, vectors[row, :length])
        assert torch.allclose(batch[row], expected, atol=1e-6)
        assert torch.allclose(encoder(vectors[row : row + 1, :length], None)[0], expected)


def test_a_one_word_text_has_features_from_filters_wider_than_itself():
    torch.manual_seed(0)
    wide = WideCnnEncoder(embedding_dim=3, num_filters=8, ngram_filter_sizes=[5])
    plain = CnnEncoder(embedding_dim=3, num_filters=8, ngram_filter_sizes=(5,))
    plain.load_state_dict(wide.state_dict())
    word = torch.randn(1, 5, 3)
    mask = torch.tensor([[True, False, False, False, False]])
    assert plain(word, mask).abs().sum() == 0  # AllenNLP's cnn: no window, every feature 0
    assert wide(word, mask).abs().sum() > 0


# (3, 1, 3): the widest filters in two blocks, masked apart from the others (max_pooled_windows).
@pytest.mark.parametrize("widths", [(3, 4, 5), (2, 4), (1, 3), (3, 1, 3)])
@pytest.mark.parametrize("output_dim", [None, 5])
def test_the_fused_filters_give_allennlps_features_of_the_padded_texts(widths, output_dim):
    # One matrix product per filter width, the bias and ReLU after the max
    # (max_pooled_windows), against AllenNLP's CnnEncoder, one convolution and one mask per
    # width, on the same padded texts.
    torch.manual_seed(0)
    encoder = WideCnnEncoder(
        embedding_dim=3, num_filters=4, ngram_filter_sizes=widths, output_dim=output_dim
    )
    # Half the filters score every window with a word below 0: only the windows of Kim's zeros
    # alone can give their maximum, which must be taken over exactly AllenNLP's windows.
    with torch.no_grad():
        for convolution in encoder._convolution_layers:
            convolution.weight[:2] = -convolution.weight[:2].abs()
    vectors = torch.randn(4, 7, 3).abs()
    mask = torch.arange(7).unsqueeze(0) < torch.tensor([[7], [1], [0], [4]])
    padded, padded_mask = wide_padding(vectors, mask, encoder._pad)
    expected = CnnEncoder.forward(encoder, padded, padded_mask)
    assert torch.allclose(encoder(vectors, mask), expected, atol=1e-6)


@pytest.mark.parametrize("widths", [(3, 1, 3), (1, 2, 3)])
def test_each_block_multiplies_only_its_own_widths_rows_of_the_filters(widths):
    # The fused filters hold zeros past each filter's width; a block that read those rows would
    # spend multiply-adds on them (the point of one product per width). With NaN there instead,
    # any such read shows in the features.
    torch.manual_seed(0)
    encoder = WideCnnEncoder(embedding_dim=3, num_filters=4, ngram_filter_sizes=widths)
    filters, _ = fused_filters(encoder._convolution_layers)
    filters = filters.detach()
    blocks = filter_layout(encoder._convolution_layers)
    poisoned = filters.clone()
    for width, start, end in blocks:
        poisoned[width * 3 :, start:end] = float("nan")
    lengths = torch.tensor([4, 1, 0])
    mask = torch.arange(4).unsqueeze(0) < lengths.unsqueeze(1)
    vectors = torch.randn(3, 4, 3)
    padded, padded_mask = wide_padding(vectors, mask, encoder._pad)
    expected = max_pooled_windows(padded, padded_mask.sum(dim=1), filters, blocks)
    pooled = max_pooled_windows(padded, padded_mask.sum(dim=1), poisoned, blocks)
    assert not pooled.isnan().any()
    assert torch.equal(pooled, expected)
    packed, window_counts = wide_packing(vectors, mask, encoder._pad)
    pooled = max_pooled_packed(packed, window_counts, poisoned, blocks)
    assert not pooled.isnan().any()
    assert torch.allclose(pooled, expected, atol=1e-6)


def test_filter_layout_names_each_blocks_width_and_columns_in_order():
    encoder = WideCnnEncoder(embedding_dim=3, num_filters=4, ngram_filter_sizes=(3, 1, 3))
    assert filter_layout(encoder._convolution_layers) == [(3, 0, 4), (1, 4, 8), (3, 8, 12)]


def test_length_sorted_chunks_cover_the_batch_once_shortest_first():
    lengths = torch.tensor([5, 1, 9, 0, 3, 9, 2])
    chunks = length_sorted_chunks(lengths, 3)
    assert [len(chunk) for chunk, _ in chunks] == [3, 3, 1]
    order = torch.cat([chunk for chunk, _ in chunks])
    assert sorted(order.tolist()) == list(range(7))  # every text once
    assert lengths[order].tolist() == [0, 1, 2, 3, 5, 9, 9]
    assert [longest for _, longest in chunks] == [2, 9, 9]
    # A chunk of empty texts keeps one position; the function scripts (exports call it).
    scripted = torch.jit.script(length_sorted_chunks)
    assert [longest for _, longest in scripted(torch.tensor([0, 0, 4]), 2)] == [1, 4]


def test_wide_packing_puts_pad_zeros_between_texts_and_counts_their_windows():
    # Texts of 2, 0 and 1 words, pad 1: [0 a a 0 | 0 | b 0] with the zeros between texts shared;
    # a width-2 window never holds words of two texts, and each text has length + 1 of them.
    vectors = torch.tensor([[[1.0], [2.0]], [[9.0], [9.0]], [[3.0], [9.0]]])
    mask = torch.tensor([[True, True], [False, False], [True, False]])
    packed, window_counts = wide_packing(vectors, mask, 1)
    assert packed[:, 0].tolist() == [0.0, 1.0, 2.0, 0.0, 0.0, 3.0, 0.0]
    assert window_counts.tolist() == [3, 1, 2]
    assert int(window_counts.sum()) == packed.shape[0] - 1  # every width-2 window, once


# Windows per matrix product: 1 and 4 cut texts between products, 1024 takes all at once.
@pytest.mark.parametrize("chunk_size", [1, 4, 1024])
@pytest.mark.parametrize("widths", [(2, 3), (1,), (3, 1, 3)])
def test_packed_texts_give_each_text_the_padded_batchs_features_and_gradients(widths, chunk_size):
    # Texts of lengths in no order, empty ones among them, packed without the batch's padding:
    # every text's features and every gradient equal the whole padded batch's.
    torch.manual_seed(0)
    encoder = WideCnnEncoder(embedding_dim=3, num_filters=4, ngram_filter_sizes=widths)
    filters, _ = fused_filters(encoder._convolution_layers)
    blocks = filter_layout(encoder._convolution_layers)
    lengths = torch.tensor([5, 1, 9, 0, 3, 9, 2])
    mask = torch.arange(9).unsqueeze(0) < lengths.unsqueeze(1)
    vectors = torch.randn(7, 9, 3, requires_grad=True)

    def pooled_and_gradients(packed_texts: bool):
        if packed_texts:
            packed, window_counts = wide_packing(vectors, mask, encoder._pad)
            pooled = max_pooled_packed(packed, window_counts, filters, blocks, chunk_size)
        else:
            padded, padded_mask = wide_padding(vectors, mask, encoder._pad)
            pooled = max_pooled_windows(padded, padded_mask.sum(dim=1), filters, blocks)
        weights = torch.arange(pooled.numel(), dtype=torch.float).view_as(pooled)
        loss = (pooled.clamp(min=-1e3) * weights).sum()
        gradients = torch.autograd.grad(loss, [vectors, filters])
        return pooled, gradients

    whole, whole_gradients = pooled_and_gradients(False)
    packed, packed_gradients = pooled_and_gradients(True)
    assert torch.allclose(packed, whole, atol=1e-6)
    assert len(set(packed[:, 0].tolist())) > 4  # distinct texts, distinct rows
    for gradient, expected in zip(packed_gradients, whole_gradients):
        assert expected.abs().sum() > 0
        assert torch.allclose(gradient, expected, atol=1e-5)


def test_empty_texts_without_a_window_get_zero_features():
    # Width-1 filters add no zeros around a text: 39 empty texts have no window at all, which
    # must give 0 (AllenNLP's cnn on an empty text), not a crash.
    torch.manual_seed(0)
    encoder = WideCnnEncoder(embedding_dim=3, num_filters=2, ngram_filter_sizes=[1])
    vectors = torch.randn(40, 5, 3)
    mask = torch.zeros(40, 5, dtype=torch.bool)
    mask[7, :3] = True
    features = encoder(vectors, mask)
    assert features[[i for i in range(40) if i != 7]].abs().sum() == 0
    assert torch.allclose(features[7], kim_features(encoder, vectors[7, :3]), atol=1e-6)


def test_another_activation_than_relu_is_pooled_after_it():
    # Only ReLU is moved after the pooling; any other activation (ELU here) runs AllenNLP's path.
    torch.manual_seed(0)
    encoder = WideCnnEncoder(
        embedding_dim=3, num_filters=4, ngram_filter_sizes=(2, 3),
        conv_layer_activation=Activation.by_name("elu")(),
    )  # fmt: skip
    vectors = torch.randn(2, 5, 3)
    mask = torch.tensor([[True] * 5, [True, True, False, False, False]])
    padded, padded_mask = wide_padding(vectors, mask, encoder._pad)
    assert torch.equal(encoder(vectors, mask), CnnEncoder.forward(encoder, padded, padded_mask))
    assert (encoder(vectors, mask) < 0).any()  # ELU's negative side reached the features


class TestCnnStudent(ModelTestCase):
    def setup_method(self):
        super().setup_method()
        self.set_up_model(FIXTURES / "cnn_student.jsonnet", FIXTURES / "sst2_train.tsv")

    def test_can_train_with_the_distillation_callback_save_and_load(self):
        self.ensure_model_can_train_save_and_load(self.param_file)

    def test_the_sentence_vector_is_kims_cnn_over_the_word_vectors(self):
        assert isinstance(self.model, CnnStudent)
        assert isinstance(self.model._encoder, WideCnnEncoder)
        assert self.model._encoder.get_output_dim() == 4 * 2

    def test_padding_does_not_change_a_sentences_logits(self):
        shortest, *_, longest = sorted(self.instances, key=lambda i: len(i["tokens"]))
        self.model.eval()
        alone = self.model(**Batch([shortest]).as_tensor_dict())["logits"][0]
        padded = self.model(**Batch([shortest, longest]).as_tensor_dict())["logits"][0]
        assert torch.allclose(alone, padded, atol=1e-6)

    def test_filter_sizes_and_encoder_widths_are_checked_when_built(self):
        embedder = self.model._text_field_embedder
        with pytest.raises(ConfigurationError, match="ngram_filter_sizes"):
            CnnStudent(self.vocab, embedder, ngram_filter_sizes=[])
        with pytest.raises(ConfigurationError, match="ngram_filter_sizes"):
            CnnStudent(self.vocab, embedder, ngram_filter_sizes=[0, 3])
        wrong = WideCnnEncoder(embedding_dim=embedder.get_output_dim() + 1)
        with pytest.raises(ConfigurationError, match="model.encoder reads 9-d vectors"):
            BiLstmStudent(self.vocab, embedder, encoder=wrong)
