"""
`allennlp distill-export`: a trained `bilstm_student` or `siamese_bilstm_student` (or their CNN
and transformer twins, `cnn_student`, `transformer_student` and their siamese forms), a BiLSTM
`distilled_tagger` (sequence labelling), a distilled sentence encoder
(`sentence_representation_student`, Wu et al. 2020), or a transformer classifier or regressor of
one sentence or of a sentence pair read jointly (a fine-tuned teacher, or the truncated-teacher
student), as a TorchScript module that serves
without AllenNLP (only torch, and spaCy for the tokenizer; a transformer's word pieces by the
`tokenizers` library), optionally dynamically quantized to int8.

    allennlp distill-export runs/sst2/student/model.tar.gz -o runs/sst2/student_export [--int8]

writes `student.ts` (`torch.jit.load` it; input: one `token_ids` tensor `(batch_size,
num_tokens)` int64 with 0 for padding per text column, i.e. two for a pair student; output: logits
`(batch_size, num_labels)`, scores `(batch_size,)` for a regression student, or sentence vectors
`(batch_size, teacher_size)` for a sentence encoder; a `distilled_tagger` student takes
`token_ids`, `char_ids` `(batch_size, num_tokens, num_chars)` and, with a casing embedding,
`casing_ids` `(batch_size, num_tokens)`, and gives tag logits
`(batch_size, num_tokens, num_tags)`, see `ExportableTagger`) and `vocab.json` (the token list,
whose index is the id, `@@UNKNOWN@@` = 1; the label names in logit order; whether it is a
regression or a sentence encoder; the text and label columns; whether tokens are lowercased;
the tokens read as `@@UNKNOWN@@`, the mask tokens, when the student's tokenizer does so; the
gold labels whose rows are not scored; a tagger's characters, casing classes, tag column,
label encoding and whether it decodes with a CRF (then `student.ts`'s `tags(logits, lengths)`
gives the tags); the float parameter counts).
An open-vocabulary student's trained and frozen embedding rows become one table.
A transformer classifier takes word-piece `token_ids` and a `mask`, both `(batch_size,
num_pieces)`, and for a pair the segment `type_ids` too (see `ExportableTransformerClassifier`; a
batch of more than 32 texts runs in length-sorted sub-batches, `LengthSortedClassifier`); its
tokenizer is written beside it as `tokenizer.json`, and `vocab.json` holds `wordpieces`
(`max_length`, `pad_id`; a pair's `pair_template`, see `_pair_template`) instead of tokens.
`allennlp_distill/serving.py` is the whole serving path.

TorchScript rather than `torch.export`: on torch 2.14, `torch.export` specializes an LSTM to the
sequence length it was traced with, while a scripted LSTM takes any length. Students are
scripted; a Hugging Face transformer does not script, and is traced (its graph takes any batch
size and length; tested). `--onnx` writes a BiLSTM, CNN or small-transformer student, or a
sentence encoder, for ONNX Runtime instead (`onnx_export.py`). The exported modules are in
`export_models.py`, their encoders in `export_encoders.py`; this module reads the archive, checks
it and writes the files.
"""

import argparse
import glob
import json
import os
import shutil
import tempfile
import warnings
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
from allennlp.commands.subcommand import Subcommand
from allennlp.common.checks import ConfigurationError
from allennlp.data.tokenizers import PretrainedTransformerTokenizer
from allennlp.models.archival import load_archive
from allennlp.models.basic_classifier import BasicClassifier
from tokenizers import Tokenizer

from allennlp_distill.commands.export_models import (
    ExportableBiLstmStudent,
    ExportableSentenceEncoder,
    ExportableSiameseStudent,
    ExportableTagger,
    ExportableTransformerClassifier,
    LengthSortedClassifier,
)
from allennlp_distill.commands.measure import count_parameters
from allennlp_distill.models.bilstm_student import BiLstmStudent
from allennlp_distill.models.sentence_encoder_student import SentenceRepresentationStudent
from allennlp_distill.models.siamese_bilstm_student import SiameseBiLstmStudent
from allennlp_distill.models.tagger import DistilledTagger
from allennlp_distill.models.text_regressor import TextRegressor
from allennlp_distill.predictors.labelling import quantize_int8
from allennlp_distill.serving import METADATA_FILE, ONNX_FILE, TOKENIZER_FILE, TORCHSCRIPT_FILE
from allennlp_distill.token_indexers.lowercase_words import LowercaseWordsIndexer
from allennlp_distill.token_indexers.word_casing import WordCasingIndexer

