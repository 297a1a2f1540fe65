import logging
from typing import Dict, Iterable, List, Optional

import numpy
from allennlp.data.dataset_readers.dataset_reader import DatasetReader
from allennlp.data.fields import Field, TensorField, TextField
from allennlp.data.instance import Instance
from allennlp.data.token_indexers import SingleIdTokenIndexer, TokenIndexer
from allennlp.data.tokenizers import Token, Tokenizer

from allennlp_distill.dataset_readers.rows import (
    EMPTY_TEXT,
    DataFormatError,
    EmptyTextError,
    SkippedRows,
    is_sharded,
    refuse_empty_text,
)
from allennlp_distill.tokenizers.spacy_rules import SpacyRulesTokenizer

logger = logging.getLogger(__name__)

TEACHER_VECTOR_KEY = "teacher_vector"
_NO_TOKENS = f"{EMPTY_TEXT}; the tokenizer splits this sentence into no token"


@DatasetReader.register("sentence_vectors")
class SentenceVectorsReader(DatasetReader):
    """
    Reads a folder written by `allennlp sentence-vectors` (a pre-trained teacher's sentence vector
    of every line of an unlabelled corpus) into the instances of non-task-specific distillation:
    the student learns to approximate the teacher's sentence representation of each sentence
    (Wu et al. 2020, "Towards Non-task-specific Distillation of BERT via Sentence Representation
    Approximation", §3.1). `file_path` is the folder; the text of each vector is read from the
    corpus the folder's manifest names (or `corpus`), which must be unchanged since.

    Each instance has `tokens` (`TextField`) and, from the folder, `teacher_vector`
    (`TensorField`, float32 `(hidden_size,)`: the teacher's vector, in the units of its last
    hidden states). `text_to_instance` without a vector (the `sentence_embedding` predictor) gives
    `tokens` alone.

    Registered as a `DatasetReader` with name "sentence_vectors".

    # Parameters
    tokenizer : `Tokenizer`, optional (default = `SpacyRulesTokenizer(lowercase=True)`)
        Splits each sentence into the student's words: lowercase, as the students' GloVe 6B.
    token_indexers : `Dict[str, TokenIndexer]`, optional
        Default `{"tokens": SingleIdTokenIndexer()}`.
    corpus : `str`, optional (default = `None`)
        The corpus, where not at the path the folder's manifest records (another machine).
    max_tokens : `int`, optional (default = `None`)
        Keep at most this many tokens of a sentence (the teacher read at most its `--max-length`
        word pieces of it).
    skip_bad_rows : `bool`, optional (default = `False`)
        Skip a sentence that the tokenizer splits into no token (e.g. a line of control or
        zero-width characters), and log how many, with the first few `corpus:line`s, in one
        warning at the end of the folder; by default such a line is an error.

    `max_instances` counts the folder's rows, skipped ones included.

    # Raises
    `ConfigurationError` (reading) for a folder without a manifest, an unfinished one, a corpus
    changed since the vectors were written, or a shard not of the recorded shape (see
    `SentenceVectors`); `DataFormatError` naming `corpus:line` for a sentence of no tokens
    (without `skip_bad_rows`), or when every sentence was skipped.
    """

    def __init__(
        self,
        tokenizer: Optional[Tokenizer] = None,
        token_indexers: Optional[Dict[str, TokenIndexer]] = None,
        corpus: Optional[str] = None,
        max_tokens: Optional[int] = None,
        skip_bad_rows: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(
            manual_distributed_sharding=True, manual_multiprocess_sharding=True, **kwargs
        )
        self._tokenizer = tokenizer or SpacyRulesTokenizer(lowercase=True)
        self._token_indexers = token_indexers or {"tokens": SingleIdTokenIndexer()}
        self._corpus = corpus
        self._max_tokens = max_tokens
        self._skip_bad_rows = skip_bad_rows

    def _read(self, file_path: str) -> Iterable[Instance]:
        # Imported here: the command imports the readers' row helpers (a cycle at import time).
        from allennlp_distill.commands.sentence_vectors import SentenceVectors

        vectors = SentenceVectors(str(file_path), self._corpus)
        logger.info(
            "%s: %d sentence vectors of %d dimensions by %s (%s pooling) of %s",
            file_path,
            len(vectors),
            vectors.hidden_size,
            vectors.manifest["teacher"]["name"],
            vectors.manifest["pooling"],
            vectors.corpus,
        )
        skipped = SkippedRows(self._skip_bad_rows)
        instances = 0
        for line_number, text, vector in self.shard_iterable(vectors):
            tokens = self._tokenize(text)
            if not tokens:
                skipped(DataFormatError(vectors.corpus, line_number, _NO_TOKENS))
                continue
            instances += 1
            yield self._instance(tokens, vector)
        skipped.finish(vectors.corpus, instances, is_sharded(self))

    def text_to_instance(
        self, text: str, teacher_vector: Optional[numpy.ndarray] = None
    ) -> Instance:
        """
        Builds an instance without token indexers (`apply_token_indexers` adds them).

        # Parameters
        text : `str`
        teacher_vector : `numpy.ndarray`, optional
            The teacher's sentence vector of `text`, `(hidden_size,)`.

        # Raises
        `ValueError` for an empty or whitespace-only `text` (`refuse_empty_text`), or one that
        the tokenizer splits into no token.
        """
        refuse_empty_text(text)
        tokens = self._tokenize(text)
        if not tokens:
            raise EmptyTextError(None, _NO_TOKENS)
        return self._instance(tokens, teacher_vector)

    def apply_token_indexers(self, instance: Instance) -> None:
        instance.fields["tokens"].token_indexers = self._token_indexers  # type: ignore[attr-defined]

    def _tokenize(self, text: str) -> List[Token]:
        tokens = self._tokenizer.tokenize(text)
        return tokens if self._max_tokens is None else tokens[: self._max_tokens]

    @staticmethod
    def _instance(tokens: List[Token], teacher_vector: Optional[numpy.ndarray]) -> Instance:
        fields: Dict[str, Field] = {"tokens": TextField(tokens)}
        if teacher_vector is not None:
            fields[TEACHER_VECTOR_KEY] = TensorField(teacher_vector, dtype=numpy.dtype("float32"))
        return Instance(fields)
