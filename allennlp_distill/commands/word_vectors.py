"""
`allennlp word-vectors`: a model's word vectors, one row for every word its `packaged_word_vectors`
embedder knows (the trained rows and the frozen ones), written in the layout that embedder reads
(`word_vectors_emb.npy` + `word_vectors_index.parquet`), so that another model starts from them:

    allennlp word-vectors runs/sentence_encoder/encoder/model.tar.gz \\
        -o runs/sentence_encoder/word_vectors --include-package allennlp_distill
    DISTILL_WORD_VECTORS=runs/sentence_encoder/word_vectors \\
        DISTILL_PRETRAINED_ENCODER=runs/sentence_encoder/encoder/best.th allennlp train ...

Wu et al. 2020 (§3.2) fine-tune the whole distilled encoder on a task. A sentence encoder that
fine-tuned its word vectors while it learnt the teacher's sentence vectors
(`DISTILL_SENTENCE_ENCODER_VECTORS=fine-tuned`) reads its own rows, not GloVe's; its weights alone
(`DISTILL_PRETRAINED_ENCODER`) would meet the pretrained vectors again in a task student. The task
student's vocabulary is its own, so the rows travel by word, through this folder, not by index.
"""

import argparse
import io
import json
import logging
import os
from typing import Any, Dict, List

import numpy
import torch
from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError
from allennlp.models.archival import load_archive

from allennlp_distill.corpora.files import write_files_atomically
from allennlp_distill.modules.packaged_word_vectors import PackagedWordVectors

logger = logging.getLogger(__name__)

#: The files written, as `packaged_word_vectors` finds them (one `*_emb.npy`, one
#: `*_index.parquet`), and a record of where the rows came from.
MATRIX_FILE = "word_vectors_emb.npy"
INDEX_FILE = "word_vectors_index.parquet"
RECORD_FILE = "word_vectors.json"


@Subcommand.register("word-vectors")
class WordVectorsCommand(Subcommand):
    """
    Registered as a `Subcommand` with name "word-vectors"; see the module docstring.
    """

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = (
            "Write a model's word vectors (its packaged_word_vectors rows, trained and frozen) "
            "as a folder that DISTILL_WORD_VECTORS can name."
        )
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument(
            "archive_file", help="a model.tar.gz whose embedder is packaged_word_vectors"
        )
        subparser.add_argument("-o", "--output-dir", required=True, help="the folder to write")
        subparser.add_argument(
            "--force", action="store_true", help="replace the word vectors already in the folder"
        )
        subparser.set_defaults(
            func=lambda args: write_word_vectors(args.archive_file, args.output_dir, args.force)
        )
        return subparser


def write_word_vectors(archive_file: str, output_dir: str, force: bool = False) -> Dict[str, Any]:
    """
    Writes the word vectors of the archive's `packaged_word_vectors` embedder into `output_dir`:
    `MATRIX_FILE`, `(words, embedding_dim)` float32, row `i` the embedding of word `i` of
    `INDEX_FILE`. The words are the vocabulary namespace's tokens in id order (the model's
    training words first, then the frozen pretrained ones), without the padding token; so a
    reader's `max_vectors` keeps the writer's training words, not the most frequent ones.
    `@@UNKNOWN@@` keeps its trained row, and a model reading the folder starts its own
    unknown-word row there. With a static channel (`DISTILL_EMBEDDING_MODE=multichannel`) only
    the fine-tuned channel is written: a reader's static channel would then hold these rows, not
    the pretrained vectors. `RECORD_FILE`, which names the archive, is removed first and written
    last, so a folder whose record is there holds one whole set of files.

    # Returns
    The record: `{"archive": str, "words": int, "embedding_dim": int}`.

    # Raises
    `ConfigurationError`, before anything is written, when the archive's model has no
    `packaged_word_vectors` embedder or more than one, or its rows and vocabulary disagree in
    number; when `output_dir` already holds these word vectors (without `force`), or other
    `*_emb.npy` / `*_index.parquet` files, which `packaged_word_vectors` would find beside them.
    """
    present = set(os.listdir(output_dir)) if os.path.isdir(output_dir) else set()
    others = sorted(
        name
        for name in present - {MATRIX_FILE, INDEX_FILE}
        if name.endswith(("_emb.npy", "_index.parquet"))
    )
    if others:
        raise ConfigurationError(
            f"{output_dir} holds other word vectors ({', '.join(others)}): choose another folder"
        )
    if not force and present & {MATRIX_FILE, INDEX_FILE}:
        raise ConfigurationError(
            f"{output_dir} already holds word vectors: choose another folder, or --force"
        )
    model = load_archive(archive_file).model
    embedders = [module for module in model.modules() if isinstance(module, PackagedWordVectors)]
    if len(embedders) != 1:
        raise ConfigurationError(
            f"{archive_file}: its model has {len(embedders)} packaged_word_vectors embedders, "
            "not one: there are no word vectors to write, or no one set of them"
        )
    embedder = embedders[0]
    namespace = embedder._vocab_namespace
    with torch.no_grad():
        rows = torch.cat([embedder.weight, embedder.frozen_weight]).float().cpu().numpy()
    vocab = model.vocab
    if len(rows) != vocab.get_vocab_size(namespace):
        raise ConfigurationError(
            f"{archive_file}: its embedder has {len(rows)} rows but its vocabulary "
            f"{vocab.get_vocab_size(namespace)} {namespace!r} tokens"
        )
    padding = vocab.get_token_to_index_vocabulary(namespace).get(vocab._padding_token)
    ids = [index for index in range(len(rows)) if index != padding]
    words = [vocab.get_token_from_index(index, namespace) for index in ids]
    record = {"archive": archive_file, "words": len(words), "embedding_dim": int(rows.shape[1])}
    if RECORD_FILE in present:
        os.remove(os.path.join(output_dir, RECORD_FILE))
    # The files are replaced in this order: the record last, so its presence means a whole set
    # (the done-file of scripts/sentence_encoder.sh's step).
    write_files_atomically(
        output_dir,
        {
            MATRIX_FILE: _npy_bytes(rows[ids]),
            INDEX_FILE: _parquet_bytes(words),
            RECORD_FILE: (json.dumps(record, indent=2) + "\n").encode("utf-8"),
        },
    )
    logger.info("%s: %d word vectors of %d dimensions", output_dir, len(words), rows.shape[1])
    return record


def _npy_bytes(matrix: numpy.ndarray) -> bytes:
    buffer = io.BytesIO()
    numpy.save(buffer, numpy.ascontiguousarray(matrix, dtype=numpy.float32))
    return buffer.getvalue()


def _parquet_bytes(words: List[str]) -> bytes:
    import pyarrow
    import pyarrow.parquet as parquet

    buffer = io.BytesIO()
    parquet.write_table(pyarrow.table({"word": words}), buffer)
    return buffer.getvalue()