# The folder inside `output_dir` that an export is written into before it is moved into place.
SCRATCH_PREFIX = ".export-"


@Subcommand.register("distill-export")
class DistillExport(Subcommand):
    """Registered as a `Subcommand` with name "distill-export"; see the module docstring."""

    def add_subparser(self, parser: argparse._SubParsersAction) -> argparse.ArgumentParser:
        description = "Export a student archive to TorchScript (optionally int8)."
        subparser = parser.add_parser(self.name, description=description, help=description)
        subparser.add_argument("archive_file")
        subparser.add_argument("-o", "--output-dir", required=True)
        subparser.add_argument("--int8", action="store_true", help="dynamic int8 quantization")
        subparser.add_argument(
            "--onnx",
            action="store_true",
            help="a BiLSTM, CNN or transformer student (single or siamese) or sentence encoder "
            "as student.onnx for ONNX Runtime instead of TorchScript",
        )
        subparser.add_argument(
            "--force", action="store_true", help="replace an export already in the output folder"
        )
        subparser.set_defaults(func=lambda args: export_archive(**_export_args(args)))
        return subparser


def _export_args(args: argparse.Namespace) -> Dict[str, Any]:
    return {
        "archive_file": args.archive_file,
        "output_dir": args.output_dir,
        "int8": args.int8,
        "onnx": args.onnx,
        "force": args.force,
    }


def _check_wordpiece_reader(reader, archive_file: str) -> Dict[str, Any]:
    """
    What serving needs to split a text, or a sentence pair, into word pieces as the archive's
    reader does: `max_length` (the most pieces of an input, special tokens included) and
    `pad_id`; for a pair reader (`pair_teacher_logits`, both sentences in one input) also
    `pair_template` (`_pair_template`), after the two sentences are cut longest first to
    `max_length` minus the special pieces (`serving.longest_first`).

    # Raises
    `ConfigurationError` naming `archive_file` when the reader's tokenizer is not a
    `pretrained_transformer` one adding special tokens and truncating (a pair reader: bounding
    the pair by `max_tokens`), or it lets an input outgrow the embedder's window (AllenNLP would
    fold it; the export cannot).
    """
    tokenizer = getattr(reader, "_tokenizer", None)
    columns = list(getattr(reader, "text_columns", ["sentence"]))
    pair = len(columns) == 2 and getattr(reader, "_combine", False)
    if len(columns) != 1 and not pair:
        raise ConfigurationError(
            f"{archive_file}: distill-export exports a transformer classifier of one text or of "
            f"a sentence pair read jointly, not one reading text columns {columns} apart"
        )
    if not isinstance(tokenizer, PretrainedTransformerTokenizer):
        raise ConfigurationError(
            f"{archive_file}: distill-export exports a transformer classifier whose reader's "
            "tokenizer is pretrained_transformer"
        )
    if pair and tokenizer._max_length is not None:
        raise ConfigurationError(
            f"{archive_file}: the pair reader's tokenizer cuts each sentence to its max_length "
            "before the pair is cut to dataset_reader.max_tokens, which the export does not: "
            "bound the pair by dataset_reader.max_tokens alone"
        )
    max_length = reader._max_tokens if pair else tokenizer._max_length
    if not max_length or not (pair or tokenizer._add_special_tokens):
        raise ConfigurationError(
            f"{archive_file}: distill-export exports a transformer classifier whose input is "
            "bounded: dataset_reader.max_tokens for a pair, else a tokenizer with "
            "add_special_tokens and a max_length"
        )
    indexer = reader._token_indexers["tokens"]
    window = getattr(indexer, "_max_length", None)
    if window is not None and max_length > window:
        raise ConfigurationError(
            f"{archive_file}: the reader's inputs of up to {max_length} word pieces exceed the "
            f"indexer's max_length {window}: AllenNLP folds such inputs into windows, an export "
            "cannot"
        )
    settings: Dict[str, Any] = {
        "max_length": int(max_length),
        "pad_id": int(tokenizer.tokenizer.pad_token_id),
    }
    if pair:
        settings["pair_template"] = _pair_template(tokenizer, indexer)
    return settings


def _pair_template(tokenizer: PretrainedTransformerTokenizer, indexer) -> Dict[str, Any]:
    """
    A sentence pair's special pieces and segment ids as the model received them: `start` +
    first sentence + `mid` + second sentence + `end`, each special piece `[id, type_id]`, and
    the segment ids of the two sentences' pieces, `first_type` and `second_type`. Read off the
    reader's own tokenizer and indexer on a two-word pair rather than rebuilt: an indexer with
    a `max_length` swaps the pair's outer special pieces for a single sequence's (BERT's final
    `[SEP]` gets segment 0, not 1), and the model was trained on what the indexer gave.
    """
    from allennlp.data import Vocabulary

    first, second = tokenizer.tokenize("a"), tokenizer.tokenize("b")
    joined = tokenizer.add_special_tokens(first, second)
    indexed = indexer.tokens_to_indices(joined, Vocabulary())
    ids, types = indexed["token_ids"], indexed["type_ids"]
    starts = len(tokenizer.sequence_pair_start_tokens)
    mids = len(tokenizer.sequence_pair_mid_tokens)
    ends = len(tokenizer.sequence_pair_end_tokens)
    second_start = starts + len(first) + mids
    if len(ids) != len(joined) or ids[starts : second_start - mids] != [t.text_id for t in first]:
        raise ConfigurationError(
            "distill-export cannot read the pair's special pieces off the reader's indexer"
        )

    def pieces(start: int, end: int) -> List[List[int]]:
        return [[int(ids[i]), int(types[i])] for i in range(start, end)]

    return {
        "start": pieces(0, starts),
        "mid": pieces(second_start - mids, second_start),
        "end": pieces(len(ids) - ends, len(ids)),
        "first_type": int(types[starts]),
        "second_type": int(types[second_start]),
    }


def export_archive(
    archive_file: str,
    output_dir: str,
    int8: bool = False,
    force: bool = False,
    onnx: bool = False,
) -> str:
    """
    Exports the archive's student (`bilstm_student`, `siamese_bilstm_student`, their CNN and
    transformer twins, a `sentence_representation_student`, a BiLSTM `distilled_tagger`, or a
    transformer classifier or regressor of one sentence or a pair: a teacher or a truncated
    teacher) into `output_dir`
    (see the module docstring), replacing an export already there only with `force`. With
    `onnx`, a BiLSTM, CNN or transformer student (single-sentence or siamese) or sentence encoder
    is written as `student.onnx` for ONNX Runtime instead (`onnx_export.py`; `int8` then quantizes
    it with ONNX Runtime's own tools). The files are written into a scratch folder inside
    `output_dir` and moved into place once all are written (`_publish`): a failure leaves no
    half-written export.

    # Returns
    The path of the TorchScript (or ONNX) file.

    # Raises
    `ConfigurationError` when the archive's model is none of these or has an encoder the export
    does not know (with `onnx`: is not one of these students), or `output_dir`
    already holds an export and `force` is not set.
    """
    exports = (TORCHSCRIPT_FILE, ONNX_FILE, METADATA_FILE)
    if not force and any(os.path.exists(os.path.join(output_dir, name)) for name in exports):
        raise ConfigurationError(
            f"{output_dir} already holds an export: choose another --output-dir, or pass --force "
            "to replace it"
        )
    archive = load_archive(archive_file)
    student = archive.model.eval()
    module: torch.nn.Module
    transformer = isinstance(student, (BasicClassifier, TextRegressor))
    wordpieces: Optional[Dict[str, Any]] = None
    if isinstance(student, BiLstmStudent):
        module = ExportableBiLstmStudent(student)
    elif isinstance(student, SiameseBiLstmStudent):
        module = ExportableSiameseStudent(student)
    elif isinstance(student, SentenceRepresentationStudent):
        module = ExportableSentenceEncoder(student)
    elif isinstance(student, DistilledTagger):
        _check_character_indexer(archive.validation_dataset_reader, archive_file)
        _check_casing_indexer(archive.validation_dataset_reader, archive_file)
        module = ExportableTagger(student)
    elif isinstance(student, (BasicClassifier, TextRegressor)):
        module = ExportableTransformerClassifier(student)
        wordpieces = _check_wordpiece_reader(archive.validation_dataset_reader, archive_file)
    else:
        raise ConfigurationError(
            f"{archive_file}: distill-export handles the bilstm_student, cnn_student, "
            "transformer_student, their siamese forms, sentence_representation_student, "
            "distilled_tagger (a BiLSTM tagger) and transformer classifier and text_regressor "
            f"(a teacher, a truncated teacher) models, not {type(student).__name__}"
        )
    module.eval()
    onnx_modules = (ExportableBiLstmStudent, ExportableSiameseStudent, ExportableSentenceEncoder)
    if onnx and not isinstance(module, onnx_modules):
        raise ConfigurationError(
            f"{archive_file}: distill-export --onnx exports the BiLSTM, CNN and transformer "
            f"students (single-sentence or siamese) and sentence encoders, not "
            f"{type(student).__name__}: export it without --onnx (TorchScript)"
        )
    # Counted on the archive's model, as `distill-report` counts it: the export holds some
    # weights as buffers (a CNN's fused filters, a CRF's transitions) or packed (int8).
    counts = count_parameters(student)
    reader = archive.validation_dataset_reader
    # Built before the output folder exists: a student it cannot export leaves nothing behind.
    # (Refused above unless a single-sentence or siamese student or a sentence encoder.)
    graph = _onnx_graph(module) if onnx else None  # type: ignore[arg-type]
    vocab = student.vocab
    indexer = reader._token_indexers["tokens"]  # type: ignore[attr-defined]
    tokenizer = getattr(reader, "_tokenizer", None)
    # A `spacy_rules` tokenizer says what serving must mirror; other tokenizers read no word as
    # @@UNKNOWN@@ and leave lowercasing to the indexer.
    unknown_tokens = list(getattr(tokenizer, "unknown_tokens", []))
    tagger = isinstance(student, DistilledTagger)
    if tagger:
        # The tagging reader reads whole words: its own unknown tokens are @@UNKNOWN@@.
        unknown_tokens = sorted(getattr(reader, "_unknown_tokens", ()))
    regression = isinstance(student, TextRegressor) or bool(getattr(student, "_regression", False))
    sentence_encoder = isinstance(student, SentenceRepresentationStudent)
    namespace = str(getattr(student, "_label_namespace", "labels"))
    num_labels = 0 if regression or sentence_encoder else vocab.get_vocab_size(namespace)
    characters = getattr(module, "characters", False)
    characters_indexer = (
        reader._token_indexers.get("token_characters") if characters else None  # type: ignore[attr-defined]
    )
    labels = [vocab.get_token_from_index(i, namespace) for i in range(num_labels)]

    def tokens_by_id(name: str) -> List[str]:  # a vocabulary namespace's tokens, by id
        return [vocab.get_token_from_index(i, name) for i in range(vocab.get_vocab_size(name))]

    meta = {
        # A transformer's word pieces are in tokenizer.json.
        "tokens": [] if transformer else tokens_by_id("tokens"),
        "wordpieces": wordpieces,
        "labels": labels,
        "regression": regression,
        "sentence_encoder": sentence_encoder,
        "lowercase_tokens": bool(
            getattr(indexer, "lowercase_tokens", False)
            or getattr(tokenizer, "lowercase", False)
            or isinstance(indexer, LowercaseWordsIndexer)
        ),
        "unknown_tokens": unknown_tokens,
        # The sentence_vectors reader has one text column and no label.
        "text_columns": list(getattr(reader, "text_columns", ["sentence"])),
        "label_column": getattr(reader, "label_column", None),
        "skip_labels": sorted(getattr(reader, "_skip_labels", ())),
        # A tagger: one tag per word, spans by its label encoding, and its characters' ids.
        "tagger": tagger,
        "label_encoding": getattr(student, "label_encoding", None) if tagger else None,
        # A tagger with a CRF: its tags are student.ts's `tags` (Viterbi), not the argmax.
        "crf": getattr(student, "_crf", None) is not None,
        "characters": tokens_by_id("token_characters") if characters else None,
        # A tagger with a casing embedding: the `word_casing` namespace's classes, by id.
        "casing": tokens_by_id("word_casing") if getattr(module, "casing", False) else None,
        "tag_column": getattr(reader, "_tag_column", -1) if tagger else None,
        "min_char_padding": int(getattr(characters_indexer, "_min_padding_length", 0)),
        # The `capped_characters` indexer's cap (None: every character).
        "max_characters": getattr(characters_indexer, "max_characters", None),
        # The tokens of a text the student reads (a small transformer's `max_tokens`; None:
        # all): serving cuts each text's ids to it, as the encoder cuts its input.
        "max_tokens": getattr(getattr(student, "_encoder", None), "max_tokens", None),
        "int8": int8,
        # Which file serves: student.onnx (ONNX Runtime) or student.ts (TorchScript).
        "runtime": "onnxruntime" if onnx else "torchscript",
        **counts,
    }
    # Every file is written into a scratch folder first and moved into `output_dir` only once
    # all are written: a failure on the way (quantizing, saving) leaves `output_dir` as it was,
    # or absent if it was (a failure while moving, a folder without vocab.json: `_publish`).
    created = not os.path.isdir(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    for left in glob.glob(os.path.join(output_dir, SCRATCH_PREFIX + "*")):
        shutil.rmtree(left, ignore_errors=True)  # the scratch folder of a killed export
    scratch = tempfile.mkdtemp(dir=output_dir, prefix=SCRATCH_PREFIX)
    try:
        if graph is not None:
            model_file = _write_onnx(graph, scratch, int8)
        else:
            template = wordpieces.get("pair_template") if wordpieces else None
            model_file = _write_torchscript(module, scratch, int8, transformer, template)
        written = [os.path.basename(model_file)]
        if transformer:
            # The reader's word-piece tokenizer (without its truncation or padding settings:
            # serving sets them from vocab.json), for the `tokenizers` library.
            backend = reader._tokenizer.tokenizer.backend_tokenizer  # type: ignore[attr-defined]
            pieces = Tokenizer.from_str(backend.to_str())
            pieces.no_truncation()
            pieces.no_padding()
            pieces.save(os.path.join(scratch, TOKENIZER_FILE))
            written.append(TOKENIZER_FILE)
        with open(os.path.join(scratch, METADATA_FILE), "w", encoding="utf-8") as meta_file:
            json.dump(meta, meta_file, ensure_ascii=False)
        _publish(scratch, output_dir, written, other=TORCHSCRIPT_FILE if onnx else ONNX_FILE)
    except BaseException:
        shutil.rmtree(scratch if not created else output_dir, ignore_errors=True)
        raise
    shutil.rmtree(scratch, ignore_errors=True)
    return os.path.join(output_dir, os.path.basename(model_file))


def _write_torchscript(
    module: torch.nn.Module,
    output_dir: str,
    int8: bool,
    transformer: bool,
    pair_template: Optional[Dict[str, Any]] = None,
) -> str:
    """`module` scripted (a transformer: traced, then scripted; a pair one, with its
    `pair_template`, with segment ids) into `output_dir`/student.ts, after `quantize_int8` with
    `int8`; its path."""
    if int8:
        # A transformer student's self-attention blocks stay float (see quantize_int8).
        keep_float = (torch.nn.TransformerEncoderLayer,)
        module = quantize_int8(module, keep_float)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit is deprecated, see docstring
        if transformer:
            # Hugging Face models trace, they do not script; the traced graph takes any batch
            # size and length up to the window (tested).
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            example = torch.tensor([[1, 2, 3, 4], [1, 2, 0, 0]])
            inputs: Tuple[torch.Tensor, ...] = (example, (example != 0).long())
            if pair_template is not None:
                # The model's own segment ids: RoBERTa-style models have one token type only.
                first, second = pair_template["first_type"], pair_template["second_type"]
                inputs += (torch.tensor([[first, first, second, second], [first] * 4]),)
            with torch.no_grad():
                traced = torch.jit.trace(module, inputs)
            # The sub-batch loop depends on the texts' lengths: scripted around the trace.
            scripted = torch.jit.script(
                LengthSortedClassifier(traced, pair=pair_template is not None)
            )
        else:
            scripted = torch.jit.script(module)
    path = os.path.join(output_dir, TORCHSCRIPT_FILE)
    scripted.save(path)
    return path


def _onnx_graph(
    module: Union[ExportableBiLstmStudent, ExportableSiameseStudent, ExportableSentenceEncoder],
):
    """The student's checked ONNX graph (`onnx_export.student_graph`, which raises
    `ConfigurationError` for an encoder it cannot write)."""
    import onnx as onnx_format

    from allennlp_distill.commands.onnx_export import student_graph

    graph = student_graph(module)
    onnx_format.checker.check_model(graph)
    return graph


def _write_onnx(graph, output_dir: str, int8: bool) -> str:
    """The ONNX `graph` in `output_dir`/student.onnx, quantized by ONNX Runtime with `int8`;
    its path."""
    import onnx as onnx_format

    from allennlp_distill.commands.onnx_export import quantize_onnx_int8

    path = os.path.join(output_dir, ONNX_FILE)
    if int8:
        onnx_format.save(graph, path + ".float")
        quantize_onnx_int8(path + ".float", path)
        os.remove(path + ".float")
    else:
        onnx_format.save(graph, path)
    return path


def _publish(scratch: str, output_dir: str, files: List[str], other: str) -> None:
    """
    Moves `files` and then the metadata (`vocab.json`, which makes the folder an export) from
    `scratch` into `output_dir`, after removing the old metadata (so that a kill half-way leaves
    a folder that serving refuses, never one export's model beside another's vocabulary) and
    `other`, the other runtime's model file, which would only mislead.
    """
    for name in (METADATA_FILE, other):
        if os.path.exists(os.path.join(output_dir, name)):
            os.remove(os.path.join(output_dir, name))
    for name in [*files, METADATA_FILE]:
        os.replace(os.path.join(scratch, name), os.path.join(output_dir, name))


def _check_casing_indexer(reader, archive_file: str) -> None:
    """
    `serving.py` gives each word the id of its `word_casing` class in the `word_casing`
    namespace, as the `word_casing` indexer does with its defaults.

    # Raises
    `ConfigurationError` for a `word_casing` indexer of another type, namespace, or with start
    or end tokens.
    """
    indexer = reader._token_indexers.get("word_casing")
    if indexer is None:
        return
    if (
        not isinstance(indexer, WordCasingIndexer)
        or indexer.namespace != "word_casing"
        or indexer._start_tokens
        or indexer._end_tokens
    ):
        raise ConfigurationError(
            f"{archive_file}: distill-export serves dataset_reader.token_indexers.word_casing "
            "as the word_casing indexer with its defaults (namespace word_casing, no start or "
            "end tokens)"
        )


def _check_character_indexer(reader, archive_file: str) -> None:
    """
    `serving.py` indexes each word's characters as AllenNLP's `characters` indexer does by
    default: one id per character of the word, as written, in the `token_characters` namespace.

    # Raises
    `ConfigurationError` naming the setting `serving.py` does not mirror.
    """
    indexer = reader._token_indexers.get("token_characters")
    if indexer is None:
        return
    tokenizer = indexer._character_tokenizer
    settings = {
        "namespace": indexer._namespace != "token_characters",
        "start_tokens": bool(indexer._start_tokens),
        "end_tokens": bool(indexer._end_tokens),
        "character_tokenizer.lowercase_characters": tokenizer._lowercase_characters,
        "character_tokenizer.byte_encoding": tokenizer._byte_encoding is not None,
        "character_tokenizer.start_tokens": bool(tokenizer._start_tokens),
        "character_tokenizer.end_tokens": bool(tokenizer._end_tokens),
    }
    changed = [name for name, differs in settings.items() if differs]
    if changed:
        raise ConfigurationError(
            f"{archive_file}: distill-export serves the characters indexer with its defaults; "
            f"dataset_reader.token_indexers.token_characters sets {', '.join(changed)}"
        )
